package e2e_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/smithy-go"

	"github.com/ersatz-dev/ersatz/internal/auth"
	"github.com/ersatz-dev/ersatz/internal/server"
	"github.com/ersatz-dev/ersatz/internal/store/memory"
	"github.com/ersatz-dev/ersatz/internal/testkit"
)

// The keys of the auth tests' credentials file.
const (
	authKeyA       = "AKIDACCOUNTA"  // account 111111111111
	authKeyB       = "AKIDACCOUNTB"  // account 222222222222
	authKeyToken   = "ASIATEMPORARY" // a key with a session token
	authKeyBoto    = "AKIDBOTOWRONG" // the boto worker signs with "secret"; the file says otherwise
	authKeyDigits  = "333333333333"  // no accountId: the key is the account
	authSecretA    = "secret-of-a"   //
	authSecretB    = "secret-of-b"   //
	authToken      = "session-token-1"
	authAccountA   = "111111111111"
	authAccountB   = "222222222222"
	authRegion     = "us-east-1"
	authServerBody = `{"ServerId":"s-0123456789abcdef0"}`
)

func authCredentials(t testing.TB) *auth.Credentials {
	t.Helper()
	f := auth.File{Credentials: []auth.Credential{
		{AccessKeyID: authKeyA, SecretAccessKey: authSecretA, AccountID: authAccountA, UserID: "user-a", Email: "a@example.com"},
		{AccessKeyID: authKeyB, SecretAccessKey: authSecretB, AccountID: authAccountB},
		{AccessKeyID: authKeyToken, SecretAccessKey: "secret-t", AccountID: authAccountA, SessionToken: authToken},
		{AccessKeyID: authKeyBoto, SecretAccessKey: "not-the-workers-secret"},
		{AccessKeyID: authKeyDigits, SecretAccessKey: "secret"},
	}}
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "credentials.json")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := auth.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// startAuth runs Ersatz with SigV4 verification over a memory store.
func startAuth(t testing.TB, opts ...auth.Option) *testkit.Server {
	t.Helper()
	st := memory.New()
	a := auth.NewSigV4(authCredentials(t), server.Services(nil), opts...)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := server.New(server.Config{Store: st, DefaultRegion: authRegion, Auth: a, Logger: log})
	s := testkit.StartHandler(t, srv.Handler())
	s.Store = st
	return s
}

func authTransfer(s *testkit.Server, key, secret, token string) *transfer.Client {
	return transfer.NewFromConfig(aws.Config{
		Region:           authRegion,
		Credentials:      credentials.NewStaticCredentialsProvider(key, secret, token),
		BaseEndpoint:     aws.String(s.URL),
		RetryMaxAttempts: 1,
	})
}

// authWantAPIError checks err is the API error code with the HTTP status and
// a message starting with prefix.
func authWantAPIError(t testing.TB, err error, code string, status int, prefix string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("got %v, want %s", err, code)
	}
	if ae.ErrorCode() != code || !strings.HasPrefix(ae.ErrorMessage(), prefix) {
		t.Fatalf("got %s: %q, want %s: %q...", ae.ErrorCode(), ae.ErrorMessage(), code, prefix)
	}
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.HTTPStatusCode() != status {
		t.Fatalf("got status %v, want %d", err, status)
	}
}

