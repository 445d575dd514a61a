package e2e_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// readmeBlock returns the shell block of README.md between the markers
// <!-- name --> and <!-- /name -->.
func readmeBlock(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	start := strings.Index(s, "<!-- "+name+" -->")
	end := strings.Index(s, "<!-- /"+name+" -->")
	if start < 0 || end < start {
		t.Fatalf("README.md has no %s block", name)
	}
	block := s[start:end]
	block = block[strings.Index(block, "```sh\n")+len("```sh\n"):]
	return block[:strings.LastIndex(block, "```")]
}

// TestReadmeQuickstart runs the README's quickstart as it is written, on a
// machine with no AWS configuration (an empty HOME, no AWS_* variables),
// from an empty folder: the built binary on PATH, a server, a user and an
// SFTP upload that lands in the data dir. Only the address is the test's
// own (through ERSATZ_LISTEN, and the endpoint URL of the export line), so
// that it runs beside other tests.
func TestReadmeQuickstart(t *testing.T) {
	t.Parallel()
	needTool(t, "aws", "sftp", "ssh-keygen", "awk", "bash")
	script := readmeBlock(t, "quickstart")
	if !strings.Contains(script, "http://127.0.0.1:4566") {
		t.Fatalf("the quickstart no longer names the default endpoint:\n%s", script)
	}
	bin := buildErsatz(t)
	port := freePortBlock(t, 12)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	script = strings.ReplaceAll(script, "http://127.0.0.1:4566", "http://"+addr)

	dir, home := t.TempDir(), t.TempDir()
	env := []string{"PATH=" + filepath.Dir(bin) + string(os.PathListSeparator) + os.Getenv("PATH"), "HOME=" + home,
		"ERSATZ_LISTEN=" + addr,
		fmt.Sprintf("ERSATZ_TRANSFER_PORTS=%d-%d", port+1, port+5),
		fmt.Sprintf("ERSATZ_TRANSFER_PASSIVE_PORTS=%d-%d", port+6, port+11)}
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "PYTHON") || strings.HasPrefix(k, "PYENV") || k == "LANG" {
			env = append(env, kv)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	// The server the script starts keeps running after the script, for the
	// start-up log's example command; the test's cleanup stops it.
	logPath := filepath.Join(t.TempDir(), "out")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", script)
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = dir, env, logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	t.Cleanup(func() {
		if cmd.Process != nil {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		}
	})
	err = cmd.Run()
	out, _ := os.ReadFile(logPath)
	if err != nil {
		t.Fatalf("the README's quickstart failed: %v\n%s", err, out)
	}
	got, err := os.ReadFile(filepath.Join(dir, ".ersatz", "files", "s3", "demo-bucket", "alice", "hello.txt"))
	if err != nil || string(got) != "hello\n" {
		t.Fatalf("the upload did not land in the data dir (%v): %q\n%s", err, got, out)
	}
	if !strings.Contains(string(out), "SFTP") || !strings.Contains(string(out), "ready") {
		t.Fatalf("the quickstart's output lacks the endpoint listing or the wait line:\n%s", out)
	}

	// The start-up log's example command works as it is, with no AWS
	// configuration at all (not even the quickstart's exports).
	m := regexp.MustCompile(`try="([^"]+)"`).FindStringSubmatch(string(out))
	if m == nil {
		t.Fatalf("the start-up log has no example command:\n%s", out)
	}
	try := exec.CommandContext(ctx, "sh", "-c", m[1])
	try.Dir, try.Env = dir, env
	tryOut, err := try.CombinedOutput()
	if err != nil || !strings.Contains(string(tryOut), "Servers") {
		t.Fatalf("the start-up log's command %q failed: %v\n%s", m[1], err, tryOut)
	}
}
