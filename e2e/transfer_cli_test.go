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

// TestTransferCLISeedScenario runs the access seed scenario through the AWS CLI.
func TestTransferCLISeedScenario(t *testing.T) {
	testkit.RequireAWSCLI(t)
	srv := testkit.Start(t)
	must := func(args ...string) map[string]any {
		t.Helper()
		out, stderr := awsCLI(t, srv, args...)
		if stderr != "" {
			t.Fatalf("aws transfer %v: %s", args, stderr)
		}
		return out
	}
	out := must("create-server", "--identity-provider-type", "AWS_DIRECTORY_SERVICE",
		"--identity-provider-details", "DirectoryId=d-1234567890", "--tags", "Key=env,Value=cli")
	id, _ := out["ServerId"].(string)
	if !strings.HasPrefix(id, "s-") || len(id) != 19 {
		t.Fatalf("create-server = %v", out)
	}
	out = must("describe-server", "--server-id", id)
	server, _ := out["Server"].(map[string]any)
	if server["State"] != "ONLINE" || server["IdentityProviderType"] != "AWS_DIRECTORY_SERVICE" ||
		server["SecurityPolicyName"] != "TransferSecurityPolicy-2024-01" {
		t.Fatalf("describe-server = %v", server)
	}
	must("create-access", "--server-id", id, "--external-id", groupSID, "--role", testRole, "--home-directory", "/bucket/home")
	_, stderr := awsCLI(t, srv, "create-access", "--server-id", id, "--external-id", groupSID, "--role", testRole)
	if !strings.Contains(stderr, "ResourceExistsException") {
		t.Fatalf("duplicate create-access: %q", stderr)
	}
	up := must("update-access", "--server-id", id, "--external-id", groupSID,
		"--home-directory-type", "LOGICAL",
		"--home-directory-mappings", `[{"Entry":"/","Target":"/bucket/home/team"}]`,
		"--posix-profile", "Uid=2001,Gid=2000,SecondaryGids=3000,3001",
		"--policy", sessionPolicy)
	if up["ServerId"] != id || up["ExternalId"] != groupSID {
		t.Fatalf("update-access = %v", up)
	}
	out = must("describe-access", "--server-id", id, "--external-id", groupSID)
	access, _ := out["Access"].(map[string]any)
	posix, _ := access["PosixProfile"].(map[string]any)
	maps, _ := access["HomeDirectoryMappings"].([]any)
	if access["HomeDirectoryType"] != "LOGICAL" || access["Policy"] != sessionPolicy || len(maps) != 1 ||
		posix["Uid"] != float64(2001) || len(posix["SecondaryGids"].([]any)) != 2 {
		t.Fatalf("describe-access = %v", access)
	}
	_, stderr = awsCLI(t, srv, "update-access", "--server-id", id, "--external-id", groupSID,
		"--home-directory-type", "PATH", "--home-directory-mappings", `[{"Entry":"/x","Target":"/bucket/x"}]`)
	if !strings.Contains(stderr, "InvalidRequestException") {
		t.Fatalf("bad update-access: %q", stderr)
	}
	out = must("describe-access", "--server-id", id, "--external-id", groupSID)
	if a, _ := out["Access"].(map[string]any); a["HomeDirectoryType"] != "LOGICAL" {
		t.Fatalf("rejected update changed the access: %v", a)
	}
	out = must("list-accesses", "--server-id", id)
	if accs, _ := out["Accesses"].([]any); len(accs) != 1 {
		t.Fatalf("list-accesses = %v", out)
	}
	must("delete-access", "--server-id", id, "--external-id", groupSID)
	_, stderr = awsCLI(t, srv, "describe-access", "--server-id", id, "--external-id", groupSID)
	if !strings.Contains(stderr, "ResourceNotFoundException") {
		t.Fatalf("describe-access after delete: %q", stderr)
	}
	must("delete-server", "--server-id", id)
}
