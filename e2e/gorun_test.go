//go:build linux

package e2e_test

import (
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// TestGoRunStopsWithSIGTERM: the README's `go run ./cmd/ersatz` leaves no
// server behind when the go run process gets SIGTERM (the server asks the
// kernel to stop it with its go run parent).
func TestGoRunStopsWithSIGTERM(t *testing.T) {
	t.Parallel()
	addr := "127.0.0.1:" + strconv.Itoa(freePortBlock(t, 1))
	cmd := exec.Command("go", "run", "../cmd/ersatz", "--store", "memory", "--no-transfer-data-plane", "--listen", addr)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); _ = cmd.Wait() })
	up := func() bool {
		c := http.Client{Timeout: time.Second}
		resp, err := c.Get("http://" + addr + "/_ersatz/health")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return true
	}
	deadline := time.Now().Add(4 * time.Minute)
	for !up() {
		if time.Now().After(deadline) {
			t.Fatal("go run ./cmd/ersatz did not come up")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil { // go run alone, not its group
		t.Fatal(err)
	}
	_ = cmd.Wait()
	deadline = time.Now().Add(30 * time.Second)
	for {
		if ln, err := net.Listen("tcp", addr); err == nil {
			_ = ln.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server go run started still holds %s after go run got SIGTERM", addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
