package e2e_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/pkg/sftp"
)

// startLimitedErsatz runs the real binary with at most nofile open files
// (prlimit sets the soft and the hard limit, so Go cannot raise it) and
// the data plane on a free block of ports.
func startLimitedErsatz(t *testing.T, bin string, nofile int, args ...string) *dpEnv {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	base := freePortBlock(t, 40)
	ports, passive := portRange(base, base+19), portRange(base+20, base+39)
	limit := "--nofile=" + strconv.Itoa(nofile) + ":" + strconv.Itoa(nofile)
	cmd := exec.Command("prlimit", append([]string{limit, "--", bin, "--listen", addr, "--store", "memory",
		"--data-dir", t.TempDir(), "--log-level", "warn", "--transfer-ports", ports, "--transfer-passive-ports", passive}, args...)...)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("ersatz output:\n%s", out.String())
		}
	})
	env := &dpEnv{URL: "http://" + addr, Ports: ports, Passive: passive}
	env.TC = transfer.NewFromConfig(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(env.URL), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(acctA, "secret", "")})
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(env.URL + "/_ersatz/health")
		if err == nil {
			resp.Body.Close()
			return env
		}
		if time.Now().After(deadline) {
			t.Fatalf("ersatz did not start: %v\n%s", err, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestDataplaneFloods runs Ersatz with 512 open files at most and floods
// one server's SFTP listener: one logged-in user opening 20,000 files, then
// 3,000 connections that never log in, then (with the caps removed and 256
// files) a flood that exhausts the process's files. After each, a normal
// login works, and while Accept fails the endpoint listing says so.
func TestDataplaneFloods(t *testing.T) {
	needTool(t, "prlimit", "sftp", "ssh-keygen")
	t.Parallel()
	bin := buildErsatz(t)

	t.Run("handles", func(t *testing.T) {
		env := startLimitedErsatz(t, bin, 512)
		addr, key := keyUser(t, env, "flo")
		if out, err := sftpBatch(t, addr, key, "flo", "put /etc/hostname f.txt\n"); err != nil {
			t.Fatalf("sftp put: %v %s", err, out)
		}
		conn, err := goSSH(t, addr, "flo", key)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		c, err := sftp.NewClient(conn)
		if err != nil {
			t.Fatal(err)
		}
		opened, refused, took := floodHandles(c, "f.txt", 20000)
		t.Logf("handle flood: 20000 opens in %s: %d opened, %d refused", took.Round(time.Millisecond), len(opened), refused)
		start := time.Now()
		if out, err := sftpBatch(t, addr, key, "flo", "ls\n"); err != nil || !strings.Contains(out, "f.txt") {
			t.Fatalf("normal login during the flood: %v %s", err, out)
		}
		t.Logf("normal login during the handle flood: %s", time.Since(start).Round(time.Millisecond))
		if len(opened) != 256 {
			t.Fatalf("opened %d files on one connection, want the default cap 256", len(opened))
		}
	})

	t.Run("unauthenticated", func(t *testing.T) {
		env := startLimitedErsatz(t, bin, 512)
		addr, key := keyUser(t, env, "una")
		const n = 3000
		start := time.Now()
		conns, closed := openIdleConns(t, addr, n)
		t.Logf("unauthenticated flood: %d connections in %s, %d closed by the server at once", len(conns), time.Since(start).Round(time.Millisecond), closed)
		if len(conns) != n || closed < n-64 {
			t.Fatalf("%d of %d connections opened, %d closed by the server (cap 64 not logged in)", len(conns), n, closed)
		}
		for _, c := range conns {
			_ = c.Close()
		}
		start = time.Now()
		loginSoon(t, addr, key, "una")
		t.Logf("normal login after the unauthenticated flood: %s", time.Since(start).Round(time.Millisecond))
	})

	t.Run("descriptors", func(t *testing.T) {
		env := startLimitedErsatz(t, bin, 256, "--transfer-max-connections", "0", "--transfer-max-unauthenticated", "0")
		addr, key := keyUser(t, env, "dee")
		// One kept-alive connection to read the listing while no new one
		// can be accepted.
		hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
		listing := func() string {
			resp, err := hc.Get(env.URL + "/_ersatz/transfer/servers")
			if err != nil {
				t.Fatalf("listing: %v", err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return string(b)
		}
		if l := listing(); !strings.Contains(l, `"listening": true`) {
			t.Fatalf("before the flood: %s", l)
		}
		conns, _ := openIdleConns(t, addr, 600)
		var during string
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			if during = listing(); strings.Contains(during, "too many open files") {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if !strings.Contains(during, `"listening": false`) || !strings.Contains(during, "SFTP: accept failing since") ||
			!strings.Contains(during, "too many open files") {
			t.Fatalf("listing while Accept fails: %s", during)
		}
		for _, c := range conns {
			_ = c.Close()
		}
		start := time.Now()
		loginSoon(t, addr, key, "dee")
		t.Logf("normal login after the descriptors ran out: %s", time.Since(start).Round(time.Millisecond))
		if l := listing(); !strings.Contains(l, `"listening": true`) || strings.Contains(l, "accept failing") {
			t.Fatalf("after the flood: %s", l)
		}
	})
}

// openIdleConns opens n TCP connections that send nothing; it returns them
// and how many the server closed within a second without a word.
func openIdleConns(t *testing.T, addr string, n int) ([]net.Conn, int) {
	t.Helper()
	var conns []net.Conn
	for range n {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatalf("connection %d: %v", len(conns)+1, err)
		}
		conns = append(conns, c)
	}
	var closed int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = c.SetReadDeadline(time.Now().Add(time.Second))
			b := make([]byte, 64)
			if k, err := c.Read(b); k == 0 && err == io.EOF {
				mu.Lock()
				closed++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return conns, closed
}

// loginSoon logs in with OpenSSH's sftp, allowing the server 10 s to see
// the flood's connections close.
func loginSoon(t *testing.T, addr, key, user string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, err := sftpBatch(t, addr, key, user, "pwd\n")
		if err == nil && strings.Contains(out, "/bucket/home/"+user) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(fmt.Errorf("normal login after the flood: %v %s", err, out))
		}
		time.Sleep(200 * time.Millisecond)
	}
}
