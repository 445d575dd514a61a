package testkit

import (
	"bufio"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

//go:embed boto_worker.py
var botoWorker []byte

// Boto drives the server through boto3/botocore, the installed Python SDK.
type Boto struct {
	mu  sync.Mutex
	cmd *exec.Cmd
	in  *json.Encoder
	out *bufio.Scanner
}

// BotoRequest is one call through boto.
type BotoRequest struct {
	Service      string `json:"service"`
	Op           string `json:"op"`
	Params       any    `json:"params,omitempty"`
	AccessKey    string `json:"access_key,omitempty"`
	Region       string `json:"region,omitempty"`
	Minimal      bool   `json:"minimal,omitempty"`
	NoValidation bool   `json:"no_validation,omitempty"`
}

// BotoError is an error response as botocore parsed it.
type BotoError struct {
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Status  int            `json:"status"`
	Body    map[string]any `json:"body"`
}

func (e *BotoError) Error() string { return fmt.Sprintf("%s (%d): %s", e.Code, e.Status, e.Message) }

// Boto starts a boto3 worker aimed at the server, or skips the test when
// python3 with botocore is not installed.
func (s *Server) Boto(t testing.TB) *Boto {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not installed: skipping the boto3 tests")
	}
	if err := exec.Command(py, "-c", "import botocore").Run(); err != nil {
		t.Skip("botocore is not installed for python3: skipping the boto3 tests")
	}
	script := filepath.Join(t.TempDir(), "boto_worker.py")
	if err := os.WriteFile(script, botoWorker, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, script)
	cmd.Env = append(os.Environ(), "ERSATZ_ENDPOINT="+s.URL, "AWS_EC2_METADATA_DISABLED=true")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	b := &Boto{cmd: cmd, in: json.NewEncoder(stdin), out: bufio.NewScanner(stdout)}
	b.out.Buffer(make([]byte, 1<<20), 64<<20)
	t.Cleanup(func() {
		_ = stdin.Close()
		_ = cmd.Wait()
	})
	return b
}

// Call sends one request; it returns the parsed response or the error.
func (b *Boto) Call(t testing.TB, req BotoRequest) (map[string]any, *BotoError) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.in.Encode(req); err != nil {
		t.Fatalf("boto worker: %v", err)
	}
	if !b.out.Scan() {
		t.Fatalf("boto worker died: %v", b.out.Err())
	}
	var resp struct {
		OK    map[string]any `json:"ok"`
		Error *BotoError     `json:"error"`
	}
	if err := json.Unmarshal(b.out.Bytes(), &resp); err != nil {
		t.Fatalf("boto worker answered %q: %v", b.out.Text(), err)
	}
	if resp.Error != nil && resp.Error.Code == "WorkerError" {
		t.Fatalf("boto worker failed: %s", resp.Error.Message)
	}
	return resp.OK, resp.Error
}
