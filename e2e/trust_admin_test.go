package e2e_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/transfer"

	"github.com/ersatz-dev/ersatz/internal/auth"
	"github.com/ersatz-dev/ersatz/internal/dataplane"
	"github.com/ersatz-dev/ersatz/internal/server"
	"github.com/ersatz-dev/ersatz/internal/store/memory"
	"github.com/ersatz-dev/ersatz/internal/testkit"
)

const (
	adminKey, adminSecret = "AKIDADMIN", "admin-secret"
	plainKey, plainSecret = "AKIDPLAIN", "plain-secret"
)

// startSigV4Admin runs Ersatz with --auth sigv4 and the data plane, with one
// admin key and one key that is not.
func startSigV4Admin(t *testing.T) string {
	t.Helper()
	creds, err := auth.New(
		auth.Credential{AccessKeyID: adminKey, SecretAccessKey: adminSecret, Admin: true},
		auth.Credential{AccessKeyID: plainKey, SecretAccessKey: plainSecret},
	)
	if err != nil {
		t.Fatal(err)
	}
	st := memory.New()
	base := freePortBlock(t, 20)
	srv := server.New(server.Config{Store: st, DefaultRegion: "us-east-1",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Auth:   auth.NewSigV4(creds, server.Services(nil)),
		DataPlane: &dataplane.Config{DataDir: t.TempDir(), Ports: fmt.Sprintf("%d-%d", base, base+9),
			PassivePorts: fmt.Sprintf("%d-%d", base+10, base+19), Tick: 250 * time.Millisecond}})
	if err := srv.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		hs.Close()
		_ = srv.Close()
		_ = st.Close()
	})
	return hs.URL
}

// adminCall is one request to an admin endpoint, signed when key is set.
type adminCall struct {
	method, path, body string
	key, secret        string
	service            string // default "ersatz"
	header             http.Header
}

func (c adminCall) do(t *testing.T, base string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), c.method, base+c.path, strings.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	if c.method != http.MethodGet {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, vs := range c.header {
		req.Header[k] = vs
	}
	if c.key != "" {
		service := c.service
		if service == "" {
			service = auth.AdminService
		}
		sum := sha256.Sum256([]byte(c.body))
		if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: c.key, SecretAccessKey: c.secret},
			req, hex.EncodeToString(sum[:]), service, "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// TestAdminEndpointsNeedAnAdminUnderSigV4: with --auth sigv4, every
// /_ersatz endpoint but health answers an unsigned request, a request of a
// key that is not an admin, or a bad signature with a 403, and changes
// nothing; a request signed by an admin key (by the Go signer or by curl
// --aws-sigv4) is served.
func TestAdminEndpointsNeedAnAdminUnderSigV4(t *testing.T) {
	t.Parallel()
	base := startSigV4Admin(t)
	tc := transfer.NewFromConfig(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(base), RetryMaxAttempts: 1,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: plainKey, SecretAccessKey: plainSecret}, nil
		})})
	created, err := tc.CreateServer(t.Context(), &transfer.CreateServerInput{})
	if err != nil {
		t.Fatal(err)
	}
	user := `{"password":"chosen-pw","groups":["S-1-5-21-1-2-3-512"]}`
	endpoints := []adminCall{
		{method: "GET", path: "/_ersatz/state"},
		{method: "POST", path: "/_ersatz/reset"},
		{method: "POST", path: "/_ersatz/state", body: `{"format":"ersatz-state","version":1,"resources":[]}`},
		{method: "PUT", path: "/_ersatz/directory/d-0123456789/users/mallory", body: user},
		{method: "GET", path: "/_ersatz/directory"},
		{method: "GET", path: "/_ersatz/transfer/servers"},
		{method: "GET", path: "/_ersatz/transfer/logins"},
		{method: "GET", path: "/_ersatz/nothing-here"},
	}
	refusals := []struct {
		name, key, secret, service string
		code                       string
	}{
		{"unsigned", "", "", "", "MissingAuthenticationTokenException"},
		{"not an admin", plainKey, plainSecret, "", "AccessDeniedException"},
		{"wrong secret", adminKey, "wrong", "", "InvalidSignatureException"},
		{"unknown key", "AKIDNOBODY", "x", "", "UnrecognizedClientException"},
		{"scoped to transfer", adminKey, adminSecret, "transfer", "InvalidSignatureException"},
	}
	for _, rf := range refusals {
		for _, ep := range endpoints {
			t.Run(rf.name+"/"+ep.method+" "+ep.path, func(t *testing.T) {
				c := ep
				c.key, c.secret, c.service = rf.key, rf.secret, rf.service
				status, body, h := c.do(t, base)
				if status != 403 || h.Get("X-Amzn-ErrorType") != rf.code || !strings.Contains(body, `"message"`) {
					t.Fatalf("got %d %s %s, want 403 %s", status, h.Get("X-Amzn-ErrorType"), body, rf.code)
				}
			})
		}
	}
	// Nothing changed: the server is there, mallory is not.
	if _, err := tc.DescribeServer(t.Context(), &transfer.DescribeServerInput{ServerId: created.ServerId}); err != nil {
		t.Fatalf("the refused requests changed state: %v", err)
	}
	status, body, _ := adminCall{method: "GET", path: "/_ersatz/directory/d-0123456789/users", key: adminKey, secret: adminSecret}.do(t, base)
	if status != 200 || strings.Contains(body, "mallory") {
		t.Fatalf("directory users as admin: %d %s", status, body)
	}
	// Health stays open.
	if status, body, _ := (adminCall{method: "GET", path: "/_ersatz/health"}).do(t, base); status != 200 || !strings.Contains(body, `"ok"`) {
		t.Fatalf("health: %d %s", status, body)
	}
	// An admin is served.
	if status, body, _ := (adminCall{method: "PUT", path: "/_ersatz/directory/d-0123456789/users/dave", body: user,
		key: adminKey, secret: adminSecret}).do(t, base); status != 200 {
		t.Fatalf("PUT as admin: %d %s", status, body)
	}
	status, body, _ = adminCall{method: "GET", path: "/_ersatz/state", key: adminKey, secret: adminSecret}.do(t, base)
	if status != 200 || !strings.Contains(body, *created.ServerId) || !strings.Contains(body, `"dave"`) {
		t.Fatalf("state as admin: %d %.300s", status, body)
	}
	// A signed admin request from a foreign page is still refused.
	if status, body, _ := (adminCall{method: "POST", path: "/_ersatz/reset", key: adminKey, secret: adminSecret,
		header: http.Header{"Origin": {"http://evil.example"}}}).do(t, base); status != 403 {
		t.Fatalf("cross-site reset as admin: %d %s", status, body)
	}

	t.Run("curl --aws-sigv4", func(t *testing.T) {
		needTool(t, "curl")
		for _, k := range []struct {
			key, secret string
			want        string
		}{{adminKey, adminSecret, "200"}, {plainKey, plainSecret, "403"}} {
			out, err := exec.CommandContext(t.Context(), "curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
				"--aws-sigv4", "aws:amz:us-east-1:ersatz", "--user", k.key+":"+k.secret,
				base+"/_ersatz/transfer/servers").CombinedOutput()
			if err != nil || string(out) != k.want {
				t.Fatalf("curl as %s: %s %v, want %s", k.key, out, err, k.want)
			}
		}
	})
}

