package e2e_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ersatz-dev/ersatz/internal/testkit"
)

// abCLI runs `aws --endpoint-url <ersatz> amplifybackend <args>` as account 1
// in us-east-1 and decodes its JSON output; on failure it returns the CLI's
// stderr.
func abCLI(t *testing.T, srv *testkit.Server, args ...string) (map[string]any, string) {
	t.Helper()
	out, stderr, err := cliJSON(t, srv.URL, abAcct1, "amplifybackend", args...)
	if err != nil {
		return nil, stderr + err.Error()
	}
	return out, ""
}

// TestAmplifyBackendCLIStorageSeed runs the storage seed through the AWS CLI
// (v1): the update goes in as --cli-input-json, the job is polled with
// get-backend-job, and a bad update is rejected with the storage unchanged.
func TestAmplifyBackendCLIStorageSeed(t *testing.T) {
	testkit.RequireAWSCLI(t)
	srv := testkit.Start(t)
	must := func(args ...string) map[string]any {
		t.Helper()
		out, stderr := abCLI(t, srv, args...)
		if stderr != "" {
			t.Fatalf("aws amplifybackend %v: %s", args, stderr)
		}
		return out
	}
	wait := func(env, jobID string) map[string]any {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			j := must("get-backend-job", "--app-id", abApp, "--backend-environment-name", env, "--job-id", jobID)
			if j["Status"] != "IN_PROGRESS" || time.Now().After(deadline) {
				return j
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	out := must("create-backend", "--app-id", abApp, "--app-name", "Example", "--backend-environment-name", "dev")
	if j := wait("dev", abStr(out, "JobId")); j["Status"] != "COMPLETED" {
		t.Fatalf("create-backend job = %v", j)
	}
	out = must("create-backend-storage", "--app-id", abApp, "--backend-environment-name", "dev", "--resource-name", "files",
		"--resource-config", `{"ServiceName":"S3","Permissions":{"Authenticated":["READ"]}}`)
	if j := wait("dev", abStr(out, "JobId")); j["Status"] != "COMPLETED" {
		t.Fatalf("create-backend-storage job = %v", j)
	}

	dir := t.TempDir()
	input := func(name string, v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return "file://" + p
	}
	good := input("good.json", map[string]any{"AppId": abApp, "BackendEnvironmentName": "dev", "ResourceName": "files",
		"ResourceConfig": map[string]any{"ServiceName": "S3", "Permissions": map[string]any{
			"Authenticated": []string{"READ", "CREATE_AND_UPDATE", "DELETE"}, "UnAuthenticated": []string{"READ"}}}})
	out = must("update-backend-storage", "--cli-input-json", good)
	if out["Status"] != "IN_PROGRESS" || out["AppId"] != abApp {
		t.Fatalf("update-backend-storage = %v", out)
	}
	if j := wait("dev", abStr(out, "JobId")); j["Status"] != "COMPLETED" || j["Operation"] != "UpdateBackendStorage" {
		t.Fatalf("update-backend-storage job = %v", j)
	}
	want := map[string]any{"Authenticated": []any{"READ", "CREATE_AND_UPDATE", "DELETE"}, "UnAuthenticated": []any{"READ"}}
	st := must("get-backend-storage", "--app-id", abApp, "--backend-environment-name", "dev", "--resource-name", "files")
	cfg := st["ResourceConfig"].(map[string]any)
	if !reflect.DeepEqual(cfg["Permissions"], want) || cfg["Imported"] != false || cfg["ServiceName"] != "S3" {
		t.Fatalf("get-backend-storage = %v", st)
	}

	bad := input("bad.json", map[string]any{"AppId": abApp, "BackendEnvironmentName": "dev", "ResourceName": "files",
		"ResourceConfig": map[string]any{"ServiceName": "S3", "Permissions": map[string]any{"Authenticated": []string{}}}})
	if _, stderr := abCLI(t, srv, "update-backend-storage", "--cli-input-json", bad); !strings.Contains(stderr, "BadRequestException") ||
		!strings.Contains(stderr, "resourceConfig.permissions.authenticated") {
		t.Fatalf("a bad update through the CLI: %q", stderr)
	}
	if st := must("get-backend-storage", "--app-id", abApp, "--backend-environment-name", "dev", "--resource-name", "files"); !reflect.DeepEqual(st["ResourceConfig"].(map[string]any)["Permissions"], want) {
		t.Fatalf("the rejected update changed the storage: %v", st)
	}
	if _, stderr := abCLI(t, srv, "get-backend-storage", "--app-id", abApp, "--backend-environment-name", "dev", "--resource-name", "nope"); !strings.Contains(stderr, "NotFoundException") {
		t.Fatalf("unknown resource through the CLI: %q", stderr)
	}
}
