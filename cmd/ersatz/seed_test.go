package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
)

// TestSeedExampleFile starts Ersatz with the documented example seed and
// finds its resources through the SDK and the state endpoint; a second
// start on the same sqlite data dir does not seed again.
func TestSeedExampleFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := startServe(t, "--data-dir", dir, "--seed", "../../docs/examples/seed.json")
	c := s.transfer("test")
	servers, err := c.ListServers(t.Context(), &transfer.ListServersInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(servers.Servers) != 1 || servers.Servers[0].State != "ONLINE" {
		t.Fatalf("seeded servers: %+v", servers.Servers)
	}
	users, err := c.ListUsers(t.Context(), &transfer.ListUsersInput{ServerId: servers.Servers[0].ServerId})
	if err != nil {
		t.Fatal(err)
	}
	if len(users.Users) != 1 || aws.ToString(users.Users[0].UserName) != "alice" || aws.ToString(users.Users[0].HomeDirectory) != "/ci-bucket/alice" {
		t.Fatalf("seeded users: %+v", users.Users)
	}
	counts := s.stateCount(t)
	if counts["amplifybackend"] == 0 || counts["qapps"] == 0 {
		t.Fatalf("the backend or the app was not seeded: %v", counts)
	}
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	again := startServe(t, "--data-dir", dir, "--seed", "../../docs/examples/seed.json")
	servers, err = again.transfer("test").ListServers(t.Context(), &transfer.ListServersInput{})
	if err != nil || len(servers.Servers) != 1 {
		t.Fatalf("a restart seeded again: %+v, %v", servers, err)
	}
	if !strings.Contains(again.logs.String(), "seed skipped") {
		t.Fatalf("the restart does not say it skipped the seed:\n%s", again.logs.String())
	}
}

// TestSeedSnapshot: --seed also takes a state snapshot (ersatz state export).
func TestSeedSnapshot(t *testing.T) {
	t.Parallel()
	src := startServe(t, "--store", "memory")
	if _, err := src.transfer("123456789012").CreateServer(t.Context(), &transfer.CreateServerInput{}); err != nil {
		t.Fatal(err)
	}
	resp, err := httpGet(src.url + "/_ersatz/state")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "snap.json")
	if err := os.WriteFile(path, resp, 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServe(t, "--store", "memory", "--seed", path)
	servers, err := s.transfer("123456789012").ListServers(t.Context(), &transfer.ListServersInput{})
	if err != nil || len(servers.Servers) != 1 {
		t.Fatalf("servers of the seeded snapshot: %+v, %v", servers, err)
	}
}

// TestSeedRefusedEntry: an entry an operation refuses stops the start-up
// with an error naming the entry and the field, and nothing of the seed is
// kept.
func TestSeedRefusedEntry(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, seed string
		want       []string
	}{
		{"user without role", `{"transfer": {"servers": [{"Protocols": ["SFTP"], "Users": [{"UserName": "bob", "HomeDirectory": "/b/bob"}]}]}}`,
			[]string{"transfer.servers[0].Users[0]", "Role"}},
		{"bad protocol", `{"transfer": {"servers": [{}, {"Protocols": ["GOPHER"]}]}}`, []string{"transfer.servers[1]", "protocols"}},
		{"unknown member", `{"amplifybackend": {"backends": [{"appId": "a", "appName": "n", "backendEnvironmentName": "e", "colour": "red"}]}}`,
			[]string{"amplifybackend.backends[0]", "colour"}},
		{"unknown section", `{"transfers": {}}`, []string{"transfers"}},
		{"bad account", `{"account": "12"}`, []string{"account"}},
		{"app without instance", `{"qapps": {"apps": [{"title": "t"}]}}`, []string{"qapps.apps[0]", "instanceId"}},
	}
	for _, c := range cases {
		dir := t.TempDir()
		path := filepath.Join(t.TempDir(), "seed.json")
		if err := os.WriteFile(path, []byte(c.seed), 0o600); err != nil {
			t.Fatal(err)
		}
		err := run(t.Context(), []string{"--listen", freePort(t), "--data-dir", dir, "--no-transfer-data-plane", "--seed", path}, &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil {
			t.Errorf("%s: serve started", c.name)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(strings.ToLower(err.Error()), strings.ToLower(w)) {
				t.Errorf("%s: %q does not name %q", c.name, err, w)
			}
		}
		var out bytes.Buffer
		if err := run(t.Context(), []string{"state", "export", "--data-dir", dir}, &out, &bytes.Buffer{}); err != nil {
			t.Fatal(err)
		}
		var snap struct{ Resources []json.RawMessage }
		if err := json.Unmarshal(out.Bytes(), &snap); err != nil || len(snap.Resources) != 0 {
			t.Errorf("%s: the refused seed left %d resources (%v)", c.name, len(snap.Resources), err)
		}
	}
}
