package e2e_test

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/ersatz-dev/ersatz/internal/testkit"
)

// TestMain runs the tests, then names in one line the clients (sftp, the
// AWS CLI, boto3, the JavaScript SDK, PostgreSQL...) whose tests were
// skipped because they are missing. The tests that run the ersatz binary
// share one build.
func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "ersatz-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	_ = os.RemoveAll(dir)
	testkit.ReportMissingClients(os.Stdout, testing.Verbose())
	os.Exit(code)
}

// binDir holds the ersatz binary the tests that run it share (set by
// TestMain before any test runs).
var binDir string

// builtErsatz builds the ersatz binary into binDir, once, when a test first
// asks for it.
var builtErsatz = sync.OnceValues(func() (string, error) {
	bin := filepath.Join(binDir, "ersatz")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/ersatz").CombinedOutput(); err != nil {
		return "", fmt.Errorf("build: %w\n%s", err, out)
	}
	return bin, nil
})