func TestAuthGoSDK(t *testing.T) {
	t.Parallel()
	s := startAuth(t)
	ctx := context.Background()

	t.Run("valid key acts in its account", func(t *testing.T) {
		c := authTransfer(s, authKeyA, authSecretA, "")
		out, err := c.CreateServer(ctx, &transfer.CreateServerInput{})
		if err != nil {
			t.Fatal(err)
		}
		d, err := c.DescribeServer(ctx, &transfer.DescribeServerInput{ServerId: out.ServerId})
		if err != nil {
			t.Fatal(err)
		}
		if arn := aws.ToString(d.Server.Arn); !strings.Contains(arn, ":"+authAccountA+":server/") {
			t.Fatalf("server ARN %q is not in account %s", arn, authAccountA)
		}
		// Account B does not see it.
		if _, err := authTransfer(s, authKeyB, authSecretB, "").DescribeServer(ctx, &transfer.DescribeServerInput{ServerId: out.ServerId}); err == nil {
			t.Fatal("account B described account A's server")
		}
	})
	t.Run("key without accountId is its own account", func(t *testing.T) {
		c := authTransfer(s, authKeyDigits, "secret", "")
		out, err := c.CreateServer(ctx, &transfer.CreateServerInput{})
		if err != nil {
			t.Fatal(err)
		}
		d, err := c.DescribeServer(ctx, &transfer.DescribeServerInput{ServerId: out.ServerId})
		if err != nil || !strings.Contains(aws.ToString(d.Server.Arn), ":"+authKeyDigits+":") {
			t.Fatalf("got %v %v", d, err)
		}
	})
	t.Run("session token", func(t *testing.T) {
		if _, err := authTransfer(s, authKeyToken, "secret-t", authToken).ListServers(ctx, &transfer.ListServersInput{}); err != nil {
			t.Fatal(err)
		}
		_, err := authTransfer(s, authKeyToken, "secret-t", "").ListServers(ctx, &transfer.ListServersInput{})
		authWantAPIError(t, err, "UnrecognizedClientException", 400, "The security token included in the request is invalid.")
		_, err = authTransfer(s, authKeyToken, "secret-t", "other-token").ListServers(ctx, &transfer.ListServersInput{})
		authWantAPIError(t, err, "UnrecognizedClientException", 400, "The security token included in the request is invalid.")
		_, err = authTransfer(s, authKeyA, authSecretA, "unexpected-token").ListServers(ctx, &transfer.ListServersInput{})
		authWantAPIError(t, err, "UnrecognizedClientException", 400, "The security token included in the request is invalid.")
	})
	t.Run("wrong secret", func(t *testing.T) {
		_, err := authTransfer(s, authKeyA, "wrong", "").ListServers(ctx, &transfer.ListServersInput{})
		authWantAPIError(t, err, "InvalidSignatureException", 400, "The request signature we calculated does not match the signature you provided.")
	})
	t.Run("unknown key", func(t *testing.T) {
		_, err := authTransfer(s, "AKIDNOBODY", "secret", "").ListServers(ctx, &transfer.ListServersInput{})
		authWantAPIError(t, err, "UnrecognizedClientException", 400, "The security token included in the request is invalid.")
	})
}

// authRequest is one request signed by hand with aws-sdk-go-v2's signer.
type authRequest struct {
	method, path, body string
	header             http.Header
	key, secret, token string
	service, region    string
	at                 time.Time
}

func transferRequest(target, body string) authRequest {
	return authRequest{method: "POST", path: "/", body: body,
		header: http.Header{"X-Amz-Target": {"TransferService." + target}, "Content-Type": {"application/x-amz-json-1.1"}},
		key:    authKeyA, secret: authSecretA, service: "transfer", region: authRegion}
}

func qappsRequest(method, path, body string) authRequest {
	return authRequest{method: method, path: path, body: body,
		header: http.Header{"Instance-Id": {"inst-1"}, "Content-Type": {"application/json"}},
		key:    authKeyA, secret: authSecretA, service: "qapps", region: authRegion}
}

func (ar authRequest) build(t testing.TB, base string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(ar.method, base+ar.path, strings.NewReader(ar.body))
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range ar.header {
		req.Header[k] = append([]string(nil), vs...)
	}
	at := ar.at
	if at.IsZero() {
		at = time.Now()
	}
	sum := sha256.Sum256([]byte(ar.body))
	creds := aws.Credentials{AccessKeyID: ar.key, SecretAccessKey: ar.secret, SessionToken: ar.token}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), ar.service, ar.region, at); err != nil {
		t.Fatal(err)
	}
	return req
}

type authReply struct {
	status int
	code   string
	msg    string
}

func authSend(t testing.TB, req *http.Request) authReply {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var body map[string]any
	_ = json.Unmarshal(b, &body)
	msg, _ := body["message"].(string)
	if m, ok := body["Message"].(string); ok {
		msg = m
	}
	return authReply{status: resp.StatusCode, code: resp.Header.Get("X-Amzn-ErrorType"), msg: msg}
}

func replaceBody(req *http.Request, body string) {
	req.Body = io.NopCloser(strings.NewReader(body))
	req.ContentLength = int64(len(body))
}

