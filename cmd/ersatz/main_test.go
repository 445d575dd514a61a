package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ersatz-dev/ersatz/internal/service/amplifybackend"
)

func TestVersionAndHelp(t *testing.T) {
	var out, errb bytes.Buffer
	if err := run(t.Context(), []string{"version"}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "ersatz ") {
		t.Fatalf("version printed %q", out.String())
	}
	out.Reset()
	if err := run(t.Context(), []string{"--help"}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"coverage", "state export", "version"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("--help does not mention %q", want)
		}
	}
	errb.Reset()
	if err := run(t.Context(), []string{"serve", "--help"}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	for _, flag := range []string{"-listen", "-data-dir", "-store", "-auth", "-credentials", "-region", "-log-level"} {
		if !strings.Contains(errb.String(), flag) {
			t.Errorf("serve --help does not list %s", flag)
		}
	}
	if err := run(t.Context(), []string{"frobnicate"}, &out, &errb); err == nil {
		t.Fatal("an unknown command succeeded")
	}
}

// TestCoverageDocIsCurrent fails when docs/coverage.md differs from what the
// dispatch tables say: run `go run ./cmd/ersatz coverage --markdown > docs/coverage.md`.
func TestCoverageDocIsCurrent(t *testing.T) {
	var out bytes.Buffer
	if err := run(t.Context(), []string{"coverage", "--markdown"}, &out, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	committed, err := os.ReadFile("../../docs/coverage.md")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(committed, out.Bytes()) {
		t.Fatal("docs/coverage.md is stale: run go run ./cmd/ersatz coverage --markdown > docs/coverage.md")
	}
	if !strings.Contains(out.String(), "| UpdateAccess |") || strings.Count(out.String(), "\n| ") < 137 {
		t.Fatalf("coverage table is missing operations:\n%s", out.String())
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// TestServeHealthResetShutdown starts the real serve command on the memory
// and sqlite stores, checks the admin endpoints, and shuts it down gracefully.
func TestServeHealthResetShutdown(t *testing.T) {
	for _, kind := range []string{"memory", "sqlite"} {
		t.Run(kind, func(t *testing.T) {
			addr := freePort(t)
			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan error, 1)
			var logs bytes.Buffer
			go func() {
				done <- run(ctx, []string{"--listen", addr, "--store", kind, "--data-dir", t.TempDir()}, &bytes.Buffer{}, &logs)
			}()
			var health struct {
				Status   string `json:"status"`
				Version  string `json:"version"`
				Store    string `json:"store"`
				Services map[string]struct {
					Operations  int `json:"operations"`
					Implemented int `json:"implemented"`
				} `json:"services"`
			}
			deadline := time.Now().Add(10 * time.Second)
			for {
				resp, err := http.Get("http://" + addr + "/_ersatz/health")
				if err == nil {
					err = json.NewDecoder(resp.Body).Decode(&health)
					resp.Body.Close()
					if err != nil {
						t.Fatal(err)
					}
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("server did not come up: %v\n%s", err, logs.String())
				}
				time.Sleep(20 * time.Millisecond)
			}
			if health.Status != "ok" || health.Store != kind || health.Services["transfer"].Operations != 71 ||
				health.Services["amplifybackend"].Operations != 31 || health.Services["qapps"].Operations != 35 {
				t.Fatalf("health = %+v", health)
			}
			resp, err := http.Post("http://"+addr+"/_ersatz/reset", "application/json", nil)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("reset answered %d", resp.StatusCode)
			}
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("serve returned %v", err)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("serve did not shut down")
			}
			if !strings.Contains(logs.String(), "AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test aws --region us-east-1 --endpoint-url http://"+addr+" transfer list-servers") {
				t.Fatalf("start-up log lacks the example command:\n%s", logs.String())
			}
		})
	}
}

// TestAmplifyJobDelayFlag: --amplify-job-delay takes a duration (0 is
// zero, not the default) or a MIN~MAX range, as does its environment twin.
func TestAmplifyJobDelayFlag(t *testing.T) {
	tests := []struct {
		args    []string
		env     string
		want    amplifybackend.JobDelay
		wantErr bool
	}{
		{nil, "", amplifybackend.JobDelay{Min: 100 * time.Millisecond, Max: 100 * time.Millisecond}, false},
		{[]string{"--amplify-job-delay", "0"}, "", amplifybackend.JobDelay{}, false},
		{[]string{"--amplify-job-delay", "2s~5s"}, "", amplifybackend.JobDelay{Min: 2 * time.Second, Max: 5 * time.Second}, false},
		{nil, "1s~3s", amplifybackend.JobDelay{Min: time.Second, Max: 3 * time.Second}, false},
		{nil, "0", amplifybackend.JobDelay{}, false},
		{[]string{"--amplify-job-delay", "250ms"}, "1s~3s", amplifybackend.JobDelay{Min: 250 * time.Millisecond, Max: 250 * time.Millisecond}, false},
		{[]string{"--amplify-job-delay", "5s~2s"}, "", amplifybackend.JobDelay{}, true},
		{[]string{"--amplify-job-delay", "-1s"}, "", amplifybackend.JobDelay{}, true},
		{nil, "soon", amplifybackend.JobDelay{}, true},
	}
	for _, tt := range tests {
		t.Setenv("ERSATZ_AMPLIFY_JOB_DELAY", tt.env)
		cfg, _, err := parseFlags("serve", tt.args, io.Discard)
		if (err != nil) != tt.wantErr {
			t.Fatalf("%v with ERSATZ_AMPLIFY_JOB_DELAY=%q: error %v, want error %v", tt.args, tt.env, err, tt.wantErr)
		}
		if err == nil && cfg.jobDelay != tt.want {
			t.Fatalf("%v with ERSATZ_AMPLIFY_JOB_DELAY=%q: %+v, want %+v", tt.args, tt.env, cfg.jobDelay, tt.want)
		}
	}
}
