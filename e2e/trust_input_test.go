package e2e_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/smithy-go"

	"github.com/ersatz-dev/ersatz/internal/store"
	"github.com/ersatz-dev/ersatz/internal/store/memory"
	"github.com/ersatz-dev/ersatz/internal/testkit"
)

// rawJSON marshals v and puts raw in place of every "@RAW@" string, so a
// test can send through boto what a Go string cannot hold (a lone surrogate).
func rawJSON(t *testing.T, v any, raw string) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return json.RawMessage(strings.ReplaceAll(string(b), `"@RAW@"`, raw))
}

// TestInvalidUnicodeIsRefused sends, through boto3, strings holding a lone
// UTF-16 surrogate (which botocore writes as a \ud800 escape) and, through
// plain HTTP, raw bytes that are not UTF-8, to every service: each answers
// 400 SerializationException naming the member, and nothing is stored.
func TestInvalidUnicodeIsRefused(t *testing.T) {
	t.Parallel()
	srv := testkit.Start(t)
	boto := srv.Boto(t)
	ctx := t.Context()
	app := qaPaletteApp("@RAW@")
	cases := []struct {
		name, service, op string
		params            json.RawMessage
		member            string
		// raw request with the bytes v\xff\xfe in the member
		method, path, body string
		header             http.Header
	}{
		{
			name: "transfer", service: "transfer", op: "CreateServer",
			params: rawJSON(t, map[string]any{"Tags": []any{map[string]any{"Key": "k", "Value": "@RAW@"}}}, `"x\ud800"`),
			member: "Tags[0].Value",
			method: "POST", path: "/", body: "{\"Tags\":[{\"Key\":\"k\",\"Value\":\"v\xff\xfe\"}]}",
			header: http.Header{"X-Amz-Target": {"TransferService.CreateServer"}, "Content-Type": {"application/x-amz-json-1.1"}},
		},
		{
			name: "amplifybackend", service: "amplifybackend", op: "CreateBackend",
			params: rawJSON(t, map[string]any{"AppId": "app1", "AppName": "@RAW@", "BackendEnvironmentName": "dev"}, `"\udc00"`),
			member: "appName",
			method: "POST", path: "/backend", body: "{\"appId\":\"app1\",\"appName\":\"v\xff\xfe\",\"backendEnvironmentName\":\"dev\"}",
			header: http.Header{"Content-Type": {"application/json"}},
		},
		{
			name: "qapps", service: "qapps", op: "CreateQApp",
			params: rawJSON(t, qaIn("inst-1", app), `"\ud83d"`),
			member: "title",
			method: "POST", path: "/apps.create", body: "{\"title\":\"v\xff\xfe\",\"appDefinition\":{\"cards\":[]}}",
			header: http.Header{"Content-Type": {"application/json"}, "Instance-Id": {"inst-1"}},
		},
	}
	for _, c := range cases {
		t.Run(c.name+"/lone surrogate through boto3", func(t *testing.T) {
			_, berr := boto.Call(t, testkit.BotoRequest{Service: c.service, Op: c.op, Params: c.params,
				AccessKey: "AKIDEXAMPLE", Region: "us-east-1", NoValidation: true})
			if berr == nil || berr.Code != "SerializationException" || berr.Status != 400 ||
				!strings.Contains(berr.Message, "'"+c.member+"'") || !strings.Contains(berr.Message, "lone surrogate") {
				t.Fatalf("got %v, want 400 SerializationException naming '%s'", berr, c.member)
			}
		})
		t.Run(c.name+"/invalid UTF-8 over HTTP", func(t *testing.T) {
			req, err := http.NewRequestWithContext(ctx, c.method, srv.URL+c.path, strings.NewReader(c.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header = c.header.Clone()
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != 400 || resp.Header.Get("X-Amzn-ErrorType") != "SerializationException" ||
				!strings.Contains(string(body), "'"+c.member+"' contains invalid UTF-8") {
				t.Fatalf("got %d %s %s", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), body)
			}
		})
	}
	// URI labels and query values percent-decoding to bytes that are not UTF-8.
	for _, c := range []struct{ method, path, want string }{
		{"POST", "/backend/v%FF%FE/config", "'appId' (in the URI) contains invalid UTF-8"},
		{"GET", "/apps.list?nextToken=v%FF%FE", "'nextToken' (in the query string) contains invalid UTF-8"},
	} {
		t.Run("rest "+c.path, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(ctx, c.method, srv.URL+c.path, strings.NewReader(`{}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Instance-Id", "inst-1")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != 400 || resp.Header.Get("X-Amzn-ErrorType") != "SerializationException" || !strings.Contains(string(body), c.want) {
				t.Fatalf("got %d %s %s", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), body)
			}
		})
	}
	// Nothing was stored by any of the refused requests.
	snap, err := store.Export(ctx, srv.Store)
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Resources) != 0 {
		t.Fatalf("refused requests stored %d resources: %+v", len(snap.Resources), snap.Resources[0])
	}
	servers, err := srv.Transfer().ListServers(ctx, &transfer.ListServersInput{})
	if err != nil || len(servers.Servers) != 0 {
		t.Fatalf("ListServers = %+v, %v", servers, err)
	}
}

// TestAWSJSONContentType: the awsJson endpoint reads only its own media type;
// text/plain (what a browser sends cross-site without a preflight) and a
// missing type are refused with 415 and change nothing.
func TestAWSJSONContentType(t *testing.T) {
	t.Parallel()
	srv := testkit.Start(t)
	for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "", "application/json"} {
		t.Run("type "+ct, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(t.Context(), "POST", srv.URL+"/", strings.NewReader(`{}`))
			req.Header.Set("X-Amz-Target", "TransferService.CreateServer")
			if ct != "" {
				req.Header.Set("Content-Type", ct)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != 415 || resp.Header.Get("X-Amzn-ErrorType") != "UnsupportedMediaTypeException" ||
				!strings.Contains(string(body), "application/x-amz-json-1.1") {
				t.Fatalf("got %d %s", resp.StatusCode, body)
			}
		})
	}
	out, err := srv.Transfer().ListServers(t.Context(), &transfer.ListServersInput{})
	if err != nil || len(out.Servers) != 0 {
		t.Fatalf("ListServers = %+v, %v", out, err)
	}
	// The SDK's own type (with the 1.1 media type) still works.
	if _, err := srv.Transfer().CreateServer(t.Context(), &transfer.CreateServerInput{}); err != nil {
		t.Fatal(err)
	}
}

// failingStore fails every write with an error naming its internals.
type failingStore struct{ store.Store }

var errDiskFailure = errors.New("sqlite: commit: disk I/O error (10) at /var/lib/ersatz/ersatz.db user=ersatz")

func (failingStore) Update(context.Context, func(store.Tx) error) error { return errDiskFailure }

// TestInternalFailureHidesItsCause: a store failure is answered as AWS does,
// a generic InternalFailure with the request id, never the cause's text.
func TestInternalFailureHidesItsCause(t *testing.T) {
	t.Parallel()
	srv := testkit.StartWith(t, failingStore{memory.New()})
	_, err := srv.Transfer().CreateServer(t.Context(), &transfer.CreateServerInput{})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "InternalFailure" {
		t.Fatalf("got %v, want InternalFailure", err)
	}
	var re interface{ ServiceRequestID() string }
	if !errors.As(err, &re) || re.ServiceRequestID() == "" {
		t.Fatalf("no request id in %v", err)
	}
	msg := ae.ErrorMessage()
	if strings.Contains(msg, "sqlite") || strings.Contains(msg, "/var/lib") || strings.Contains(msg, "user=") ||
		!strings.Contains(msg, "Request id: "+re.ServiceRequestID()) {
		t.Fatalf("message %q leaks the cause or lacks the request id %s", msg, re.ServiceRequestID())
	}
}
