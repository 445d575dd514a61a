package e2e_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"

	"github.com/ersatz-dev/ersatz/internal/testkit"
)

// TestIdentityProviderTest: TestIdentityProvider calls API_GATEWAY and
// AWS_LAMBDA providers and reports their raw answer (Go SDK and boto3).
func TestIdentityProviderTest(t *testing.T) {
	t.Parallel()
	p := newTestIDP(t)
	gw := p.gateway(t)
	lam := p.lambda(t)
	env := startDataPlane(t, nil, "", "", withIdentityProviders(t, lam.URL, time.Second))
	c := env.TC
	ctx := context.Background()
	gwSID := idpServer(t, c, types.IdentityProviderTypeApiGateway, gw.URL+"/prod", "", types.ProtocolSftp, types.ProtocolFtps)
	lamSID := idpServer(t, c, types.IdentityProviderTypeAwsLambda, "arn:aws:lambda:us-east-1:111111111111:function:idp", "", types.ProtocolSftp)
	dead := closedURL(t)
	deadSID := idpServer(t, c, types.IdentityProviderTypeApiGateway, dead, "", types.ProtocolSftp)
	p.set("alice", idpUser{password: "alice-pw", answer: map[string]any{"HomeDirectory": "/bucket/alice"}})
	p.set("mal", idpUser{raw: `{"Role": "` + testRole + `", "HomeDirectoryType": "LOGICAL"}`})
	p.set("denied", idpUser{status: 403, raw: `{"message": "Forbidden"}`})
	p.set("slow", idpUser{hang: true})

	gwURL := func(user, protocol, ip string) string {
		return gw.URL + "/prod/servers/" + gwSID + "/users/" + user + "/config?protocol=" + protocol + "&sourceIp=" + ip
	}
	tests := []struct {
		name        string
		in          transfer.TestIdentityProviderInput
		status      int32
		response    string // a fragment ("" : the Response is empty)
		message     string // a fragment ("" : the Message is empty)
		url         string
		sawProtocol string
		sawIP       string
	}{
		{name: "authenticated", in: transfer.TestIdentityProviderInput{ServerId: &gwSID, UserName: aws.String("alice"), UserPassword: aws.String("alice-pw"),
			ServerProtocol: types.ProtocolFtps, SourceIp: aws.String("192.0.2.10")},
			status: 200, response: `"HomeDirectory":"/bucket/alice"`, url: gwURL("alice", "FTPS", "192.0.2.10"), sawProtocol: "FTPS", sawIP: "192.0.2.10"},
		{name: "defaults", in: transfer.TestIdentityProviderInput{ServerId: &gwSID, UserName: aws.String("alice"), UserPassword: aws.String("alice-pw")},
			status: 200, response: `"Role"`, url: gwURL("alice", "SFTP", "127.0.0.1"), sawProtocol: "SFTP", sawIP: "127.0.0.1"},
		{name: "wrong password", in: transfer.TestIdentityProviderInput{ServerId: &gwSID, UserName: aws.String("alice"), UserPassword: aws.String("nope")},
			status: 200, response: "{}", message: "did not authenticate user alice", url: gwURL("alice", "SFTP", "127.0.0.1")},
		{name: "malformed", in: transfer.TestIdentityProviderInput{ServerId: &gwSID, UserName: aws.String("mal"), UserPassword: aws.String("x")},
			status: 200, response: `"LOGICAL"`, message: "HomeDirectoryDetails", url: gwURL("mal", "SFTP", "127.0.0.1")},
		{name: "403", in: transfer.TestIdentityProviderInput{ServerId: &gwSID, UserName: aws.String("denied"), UserPassword: aws.String("x")},
			status: 403, response: "Forbidden", message: "HTTP 403", url: gwURL("denied", "SFTP", "127.0.0.1")},
		{name: "hangs", in: transfer.TestIdentityProviderInput{ServerId: &gwSID, UserName: aws.String("slow"), UserPassword: aws.String("x")},
			status: 500, message: "no answer within 1s", url: gwURL("slow", "SFTP", "127.0.0.1")},
		{name: "unreachable", in: transfer.TestIdentityProviderInput{ServerId: &deadSID, UserName: aws.String("alice"), UserPassword: aws.String("alice-pw")},
			status: 500, message: "unable to call identity provider", url: dead + "/servers/" + deadSID + "/users/alice/config?protocol=SFTP&sourceIp=127.0.0.1"},
		{name: "lambda", in: transfer.TestIdentityProviderInput{ServerId: &lamSID, UserName: aws.String("alice"), UserPassword: aws.String("alice-pw")},
			status: 200, response: `"HomeDirectory":"/bucket/alice"`, sawProtocol: "SFTP", sawIP: "127.0.0.1"},
		{name: "lambda refuses", in: transfer.TestIdentityProviderInput{ServerId: &lamSID, UserName: aws.String("alice"), UserPassword: aws.String("nope")},
			status: 200, response: "{}", message: "no Role"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(p.callsOf(*tc.in.UserName))
			out, err := c.TestIdentityProvider(ctx, &tc.in)
			if err != nil {
				t.Fatal(err)
			}
			resp, msg := aws.ToString(out.Response), aws.ToString(out.Message)
			if out.StatusCode != tc.status || aws.ToString(out.Url) != tc.url ||
				(tc.response == "") != (resp == "") || !strings.Contains(resp, tc.response) ||
				(tc.message == "") != (msg == "") || !strings.Contains(msg, tc.message) {
				t.Fatalf("TestIdentityProvider = status %d, response %q, message %q, url %q", out.StatusCode, resp, msg, aws.ToString(out.Url))
			}
			if tc.sawProtocol == "" {
				return
			}
			calls := p.callsOf(*tc.in.UserName)
			if len(calls) != before+1 {
				t.Fatalf("%d provider calls, want 1", len(calls)-before)
			}
			if got := calls[len(calls)-1]; got.Protocol != tc.sawProtocol || got.SourceIP != tc.sawIP || got.Password == nil || *got.Password != *tc.in.UserPassword {
				t.Fatalf("provider call %+v", got)
			}
		})
	}

	sm := mustCreateServer(t, c, nil)
	_, err := c.TestIdentityProvider(ctx, &transfer.TestIdentityProviderInput{ServerId: &sm, UserName: aws.String("alice")})
	wantInvalid(t, err, sm+" not configured for external auth")

	t.Run("boto3", func(t *testing.T) {
		b := (&testkit.Server{URL: env.URL}).Boto(t)
		call := func(params map[string]any) map[string]any {
			t.Helper()
			out, berr := b.Call(t, testkit.BotoRequest{Service: "transfer", Op: "TestIdentityProvider", Params: params, AccessKey: acctA, Region: "us-east-1"})
			if berr != nil {
				t.Fatalf("TestIdentityProvider: %v", berr)
			}
			return out
		}
		out := call(map[string]any{"ServerId": gwSID, "UserName": "alice", "UserPassword": "alice-pw", "ServerProtocol": "SFTP", "SourceIp": "192.0.2.11"})
		if out["StatusCode"] != float64(200) || !strings.Contains(out["Response"].(string), testRole) || out["Message"] != "" ||
			out["Url"] != gwURL("alice", "SFTP", "192.0.2.11") {
			t.Fatalf("boto3 authenticated: %v", out)
		}
		out = call(map[string]any{"ServerId": deadSID, "UserName": "alice", "UserPassword": "alice-pw"})
		if out["StatusCode"] != float64(500) || out["Response"] != "" || !strings.Contains(out["Message"].(string), "unable to call") {
			t.Fatalf("boto3 unreachable: %v", out)
		}
		_, berr := b.Call(t, testkit.BotoRequest{Service: "transfer", Op: "TestIdentityProvider", Params: map[string]any{"ServerId": sm, "UserName": "alice"},
			AccessKey: acctA, Region: "us-east-1"})
		if berr == nil || berr.Code != "InvalidRequestException" || !strings.Contains(berr.Message, "not configured for external auth") {
			t.Fatalf("boto3 SERVICE_MANAGED: %v", berr)
		}
	})
}

// TestIdentityProviderTestNoLambdaEndpoint: without --lambda-endpoint,
// TestIdentityProvider on an AWS_LAMBDA server says which flag is missing.
func TestIdentityProviderTestNoLambdaEndpoint(t *testing.T) {
	t.Parallel()
	_, c := newTransfer(t)
	sid := idpServer(t, c, types.IdentityProviderTypeAwsLambda, "arn:aws:lambda:us-east-1:111111111111:function:idp", "", types.ProtocolSftp)
	out, err := c.TestIdentityProvider(context.Background(), &transfer.TestIdentityProviderInput{ServerId: &sid, UserName: aws.String("alice"), UserPassword: aws.String("pw")})
	if err != nil {
		t.Fatal(err)
	}
	if out.StatusCode != 500 || aws.ToString(out.Response) != "" || out.Url != nil || !strings.Contains(aws.ToString(out.Message), "--lambda-endpoint") {
		t.Fatalf("TestIdentityProvider = %d %q %q %v", out.StatusCode, aws.ToString(out.Response), aws.ToString(out.Message), out.Url)
	}
}
