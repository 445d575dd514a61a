package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ersatz-dev/ersatz/internal/store"
	"github.com/ersatz-dev/ersatz/internal/store/sqlite"
)

// TestStateExportImport moves a sqlite data dir's state to another one with
// `ersatz state export` and `ersatz state import`, and checks that a bad
// snapshot is refused without touching the target.
func TestStateExportImport(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	key := store.Key{Scope: store.Scope{Account: "000000000000", Region: "us-east-1", Service: "transfer"}, Kind: "server", ID: "s-0123456789abcdef0"}
	st, err := sqlite.Open(t.Context(), src)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Update(t.Context(), func(tx store.Tx) error { return tx.Put(key, []byte(`{"serverId":"s-0123456789abcdef0"}`)) }); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	var snap bytes.Buffer
	if err := run(t.Context(), []string{"state", "export", "--data-dir", src}, &snap, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "state.json")
	if err := os.WriteFile(file, snap.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	var msg bytes.Buffer
	if err := run(t.Context(), []string{"state", "import", "--data-dir", dst, file}, &bytes.Buffer{}, &msg); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(msg.String(), "imported 1 resources") {
		t.Fatalf("import said %q", msg.String())
	}

	bad := filepath.Join(t.TempDir(), "bad.json")
	newer := strings.Replace(snap.String(), `"version": 1`, `"version": 2`, 1)
	for name, body := range map[string]string{"malformed": "{", "newer version": newer} {
		if err := os.WriteFile(bad, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		err := run(t.Context(), []string{"state", "import", "--data-dir", dst, bad}, &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil {
			t.Fatalf("%s snapshot was imported", name)
		}
	}

	st, err = sqlite.Open(t.Context(), dst)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	err = st.View(t.Context(), func(tx store.Tx) error {
		got, err := tx.Get(key)
		if err != nil {
			return err
		}
		if string(got) != `{"serverId":"s-0123456789abcdef0"}` {
			t.Errorf("imported %s", got)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("after the rejected imports: %v", err)
	}
}
