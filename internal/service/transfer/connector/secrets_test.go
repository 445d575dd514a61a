package connector

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSecretLookup(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secrets.json")
	if _, err := LookupSecret(path, "x"); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("missing file: %v", err)
	}
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LookupSecret(path, "x"); err == nil || !strings.Contains(err.Error(), "not valid JSON") {
		t.Fatalf("bad JSON: %v", err)
	}
	data, _ := json.Marshal(map[string]any{"secrets": map[string]any{
		"arn:aws:secretsmanager:us-east-1:111111111111:secret:by-arn-AbCdEf": map[string]string{"Username": "a", "Password": "p"},
		"by-name":  map[string]string{"Username": "b", "PrivateKey": "k"},
		"no-user":  map[string]string{"Password": "p"},
		"no-creds": map[string]string{"Username": "u"},
	}})
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ id, user, err string }{
		{"arn:aws:secretsmanager:us-east-1:111111111111:secret:by-arn-AbCdEf", "a", ""},
		{"by-arn", "a", ""},
		{"arn:aws:secretsmanager:us-east-1:111111111111:secret:by-name-ZzZzZz", "b", ""},
		{"by-name", "b", ""},
		{"no-user", "", "no Username"},
		{"no-creds", "", "neither a Password nor a PrivateKey"},
		{"absent", "", "was not found"},
	}
	for _, tt := range tests {
		sec, err := LookupSecret(path, tt.id)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: %v, want %q", tt.id, err, tt.err)
			}
			continue
		}
		if err != nil || sec.Username != tt.user {
			t.Errorf("%s: %+v, %v", tt.id, sec, err)
		}
	}
	if _, err := LookupSecret("", "x"); err == nil || !strings.Contains(err.Error(), "--secrets FILE") {
		t.Fatalf("no secrets file: %v", err)
	}
}
