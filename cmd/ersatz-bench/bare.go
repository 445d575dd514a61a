package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/ersatz-dev/ersatz/internal/bench"
	"github.com/ersatz-dev/ersatz/internal/server"
)

// serveBare is the bench's bare handler in a process of its own
// (-serve-bare FILE): it answers the responses recorded in FILE on a free
// loopback port, prints "http://ADDR" on its first line, and stops when its
// standard input closes (its parent is gone) or ctx is done.
func serveBare(ctx context.Context, file string, stdin io.Reader, stdout io.Writer) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("-serve-bare: %w", err)
	}
	rec, err := bench.ImportRecorder(data, bench.OpKey(server.Services(nil)))
	if err != nil {
		return fmt.Errorf("-serve-bare %s: %w", file, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("-serve-bare: %w", err)
	}
	hs := &http.Server{Handler: rec.Handler(), ReadHeaderTimeout: 10 * time.Second}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		_, _ = io.Copy(io.Discard, stdin)
		cancel()
	}()
	go func() {
		<-ctx.Done()
		_ = hs.Close()
	}()
	fmt.Fprintf(stdout, "http://%s\n", ln.Addr())
	if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("-serve-bare: %w", err)
	}
	return nil
}

// bareProcess starts this program again as the bare handler of the
// responses rec holds and returns its URL and a stop function.
func bareProcess(ctx context.Context, rec *bench.Recorder) (string, func(), error) {
	data, err := rec.Export()
	if err != nil {
		return "", nil, err
	}
	dir, err := os.MkdirTemp("", "ersatz-bench-bare-")
	if err != nil {
		return "", nil, err
	}
	file := filepath.Join(dir, "recorded.json")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		_ = os.RemoveAll(dir)
		return "", nil, err
	}
	self, err := os.Executable()
	if err != nil {
		_ = os.RemoveAll(dir)
		return "", nil, err
	}
	cmd := exec.CommandContext(ctx, self, "-serve-bare", file)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		_ = os.RemoveAll(dir)
		return "", nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		_ = os.RemoveAll(dir)
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		_ = os.RemoveAll(dir)
		return "", nil, fmt.Errorf("start the bare handler: %w", err)
	}
	stop := func() {
		_ = stdin.Close()
		_ = cmd.Wait()
		_ = os.RemoveAll(dir)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "http://") {
		stop()
		return "", nil, fmt.Errorf("the bare handler did not start: %q %v", line, err)
	}
	return strings.TrimSpace(line), stop, nil
}
