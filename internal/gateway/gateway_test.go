package gateway_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"
	"github.com/aws/smithy-go"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/amplifybackendapi"
	"github.com/ersatz-dev/ersatz/internal/api/qappsapi"
	"github.com/ersatz-dev/ersatz/internal/api/transferapi"
	"github.com/ersatz-dev/ersatz/internal/gateway"
	"github.com/ersatz-dev/ersatz/internal/testkit"
)

// fixture serves the three services with a few hand-made handlers that
// exercise the protocol layer, and records the last caller.
type fixture struct {
	mu     sync.Mutex
	caller api.Caller
	srv    *testkit.Server
}

func (f *fixture) record(ctx context.Context) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.caller = api.CallerFrom(ctx)
}

func (f *fixture) lastCaller() api.Caller {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.caller
}

func newFixture(t *testing.T) *fixture {
	f := &fixture{}
	tr := &transferapi.Handlers{
		DescribeServer: func(ctx context.Context, in *transferapi.DescribeServerRequest) (*transferapi.DescribeServerResponse, error) {
			f.record(ctx)
			if *in.ServerId == "s-00000000000000000" {
				return nil, &transferapi.ResourceNotFoundException{
					Message: api.Ptr("Unknown server"), Resource: in.ServerId, ResourceType: api.Ptr("Server"),
				}
			}
			return &transferapi.DescribeServerResponse{Server: &transferapi.DescribedServer{
				Arn: api.Ptr("arn:aws:transfer:us-east-1:000000000000:server/" + *in.ServerId), ServerId: in.ServerId,
				State: api.Ptr(transferapi.StateOnline), Protocols: []string{"SFTP"},
			}}, nil
		},
		ListHostKeys: func(ctx context.Context, in *transferapi.ListHostKeysRequest) (*transferapi.ListHostKeysResponse, error) {
			return &transferapi.ListHostKeysResponse{ServerId: in.ServerId, HostKeys: []transferapi.ListedHostKey{{
				Arn:          api.Ptr("arn:aws:transfer:us-east-1:000000000000:host-key/s-01234567890abcdef/hostkey-01234567890abcdef"),
				DateImported: api.Epoch(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)),
			}}}, nil
		},
	}
	ab := &amplifybackendapi.Handlers{
		GetBackendJob: func(ctx context.Context, in *amplifybackendapi.GetBackendJobRequest) (*amplifybackendapi.GetBackendJobResponse, error) {
			if *in.JobId == "missing" {
				return nil, &amplifybackendapi.NotFoundException{Message: api.Ptr("no such job"), ResourceType: api.Ptr("Job")}
			}
			return &amplifybackendapi.GetBackendJobResponse{AppId: in.AppId, BackendEnvironmentName: in.BackendEnvironmentName, JobId: in.JobId, Status: api.Ptr("COMPLETED")}, nil
		},
	}
	qa := &qappsapi.Handlers{
		GetQApp: func(ctx context.Context, in *qappsapi.GetQAppInput) (*qappsapi.GetQAppOutput, error) {
			f.record(ctx)
			v := int32(1)
			if in.AppVersion != nil {
				v = *in.AppVersion
			}
			return &qappsapi.GetQAppOutput{AppId: in.AppId, AppArn: api.Ptr("arn:aws:qapps:us-east-1:000000000000:application/" + *in.InstanceId + "/" + *in.AppId),
				Title: api.Ptr("t"), AppVersion: &v, Status: api.Ptr("DRAFT"), CreatedAt: api.ISO(time.Unix(1700000000, 0)), CreatedBy: api.Ptr("u"),
				UpdatedAt: api.ISO(time.Unix(1700000000, 0)), UpdatedBy: api.Ptr("u")}, nil
		},
		UntagResource: func(ctx context.Context, in *qappsapi.UntagResourceRequest) (*qappsapi.UntagResourceResponse, error) {
			if len(in.TagKeys) != 2 || in.TagKeys[0] != "a" || in.TagKeys[1] != "b" {
				return nil, &qappsapi.ValidationException{Message: api.Ptr("tag keys " + strings.Join(in.TagKeys, ","))}
			}
			if *in.ResourceARN != "arn:aws:qapps:us-east-1:000000000000:application/i/a" {
				return nil, &qappsapi.ResourceNotFoundException{Message: api.Ptr("arn " + *in.ResourceARN), ResourceId: in.ResourceARN, ResourceType: api.Ptr("app")}
			}
			return &qappsapi.UntagResourceResponse{}, nil
		},
		ListQApps: func(ctx context.Context, in *qappsapi.ListQAppsInput) (*qappsapi.ListQAppsOutput, error) {
			return nil, &qappsapi.ThrottlingException{Message: api.Ptr("slow down"), ServiceCode: api.Ptr("qapps"), QuotaCode: api.Ptr("q"), RetryAfterSeconds: api.Ptr(int32(7))}
		},
	}
	gw := gateway.New(gateway.Options{Services: []*api.Service{tr.Service(), ab.Service(), qa.Service()}, DefaultRegion: "us-east-1", Logger: slog.New(slog.DiscardHandler)})
	f.srv = testkit.StartHandler(t, gw)
	return f
}

