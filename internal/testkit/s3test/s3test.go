// Package s3test gives tests a real S3 server that is not Ersatz: the one
// ERSATZ_TEST_S3_ENDPOINT names, or else a versitygw of their own. It
// imports nothing of Ersatz, so the object store's own tests can use it.
package s3test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Variables naming an S3 server the tests share instead of starting one.
const (
	EndpointEnv  = "ERSATZ_TEST_S3_ENDPOINT"
	AccessKeyEnv = "ERSATZ_TEST_S3_ACCESS_KEY"
	SecretKeyEnv = "ERSATZ_TEST_S3_SECRET_KEY"
)

// Version is the versitygw the tests and CI install.
const Version = "v1.8.0"

// InstallHint is how to get versitygw.
const InstallHint = "go install github.com/versity/versitygw/cmd/versitygw@" + Version

// Server is an S3 endpoint with its credentials.
type Server struct {
	URL             string
	AccessKeyID     string
	SecretAccessKey string
	Region          string
	// Shared tells an endpoint of ERSATZ_TEST_S3_ENDPOINT, which other
	// tests use too: a test must pick bucket names no other test picks.
	Shared bool
}

// Binary is the path of versitygw: on PATH, else in $(go env GOPATH)/bin;
// "" when neither has it.
var Binary = sync.OnceValue(func() string {
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p
	}
	out, err := exec.Command("go", "env", "GOPATH").Output()
	if err != nil {
		return ""
	}
	for _, dir := range filepath.SplitList(strings.TrimSpace(string(out))) {
		p := filepath.Join(dir, "bin", "versitygw")
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
})

// Missing says why versitygw cannot be started ("" when it can).
func Missing() string {
	if Binary() != "" {
		return ""
	}
	return "not installed: " + InstallHint
}

// Start returns the S3 server of ERSATZ_TEST_S3_ENDPOINT (with _ACCESS_KEY
// and _SECRET_KEY), or else starts versitygw over a folder of the test on a
// free loopback port until the test ends; it skips the test when neither
// can be had.
func Start(tb testing.TB) *Server {
	tb.Helper()
	if url := os.Getenv(EndpointEnv); url != "" {
		return &Server{URL: strings.TrimRight(url, "/"), AccessKeyID: os.Getenv(AccessKeyEnv), SecretAccessKey: os.Getenv(SecretKeyEnv),
			Region: "us-east-1", Shared: true}
	}
	return StartOwn(tb)
}

// StartOwn starts versitygw over a folder of the test on a free loopback
// port until the test ends, for tests that need a server no other test
// uses (their bucket names are fixed, ListBuckets must see theirs only);
// it skips the test when versitygw is not installed.
func StartOwn(tb testing.TB) *Server {
	tb.Helper()
	return StartOwnIn(tb, "us-east-1")
}

// StartOwnIn is StartOwn with versitygw serving region.
func StartOwnIn(tb testing.TB, region string) *Server {
	tb.Helper()
	bin := Binary()
	if bin == "" {
		tb.Skip("versitygw, the S3 server of the external object store's tests, is not installed: " + InstallHint)
	}
	dir := tb.TempDir()
	s, stop, err := Launch(dir, region)
	if err != nil {
		tb.Fatalf("versitygw: %v", err)
	}
	tb.Cleanup(stop)
	return s
}

// Launch starts versitygw over a new folder under dir on a free loopback
// port, for programs outside tests (benchmarks); stop ends it. versitygw
// is killed too when the calling process dies (on Linux).
func Launch(dir, region string) (s *Server, stop func(), err error) {
	bin := Binary()
	if bin == "" {
		return nil, nil, fmt.Errorf("versitygw is not installed: %s", InstallHint)
	}
	for i := range 3 { // a free port may be taken before versitygw binds it
		sub := filepath.Join(dir, fmt.Sprintf("versitygw-%d", i))
		if err = os.MkdirAll(sub, 0o755); err != nil {
			return nil, nil, fmt.Errorf("versitygw folder: %w", err)
		}
		if s, stop, err = startVersity(bin, sub, region); err == nil {
			return s, stop, nil
		}
	}
	return nil, nil, err
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// xattrs tells whether dir's filesystem keeps user extended attributes,
// where versitygw's posix backend keeps an object's metadata.
func xattrs(dir string) bool {
	err := unix.Setxattr(dir, "user.ersatz.probe", []byte("1"), 0)
	_ = unix.Removexattr(dir, "user.ersatz.probe")
	return err == nil
}

func startVersity(bin, dir, region string) (*Server, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	root := filepath.Join(dir, "root")
	if err := os.Mkdir(root, 0o755); err != nil {
		return nil, nil, err
	}
	s := &Server{URL: "http://" + addr, AccessKeyID: "ersatz-test-" + randomHex(4), SecretAccessKey: randomHex(16), Region: region}
	args := []string{"--access", s.AccessKeyID, "--secret", s.SecretAccessKey, "--region", region, "--port", addr, "--quiet", "posix"}
	if !xattrs(root) {
		// No user xattrs here (tmpfs of old kernels, some overlays):
		// versitygw keeps metadata in a folder of its own.
		sidecar := filepath.Join(dir, "sidecar")
		if err := os.Mkdir(sidecar, 0o755); err != nil {
			return nil, nil, err
		}
		args = append(args, "--sidecar", sidecar)
	}
	args = append(args, root)
	cmd := exec.Command(bin, args...)
	logFile, err := os.Create(filepath.Join(dir, "versitygw.log"))
	if err != nil {
		return nil, nil, err
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, nil, fmt.Errorf("start %s: %w", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		_ = cmd.Process.Kill()
		<-exited
		logFile.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	probe := &http.Client{Timeout: 2 * time.Second}
	for {
		select {
		case err := <-exited:
			exited <- err
			logFile.Close()
			log, _ := os.ReadFile(logFile.Name())
			return nil, nil, fmt.Errorf("versitygw exited (%v):\n%s", err, log)
		case <-ctx.Done():
			stop()
			return nil, nil, fmt.Errorf("versitygw did not answer on %s within 15s", addr)
		case <-time.After(50 * time.Millisecond):
		}
		// Any HTTP answer (403 to an unsigned request) means it serves.
		if resp, err := probe.Get(s.URL + "/"); err == nil {
			resp.Body.Close()
			return s, stop, nil
		}
	}
}
