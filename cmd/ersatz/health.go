package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

const healthUsage = `Usage:
  ersatz health [--endpoint URL] [--timeout D]
  ersatz wait   [--endpoint URL] [--timeout D]

health asks a running Ersatz for GET /_ersatz/health once, prints the answer
and exits 0 when it says "ok" (1 otherwise): a container's health check.
wait asks again every --interval until the answer is "ok" or --timeout has
passed (exit 1): a CI job's readiness step.
`

// healthEndpoint is the URL a client on this machine reaches an Ersatz
// listening on listen at: an unspecified host (0.0.0.0, [::], none) is
// reached on the loopback address.
func healthEndpoint(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "http://" + listen
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// healthCommand runs "ersatz health" (once) and "ersatz wait" (until ready).
func healthCommand(ctx context.Context, args []string, stdout, stderr io.Writer, wait bool) error {
	name, timeout := "health", 5*time.Second
	if wait {
		name, timeout = "wait", 30*time.Second
	}
	fs := helpUsage(flag.NewFlagSet(name, flag.ContinueOnError), stderr, healthUsage)
	endpoint := fs.String("endpoint", healthEndpoint(env("ERSATZ_LISTEN", "127.0.0.1:4566")),
		"URL of the running Ersatz (default: the one --listen/ERSATZ_LISTEN would serve)")
	fs.DurationVar(&timeout, "timeout", timeout, "give up after this long")
	interval := fs.Duration("interval", 100*time.Millisecond, "time between two attempts of wait")
	if err := parseWithEnv(fs, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s takes no arguments, got %q", name, fs.Args())
	}
	if timeout <= 0 || *interval <= 0 {
		return fmt.Errorf("--timeout and --interval must be positive durations")
	}
	u := strings.TrimRight(*endpoint, "/") + "/_ersatz/health"
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	for {
		body, err := probe(ctx, u)
		if err == nil {
			if wait {
				_, err = fmt.Fprintf(stdout, "ersatz at %s is ready (%s)\n", *endpoint, time.Since(start).Round(time.Millisecond))
			} else {
				_, err = stdout.Write(body)
			}
			return err
		}
		if !wait {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("ersatz at %s was not ready within %s: %w (is it running? a longer --timeout?)", *endpoint, timeout, err)
		case <-time.After(*interval):
		}
	}
}

// probe asks u once; it is healthy when it answers 200 with status "ok".
func probe(ctx context.Context, u string) ([]byte, error) {
	actx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("health %s: %w", u, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("health %s: %w", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("health %s: %w", u, err)
	}
	var h struct {
		Status string `json:"status"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &h) != nil || h.Status != "ok" {
		return nil, fmt.Errorf("health %s answered %s: %.200s", u, resp.Status, strings.TrimSpace(string(body)))
	}
	return body, nil
}