func TestValidationMessages(t *testing.T) {
	f := newFixture(t)
	c := f.srv.TransferAs("AKIDEXAMPLE", "us-east-1", func(o *transfer.Options) {
		o.APIOptions = append(o.APIOptions, testkit.NoClientValidation)
	})
	tests := []struct {
		name string
		in   *transfer.DescribeServerInput
		want string
	}{
		{"pattern and length", &transfer.DescribeServerInput{ServerId: aws.String("s-XYZ")},
			"2 validation errors detected: Value 's-XYZ' at 'serverId' failed to satisfy constraint: Member must have length greater than or equal to 19; " +
				"Value 's-XYZ' at 'serverId' failed to satisfy constraint: Member must satisfy regular expression pattern: ^s-([0-9a-f]{17})$"},
		{"pattern is anchored", &transfer.DescribeServerInput{ServerId: aws.String("s-0123456789abcdefX")},
			"1 validation error detected: Value 's-0123456789abcdefX' at 'serverId' failed to satisfy constraint: Member must satisfy regular expression pattern: ^s-([0-9a-f]{17})$"},
		{"missing", &transfer.DescribeServerInput{},
			"1 validation error detected: Value null at 'serverId' failed to satisfy constraint: Member must not be null"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.DescribeServer(t.Context(), tt.in)
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != "ValidationException" {
				t.Fatalf("got %v, want ValidationException", err)
			}
			if ae.ErrorMessage() != tt.want {
				t.Fatalf("message\n got %q\nwant %q", ae.ErrorMessage(), tt.want)
			}
		})
	}
}

