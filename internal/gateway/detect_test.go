package gateway_test

import (
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/amplifybackendapi"
	"github.com/ersatz-dev/ersatz/internal/api/qappsapi"
	"github.com/ersatz-dev/ersatz/internal/api/transferapi"
	"github.com/ersatz-dev/ersatz/internal/gateway"
	"github.com/ersatz-dev/ersatz/internal/testkit"
)

// recordingAuth accepts every request and records the services the gateway
// said it names.
type recordingAuth struct {
	mu      sync.Mutex
	calls   int
	claimed []string
}

func (a *recordingAuth) Authenticate(r *http.Request, claimed []*api.Service) (api.Caller, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls++
	a.claimed = a.claimed[:0]
	for _, s := range claimed {
		a.claimed = append(a.claimed, s.Name)
	}
	return api.Caller{Account: "000000000000", Region: "us-east-1"}, nil
}

func (a *recordingAuth) last() (int, []string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.calls, slices.Clone(a.claimed)
}

// TestDetectionReachesTheAuthenticator: the gateway detects the services a
// request names once, before authenticating, and hands them to the
// authenticator; the request is then served by the service its scope, or
// else its target or path, names.
func TestDetectionReachesTheAuthenticator(t *testing.T) {
	t.Parallel()
	tr, ab, qa := &transferapi.Handlers{}, &amplifybackendapi.Handlers{}, &qappsapi.Handlers{}
	echoAll(tr)
	echoAll(ab)
	echoAll(qa)
	auth := &recordingAuth{}
	gw := gateway.New(gateway.Options{Services: []*api.Service{tr.Service(), ab.Service(), qa.Service()}, Auth: auth, Logger: slog.New(slog.DiscardHandler)})
	srv := testkit.StartHandler(t, gw)
	scoped := func(service string) string {
		return "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/" + service + "/aws4_request, SignedHeaders=host, Signature=00"
	}
	tests := []struct {
		name, method, path, target, authz string
		body                              string
		claimed                           []string
		status                            int
		errType                           string
	}{
		{"target", "POST", "/", "TransferService.DescribeServer", scoped("transfer"), `{"ServerId":"s-0123456789abcdef0"}`, []string{"transfer"}, 200, ""},
		{"target wins over a path", "POST", "/apps.get", "TransferService.DescribeServer", "", `{"ServerId":"s-0123456789abcdef0"}`, []string{"transfer"}, 200, ""},
		{"unknown target, REST path", "GET", "/backend/app1/job/dev/job1", "Nope.X", "", ``, []string{"amplifybackend"}, 200, ""},
		{"REST path", "POST", "/backend/app1/storage/dev", "", scoped("amplifybackend"),
			`{"resourceName":"files","resourceConfig":{"serviceName":"S3","permissions":{"authenticated":["READ"]}}}`, []string{"amplifybackend"}, 200, ""},
		{"REST path of Q Apps, another method", "POST", "/apps.list", "", "", `{}`, []string{"qapps"}, 404, "UnknownOperationException"},
		{"nothing named, scope names the service", "POST", "/nowhere", "", scoped("qapps"), `{}`, nil, 404, "UnknownOperationException"},
		{"nothing named at all", "POST", "/nowhere", "", "", `{}`, nil, 404, "UnknownOperationException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if tt.target != "" {
				req.Header.Set("X-Amz-Target", tt.target)
				req.Header.Set("Content-Type", "application/x-amz-json-1.1")
			} else {
				req.Header.Set("Content-Type", "application/json")
			}
			if tt.authz != "" {
				req.Header.Set("Authorization", tt.authz)
				req.Header.Set("X-Amz-Date", "20260101T000000Z")
			}
			before, _ := auth.last()
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			calls, claimed := auth.last()
			if calls != before+1 {
				t.Fatalf("the authenticator ran %d times for one request", calls-before)
			}
			if !slices.Equal(claimed, tt.claimed) {
				t.Errorf("claimed %v, want %v", claimed, tt.claimed)
			}
			if resp.StatusCode != tt.status || !strings.HasPrefix(resp.Header.Get("X-Amzn-ErrorType"), tt.errType) {
				t.Errorf("got %d %q, want %d %q", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), tt.status, tt.errType)
			}
		})
	}
}

// TestCallerEndpointFollowsHost: the base URL handed to handlers is the
// host of each request, also when requests for several hosts interleave.
func TestCallerEndpointFollowsHost(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, host := range []string{"127.0.0.1:4566", "localhost:4566", "127.0.0.1:4566", "ersatz.test:80", "localhost:4566"} {
		req, err := http.NewRequestWithContext(t.Context(), "POST", f.srv.URL+"/", strings.NewReader(`{"ServerId":"s-0123456789abcdef0"}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Host = host
		req.Header.Set("X-Amz-Target", "TransferService.DescribeServer")
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		if got, want := f.lastCaller().Endpoint, "http://"+host; got != want {
			t.Errorf("Endpoint = %q, want %q", got, want)
		}
	}
}
