package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ersatz-dev/ersatz/internal/auth"
	"github.com/ersatz-dev/ersatz/internal/dataplane"
	"github.com/ersatz-dev/ersatz/internal/dataplane/idp"
	"github.com/ersatz-dev/ersatz/internal/server"
	"github.com/ersatz-dev/ersatz/internal/store/memory"
)

func TestTransferEndpoints(t *testing.T) {
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/_ersatz/transfer/servers" {
			http.NotFound(w, r)
			return
		}
		if id := r.URL.Query().Get("serverId"); id != "" && id != "s-0123456789abcdef0" {
			_, _ = w.Write([]byte(`{"servers":[]}`))
			return
		}
		_, _ = w.Write([]byte(`{"servers":[{"serverId":"s-0123456789abcdef0","account":"111111111111","region":"us-east-1",
		  "state":"ONLINE","protocols":["SFTP","FTPS"],"listening":true,
		  "endpoints":{"SFTP":"127.0.0.1:2200","FTPS":"127.0.0.1:2201"},"hostKeyFingerprint":"SHA256:abc"},
		  {"serverId":"s-00000000000000000","account":"111111111111","region":"eu-west-1","state":"OFFLINE",
		  "protocols":["SFTP"],"listening":false,"endpoints":{},"hostKeyFingerprint":"SHA256:def"}]}`))
	}))
	defer hs.Close()
	tests := []struct {
		args []string
		want []string
		not  []string
	}{
		{[]string{"transfer", "endpoints", "--endpoint", hs.URL}, []string{
			"s-0123456789abcdef0  111111111111  us-east-1  ONLINE   FTPS      127.0.0.1:2201",
			"SFTP      127.0.0.1:2200  true       SHA256:abc",
			"s-00000000000000000  111111111111  eu-west-1  OFFLINE  -",
		}, nil},
		{[]string{"transfer", "endpoints", "--endpoint", hs.URL, "--server", "s-nope"}, []string{"SERVER"}, []string{"s-0123"}},
		{[]string{"transfer", "endpoints", "--endpoint", hs.URL, "--json"}, []string{`"hostKeyFingerprint":"SHA256:abc"`}, nil},
	}
	for _, tc := range tests {
		var out, errb bytes.Buffer
		if err := run(context.Background(), tc.args, &out, &errb); err != nil {
			t.Fatalf("%v: %v (%s)", tc.args, err, errb.String())
		}
		for _, w := range tc.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%v: output lacks %q:\n%s", tc.args, w, out.String())
			}
		}
		for _, n := range tc.not {
			if strings.Contains(out.String(), n) {
				t.Errorf("%v: output has %q:\n%s", tc.args, n, out.String())
			}
		}
	}
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"transfer", "endpoints", "--endpoint", hs.URL + "/nothing"}, &out, &errb); err == nil {
		t.Fatal("a 404 did not fail")
	}
	if err := run(context.Background(), []string{"transfer", "bogus"}, &out, &errb); err == nil {
		t.Fatal("an unknown subcommand did not fail")
	}
}

func TestTransferFlags(t *testing.T) {
	var errb bytes.Buffer
	cfg, _, err := parseFlags("serve", []string{"--transfer-ports", "3000-3010", "--transfer-passive-ports", "3100-3199",
		"--directory", "dir.json", "--listen", "0.0.0.0:4566"}, &errb)
	if err != nil {
		t.Fatal(err)
	}
	dp := cfg.transfer.dataPlane("/data", cfg.listen)
	if dp == nil || dp.Ports != "3000-3010" || dp.PassivePorts != "3100-3199" || dp.DirectoryFile != "dir.json" || dp.Host != "0.0.0.0" || dp.DataDir != "/data" {
		t.Fatalf("data plane config %+v", dp)
	}
	cfg, _, err = parseFlags("serve", []string{"--no-transfer-data-plane"}, &errb)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.transfer.dataPlane("/data", cfg.listen) != nil {
		t.Fatal("--no-transfer-data-plane still configures the data plane")
	}
}

