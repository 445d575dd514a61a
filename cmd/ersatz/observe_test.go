package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestObserveFlags: --metrics and --request-log (and their ERSATZ_*
// twins) turn /metrics on or off and size the request log; a size out of
// range is refused before serving.
func TestObserveFlags(t *testing.T) {
	cases := []struct {
		name        string
		args        []string
		env         map[string]string
		metrics     int
		requestSize int
	}{
		{"defaults", nil, nil, http.StatusOK, 1000},
		{"flags", []string{"--metrics=false", "--request-log", "2"}, nil, http.StatusNotFound, 2},
		{"environment", nil, map[string]string{"ERSATZ_METRICS": "false", "ERSATZ_REQUEST_LOG": "0"}, http.StatusNotFound, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			addr := freePort(t)
			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan error, 1)
			go func() {
				args := append([]string{"--listen", addr, "--store", "memory", "--no-transfer-data-plane"}, c.args...)
				done <- run(ctx, args, io.Discard, &bytes.Buffer{})
			}()
			defer func() {
				cancel()
				select {
				case <-done:
				case <-time.After(30 * time.Second):
					t.Error("serve did not shut down")
				}
			}()
			base := "http://" + addr
			deadline := time.Now().Add(10 * time.Second)
			for {
				resp, err := http.Get(base + "/_ersatz/health")
				if err == nil {
					resp.Body.Close()
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("server did not come up: %v", err)
				}
				time.Sleep(20 * time.Millisecond)
			}
			resp, err := http.Get(base + "/metrics")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != c.metrics {
				t.Errorf("/metrics answered %d, want %d", resp.StatusCode, c.metrics)
			}
			resp, err = http.Get(base + "/_ersatz/requests")
			if err != nil {
				t.Fatal(err)
			}
			var out struct {
				Size int `json:"size"`
			}
			err = json.NewDecoder(resp.Body).Decode(&out)
			resp.Body.Close()
			if err != nil || out.Size != c.requestSize {
				t.Errorf("request log size %d (%v), want %d", out.Size, err, c.requestSize)
			}
		})
	}
	for _, bad := range [][]string{{"--request-log", "-1"}, {"--request-log", "1000001"}} {
		err := run(t.Context(), append([]string{"--store", "memory"}, bad...), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "--request-log") {
			t.Errorf("%v: %v, want a refusal naming --request-log", bad, err)
		}
	}
	t.Setenv("ERSATZ_METRICS", "maybe")
	if err := run(t.Context(), []string{"--store", "memory"}, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "ERSATZ_METRICS") {
		t.Errorf("ERSATZ_METRICS=maybe: %v", err)
	}
}