func TestModelledErrorDecodesIntoSDKType(t *testing.T) {
	f := newFixture(t)
	_, err := f.srv.Transfer().DescribeServer(t.Context(), &transfer.DescribeServerInput{ServerId: aws.String("s-00000000000000000")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("got %T %v, want *types.ResourceNotFoundException", err, err)
	}
	if aws.ToString(nf.Resource) != "s-00000000000000000" || aws.ToString(nf.ResourceType) != "Server" || nf.ErrorMessage() != "Unknown server" {
		t.Fatalf("fields not carried: %+v", nf)
	}
}

func TestOutputsAndCaller(t *testing.T) {
	f := newFixture(t)
	out, err := f.srv.TransferAs("111122223333", "eu-west-2").DescribeServer(t.Context(), &transfer.DescribeServerInput{ServerId: aws.String("s-0123456789abcdef0")})
	if err != nil {
		t.Fatal(err)
	}
	if out.Server.State != types.StateOnline || len(out.Server.Protocols) != 1 || out.Server.Protocols[0] != types.ProtocolSftp {
		t.Fatalf("server not decoded: %+v", out.Server)
	}
	c := f.lastCaller()
	if c.Account != "111122223333" || c.Region != "eu-west-2" || c.RequestID == "" {
		t.Fatalf("caller = %+v, want account 111122223333 in eu-west-2", c)
	}
	if _, err := f.srv.TransferAs("AKIDEXAMPLE", "us-west-1").DescribeServer(t.Context(), &transfer.DescribeServerInput{ServerId: aws.String("s-0123456789abcdef0")}); err != nil {
		t.Fatal(err)
	}
	if c := f.lastCaller(); c.Account != gateway.DefaultAccount || c.Region != "us-west-1" {
		t.Fatalf("caller = %+v, want the default account in us-west-1", c)
	}
	keys, err := f.srv.Transfer().ListHostKeys(t.Context(), &transfer.ListHostKeysInput{ServerId: aws.String("s-0123456789abcdef0")})
	if err != nil {
		t.Fatal(err)
	}
	if got := keys.HostKeys[0].DateImported; got == nil || !got.Equal(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Fatalf("timestamp = %v", got)
	}
}

func TestNotImplementedBeforeValidation(t *testing.T) {
	f := newFixture(t)
	_, err := f.srv.Transfer().CreateServer(t.Context(), &transfer.CreateServerInput{HostKey: aws.String(strings.Repeat("x", 5000))})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "NotImplemented" || !strings.Contains(ae.ErrorMessage(), "CreateServer") || !strings.Contains(ae.ErrorMessage(), "transfer") {
		t.Fatalf("got %v, want NotImplemented naming CreateServer and transfer", err)
	}
}

// raw sends a hand-made request and returns status, headers and body.
func raw(t *testing.T, method, url string, headers map[string]string, body string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func TestRawRequests(t *testing.T) {
	f := newFixture(t)
	target := func(op string) map[string]string {
		return map[string]string{"X-Amz-Target": "TransferService." + op, "Content-Type": "application/x-amz-json-1.1"}
	}
	tests := []struct {
		name       string
		method     string
		path       string
		headers    map[string]string
		body       string
		wantStatus int
		wantCode   string
		wantInBody string
	}{
		{"unknown operation", "POST", "/", target("Nope"), "{}", 400, "UnknownOperationException", "Nope"},
		{"wrong member type", "POST", "/", target("DescribeServer"), `{"ServerId": 5}`, 400, "SerializationException", "ServerId"},
		{"not an object", "POST", "/", target("DescribeServer"), `[1,2]`, 400, "SerializationException", "JSON object"},
		{"bad json", "POST", "/", target("DescribeServer"), `{"ServerId": `, 400, "SerializationException", "not valid JSON"},
		{"unknown members ignored", "POST", "/", target("DescribeServer"), `{"ServerId":"s-0123456789abcdef0","Future":1}`, 200, "", "s-0123456789abcdef0"},
		{"null member is absent", "POST", "/", target("DescribeServer"), `{"ServerId":null}`, 400, "ValidationException", "Member must not be null"},
		{"empty body", "POST", "/", target("DescribeServer"), ``, 400, "ValidationException", "serverId"},
		{"huge body", "POST", "/", target("DescribeServer"), `{"ServerId":"` + strings.Repeat("a", 17<<20) + `"}`, 413, "RequestEntityTooLargeException", ""},
		{"no route", "GET", "/nowhere", nil, "", 404, "UnknownOperationException", "/nowhere"},
		{"rest route, wrong method", "DELETE", "/apps.get", nil, "", 404, "UnknownOperationException", ""},
		{"amplify label", "GET", "/backend/app1/job/dev/j1", nil, "", 200, "", `"jobId":"j1"`},
		{"amplify modelled 404", "GET", "/backend/app1/job/dev/missing", nil, "", 404, "NotFoundException", `"resourceType":"Job"`},
		{"qapps bad query int", "GET", "/apps.get?appId=a&appVersion=x", map[string]string{"instance-id": "i"}, "", 400, "SerializationException", "appVersion"},
		{"qapps missing header", "GET", "/apps.get?appId=a", nil, "", 400, "ValidationException", "Value null at 'instanceId'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, h, body := raw(t, tt.method, f.srv.URL+tt.path, tt.headers, tt.body)
			if status != tt.wantStatus {
				t.Fatalf("status %d, want %d (body %s)", status, tt.wantStatus, body)
			}
			if h.Get("X-Amzn-RequestId") == "" {
				t.Fatal("no X-Amzn-RequestId header")
			}
			if tt.wantCode != "" && h.Get("X-Amzn-ErrorType") != tt.wantCode {
				t.Fatalf("error type %q, want %q (body %s)", h.Get("X-Amzn-ErrorType"), tt.wantCode, body)
			}
			if !strings.Contains(body, tt.wantInBody) {
				t.Fatalf("body %s does not contain %q", body, tt.wantInBody)
			}
		})
	}
}

func TestRESTBindingsThroughBoto(t *testing.T) {
	f := newFixture(t)
	boto := f.srv.Boto(t)
	out, berr := boto.Call(t, testkit.BotoRequest{Service: "qapps", Op: "GetQApp", Params: map[string]any{"instanceId": "inst-1", "appId": "3f5a2b8c-1d4e-4f6a-9b7c-0d1e2f3a4b5c", "appVersion": 3}})
	if berr != nil {
		t.Fatal(berr)
	}
	if out["appId"] != "3f5a2b8c-1d4e-4f6a-9b7c-0d1e2f3a4b5c" || out["appVersion"] != float64(3) || !strings.Contains(out["appArn"].(string), "inst-1") {
		t.Fatalf("GetQApp through boto3 = %v", out)
	}
	if _, berr := boto.Call(t, testkit.BotoRequest{Service: "qapps", Op: "UntagResource", Params: map[string]any{
		"resourceARN": "arn:aws:qapps:us-east-1:000000000000:application/i/a", "tagKeys": []string{"a", "b"}}}); berr != nil {
		t.Fatalf("label with slashes and repeated query keys: %v", berr)
	}
	_, berr = boto.Call(t, testkit.BotoRequest{Service: "qapps", Op: "ListQApps", Params: map[string]any{"instanceId": "i"}})
	if berr == nil || berr.Code != "ThrottlingException" || berr.Status != 429 || berr.Message != "slow down" {
		t.Fatalf("ThrottlingException = %+v", berr)
	}
	_, berr = boto.Call(t, testkit.BotoRequest{Service: "amplifybackend", Op: "GetBackendJob", Params: map[string]any{"AppId": "a", "BackendEnvironmentName": "dev", "JobId": "missing"}})
	if berr == nil || berr.Code != "NotFoundException" || berr.Status != 404 || berr.Message != "no such job" {
		t.Fatalf("NotFoundException = %+v", berr)
	}
}

func TestRetryAfterHeader(t *testing.T) {
	f := newFixture(t)
	status, h, body := raw(t, "GET", f.srv.URL+"/apps.list", map[string]string{"instance-id": "i"}, "")
	if status != 429 || h.Get("Retry-After") != "7" {
		t.Fatalf("status %d Retry-After %q body %s", status, h.Get("Retry-After"), body)
	}
	if strings.Contains(body, "retryAfterSeconds") {
		t.Fatalf("header-bound member also in body: %s", body)
	}
}
