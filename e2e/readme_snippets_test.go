package e2e_test

import (
	"os"
	"strings"
	"testing"

	"github.com/ersatz-dev/ersatz/internal/testkit"
)

// readmeIndented returns the indented code block of README.md that follows
// the line starting with heading, without its indentation.
func readmeIndented(t *testing.T, heading string) string {
	t.Helper()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	for i, l := range lines {
		if !strings.HasPrefix(l, heading) {
			continue
		}
		var code []string
		for _, c := range lines[i+1:] {
			if c == "" && len(code) == 0 {
				continue
			}
			if !strings.HasPrefix(c, "    ") {
				break
			}
			code = append(code, strings.TrimPrefix(c, "    "))
		}
		return strings.Join(code, "\n")
	}
	t.Fatalf("README.md has no %q", heading)
	return ""
}

// TestReadmeJSSnippet runs the README's JavaScript snippet as it is written
// (only the endpoint is the test server's), with no AWS configuration in
// the environment: it must carry its own credentials and region.
func TestReadmeJSSnippet(t *testing.T) {
	t.Parallel()
	snippet := readmeIndented(t, "JavaScript (SDK v3)")
	if !strings.Contains(snippet, `"http://127.0.0.1:4566"`) {
		t.Fatalf("the JavaScript snippet no longer names the endpoint:\n%s", snippet)
	}
	srv := testkit.Start(t)
	script := `const { TransferClient, ListServersCommand } = require("@aws-sdk/client-transfer");
for (const k of Object.keys(process.env)) if (k.startsWith("AWS_")) delete process.env[k];
process.env.AWS_CONFIG_FILE = "/nonexistent"; process.env.AWS_SHARED_CREDENTIALS_FILE = "/nonexistent";
process.env.AWS_EC2_METADATA_DISABLED = "true";
` + strings.ReplaceAll(snippet, `"http://127.0.0.1:4566"`, "process.env.ERSATZ_ENDPOINT") + `
client.send(new ListServersCommand({})).then(r => console.log(JSON.stringify({ servers: r.Servers.length })))
  .catch(e => { console.error(e); process.exit(1); });
`
	got := srv.RunNode(t, "@aws-sdk/client-transfer", script)
	if n, ok := got["servers"].(float64); !ok || n != 0 {
		t.Fatalf("the snippet's ListServers printed %v", got)
	}
}
