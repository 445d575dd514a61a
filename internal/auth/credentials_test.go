package auth_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ersatz-dev/ersatz/internal/auth"
)

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "creds.json")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoad(t *testing.T) {
	p := writeFile(t, `{"credentials": [
		{"accessKeyId": "111111111111", "secretAccessKey": "s1"},
		{"accessKeyId": "AKIDALICE", "secretAccessKey": "s2", "accountId": "222222222222", "sessionToken": "tok",
		 "userId": "alice", "email": "alice@example.com"},
		{"accessKeyId": "AKIDNOACCOUNT", "secretAccessKey": "s3"}
	]}`)
	c, err := auth.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if c.Len() != 3 || c.Path() != p {
		t.Fatalf("Len %d Path %q", c.Len(), c.Path())
	}
	tests := []struct {
		key  string
		want auth.Credential
	}{
		{"111111111111", auth.Credential{AccessKeyID: "111111111111", SecretAccessKey: "s1", AccountID: "111111111111"}},
		{"AKIDALICE", auth.Credential{AccessKeyID: "AKIDALICE", SecretAccessKey: "s2", AccountID: "222222222222",
			SessionToken: "tok", UserID: "alice", Email: "alice@example.com"}},
		{"AKIDNOACCOUNT", auth.Credential{AccessKeyID: "AKIDNOACCOUNT", SecretAccessKey: "s3", AccountID: "000000000000"}},
	}
	for _, tc := range tests {
		got, ok := c.Lookup(tc.key)
		if !ok || got != tc.want {
			t.Errorf("Lookup(%q) = %+v, %v; want %+v", tc.key, got, ok, tc.want)
		}
	}
	if _, ok := c.Lookup("nobody"); ok {
		t.Error("an unknown key was found")
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name, content string
		want          string
	}{
		{"not json", `credentials: []`, "not a JSON object"},
		{"wrong shape", `{"credentials": {"accessKeyId": "a"}}`, "not a JSON object"},
		{"unknown member", `{"credentials": [{"accessKeyId": "a", "secretKey": "s"}]}`, `unknown field "secretKey"`},
		{"trailing data", `{"credentials": [{"accessKeyId": "a", "secretAccessKey": "s"}]} {}`, "unexpected data after the JSON object"},
		{"empty", `{"credentials": []}`, `"credentials" lists no credential`},
		{"no key", `{"credentials": [{"secretAccessKey": "s"}]}`, "credential 1: accessKeyId is missing"},
		{"no secret", `{"credentials": [{"accessKeyId": "a"}]}`, `credential 1 (accessKeyId "a"): secretAccessKey is missing`},
		{"slash in key", `{"credentials": [{"accessKeyId": "a/b", "secretAccessKey": "s"}]}`, "must not contain '/'"},
		{"bad account", `{"credentials": [{"accessKeyId": "a", "secretAccessKey": "s", "accountId": "12345"}]}`, `accountId "12345" is not 12 digits`},
		{"duplicate", `{"credentials": [{"accessKeyId": "a", "secretAccessKey": "s"}, {"accessKeyId": "a", "secretAccessKey": "t"}]}`,
			`credential 2 (accessKeyId "a"): duplicate accessKeyId "a"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := writeFile(t, tc.content)
			_, err := auth.Load(p)
			if err == nil {
				t.Fatal("loaded")
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), p) {
				t.Fatalf("error %q does not name the file and %q", err, tc.want)
			}
		})
	}
	t.Run("missing file", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "nope.json")
		_, err := auth.Load(p)
		if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "no such file") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("unreadable", func(t *testing.T) {
		p := t.TempDir() // a directory cannot be read as a file
		_, err := auth.Load(p)
		if err == nil || !strings.Contains(err.Error(), p) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("no path", func(t *testing.T) {
		if _, err := auth.Load(""); err == nil {
			t.Fatal("loaded")
		}
	})
}

func TestAccountOf(t *testing.T) {
	for key, want := range map[string]string{"123456789012": "123456789012", "AKIDEXAMPLE": "000000000000", "12345678901": "000000000000"} {
		if got := auth.AccountOf(key); got != want {
			t.Errorf("AccountOf(%q) = %q", key, got)
		}
	}
}