// TestAdminEndpointsRefuseCrossSiteRequests: in every mode (here --auth off),
// an endpoint that changes state refuses what a web page of another site
// can send: a foreign Origin or Sec-Fetch-Site, or a body that is not
// application/json. Nothing changes; same-origin JSON requests are served.
func TestAdminEndpointsRefuseCrossSiteRequests(t *testing.T) {
	t.Parallel()
	srv := testkit.Start(t)
	created, err := srv.Transfer().CreateServer(t.Context(), &transfer.CreateServerInput{})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		header http.Header
		status int
	}{
		{"text/plain", http.Header{"Content-Type": {"text/plain"}}, 415},
		{"form", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, 415},
		{"multipart", http.Header{"Content-Type": {"multipart/form-data; boundary=x"}}, 415},
		{"no type", http.Header{"Content-Type": nil}, 415},
		{"foreign origin", http.Header{"Origin": {"http://evil.example"}}, 403},
		{"null origin", http.Header{"Origin": {"null"}}, 403},
		{"other port", http.Header{"Origin": {"http://127.0.0.1:1"}}, 403},
		{"cross-site fetch", http.Header{"Sec-Fetch-Site": {"cross-site"}}, 403},
		{"same-site fetch", http.Header{"Sec-Fetch-Site": {"same-site"}}, 403},
	}
	for _, c := range cases {
		for _, path := range []string{"/_ersatz/reset", "/_ersatz/state"} {
			t.Run(c.name+" "+path, func(t *testing.T) {
				status, body, h := adminCall{method: "POST", path: path, body: `{}`, header: c.header}.do(t, srv.URL)
				if status != c.status || h.Get("X-Amzn-ErrorType") == "" || !strings.Contains(body, "message") {
					t.Fatalf("got %d %s %s, want %d", status, h.Get("X-Amzn-ErrorType"), body, c.status)
				}
			})
		}
	}
	if _, err := srv.Transfer().DescribeServer(t.Context(), &transfer.DescribeServerInput{ServerId: created.ServerId}); err != nil {
		t.Fatalf("a refused request changed state: %v", err)
	}
	// DNS rebinding: a page of a name resolved to Ersatz is same-origin with
	// it; a browser's request to such a Host is refused, reads included.
	for _, method := range []string{"GET", "POST"} {
		req, _ := http.NewRequestWithContext(t.Context(), method, srv.URL+"/_ersatz/state", strings.NewReader(`{}`))
		req.Host = "rebind.example:4566"
		req.Header.Set("Origin", "http://rebind.example:4566")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 403 || !strings.Contains(string(body), "rebind.example") {
			t.Fatalf("rebound %s: %d %s", method, resp.StatusCode, body)
		}
	}
	// The same server's own page (same Origin) and plain clients are served.
	status, body, _ := adminCall{method: "POST", path: "/_ersatz/reset",
		header: http.Header{"Origin": {srv.URL}, "Sec-Fetch-Site": {"same-origin"}}}.do(t, srv.URL)
	if status != 200 {
		t.Fatalf("same-origin reset: %d %s", status, body)
	}
	if _, err := srv.Transfer().DescribeServer(t.Context(), &transfer.DescribeServerInput{ServerId: created.ServerId}); err == nil {
		t.Fatal("reset did not reset")
	}
}

