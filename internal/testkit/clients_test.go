package testkit

import (
	"bytes"
	"strings"
	"testing"

	"github.com/ersatz-dev/ersatz/internal/testkit/pgtest"
)

// TestReportMissingClients checks the summary names a missing client with
// its reason, on one line, and says nothing when none is missing.
func TestReportMissingClients(t *testing.T) {
	t.Setenv(pgtest.PostgresEnv, "")
	var out bytes.Buffer
	ReportMissingClients(&out, true)
	line := out.String()
	if !strings.HasPrefix(line, "skipped clients: ") || strings.Count(line, "\n") != 1 ||
		!strings.Contains(line, "PostgreSQL ("+pgtest.PostgresEnv+" unset)") {
		t.Fatalf("summary %q", line)
	}
	t.Setenv("PATH", t.TempDir())
	out.Reset()
	ReportMissingClients(&out, true)
	for _, want := range []string{"boto3 (python3 not installed)", "aws (AWS CLI) (not installed)", "sftp (not installed)", "JavaScript SDK v3 (node not installed)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary %q lacks %q", out.String(), want)
		}
	}
}
