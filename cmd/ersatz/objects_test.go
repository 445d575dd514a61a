package main

import (
	"bytes"
	"net"
	"path/filepath"
	"strings"
	"testing"
)

// The external object store's flags are checked before anything serves:
// an endpoint without keys, keys without an endpoint, an endpoint that is
// no URL or does not answer are errors naming the flag.
func TestS3EndpointFlags(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close() // nothing answers there now
	for _, c := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"endpoint without keys", []string{"--s3-endpoint", closed}, nil, "--s3-endpoint needs --s3-access-key-id"},
		{"keys without endpoint", []string{"--s3-access-key-id", "k"}, nil, "need --s3-endpoint"},
		{"not a URL", []string{"--s3-endpoint", "ftp://x", "--s3-access-key-id", "k", "--s3-secret-access-key", "s"}, nil, "not an http:// or https:// URL"},
		{"nothing answers", []string{"--s3-endpoint", closed, "--s3-access-key-id", "k", "--s3-secret-access-key", "s"}, nil, "does not answer ListBuckets"},
		{"environment twins", nil, map[string]string{"ERSATZ_S3_ENDPOINT": closed, "ERSATZ_S3_ACCESS_KEY_ID": "k",
			"ERSATZ_S3_SECRET_ACCESS_KEY": "s"}, "--s3-endpoint " + closed + " does not answer"},
	} {
		t.Run(c.name, func(t *testing.T) {
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			args := append([]string{"serve", "--store", "memory", "--data-dir", filepath.Join(t.TempDir(), "d"), "--listen", "127.0.0.1:0",
				"--no-transfer-data-plane"}, c.args...)
			var stderr bytes.Buffer
			err := run(t.Context(), args, &bytes.Buffer{}, &stderr)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("serve %q: %v, want an error with %q", c.args, err, c.want)
			}
		})
	}
}
