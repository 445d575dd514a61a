package e2e_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"
	"github.com/pkg/sftp"

	"github.com/ersatz-dev/ersatz/internal/server"
	"github.com/ersatz-dev/ersatz/internal/testkit"
)

// seenEnv is an Ersatz with the data plane, metrics and the request log,
// whose log is kept.
type seenEnv struct {
	*dpEnv
	log *syncBuffer
}

// startSeen runs Ersatz with metrics and a request log of 200; opts change
// its configuration further.
func startSeen(t *testing.T, opts ...func(*server.Config)) *seenEnv {
	t.Helper()
	log := &syncBuffer{}
	all := append([]func(*server.Config){func(c *server.Config) {
		c.Metrics, c.RequestLog = true, 200
		c.Logger = slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}}, opts...)
	return &seenEnv{dpEnv: startDataPlane(t, nil, "", "", all...), log: log}
}

// seeded are the resources seed creates, one or more of each kind the
// browser lists.
type seeded struct {
	serverID, userName, userKey, addr string
	dirServerID, externalID           string
	workflowID                        string
	appID, env, storage, api          string
	jobIDs                            []string
	qappID, qappTitle, sessionID      string
	libraryItemID, category           string
	qappUser                          string
}

// seed creates resources of the three services in account acctA, region
// us-east-1, through the Go SDK (Transfer) and boto3 (Amplify Backend and Q
// Apps), and opens one SFTP session.
func (e *seenEnv) seed(t *testing.T) (seeded, func()) {
	t.Helper()
	ctx := context.Background()
	var s seeded
	s.userName = "browser-user"
	s.addr, s.userKey = keyUser(t, e.dpEnv, s.userName)
	for _, st := range e.endpoints(t) {
		s.serverID = st.ServerID
	}
	dir, err := e.TC.CreateServer(ctx, &transfer.CreateServerInput{
		IdentityProviderType:    types.IdentityProviderTypeAwsDirectoryService,
		IdentityProviderDetails: &types.IdentityProviderDetails{DirectoryId: aws.String("d-1234567890")},
	})
	if err != nil {
		t.Fatalf("CreateServer: %v", err)
	}
	s.dirServerID, s.externalID = aws.ToString(dir.ServerId), "S-1-1-12-1234567890-123456789-1234567890-1234"
	if _, err := e.TC.CreateAccess(ctx, &transfer.CreateAccessInput{ServerId: dir.ServerId, ExternalId: aws.String(s.externalID),
		Role: aws.String(testRole), HomeDirectoryType: types.HomeDirectoryTypeLogical,
		HomeDirectoryMappings: []types.HomeDirectoryMapEntry{{Entry: aws.String("/"), Target: aws.String("/browser-bucket/shared")}},
		Policy:                aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`)}); err != nil {
		t.Fatalf("CreateAccess: %v", err)
	}
	wf, err := e.TC.CreateWorkflow(ctx, &transfer.CreateWorkflowInput{Description: aws.String("browser workflow"),
		Steps: []types.WorkflowStep{{Type: types.WorkflowStepTypeDelete,
			DeleteStepDetails: &types.DeleteStepDetails{Name: aws.String("remove")}}}})
	if err != nil {
		t.Fatalf("CreateWorkflow: %v", err)
	}
	s.workflowID = aws.ToString(wf.WorkflowId)

	ts := &testkit.Server{URL: e.URL}
	ab := newABClient(t, ts, acctA)
	s.appID, s.env, s.storage, s.api = "dbrowser1", "dev", "browserstore", "browserapi"
	for _, job := range []struct {
		op     string
		params map[string]any
	}{
		{"CreateBackend", map[string]any{"AppId": s.appID, "AppName": "Browser example", "BackendEnvironmentName": s.env}},
		{"CreateBackendStorage", map[string]any{"AppId": s.appID, "BackendEnvironmentName": s.env, "ResourceName": s.storage,
			"ResourceConfig": map[string]any{"ServiceName": "S3", "Permissions": map[string]any{"Authenticated": []any{"READ"}}}}},
		{"CreateBackendAPI", map[string]any{"AppId": s.appID, "BackendEnvironmentName": s.env, "ResourceName": s.api,
			"ResourceConfig": map[string]any{}}},
	} {
		out := ab.done(job.op, job.params)
		s.jobIDs = append(s.jobIDs, abStr(out, "JobId"))
	}

	qa := &qaEnv{url: e.URL, boto: ab.boto}
	s.qappUser, s.qappTitle = qaUser1, "Browser palette"
	s.qappID = qaStr(t, qa.call(t, s.qappUser, "CreateQApp", qaIn(qaInstance, qaPaletteApp(s.qappTitle))), "appId")
	// A grant names a known user: user two meets Q Apps first.
	qa.call(t, qaUser2, "ListQApps", qaIn(qaInstance, nil))
	qa.call(t, s.qappUser, "UpdateQAppPermissions", qaIn(qaInstance, map[string]any{"appId": s.qappID,
		"grantPermissions": []any{map[string]any{"action": "read", "principal": qaID(qaUser2)}}}))
	s.sessionID = qaStr(t, qa.call(t, s.qappUser, "StartQAppSession", qaIn(qaInstance, map[string]any{"appId": s.qappID, "appVersion": 1})), "sessionId")
	s.category = "549abfe0-f5c4-45a2-bb9b-c05987a49c6d"
	qa.call(t, s.qappUser, "BatchCreateCategory", qaIn(qaInstance, map[string]any{"categories": []any{
		map[string]any{"id": s.category, "title": "HR"}}}))
	s.libraryItemID = qaStr(t, qa.call(t, s.qappUser, "CreateLibraryItem", qaIn(qaInstance, map[string]any{
		"appId": s.qappID, "appVersion": 1, "categories": []any{s.category}})), "libraryItemId")

	// One refused login (a key the user does not have) and one open session.
	otherKey, _ := sshKey(t, "ed25519")
	if c, err := goSSH(t, s.addr, s.userName, otherKey); err == nil {
		_ = c.Close()
		t.Fatal("a login with a key the user does not have succeeded")
	}
	conn, err := goSSH(t, s.addr, s.userName, s.userKey)
	if err != nil {
		t.Fatalf("ssh: %v", err)
	}
	client, err := sftp.NewClient(conn)
	if err != nil {
		t.Fatalf("sftp: %v", err)
	}
	// A file written (20 bytes) and read back (20 bytes), then renamed.
	f, err := client.Create("seen.txt")
	if err == nil {
		_, err = f.Write([]byte("twenty bytes of text"))
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err == nil {
		f, err = client.Open("seen.txt")
		if err == nil {
			_, err = io.ReadAll(f)
			_ = f.Close()
		}
	}
	if err == nil {
		err = client.Rename("seen.txt", "kept.txt")
	}
	if err != nil {
		t.Fatalf("sftp: %v", err)
	}
	return s, func() {
		_ = client.Close()
		_ = conn.Close()
	}
}

// chromium is the path of a headless-capable Chromium, or skips the test.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no Chromium is installed (Debian: apt-get install chromium): skipping the browser tests")
	return ""
}

// chrome runs headless Chromium with args (a fresh profile each time) and
// returns its standard output.
func chrome(t *testing.T, bin string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
		"--disable-extensions", "--hide-scrollbars", "--user-data-dir=" + t.TempDir()}
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
	}
	return string(out)
}

// dom is the page at url as headless Chromium rendered it.
func dom(t *testing.T, bin, url string) string {
	t.Helper()
	return chrome(t, bin, "--dump-dom", url)
}

// screenshot saves a PNG of url at width x height into dir and returns
// its path.
func screenshot(t *testing.T, bin, url, dir, name string, width, height int) string {
	t.Helper()
	path := filepath.Join(dir, name)
	chrome(t, bin, "--window-size="+strconv.Itoa(width)+","+strconv.Itoa(height), "--screenshot="+path, url)
	info, err := os.Stat(path)
	if err != nil || info.Size() < 1000 {
		t.Fatalf("screenshot %s: %v (%v)", path, err, info)
	}
	return path
}

// get fetches url with client (cookies kept) and returns status and body.
func get(t *testing.T, c *http.Client, url string) (int, string) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
