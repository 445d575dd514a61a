package e2e_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// lowFDErsatz runs the real binary with an open-file limit of nofile (soft
// and hard, so Go cannot raise it) and short timeouts.
func lowFDErsatz(t *testing.T, nofile int, args ...string) (*exec.Cmd, string, *logBuffer) {
	t.Helper()
	needTool(t, "sh")
	bin := buildErsatz(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	all := append([]string{"-c", fmt.Sprintf(`ulimit -n %d && exec "$0" "$@"`, nofile), bin,
		"--listen", addr, "--store", "memory", "--no-transfer-data-plane", "--log-level", "info"}, args...)
	cmd := exec.Command("sh", all...)
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ERSATZ_") {
			env = append(env, kv)
		}
	}
	cmd.Env = env
	logs := &logBuffer{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/_ersatz/health")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("ersatz did not start: %v\n%s", err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return cmd, addr, logs
}

// logBuffer collects a child's log while the test reads it.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// healthOnce is one GET /_ersatz/health on a new connection; it returns how
// long the answer took.
func healthOnce(addr string) (time.Duration, error) {
	start := time.Now()
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Get("http://" + addr + "/_ersatz/health")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return 0, err
	}
	if resp.StatusCode != 200 {
		return 0, fmt.Errorf("health answered %d", resp.StatusCode)
	}
	return time.Since(start), nil
}

// TestHTTPServerHoldsUnderLowFDLimit runs Ersatz with 256 open files and
// holds more connections than that open: 100 idle keep-alive connections,
// 200 that never send a byte, and 5 clients sending a body at 2 bytes/s.
// New clients are still served, the slow bodies are cut at the read timeout,
// and SIGTERM with a stalled request in flight exits 0 within the shutdown
// timeout.
func TestHTTPServerHoldsUnderLowFDLimit(t *testing.T) {
	t.Parallel()
	cmd, addr, logs := lowFDErsatz(t, 256, "--read-timeout", "2s", "--write-timeout", "5s",
		"--read-header-timeout", "60s", "--idle-timeout", "60s", "--shutdown-timeout", "2s")
	if !strings.Contains(logs.String(), "max_connections=192") {
		t.Fatalf("the connection cap is not derived from the open-file limit:\n%s", logs.String())
	}
	var held []net.Conn
	t.Cleanup(func() {
		for _, c := range held {
			_ = c.Close()
		}
	})
	for i := range 300 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("dial %d: %v", i, err)
		}
		held = append(held, c)
		if i < 100 { // one request, then idle keep-alive
			if _, err := io.WriteString(c, "GET /_ersatz/health HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
				t.Fatal(err)
			}
			_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				t.Fatalf("keep-alive request %d: %v", i, err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}
	// Slow bodies: 2 bytes a second of a 1,000-byte body.
	slowDone := make(chan time.Duration, 5)
	for range 5 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
		go func() {
			start := time.Now()
			_, _ = io.WriteString(c, "POST /_ersatz/reset HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n")
			for range 1000 {
				if _, err := c.Write([]byte(" ")); err != nil {
					break
				}
				time.Sleep(500 * time.Millisecond)
			}
			slowDone <- time.Since(start)
		}()
	}
	// New clients are served while all of that is held.
	var worst time.Duration
	for i := range 20 {
		took, err := healthOnce(addr)
		if err != nil {
			t.Fatalf("new client %d while %d connections are held: %v\n%s", i, len(held), err, logs.String())
		}
		worst = max(worst, took)
	}
	t.Logf("305 connections held under a 256-file limit: 20 new clients served, slowest %v", worst)
	// The slow bodies are cut (read timeout 2s): their writes fail.
	for range 5 {
		select {
		case took := <-slowDone:
			t.Logf("slow body cut after %v", took.Round(100*time.Millisecond))
		case <-time.After(30 * time.Second):
			t.Fatal("a client sending its body at 2 bytes/s is still connected after 30s")
		}
	}

	// SIGTERM with a request whose body stalls: exit 0 within the grace.
	stalled, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	held = append(held, stalled)
	if _, err := io.WriteString(stalled, "POST /_ersatz/reset HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case err := <-waited:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, logs.String())
		}
		t.Logf("SIGTERM with a stalled request: exit 0 after %v", time.Since(start).Round(10*time.Millisecond))
	case <-time.After(15 * time.Second):
		t.Fatalf("still running 15s after SIGTERM\n%s", logs.String())
	}
}

// TestSIGTERMClosesIdleConnectionsAtOnce: idle connections and connections
// that sent nothing do not hold up shutdown (net/http alone waits 5s for
// the latter).
func TestSIGTERMClosesIdleConnectionsAtOnce(t *testing.T) {
	t.Parallel()
	cmd, addr, logs := lowFDErsatz(t, 256, "--shutdown-timeout", "30s")
	for range 20 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
	}
	time.Sleep(100 * time.Millisecond)
	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, logs.String())
	}
	took := time.Since(start)
	t.Logf("SIGTERM with 20 silent connections: exit 0 after %v", took.Round(10*time.Millisecond))
	if took > 4*time.Second {
		t.Fatalf("shutdown waited %v for connections that sent nothing", took)
	}
}