// TestAuthForgedRequests forges every invalid case against a signature made
// by aws-sdk-go-v2's signer, for the awsJson and the restJson services.
func TestAuthForgedRequests(t *testing.T) {
	t.Parallel()
	s := startAuth(t)
	now := time.Now()
	const badSig = "The request signature we calculated does not match the signature you provided."
	tests := []struct {
		name   string
		req    authRequest
		forge  func(*http.Request)
		status int
		code   string
		prefix string
	}{
		{"transfer valid", transferRequest("ListServers", `{}`), nil, 200, "", ""},
		{"qapps valid reaches the service", qappsRequest("GET", "/apps.list", ""), nil, 0, "", ""},
		{"amplify valid reaches the service", authRequest{method: "POST", path: "/backend/app1/details", body: `{}`,
			key: authKeyA, secret: authSecretA, service: "amplifybackend", region: authRegion}, nil, 0, "", ""},
		{"changed body", transferRequest("DescribeServer", authServerBody),
			func(r *http.Request) { replaceBody(r, strings.Replace(authServerBody, "f0", "f1", 1)) }, 400, "InvalidSignatureException", badSig},
		{"changed body rest", qappsRequest("POST", "/apps.delete", `{"appId":"a"}`),
			func(r *http.Request) { replaceBody(r, `{"appId":"b"}`) }, 403, "InvalidSignatureException", badSig},
		{"changed signed header", transferRequest("ListServers", `{}`),
			func(r *http.Request) { r.Header.Set("X-Amz-Target", "TransferService.ListUsers") }, 400, "InvalidSignatureException", badSig},
		{"changed signed header rest", qappsRequest("GET", "/apps.list", ""),
			func(r *http.Request) { r.Header.Set("Instance-Id", "inst-2") }, 403, "InvalidSignatureException", badSig},
		{"changed query", qappsRequest("GET", "/apps.list?limit=1", ""),
			func(r *http.Request) { r.URL.RawQuery = "limit=2" }, 403, "InvalidSignatureException", badSig},
		{"host dropped from signed headers", transferRequest("ListServers", `{}`),
			func(r *http.Request) {
				r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "host;", "", 1))
			},
			400, "InvalidSignatureException", "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."},
		{"wrong service in scope", func() authRequest { r := transferRequest("ListServers", `{}`); r.service = "qapps"; return r }(), nil,
			400, "InvalidSignatureException", "Credential should be scoped to correct service: 'transfer'."},
		{"service Ersatz does not serve", func() authRequest { r := transferRequest("ListServers", `{}`); r.service = "s3"; return r }(), nil,
			400, "InvalidSignatureException", "Credential should be scoped to correct service: 'transfer'."},
		{"wrong service rest", func() authRequest { r := qappsRequest("GET", "/apps.list", ""); r.service = "transfer"; return r }(), nil,
			403, "InvalidSignatureException", "Credential should be scoped to correct service: 'qapps'."},
		{"invalid region", func() authRequest { r := transferRequest("ListServers", `{}`); r.region = "mars"; return r }(), nil,
			400, "InvalidSignatureException", "Credential should be scoped to a valid region, not 'mars'."},
		{"scope region rewritten", transferRequest("ListServers", `{}`),
			func(r *http.Request) {
				r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/us-east-1/", "/eu-west-1/", 1))
			}, 400, "InvalidSignatureException", badSig},
		{"signed 20 minutes ago", func() authRequest {
			r := transferRequest("ListServers", `{}`)
			r.at = now.Add(-20 * time.Minute)
			return r
		}(), nil,
			400, "InvalidSignatureException", "Signature expired: "},
		{"signed 20 minutes ahead", func() authRequest {
			r := transferRequest("ListServers", `{}`)
			r.at = now.Add(20 * time.Minute)
			return r
		}(), nil,
			400, "InvalidSignatureException", "Signature not yet current: "},
		{"skew within 15 minutes", func() authRequest {
			r := transferRequest("ListServers", `{}`)
			r.at = now.Add(-10 * time.Minute)
			return r
		}(), nil,
			200, "", ""},
		{"replayed with another key", transferRequest("ListServers", `{}`),
			func(r *http.Request) {
				r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "Credential="+authKeyA+"/", "Credential="+authKeyB+"/", 1))
			}, 400, "InvalidSignatureException", badSig},
		{"replayed with an unknown key", qappsRequest("GET", "/apps.list", ""),
			func(r *http.Request) {
				r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "Credential="+authKeyA+"/", "Credential=AKIDNOBODY/", 1))
			}, 403, "UnrecognizedClientException", "The security token included in the request is invalid."},
		{"missing session token", func() authRequest {
			r := transferRequest("ListServers", `{}`)
			r.key, r.secret = authKeyToken, "secret-t"
			return r
		}(), nil,
			400, "UnrecognizedClientException", "The security token included in the request is invalid."},
		{"token stripped after signing", func() authRequest {
			r := qappsRequest("GET", "/apps.list", "")
			r.key, r.secret, r.token = authKeyToken, "secret-t", authToken
			return r
		}(), func(r *http.Request) { r.Header.Del("X-Amz-Security-Token") }, 403, "UnrecognizedClientException", "The security token included in the request is invalid."},
		{"no authorization", transferRequest("ListServers", `{}`),
			func(r *http.Request) { r.Header.Del("Authorization") }, 400, "MissingAuthenticationTokenException", "Request is missing Authentication Token"},
		{"no authorization rest", qappsRequest("GET", "/apps.list", ""),
			func(r *http.Request) { r.Header.Del("Authorization") }, 403, "MissingAuthenticationTokenException", "Missing Authentication Token"},
		{"incomplete authorization", transferRequest("ListServers", `{}`),
			func(r *http.Request) {
				r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+authKeyA+"/20260101/us-east-1/transfer/aws4_request")
			},
			400, "IncompleteSignatureException", "Authorization header requires 'Signature' parameter."},
		{"incomplete authorization rest", qappsRequest("GET", "/apps.list", ""),
			func(r *http.Request) { r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Signature=abc") },
			403, "IncompleteSignatureException", "Authorization header requires 'Credential' parameter."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := tc.req.build(t, s.URL)
			if tc.forge != nil {
				tc.forge(req)
			}
			got := authSend(t, req)
			if tc.status == 0 { // reached the service: any answer but an authentication failure
				if got.status == 400 || got.status == 403 {
					if strings.Contains(got.code, "Signature") || strings.Contains(got.code, "Authentication") || strings.Contains(got.code, "UnrecognizedClient") {
						t.Fatalf("a valid request was refused: %+v", got)
					}
				}
				return
			}
			if got.status != tc.status || got.code != tc.code || !strings.HasPrefix(got.msg, tc.prefix) {
				t.Fatalf("got %d %s %q, want %d %s %q...", got.status, got.code, got.msg, tc.status, tc.code, tc.prefix)
			}
		})
	}
}

