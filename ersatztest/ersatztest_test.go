package ersatztest_test

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/smithy-go"

	"github.com/ersatz-dev/ersatz/ersatztest"
	"github.com/ersatz-dev/ersatz/internal/testkit"
)

// createServer creates a Transfer server through the SDK and returns its id.
func createServer(t *testing.T, cfg aws.Config) string {
	t.Helper()
	out, err := transfer.NewFromConfig(cfg).CreateServer(t.Context(), &transfer.CreateServerInput{})
	if err != nil {
		t.Fatalf("CreateServer: %v", err)
	}
	return aws.ToString(out.ServerId)
}

func listServers(t *testing.T, cfg aws.Config) []string {
	t.Helper()
	out, err := transfer.NewFromConfig(cfg).ListServers(t.Context(), &transfer.ListServersInput{})
	if err != nil {
		t.Fatalf("ListServers: %v", err)
	}
	var ids []string
	for _, s := range out.Servers {
		ids = append(ids, aws.ToString(s.ServerId))
	}
	return ids
}

func getJSON(t *testing.T, url string) map[string]any {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %v", url, resp.Status, err)
	}
	return out
}

// TestStartIsolatesServers checks each Start is its own Ersatz: a loopback
// URL, a store of its own, the health endpoint answering.
func TestStartIsolatesServers(t *testing.T) {
	t.Parallel()
	a, b := ersatztest.Start(t), ersatztest.Start(t)
	if a.URL == b.URL || !strings.HasPrefix(a.URL, "http://127.0.0.1:") {
		t.Fatalf("URLs %q and %q", a.URL, b.URL)
	}
	id := createServer(t, a.AWSConfig())
	if got := listServers(t, a.AWSConfig()); len(got) != 1 || got[0] != id {
		t.Fatalf("servers of a: %v, want [%s]", got, id)
	}
	if got := listServers(t, b.AWSConfig()); len(got) != 0 {
		t.Fatalf("servers of b: %v, want none", got)
	}
	if h := getJSON(t, a.URL+"/_ersatz/health"); h["status"] != "ok" || h["store"] != "memory" {
		t.Fatalf("health = %v", h)
	}
}

// TestAWSConfig checks the configuration's region, endpoint and account.
func TestAWSConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name             string
		opts             []ersatztest.Option
		region, account  string
		key              string
		wantARNSubstring string
	}{
		{"defaults", nil, "us-east-1", "000000000000", ersatztest.DefaultAccessKeyID, ":us-east-1:000000000000:server/"},
		{"region", []ersatztest.Option{ersatztest.WithRegion("ap-south-1")}, "ap-south-1", "000000000000", "test", ":ap-south-1:000000000000:server/"},
		{"account key", []ersatztest.Option{ersatztest.WithCredentials(ersatztest.Credential{AccessKeyID: "123456789012", SecretAccessKey: "x"})},
			"us-east-1", "123456789012", "123456789012", ":us-east-1:123456789012:server/"},
		{"named account", []ersatztest.Option{ersatztest.WithCredentials(ersatztest.Credential{AccessKeyID: "AKIDNAMED", SecretAccessKey: "x", AccountID: "210987654321"})},
			"us-east-1", "210987654321", "AKIDNAMED", ":us-east-1:210987654321:server/"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := ersatztest.Start(t, append(tc.opts, ersatztest.WithDataPlane(false))...)
			cfg := srv.AWSConfig()
			if cfg.Region != tc.region || aws.ToString(cfg.BaseEndpoint) != srv.URL || srv.AccountID != tc.account || srv.AccessKeyID != tc.key {
				t.Fatalf("config region %q endpoint %q, server account %q key %q", cfg.Region, aws.ToString(cfg.BaseEndpoint), srv.AccountID, srv.AccessKeyID)
			}
			id := createServer(t, cfg)
			out, err := transfer.NewFromConfig(cfg).DescribeServer(t.Context(), &transfer.DescribeServerInput{ServerId: &id})
			if err != nil {
				t.Fatal(err)
			}
			if arn := aws.ToString(out.Server.Arn); !strings.Contains(arn, tc.wantARNSubstring) {
				t.Fatalf("ARN %q lacks %q", arn, tc.wantARNSubstring)
			}
		})
	}
}

