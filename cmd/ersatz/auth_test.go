package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

func TestAuthFlagsFailAtStartUp(t *testing.T) {
	dir := t.TempDir()
	malformed := filepath.Join(dir, "malformed.json")
	if err := os.WriteFile(malformed, []byte(`{"credentials": [{"accessKeyId": "a"`), 0o600); err != nil {
		t.Fatal(err)
	}
	duplicate := filepath.Join(dir, "duplicate.json")
	if err := os.WriteFile(duplicate, []byte(`{"credentials": [{"accessKeyId": "a", "secretAccessKey": "s"}, {"accessKeyId": "a", "secretAccessKey": "t"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.json")
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"sigv4 without credentials", []string{"--auth", "sigv4"}, []string{"--auth sigv4 needs --credentials FILE"}},
		{"malformed file", []string{"--auth", "sigv4", "--credentials", malformed}, []string{"--credentials: credentials file " + malformed, "not a JSON object"}},
		{"duplicate key", []string{"--auth", "sigv4", "--credentials", duplicate}, []string{duplicate, `duplicate accessKeyId "a"`}},
		{"missing file", []string{"--auth", "sigv4", "--credentials", missing}, []string{missing, "no such file"}},
		{"malformed file with auth off", []string{"--credentials", malformed}, []string{malformed, "not a JSON object"}},
		{"unknown auth", []string{"--auth", "basic"}, []string{`--auth must be off or sigv4, not "basic"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			args := append([]string{"serve", "--listen", "127.0.0.1:0", "--store", "memory", "--data-dir", t.TempDir()}, tc.args...)
			err := run(ctx, args, io.Discard, io.Discard)
			if err == nil {
				t.Fatal("started")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Fatalf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

// TestServeWithSigV4 starts the real serve command with --auth sigv4 and
// checks a signed request passes and a badly signed one is refused.
func TestServeWithSigV4(t *testing.T) {
	creds := filepath.Join(t.TempDir(), "creds.json")
	if err := os.WriteFile(creds, []byte(`{"credentials": [{"accessKeyId": "AKIDSERVE", "secretAccessKey": "right", "accountId": "123456789012"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freePort(t)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	var logs bytes.Buffer
	go func() {
		done <- run(ctx, []string{"--listen", addr, "--store", "memory", "--auth", "sigv4", "--credentials", creds}, io.Discard, &logs)
	}()
	call := func(secret string) *http.Response {
		req, _ := http.NewRequest("POST", "http://"+addr+"/", strings.NewReader(`{}`))
		req.Header.Set("X-Amz-Target", "TransferService.ListServers")
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		sum := sha256.Sum256([]byte(`{}`))
		if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: "AKIDSERVE", SecretAccessKey: secret},
			req, hex.EncodeToString(sum[:]), "transfer", "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil
		}
		resp.Body.Close()
		return resp
	}
	deadline := time.Now().Add(10 * time.Second)
	var resp *http.Response
	for resp = call("right"); resp == nil; resp = call("right") {
		if time.Now().After(deadline) {
			t.Fatalf("server did not come up:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("a signed request answered %d", resp.StatusCode)
	}
	if resp = call("wrong"); resp == nil || resp.StatusCode != 400 || resp.Header.Get("X-Amzn-ErrorType") != "InvalidSignatureException" {
		t.Fatalf("a badly signed request answered %+v", resp)
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
}
