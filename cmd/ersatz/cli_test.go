package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/transfer"

	"github.com/ersatz-dev/ersatz/internal/datadir"
)

// syncBuffer is a log a serving goroutine writes while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// serving is `ersatz serve` running in the test's process.
type serving struct {
	url  string
	logs *syncBuffer
	stop func() error
}

// startServe runs the serve command with args (and a free --listen) and
// waits for `ersatz wait` to see it ready; stop ends it.
func startServe(t *testing.T, args ...string) *serving {
	t.Helper()
	addr := freePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	logs := &syncBuffer{}
	go func() {
		done <- run(ctx, append([]string{"--listen", addr, "--no-transfer-data-plane"}, args...), &bytes.Buffer{}, logs)
	}()
	var once sync.Once
	var stopErr error
	s := &serving{url: "http://" + addr, logs: logs, stop: func() error {
		once.Do(func() {
			cancel()
			select {
			case stopErr = <-done:
			case <-time.After(30 * time.Second):
				stopErr = errors.New("serve did not stop")
			}
		})
		return stopErr
	}}
	t.Cleanup(func() { _ = s.stop() })
	var out bytes.Buffer
	if err := run(t.Context(), []string{"wait", "--endpoint", s.url, "--timeout", "20s", "--interval", "20ms"}, &out, &out); err != nil {
		select {
		case serr := <-done:
			t.Fatalf("serve ended: %v\n%s", serr, logs.String())
		default:
		}
		t.Fatalf("wait: %v\n%s", err, logs.String())
	}
	if !strings.Contains(out.String(), "is ready") {
		t.Fatalf("wait printed %q", out.String())
	}
	return s
}

func (s *serving) transfer(accessKey string) *transfer.Client {
	return transfer.NewFromConfig(aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider(accessKey, "secret", ""),
		BaseEndpoint:     aws.String(s.url),
		RetryMaxAttempts: 1,
	})
}

