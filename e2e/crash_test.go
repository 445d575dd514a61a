package e2e_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"
)

// buildErsatz compiles the real binary once per test.
func buildErsatz(t *testing.T) string {
	t.Helper()
	bin, err := builtErsatz()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// ersatzProc is the real binary running as a subprocess.
type ersatzProc struct {
	cmd *exec.Cmd
	url string
}

func startErsatz(t *testing.T, bin string, args ...string) *ersatzProc {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	for i, a := range args[:max(len(args)-1, 0)] {
		if a == "--listen" { // the caller's address wins, as the flag's last value does
			addr = args[i+1]
		}
	}
	cmd := exec.Command(bin, append([]string{"--listen", addr, "--log-level", "warn", "--no-transfer-data-plane"}, args...)...)
	cmd.Env = append(os.Environ(), "ERSATZ_TRANSFER_PORTS=", "ERSATZ_STORE=", "ERSATZ_DATA_DIR=")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &ersatzProc{cmd: cmd, url: "http://" + addr}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(p.url + "/_ersatz/health")
		if err == nil {
			resp.Body.Close()
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("ersatz did not start: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (p *ersatzProc) client() *transfer.Client {
	return transfer.NewFromConfig(aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		BaseEndpoint:     aws.String(p.url),
		RetryMaxAttempts: 1,
	})
}

// TestCrashKeepsAcknowledgedWrites runs the real binary on a sqlite data dir,
// makes creates and updates through the SDK from several goroutines, kills the
// process with SIGKILL mid-stream, restarts it, and checks that every
// acknowledged write is there and whole. ERSATZ_CRASH_CYCLES=N repeats the
// cycle N times on the same data dir (the long run; default 1).
func TestCrashKeepsAcknowledgedWrites(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and kills the real binary")
	}
	cycles := 1
	if v := os.Getenv("ERSATZ_CRASH_CYCLES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("ERSATZ_CRASH_CYCLES=%q is not a positive number", v)
		}
		cycles = n
	}
	bin := buildErsatz(t)
	dir := t.TempDir()
	// acked maps a server id to the tag value of its last acknowledged update.
	acked := map[string]string{}
	for cycle := 0; cycle < cycles; cycle++ {
		p := startErsatz(t, bin, "--store", "sqlite", "--data-dir", dir)
		c := p.client()
		checkAcked(t, c, acked, cycle)

		var mu sync.Mutex
		ctx, cancel := context.WithCancel(t.Context())
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ctx.Err() == nil && i < 10000; i++ {
					out, err := c.CreateServer(ctx, &transfer.CreateServerInput{})
					if err != nil {
						return
					}
					val := fmt.Sprintf("c%d-w%d-%d", cycle, w, i)
					mu.Lock()
					acked[*out.ServerId] = ""
					mu.Unlock()
					_, err = c.TagResource(ctx, &transfer.TagResourceInput{Arn: aws.String("arn:aws:transfer:us-east-1:000000000000:server/" + *out.ServerId), Tags: []types.Tag{{Key: aws.String("v"), Value: aws.String(val)}}})
					if err != nil {
						return
					}
					mu.Lock()
					acked[*out.ServerId] = val
					mu.Unlock()
				}
			}()
		}
		time.Sleep(300 * time.Millisecond)
		if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = p.cmd.Wait()
		cancel()
		wg.Wait()
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n == 0 {
			t.Fatal("no write was acknowledged before the kill")
		}
	}
	p := startErsatz(t, bin, "--store", "sqlite", "--data-dir", dir)
	checkAcked(t, p.client(), acked, cycles)
	t.Logf("%d kill -9 cycles, %d acknowledged servers all present", cycles, len(acked))
}

func checkAcked(t *testing.T, c *transfer.Client, acked map[string]string, cycle int) {
	t.Helper()
	for id, val := range acked {
		out, err := c.DescribeServer(t.Context(), &transfer.DescribeServerInput{ServerId: aws.String(id)})
		var nf *types.ResourceNotFoundException
		if errors.As(err, &nf) {
			t.Fatalf("cycle %d: acknowledged server %s is gone", cycle, id)
		}
		if err != nil {
			t.Fatal(err)
		}
		if val == "" {
			continue
		}
		found := false
		for _, tag := range out.Server.Tags {
			if aws.ToString(tag.Key) == "v" && aws.ToString(tag.Value) == val {
				found = true
			}
		}
		if !found {
			t.Fatalf("cycle %d: acknowledged tag %s of %s is gone (tags %v)", cycle, val, id, out.Server.Tags)
		}
	}
}
