package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/transfer"
)

// TestResetEmptiesFilesAndScopes: POST /_ersatz/reset?account=&service=
// deletes only that account's or service's resources and keeps the files;
// a reset of every account's Transfer state empties the files too.
func TestResetEmptiesFilesAndScopes(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{"memory", "sqlite"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			testResetEmptiesFilesAndScopes(t, kind)
		})
	}
}

func testResetEmptiesFilesAndScopes(t *testing.T, kind string) {
	dir := t.TempDir()
	s := startServe(t, "--store", kind, "--data-dir", dir)
	upload := filepath.Join(dir, "files", "s3", "bucket", "alice", "hello.txt")
	if err := os.MkdirAll(filepath.Dir(upload), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(upload, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	a, b := s.transfer("111111111111"), s.transfer("222222222222")
	for _, c := range []*transfer.Client{a, b, b} {
		if _, err := c.CreateServer(t.Context(), &transfer.CreateServerInput{}); err != nil {
			t.Fatal(err)
		}
	}
	count := func(c *transfer.Client) int {
		t.Helper()
		out, err := c.ListServers(t.Context(), &transfer.ListServersInput{})
		if err != nil {
			t.Fatal(err)
		}
		return len(out.Servers)
	}
	for _, bad := range []string{"?account=12", "?service=s3"} {
		if status, body := s.post(t, "/_ersatz/reset"+bad); status != 400 || !strings.Contains(body, strings.SplitN(bad[1:], "=", 2)[0]) {
			t.Fatalf("reset%s answered %d %s", bad, status, body)
		}
	}
	if status, body := s.post(t, "/_ersatz/reset?account=222222222222&service=transfer"); status != 200 || !strings.Contains(body, `"resources": 2`) {
		t.Fatalf("scoped reset answered %d %s", status, body)
	}
	if count(a) != 1 || count(b) != 0 {
		t.Fatalf("after resetting account 222222222222: %d and %d servers", count(a), count(b))
	}
	if _, err := os.Stat(upload); err != nil {
		t.Fatalf("a reset of one account removed the shared files: %v", err)
	}
	if status, _ := s.post(t, "/_ersatz/reset?service=qapps"); status != 200 || count(a) != 1 {
		t.Fatal("a reset of Q Apps touched Transfer")
	}
	if _, err := os.Stat(upload); err != nil {
		t.Fatalf("a reset of Q Apps removed Transfer's files: %v", err)
	}
	if status, body := s.post(t, "/_ersatz/reset"); status != 200 {
		t.Fatalf("reset answered %d %s", status, body)
	}
	if count(a) != 0 {
		t.Fatal("reset left a server")
	}
	if _, err := os.Stat(filepath.Join(dir, "files", "s3", "bucket")); !os.IsNotExist(err) {
		t.Fatalf("reset left the uploaded files behind: %v", err)
	}
}