// TestWithAuth checks signatures are verified against the given keys only.
func TestWithAuth(t *testing.T) {
	t.Parallel()
	srv := ersatztest.Start(t, ersatztest.WithDataPlane(false), ersatztest.WithAuth(
		ersatztest.Credential{AccessKeyID: "AKIDFIRST", SecretAccessKey: "first-secret", AccountID: "111111111111"},
		ersatztest.Credential{AccessKeyID: "AKIDSECOND", SecretAccessKey: "second-secret", AccountID: "222222222222"},
	))
	if srv.AccessKeyID != "AKIDFIRST" || srv.SecretAccessKey != "first-secret" || srv.AccountID != "111111111111" {
		t.Fatalf("server signs as %q/%q in %q", srv.AccessKeyID, srv.SecretAccessKey, srv.AccountID)
	}
	createServer(t, srv.AWSConfig())
	if got := listServers(t, srv.AWSConfigAs("AKIDSECOND", "second-secret")); len(got) != 0 {
		t.Fatalf("the second account sees %v", got)
	}
	for _, bad := range []struct{ key, secret, code string }{
		{"AKIDFIRST", "wrong", "InvalidSignatureException"},
		{"AKIDUNKNOWN", "x", "UnrecognizedClientException"},
	} {
		cfg := srv.AWSConfigAs(bad.key, bad.secret)
		cfg.RetryMaxAttempts = 1
		_, err := transfer.NewFromConfig(cfg).ListServers(t.Context(), &transfer.ListServersInput{})
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != bad.code {
			t.Errorf("%s/%s: got %v, want %s", bad.key, bad.secret, err, bad.code)
		}
	}
	// The admin endpoints need an admin's signature too.
	resp, err := http.Get(srv.URL + "/_ersatz/state")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("unsigned GET /_ersatz/state: %s", resp.Status)
	}
}

// TestWithSeedRoundTrip starts a second server from the first one's export.
func TestWithSeedRoundTrip(t *testing.T) {
	t.Parallel()
	a := ersatztest.Start(t, ersatztest.WithDataPlane(false))
	id := createServer(t, a.AWSConfig())
	resp, err := http.Get(a.URL + "/_ersatz/state")
	if err != nil {
		t.Fatal(err)
	}
	snap, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	b := ersatztest.Start(t, ersatztest.WithDataPlane(false), ersatztest.WithSeed(snap))
	if got := listServers(t, b.AWSConfig()); len(got) != 1 || got[0] != id {
		t.Fatalf("seeded servers %v, want [%s]", got, id)
	}
}

