package dataplane

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/ersatz-dev/ersatz/internal/service/transfer"
	"github.com/ersatz-dev/ersatz/internal/store/memory"
)

// Start removes the spool files an earlier run left (it ended mid-upload)
// and nothing else of the spool folder.
func TestStartSweepsSpool(t *testing.T) {
	dataDir := t.TempDir()
	spool := filepath.Join(dataDir, "files", "spool")
	if err := os.MkdirAll(filepath.Join(spool, "upload-dir"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"upload-123", "upload-456", "other.txt"} {
		if err := os.WriteFile(filepath.Join(spool, name), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	st := memory.New()
	m, err := New(Config{DataDir: dataDir, Ports: "41000-41005", PassivePorts: "41006-41008"}, st, transfer.New(st),
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	for name, kept := range map[string]bool{"upload-123": false, "upload-456": false, "other.txt": true, "upload-dir": true} {
		_, err := os.Stat(filepath.Join(spool, name))
		if kept && err != nil {
			t.Errorf("%s removed: %v", name, err)
		}
		if !kept && !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left: %v", name, err)
		}
	}
}
