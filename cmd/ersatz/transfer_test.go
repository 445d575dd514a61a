package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ersatz-dev/ersatz/internal/dataplane/idp"
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
	cfg, _, err = parseFlags("serve", nil, &errb)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.transfer.identityProviders(); err == nil || !strings.Contains(err.Error(), "ERSATZ_IDENTITY_PROVIDER_TIMEOUT") {
		t.Fatalf("a bad ERSATZ_IDENTITY_PROVIDER_TIMEOUT: %v", err)
	}
}