// TestAuthPresigned checks query-presigned requests: a valid presigned URL
// passes until X-Amz-Expires runs out.
func TestAuthPresigned(t *testing.T) {
	t.Parallel()
	var clock = time.Now()
	s := startAuth(t, auth.WithClock(func() time.Time { return clock }))
	presign := func(t *testing.T, req *http.Request, service string, expires int) *http.Request {
		t.Helper()
		q := req.URL.Query()
		q.Set("X-Amz-Expires", strconv.Itoa(expires))
		req.URL.RawQuery = q.Encode()
		sum := sha256.Sum256(nil)
		u, hdr, err := v4.NewSigner().PresignHTTP(context.Background(), aws.Credentials{AccessKeyID: authKeyA, SecretAccessKey: authSecretA},
			req, hex.EncodeToString(sum[:]), service, authRegion, clock,
			func(o *v4.SignerOptions) { o.DisableHeaderHoisting = true }) // keep X-Amz-Target a header
		if err != nil {
			t.Fatal(err)
		}
		out, err := http.NewRequest(req.Method, u, nil)
		if err != nil {
			t.Fatal(err)
		}
		for k, vs := range hdr {
			if !strings.EqualFold(k, "Host") {
				out.Header[k] = vs
			}
		}
		return out
	}
	qreq, _ := http.NewRequest("GET", s.URL+"/apps.list", nil)
	qreq.Header.Set("Instance-Id", "inst-1")
	treq, _ := http.NewRequest("POST", s.URL+"/", nil)
	treq.Header.Set("X-Amz-Target", "TransferService.ListServers")
	treq.Header.Set("Content-Type", "application/x-amz-json-1.1")

	qp := presign(t, qreq, "qapps", 300)
	tp := presign(t, treq, "transfer", 300)
	if got := authSend(t, qp.Clone(context.Background())); got.status == 403 {
		t.Fatalf("a fresh presigned Q Apps request was refused: %+v", got)
	}
	if got := authSend(t, tp.Clone(context.Background())); got.status != 200 {
		t.Fatalf("a fresh presigned Transfer request was refused: %+v", got)
	}
	clock = clock.Add(301 * time.Second)
	got := authSend(t, qp.Clone(context.Background()))
	if got.status != 403 || got.code != "InvalidSignatureException" || !strings.HasPrefix(got.msg, "Signature expired: ") {
		t.Fatalf("an expired presigned request answered %+v", got)
	}
	got = authSend(t, tp.Clone(context.Background()))
	if got.status != 400 || got.code != "InvalidSignatureException" || !strings.HasPrefix(got.msg, "Signature expired: ") {
		t.Fatalf("an expired presigned Transfer request answered %+v", got)
	}
	long := presign(t, qreq, "qapps", 7*24*3600+1)
	got = authSend(t, long)
	if got.status != 403 || got.code != "IncompleteSignatureException" || !strings.Contains(got.msg, "604800") {
		t.Fatalf("X-Amz-Expires over a week answered %+v", got)
	}
}

