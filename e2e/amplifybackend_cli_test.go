package e2e_test

import (
	"reflect"
	"testing"

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

// TestAmplifyBackendBotoStorageSeed runs the storage seed through boto3 (the
// AWS CLI's botocore): the update's job completes, and a bad update is
// rejected with the storage unchanged.
func TestAmplifyBackendBotoStorageSeed(t *testing.T) {
	t.Parallel()
	srv := testkit.Start(t)
	c := newABClient(t, srv, abAcct1)
	c.backend(abApp, "dev")
	c.done("CreateBackendStorage", map[string]any{"AppId": abApp, "BackendEnvironmentName": "dev", "ResourceName": "files",
		"ResourceConfig": map[string]any{"ServiceName": "S3", "Permissions": map[string]any{"Authenticated": []any{"READ"}}}})

	out := c.must("UpdateBackendStorage", map[string]any{"AppId": abApp, "BackendEnvironmentName": "dev", "ResourceName": "files",
		"ResourceConfig": map[string]any{"ServiceName": "S3", "Permissions": map[string]any{
			"Authenticated": []any{"READ", "CREATE_AND_UPDATE", "DELETE"}, "UnAuthenticated": []any{"READ"}}}})
	if out["Status"] != "IN_PROGRESS" || out["AppId"] != abApp {
		t.Fatalf("UpdateBackendStorage = %v", out)
	}
	if j := c.wait(abApp, "dev", abStr(out, "JobId")); j["Status"] != "COMPLETED" || j["Operation"] != "UpdateBackendStorage" {
		t.Fatalf("UpdateBackendStorage job = %v", j)
	}
	want := map[string]any{"Authenticated": []any{"READ", "CREATE_AND_UPDATE", "DELETE"}, "UnAuthenticated": []any{"READ"}}
	get := map[string]any{"AppId": abApp, "BackendEnvironmentName": "dev", "ResourceName": "files"}
	st := c.must("GetBackendStorage", get)
	cfg, _ := st["ResourceConfig"].(map[string]any)
	if !reflect.DeepEqual(cfg["Permissions"], want) || cfg["Imported"] != false || cfg["ServiceName"] != "S3" {
		t.Fatalf("GetBackendStorage = %v", st)
	}

	c.fails("UpdateBackendStorage", map[string]any{"AppId": abApp, "BackendEnvironmentName": "dev", "ResourceName": "files",
		"ResourceConfig": map[string]any{"ServiceName": "S3", "Permissions": map[string]any{"Authenticated": []any{}}}},
		"BadRequestException", "resourceConfig.permissions.authenticated")
	if st := c.must("GetBackendStorage", get); !reflect.DeepEqual(st["ResourceConfig"].(map[string]any)["Permissions"], want) {
		t.Fatalf("the rejected update changed the storage: %v", st)
	}
	c.fails("GetBackendStorage", map[string]any{"AppId": abApp, "BackendEnvironmentName": "dev", "ResourceName": "nope"}, "NotFoundException")
}
