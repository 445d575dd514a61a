package e2e_test

import (
	"strings"
	"testing"

	"github.com/ersatz-dev/ersatz/internal/testkit"
)

// awsCLI runs `aws --endpoint-url <ersatz> transfer <args>` as account A in
// us-east-1 and decodes its JSON output (nil for commands that print nothing).
// It returns the decoded output, or the CLI's stderr when the command failed.
func awsCLI(t *testing.T, srv *testkit.Server, args ...string) (map[string]any, string) {
	t.Helper()
	out, stderr, _ := cliJSON(t, srv.URL, acctA, "transfer", args...)
	return out, stderr
}

// TestTransferBotoSeedScenario runs the access seed scenario through boto3,
// the Python SDK the AWS CLI is built on (botocore parses the same answers).
func TestTransferBotoSeedScenario(t *testing.T) {
	t.Parallel()
	srv := testkit.Start(t)
	boto := srv.Boto(t)
	call := func(op string, params map[string]any) (map[string]any, *testkit.BotoError) {
		t.Helper()
		return boto.Call(t, testkit.BotoRequest{Service: "transfer", Op: op, Params: params, AccessKey: acctA, Region: "us-east-1"})
	}
	must := func(op string, params map[string]any) map[string]any {
		t.Helper()
		out, err := call(op, params)
		if err != nil {
			t.Fatalf("%s: %v", op, err)
		}
		return out
	}
	fails := func(op string, params map[string]any, code string) {
		t.Helper()
		if out, err := call(op, params); err == nil || err.Code != code {
			t.Fatalf("%s: got %v %v, want %s", op, out, err, code)
		}
	}
	out := must("CreateServer", map[string]any{"IdentityProviderType": "AWS_DIRECTORY_SERVICE",
		"IdentityProviderDetails": map[string]any{"DirectoryId": "d-1234567890"},
		"Tags":                    []any{map[string]any{"Key": "env", "Value": "cli"}}})
	id, _ := out["ServerId"].(string)
	if !strings.HasPrefix(id, "s-") || len(id) != 19 {
		t.Fatalf("CreateServer = %v", out)
	}
	server, _ := must("DescribeServer", map[string]any{"ServerId": id})["Server"].(map[string]any)
	if server["State"] != "ONLINE" || server["IdentityProviderType"] != "AWS_DIRECTORY_SERVICE" ||
		server["SecurityPolicyName"] != "TransferSecurityPolicy-2024-01" {
		t.Fatalf("DescribeServer = %v", server)
	}
	access := map[string]any{"ServerId": id, "ExternalId": groupSID, "Role": testRole}
	must("CreateAccess", map[string]any{"ServerId": id, "ExternalId": groupSID, "Role": testRole, "HomeDirectory": "/bucket/home"})
	fails("CreateAccess", access, "ResourceExistsException")
	up := must("UpdateAccess", map[string]any{"ServerId": id, "ExternalId": groupSID,
		"HomeDirectoryType":     "LOGICAL",
		"HomeDirectoryMappings": []any{map[string]any{"Entry": "/", "Target": "/bucket/home/team"}},
		"PosixProfile":          map[string]any{"Uid": 2001, "Gid": 2000, "SecondaryGids": []any{3000, 3001}},
		"Policy":                sessionPolicy})
	if up["ServerId"] != id || up["ExternalId"] != groupSID {
		t.Fatalf("UpdateAccess = %v", up)
	}
	describe := map[string]any{"ServerId": id, "ExternalId": groupSID}
	got, _ := must("DescribeAccess", describe)["Access"].(map[string]any)
	posix, _ := got["PosixProfile"].(map[string]any)
	maps, _ := got["HomeDirectoryMappings"].([]any)
	gids, _ := posix["SecondaryGids"].([]any)
	if got["HomeDirectoryType"] != "LOGICAL" || got["Policy"] != sessionPolicy || len(maps) != 1 ||
		posix["Uid"] != float64(2001) || len(gids) != 2 {
		t.Fatalf("DescribeAccess = %v", got)
	}
	fails("UpdateAccess", map[string]any{"ServerId": id, "ExternalId": groupSID, "HomeDirectoryType": "PATH",
		"HomeDirectoryMappings": []any{map[string]any{"Entry": "/x", "Target": "/bucket/x"}}}, "InvalidRequestException")
	if a, _ := must("DescribeAccess", describe)["Access"].(map[string]any); a["HomeDirectoryType"] != "LOGICAL" {
		t.Fatalf("rejected update changed the access: %v", a)
	}
	if accs, _ := must("ListAccesses", map[string]any{"ServerId": id})["Accesses"].([]any); len(accs) != 1 {
		t.Fatalf("ListAccesses: %v", accs)
	}
	must("DeleteAccess", describe)
	fails("DescribeAccess", describe, "ResourceNotFoundException")
	must("DeleteServer", map[string]any{"ServerId": id})
}

// TestCLISmoke drives each service once through the AWS CLI: a resource is
// created and read back, its JSON printed as the CLI prints AWS's. The
// assertions of the scenarios live in the boto3 tests, which share one
// Python process; the CLI starts one per command.
func TestCLISmoke(t *testing.T) {
	t.Parallel()
	testkit.RequireAWSCLI(t)
	t.Run("transfer", func(t *testing.T) {
		t.Parallel()
		srv := testkit.Start(t)
		out, stderr := awsCLI(t, srv, "create-server", "--tags", "Key=env,Value=cli")
		id, _ := out["ServerId"].(string)
		if !strings.HasPrefix(id, "s-") {
			t.Fatalf("create-server = %v %s", out, stderr)
		}
		out, stderr = awsCLI(t, srv, "describe-server", "--server-id", id)
		if s, _ := out["Server"].(map[string]any); s["State"] != "ONLINE" || !strings.Contains(s["Arn"].(string), ":"+acctA+":") {
			t.Fatalf("describe-server = %v %s", out, stderr)
		}
	})
	t.Run("amplifybackend", func(t *testing.T) {
		t.Parallel()
		srv := testkit.Start(t)
		out, stderr := abCLI(t, srv, "create-backend", "--app-id", abApp, "--app-name", "Example", "--backend-environment-name", "dev")
		if out["AppId"] != abApp || out["JobId"] == nil {
			t.Fatalf("create-backend = %v %s", out, stderr)
		}
		out, stderr = abCLI(t, srv, "get-backend", "--app-id", abApp, "--backend-environment-name", "dev")
		if out["AppName"] != "Example" {
			t.Fatalf("get-backend = %v %s", out, stderr)
		}
	})
	t.Run("qapps", func(t *testing.T) {
		t.Parallel()
		e := startQApps(t)
		def, err := jsonString(qaPaletteApp("")["appDefinition"])
		if err != nil {
			t.Fatal(err)
		}
		created, stderr, err := cliJSON(t, e.url, qaUser1, "qapps", "create-q-app", "--instance-id", qaInstance, "--title", "From the CLI", "--app-definition", def)
		if err != nil {
			t.Fatalf("create-q-app: %v %s", err, stderr)
		}
		appID := qaStr(t, created, "appId")
		listed, stderr, err := cliJSON(t, e.url, qaUser1, "qapps", "list-q-apps", "--instance-id", qaInstance)
		if apps := qaList(t, listed, "apps"); err != nil || len(apps) != 1 || apps[0].(map[string]any)["appId"] != appID {
			t.Fatalf("list-q-apps = %v %v %s", listed, err, stderr)
		}
	})
}