// secretMarkers are what no snapshot without secrets may hold.
var secretMarkers = []string{"PRIVATE KEY", `"privateKeyPem"`, `"hostKeyPem"`, `"passwordHash"`, `"keyPem"`, "$2a$"}

// TestStateExportLeavesSecretsOut: GET /_ersatz/state holds no private key
// or password hash unless ?includeSecrets=true; a snapshot without them
// restores every resource, and the restored SFTP server listens again.
func TestStateExportLeavesSecretsOut(t *testing.T) {
	t.Parallel()
	e := startDataPlane(t, nil, "", "")
	created, err := e.TC.CreateServer(t.Context(), &transfer.CreateServerInput{})
	if err != nil {
		t.Fatal(err)
	}
	id := *created.ServerId
	e.waitListening(t, id, "SFTP")
	e.putDirectoryUser(t, "d-0123456789", "dave", "pw-dave")

	get := func(path string) string {
		status, body := httpDo(t, "GET", e.URL+path, "")
		if status != 200 {
			t.Fatalf("GET %s: %d %s", path, status, body)
		}
		return body
	}
	full := get("/_ersatz/state?includeSecrets=true")
	for _, m := range []string{"PRIVATE KEY", `"privateKeyPem"`, `"hostKeyPem"`, `"passwordHash"`} {
		if !strings.Contains(full, m) {
			t.Fatalf("the export with secrets lacks %s", m)
		}
	}
	for _, path := range []string{"/_ersatz/state", "/_ersatz/state?includeSecrets=false"} {
		snap := get(path)
		for _, m := range secretMarkers {
			if strings.Contains(snap, m) {
				t.Fatalf("GET %s holds a secret (%s)", path, m)
			}
		}
		if !strings.Contains(snap, id) || !strings.Contains(snap, `"dave"`) {
			t.Fatalf("GET %s lost resources", path)
		}
	}
	if status, body := httpDo(t, "GET", e.URL+"/_ersatz/state?includeSecrets=maybe", ""); status != 400 || !strings.Contains(body, "includeSecrets") {
		t.Fatalf("bad includeSecrets: %d %s", status, body)
	}

	// Restore the snapshot without secrets into the same server.
	lean := get("/_ersatz/state")
	if status, body := httpDo(t, "POST", e.URL+"/_ersatz/reset", ""); status != 200 {
		t.Fatalf("reset: %d %s", status, body)
	}
	waitNotListening(t, e, id)
	if status, body := httpDo(t, "POST", e.URL+"/_ersatz/state", lean); status != 200 {
		t.Fatalf("import: %d %s", status, body)
	}
	out, err := e.TC.DescribeServer(t.Context(), &transfer.DescribeServerInput{ServerId: &id})
	if err != nil || aws.ToString(out.Server.HostKeyFingerprint) == "" {
		t.Fatalf("restored server: %+v %v", out, err)
	}
	e.waitListening(t, id, "SFTP")
	var users struct {
		Users []struct{ Name string } `json:"users"`
	}
	if err := json.Unmarshal([]byte(get("/_ersatz/directory/d-0123456789/users")), &users); err != nil || len(users.Users) != 1 {
		t.Fatalf("restored directory: %+v %v", users, err)
	}
}

// waitNotListening waits until the data plane no longer serves serverID.
func waitNotListening(t *testing.T, e *dpEnv, serverID string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		listening := false
		for _, s := range e.endpoints(t) {
			listening = listening || (s.ServerID == serverID && s.Listening)
		}
		if !listening {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("server %s still listens", serverID)
}