// TestAuthBoto checks boto3 reports the refusals with the right codes.
func TestAuthBoto(t *testing.T) {
	t.Parallel()
	s := startAuth(t)
	b := s.Boto(t)
	// The worker signs with the secret "secret": right for authKeyDigits, wrong for authKeyBoto.
	if _, err := b.Call(t, testkit.BotoRequest{Service: "transfer", Op: "ListServers", AccessKey: authKeyDigits}); err != nil {
		t.Fatalf("boto3 with the right secret: %v", err)
	}
	tests := []struct {
		name, service, op string
		params            map[string]any
		key               string
		code              string
		status            int
	}{
		{"transfer wrong secret", "transfer", "ListServers", nil, authKeyBoto, "InvalidSignatureException", 400},
		{"transfer unknown key", "transfer", "ListServers", nil, "AKIDNOBODY", "UnrecognizedClientException", 400},
		{"qapps wrong secret", "qapps", "ListQApps", map[string]any{"instanceId": "inst-1"}, authKeyBoto, "InvalidSignatureException", 403},
		{"amplify wrong secret", "amplifybackend", "ListBackendJobs", map[string]any{"AppId": "app", "BackendEnvironmentName": "dev"}, authKeyBoto, "InvalidSignatureException", 403},
		{"amplify unknown key", "amplifybackend", "ListBackendJobs", map[string]any{"AppId": "app", "BackendEnvironmentName": "dev"}, "AKIDNOBODY", "UnrecognizedClientException", 403},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := b.Call(t, testkit.BotoRequest{Service: tc.service, Op: tc.op, Params: tc.params, AccessKey: tc.key})
			if err == nil || err.Code != tc.code || err.Status != tc.status {
				t.Fatalf("got %v, want %s (%d)", err, tc.code, tc.status)
			}
			if tc.code == "InvalidSignatureException" && !strings.HasPrefix(err.Message, "The request signature we calculated does not match") {
				t.Fatalf("message %q", err.Message)
			}
		})
	}
}

// TestAuthCLI checks the AWS CLI prints the refusal as AWS would.
func TestAuthCLI(t *testing.T) {
	t.Parallel()
	testkit.RequireAWSCLI(t)
	s := startAuth(t)
	run := func(key, secret string, args ...string) (string, error) {
		stdout, stderr, err := testkit.AWSCLI{URL: s.URL, AccessKeyID: key, SecretAccessKey: secret, Region: authRegion}.Run(args...)
		return stdout + stderr, err
	}
	if out, err := run(authKeyDigits, "secret", "transfer", "list-servers"); err != nil {
		t.Fatalf("aws transfer list-servers with the right secret: %v\n%s", err, out)
	}
	out, err := run(authKeyA, "wrong", "transfer", "list-servers")
	want := "An error occurred (InvalidSignatureException) when calling the ListServers operation: The request signature we calculated does not match"
	if err == nil || !strings.Contains(out, want) {
		t.Fatalf("aws transfer list-servers with a wrong secret printed:\n%s\nwant %q", out, want)
	}
}

// TestAuthTrustingMapsKeys checks --auth off with a credentials file: no
// signature is checked, but the file's keys act in their accounts.
func TestAuthTrustingMapsKeys(t *testing.T) {
	t.Parallel()
	st := memory.New()
	a := auth.NewTrusting(authCredentials(t), auth.WithDefaultRegion(authRegion))
	srv := server.New(server.Config{Store: st, DefaultRegion: authRegion, Auth: a, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	s := testkit.StartHandler(t, srv.Handler())
	ctx := context.Background()
	tests := []struct{ key, secret, account string }{
		{authKeyA, "anything", authAccountA},
		{authKeyB, "", authAccountB},
		{"444444444444", "x", "444444444444"},
		{"AKIDNOTINFILE", "x", "000000000000"},
	}
	for _, tc := range tests {
		c := authTransfer(s, tc.key, tc.secret+"z", "")
		out, err := c.CreateServer(ctx, &transfer.CreateServerInput{})
		if err != nil {
			t.Fatalf("%s: %v", tc.key, err)
		}
		d, err := c.DescribeServer(ctx, &transfer.DescribeServerInput{ServerId: out.ServerId})
		if err != nil || !strings.Contains(aws.ToString(d.Server.Arn), ":"+tc.account+":") {
			t.Fatalf("%s: server %v %v, want account %s", tc.key, d, err, tc.account)
		}
	}
}
