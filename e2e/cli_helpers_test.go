package e2e_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ersatz-dev/ersatz/internal/testkit"
)

// cliJSON runs `aws <service> <args>` against the Ersatz at url as accessKey
// in us-east-1 and decodes its JSON output (nil for a command that prints
// nothing). When the command fails it returns the CLI's stderr and the error.
func cliJSON(t *testing.T, url, accessKey, service string, args ...string) (map[string]any, string, error) {
	t.Helper()
	cli := testkit.AWSCLI{URL: url, AccessKeyID: accessKey, Region: "us-east-1"}
	stdout, stderr, err := cli.Run(append([]string{service}, args...)...)
	if err != nil {
		return nil, stderr, err
	}
	if strings.TrimSpace(stdout) == "" {
		return nil, "", nil
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("aws %s %v printed %q: %v", service, args, stdout, err)
	}
	return out, "", nil
}

// jsonString is v as a JSON document.
func jsonString(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}