func (s *serving) post(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := http.Post(s.url+path, "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String()
}

// stateCount is how many resources GET /_ersatz/state holds, per service.
func (s *serving) stateCount(t *testing.T) map[string]int {
	t.Helper()
	resp, err := http.Get(s.url + "/_ersatz/state")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var snap struct {
		Resources []struct {
			Service string `json:"service"`
			Parent  string `json:"parent"`
		} `json:"resources"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&snap); err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, r := range snap.Resources {
		n[r.Service]++
	}
	return n
}

func TestHelpListsFlagsAndTwins(t *testing.T) {
	t.Parallel()
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"--help"}, []string{"ersatz wait", "--listen ", "env ERSATZ_LISTEN", "--no-transfer-data-plane", "env ERSATZ_NO_TRANSFER_DATA_PLANE", "--seed", "env ERSATZ_SEED", "--log-level"}},
		{[]string{"serve", "--help"}, []string{"--data-dir", "env ERSATZ_DATA_DIR", "--amplify-job-delay"}},
		{[]string{"coverage", "--help"}, []string{"--markdown", "env ERSATZ_MARKDOWN"}},
		{[]string{"state", "--help"}, []string{"state export", "state import"}},
		{[]string{"state", "export", "--help"}, []string{"--with-secrets", "env ERSATZ_WITH_SECRETS", "--store"}},
		{[]string{"state", "import", "--help"}, []string{"--store", "env ERSATZ_STORE"}},
		{[]string{"health", "--help"}, []string{"--endpoint", "env ERSATZ_ENDPOINT", "--timeout"}},
		{[]string{"wait", "--help"}, []string{"--interval", "env ERSATZ_INTERVAL"}},
		{[]string{"transfer", "endpoints", "--help"}, []string{"--server", "env ERSATZ_SERVER"}},
	}
	for _, c := range cases {
		var out, errb bytes.Buffer
		if err := run(t.Context(), c.args, &out, &errb); err != nil {
			t.Errorf("%v: %v", c.args, err)
			continue
		}
		help := out.String() + errb.String()
		for _, w := range c.want {
			if !strings.Contains(help, w) {
				t.Errorf("%v does not print %q:\n%s", c.args, w, help)
			}
		}
	}
}

// TestBooleanTwinsParse: ERSATZ_NO_TRANSFER_DATA_PLANE=false keeps the data
// plane; a value that is no boolean is an error naming the variable.
func TestBooleanTwinsParse(t *testing.T) {
	cases := []struct {
		value    string
		disabled bool
		err      string
	}{
		{"", false, ""}, {"false", false, ""}, {"0", false, ""}, {"true", true, ""}, {"1", true, ""},
		{"yes please", false, "ERSATZ_NO_TRANSFER_DATA_PLANE"},
	}
	for _, c := range cases {
		t.Run(c.value, func(t *testing.T) {
			t.Setenv("ERSATZ_NO_TRANSFER_DATA_PLANE", c.value)
			cfg, _, err := parseFlags("serve", nil, &bytes.Buffer{})
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want one naming %s", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.transfer.disabled != c.disabled {
				t.Fatalf("disabled = %v, want %v", cfg.transfer.disabled, c.disabled)
			}
			if (cfg.transfer.dataPlane(t.TempDir(), "127.0.0.1:4566") == nil) != c.disabled {
				t.Fatal("the data plane's configuration disagrees with the flag")
			}
		})
	}
	t.Run("command line wins", func(t *testing.T) {
		t.Setenv("ERSATZ_LOG_LEVEL", "debug")
		cfg, _, err := parseFlags("serve", []string{"--log-level", "warn"}, &bytes.Buffer{})
		if err != nil || cfg.logLevel != "warn" {
			t.Fatalf("log level %q, %v", cfg.logLevel, err)
		}
	})
}

func TestErrorsSayWhatToDo(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"bad log level", []string{"--log-level", "verbose"}, []string{"debug, info, warn, error", `"verbose"`}},
		{"port in use", []string{"--store", "memory", "--no-transfer-data-plane", "--listen", busy.Addr().String()}, []string{"in use", "--listen", busy.Addr().String()}},
		{"data dir under a file", []string{"--data-dir", filepath.Join(file, "data")}, []string{filepath.Join(file, "data"), "--data-dir", "not a folder"}},
	}
	if os.Getuid() != 0 { // root writes anywhere
		ro := filepath.Join(t.TempDir(), "ro")
		if err := os.Mkdir(ro, 0o555); err != nil {
			t.Fatal(err)
		}
		cases = append(cases, struct {
			name string
			args []string
			want []string
		}{"unwritable data dir", []string{"--data-dir", filepath.Join(ro, "data")}, []string{filepath.Join(ro, "data"), "write permission", "--data-dir"}})
	}
	for _, c := range cases {
		err := run(t.Context(), append([]string{"serve"}, c.args...), &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil {
			t.Errorf("%s: serve started", c.name)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q does not say %q", c.name, err, w)
			}
		}
	}
}

// TestDataDirLockedByItsProcess: a second Ersatz on a sqlite data dir in use
// is refused with the holder's pid; once the first stops, it starts.
func TestDataDirLockedByItsProcess(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first := startServe(t, "--data-dir", dir)
	err := run(t.Context(), []string{"--listen", freePort(t), "--data-dir", dir, "--no-transfer-data-plane"}, &bytes.Buffer{}, &bytes.Buffer{})
	if !errors.Is(err, datadir.ErrInUse) || !strings.Contains(err.Error(), fmt.Sprintf("pid %d", os.Getpid())) {
		t.Fatalf("second serve on the same data dir: %v", err)
	}
	var out bytes.Buffer
	if err := run(t.Context(), []string{"state", "export", "--data-dir", dir}, &out, &bytes.Buffer{}); !errors.Is(err, datadir.ErrInUse) {
		t.Fatalf("state export of a data dir in use: %v", err)
	}
	if err := first.stop(); err != nil {
		t.Fatal(err)
	}
	second := startServe(t, "--data-dir", dir)
	if err := second.stop(); err != nil {
		t.Fatal(err)
	}
}

func TestWaitAndHealth(t *testing.T) {
	t.Parallel()
	var out, errb bytes.Buffer
	start := time.Now()
	err := run(t.Context(), []string{"wait", "--endpoint", "http://" + freePort(t), "--timeout", "300ms", "--interval", "50ms"}, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "not ready within 300ms") {
		t.Fatalf("wait on nothing: %v", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Fatal("wait did not give up at its timeout")
	}
	if err := run(t.Context(), []string{"health", "--endpoint", "http://" + freePort(t)}, &out, &errb); err == nil {
		t.Fatal("health of nothing succeeded")
	}
	s := startServe(t, "--store", "memory")
	out.Reset()
	if err := run(t.Context(), []string{"health", "--endpoint", s.url}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	var h struct{ Status, Store string }
	if err := json.Unmarshal(out.Bytes(), &h); err != nil || h.Status != "ok" || h.Store != "memory" {
		t.Fatalf("health printed %q (%v)", out.String(), err)
	}
	if got := healthEndpoint("0.0.0.0:4566"); got != "http://127.0.0.1:4566" {
		t.Fatalf("health endpoint of 0.0.0.0:4566 = %s", got)
	}
	if got := healthEndpoint("[::]:4566"); got != "http://127.0.0.1:4566" {
		t.Fatalf("health endpoint of [::]:4566 = %s", got)
	}
}

func httpGet(u string) ([]byte, error) {
	resp, err := http.Get(u)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, err = b.ReadFrom(resp.Body)
	return b.Bytes(), err
}