// TestTransferLimitFlags: the caps and timeouts, their environment twins,
// their defaults, and 0 as "none".
func TestTransferLimitFlags(t *testing.T) {
	var errb bytes.Buffer
	cfg, _, err := parseFlags("serve", nil, &errb)
	if err != nil {
		t.Fatal(err)
	}
	dp := cfg.transfer.dataPlane("/data", cfg.listen)
	if dp.MaxConnections != dataplane.DefaultMaxConnections || dp.MaxUnauthenticated != dataplane.DefaultMaxUnauthenticated ||
		dp.MaxHandles != dataplane.DefaultMaxHandles || dp.IdleTimeout != dataplane.DefaultIdleTimeout ||
		dp.UnresponsiveTimeout != dataplane.DefaultUnresponsiveTimeout || dp.LoginBackoff != dataplane.DefaultLoginBackoff {
		t.Fatalf("defaults: %+v", dp)
	}
	t.Setenv("ERSATZ_TRANSFER_MAX_HANDLES", "7")
	t.Setenv("ERSATZ_TRANSFER_IDLE_TIMEOUT", "90s")
	cfg, _, err = parseFlags("serve", []string{"--transfer-max-connections", "5", "--transfer-max-unauthenticated", "0",
		"--transfer-unresponsive-timeout", "0", "--transfer-login-backoff", "250ms"}, &errb)
	if err != nil {
		t.Fatal(err)
	}
	dp = cfg.transfer.dataPlane("/data", cfg.listen)
	if dp.MaxConnections != 5 || dp.MaxUnauthenticated >= 0 || dp.MaxHandles != 7 || dp.IdleTimeout != 90*time.Second ||
		dp.UnresponsiveTimeout >= 0 || dp.LoginBackoff != 250*time.Millisecond {
		t.Fatalf("flags and environment: %+v", dp)
	}
	for name, v := range map[string]string{"ERSATZ_TRANSFER_MAX_CONNECTIONS": "many", "ERSATZ_TRANSFER_LOGIN_BACKOFF": "soon"} {
		t.Run(name, func(t *testing.T) {
			t.Setenv(name, v)
			if _, _, err := parseFlags("serve", nil, &errb); err == nil || !strings.Contains(err.Error(), name) {
				t.Fatalf("%s=%s: %v", name, v, err)
			}
		})
	}
}

// TestTransferEndpointsSignsForAdmin: under --auth sigv4 the command is
// refused unsigned and served when AWS_ACCESS_KEY_ID names an admin key.
func TestTransferEndpointsSignsForAdmin(t *testing.T) {
	creds, err := auth.New(auth.Credential{AccessKeyID: "AKIDOPS", SecretAccessKey: "ops-secret", Admin: true})
	if err != nil {
		t.Fatal(err)
	}
	srv := server.New(server.Config{Store: memory.New(), Auth: auth.NewSigV4(creds, server.Services(nil)),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), DataPlane: &dataplane.Config{DataDir: t.TempDir(), Ports: "1-1", PassivePorts: "2-2"}})
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	err = run(context.Background(), []string{"transfer", "endpoints", "--endpoint", hs.URL}, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "403") || !strings.Contains(err.Error(), "Missing Authentication Token") {
		t.Fatalf("unsigned: %v", err)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDOPS")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "ops-secret")
	var out bytes.Buffer
	if err := run(context.Background(), []string{"transfer", "endpoints", "--endpoint", hs.URL}, &out, &bytes.Buffer{}); err != nil {
		t.Fatalf("signed as admin: %v", err)
	}
	if !strings.Contains(out.String(), "SERVER") {
		t.Fatalf("output: %s", out.String())
	}
}

func TestIdentityProviderFlags(t *testing.T) {
	var errb bytes.Buffer
	cfg, _, err := parseFlags("serve", []string{"--lambda-endpoint", "http://127.0.0.1:9001/", "--identity-provider-timeout", "2s"}, &errb)
	if err != nil {
		t.Fatal(err)
	}
	c, err := cfg.transfer.identityProviders()
	if err != nil {
		t.Fatal(err)
	}
	if c.LambdaEndpoint() != "http://127.0.0.1:9001" || c.Timeout() != 2*time.Second {
		t.Fatalf("client endpoint %q timeout %s", c.LambdaEndpoint(), c.Timeout())
	}
	cfg, _, err = parseFlags("serve", nil, &errb)
	if err != nil {
		t.Fatal(err)
	}
	if c, err = cfg.transfer.identityProviders(); err != nil || c.LambdaEndpoint() != "" || c.Timeout() != idp.DefaultTimeout {
		t.Fatalf("defaults: %v %+v", err, c)
	}
	for _, args := range [][]string{
		{"--lambda-endpoint", "ftp://127.0.0.1:9001"},
		{"--lambda-endpoint", "127.0.0.1:9001"},
		{"--identity-provider-timeout", "0s"},
	} {
		cfg, _, err := parseFlags("serve", args, &errb)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cfg.transfer.identityProviders(); err == nil {
			t.Errorf("%v: accepted", args)
		}
	}
	t.Setenv("ERSATZ_LAMBDA_ENDPOINT", "http://localhost:3001")
	t.Setenv("ERSATZ_IDENTITY_PROVIDER_TIMEOUT", "750ms")
	cfg, _, err = parseFlags("serve", nil, &errb)
	if err != nil {
		t.Fatal(err)
	}
	if c, err = cfg.transfer.identityProviders(); err != nil || c.LambdaEndpoint() != "http://localhost:3001" || c.Timeout() != 750*time.Millisecond {
		t.Fatalf("environment: %v %+v", err, c)
	}
	t.Setenv("ERSATZ_IDENTITY_PROVIDER_TIMEOUT", "soon")
	if _, _, err = parseFlags("serve", nil, &errb); err == nil || !strings.Contains(err.Error(), "ERSATZ_IDENTITY_PROVIDER_TIMEOUT") {
		t.Fatalf("a bad ERSATZ_IDENTITY_PROVIDER_TIMEOUT: %v", err)
	}
}