// TestNewRefusesBadOptions checks an option Ersatz cannot start with is an
// error naming it, and nothing is left running.
func TestNewRefusesBadOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts []ersatztest.Option
		want string
	}{
		{"unknown store", []ersatztest.Option{ersatztest.WithStore("mongodb")}, `store "mongodb"`},
		{"seed not JSON", []ersatztest.Option{ersatztest.WithSeed([]byte("{not json"))}, "seed snapshot"},
		{"seed of another format", []ersatztest.Option{ersatztest.WithSeed([]byte(`{"format":"other","version":1,"resources":[]}`))}, "seed snapshot"},
		{"seed of a newer version", []ersatztest.Option{ersatztest.WithSeed([]byte(`{"format":"ersatz-state","version":99,"resources":[]}`))}, "seed snapshot"},
		{"auth without keys", []ersatztest.Option{ersatztest.WithAuth()}, "WithAuth needs"},
		{"key without id", []ersatztest.Option{ersatztest.WithCredentials(ersatztest.Credential{SecretAccessKey: "x"})}, "credentials"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, err := ersatztest.New(tc.opts...)
			if err == nil {
				_ = srv.Close()
				t.Fatalf("New succeeded, want an error containing %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "ersatztest: ") {
				t.Fatalf("error %q, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestWithStoreSQLite runs over SQLite in the test's temporary folder.
func TestWithStoreSQLite(t *testing.T) {
	t.Parallel()
	srv := ersatztest.Start(t, ersatztest.WithStore("sqlite"), ersatztest.WithDataPlane(false))
	id := createServer(t, srv.AWSConfig())
	if got := listServers(t, srv.AWSConfig()); len(got) != 1 || got[0] != id {
		t.Fatalf("servers %v", got)
	}
	if h := getJSON(t, srv.URL+"/_ersatz/health"); h["store"] != "sqlite" {
		t.Fatalf("health = %v", h)
	}
}

// TestCloseStops checks Close stops serving at once and can be repeated.
func TestCloseStops(t *testing.T) {
	t.Parallel()
	srv := ersatztest.Start(t)
	id := createServer(t, srv.AWSConfig())
	addr := srv.WaitTransferEndpoint(t, id, "SFTP", 10*time.Second)
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if resp, err := http.Get(srv.URL + "/_ersatz/health"); err == nil {
		resp.Body.Close()
		t.Fatalf("GET after Close answered %s", resp.Status)
	}
	if c, err := net.DialTimeout("tcp", addr, 2*time.Second); err == nil {
		c.Close()
		t.Fatalf("the SFTP endpoint %s still accepts after Close", addr)
	}
}

// TestWithDataPlane checks an ONLINE server gets an SFTP endpoint only when
// the data plane runs.
func TestWithDataPlane(t *testing.T) {
	t.Parallel()
	on := ersatztest.Start(t)
	id := createServer(t, on.AWSConfig())
	addr := on.WaitTransferEndpoint(t, id, "SFTP", 10*time.Second)
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	c.Close()
	if got := on.TransferEndpoint("s-00000000000000000", "SFTP"); got != "" {
		t.Fatalf("endpoint of an unknown server: %q", got)
	}
	if got := on.TransferEndpoint(id, "FTP"); got != "" {
		t.Fatalf("FTP endpoint of an SFTP-only server: %q", got)
	}

	off := ersatztest.Start(t, ersatztest.WithDataPlane(false))
	id = createServer(t, off.AWSConfig())
	time.Sleep(100 * time.Millisecond)
	if got := off.TransferEndpoint(id, "SFTP"); got != "" {
		t.Fatalf("endpoint without the data plane: %q", got)
	}
}

// TestWithAmplifyJobDelay checks the delay is the one asked, 0 included.
func TestWithAmplifyJobDelay(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		delay time.Duration
		want  string
	}{{0, "COMPLETED"}, {time.Hour, "IN_PROGRESS"}} {
		t.Run(tc.delay.String(), func(t *testing.T) {
			t.Parallel()
			srv := ersatztest.Start(t, ersatztest.WithDataPlane(false), ersatztest.WithAmplifyJobDelay(tc.delay))
			boto := (&testkit.Server{URL: srv.URL}).Boto(t)
			call := func(op string, params map[string]any) map[string]any {
				t.Helper()
				out, berr := boto.Call(t, testkit.BotoRequest{Service: "amplifybackend", Op: op, Params: params})
				if berr != nil {
					t.Fatalf("%s: %v", op, berr)
				}
				return out
			}
			created := call("CreateBackend", map[string]any{"AppId": "d1exampleapp", "AppName": "App", "BackendEnvironmentName": "dev"})
			job := call("GetBackendJob", map[string]any{"AppId": "d1exampleapp", "BackendEnvironmentName": "dev", "JobId": created["JobId"]})
			if job["Status"] != tc.want {
				t.Fatalf("job after a delay of %s: %v, want %s", tc.delay, job["Status"], tc.want)
			}
		})
	}
}

// BenchmarkStart measures Start alone (Close is outside the timer).
func BenchmarkStart(b *testing.B) {
	for _, bc := range []struct {
		name string
		opts []ersatztest.Option
	}{
		{"api-only", []ersatztest.Option{ersatztest.WithDataPlane(false)}},
		{"data-plane", nil},
		{"sqlite", []ersatztest.Option{ersatztest.WithStore("sqlite"), ersatztest.WithDataPlane(false)}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				srv := ersatztest.Start(b, bc.opts...)
				b.StopTimer()
				if err := srv.Close(); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		})
	}
}
