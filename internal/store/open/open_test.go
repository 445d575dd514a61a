package open

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/ersatz-dev/ersatz/internal/store"
)

func TestOpen(t *testing.T) {
	ctx := t.Context()
	for _, tc := range []struct{ spec, kind string }{{"memory", "memory"}, {"sqlite", "sqlite"}} {
		t.Run(tc.spec, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "nested", "data")
			s, err := Open(ctx, tc.spec, dir)
			if err != nil {
				t.Fatalf("Open(%q): %v", tc.spec, err)
			}
			defer s.Close()
			if s.Kind() != tc.kind {
				t.Errorf("Kind = %q, want %q", s.Kind(), tc.kind)
			}
			k := store.Key{Scope: store.Scope{Account: "1"}, Kind: "k", ID: "i"}
			if err := s.Update(ctx, func(tx store.Tx) error { return tx.Put(k, []byte(`{}`)) }); err != nil {
				t.Fatal(err)
			}
			_, statErr := os.Stat(filepath.Join(dir, "ersatz.db"))
			if tc.kind == "sqlite" && statErr != nil {
				t.Errorf("sqlite file not created: %v", statErr)
			}
			if tc.kind == "memory" && !errors.Is(statErr, os.ErrNotExist) {
				t.Errorf("memory store touched the data directory: %v", statErr)
			}
		})
	}
}

func TestOpenSqliteDefaultDir(t *testing.T) {
	t.Chdir(t.TempDir())
	s, err := Open(t.Context(), "sqlite", "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := os.Stat(filepath.Join(DefaultDataDir, "ersatz.db")); err != nil {
		t.Fatalf("default data dir not used: %v", err)
	}
}

func TestOpenPostgres(t *testing.T) {
	dsn := os.Getenv("ERSATZ_TEST_POSTGRES")
	if dsn == "" {
		t.Skip("set ERSATZ_TEST_POSTGRES=postgres://... to run the PostgreSQL tests")
	}
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		t.Skip("ERSATZ_TEST_POSTGRES is not a URL")
	}
	// A fresh schema, so that this run sees no other's tables.
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "ersatz_test_open_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	defer func() { _, _ = conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE") }()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	for _, scheme := range []string{"postgres", "postgresql"} {
		u.Scheme = scheme
		s, err := Open(ctx, u.String(), "")
		if err != nil {
			t.Fatalf("Open(%s://...): %v", scheme, err)
		}
		if s.Kind() != "postgres" {
			t.Errorf("Kind = %q", s.Kind())
		}
		_ = s.Close()
	}
}

func TestOpenErrors(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 0)
	defer cancel()
	for _, tc := range []struct{ spec, want, hidden string }{
		{"", "unknown store", ""},
		{"mysql", `unknown store "mysql"`, ""},
		{"SQLite", "unknown store", ""},
		{"postgress://u:secret@h/db", "postgress://...", "secret"},
		{"host=h password=secret", "connection string", "secret"},
	} {
		_, err := Open(ctx, tc.spec, t.TempDir())
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Open(%q) = %v, want an error containing %q", tc.spec, err, tc.want)
		}
		if tc.hidden != "" && err != nil && strings.Contains(err.Error(), tc.hidden) {
			t.Errorf("Open(%q) error reveals %q: %v", tc.spec, tc.hidden, err)
		}
	}
	// A postgres DSN that cannot connect fails (ctx is already done).
	if _, err := Open(ctx, "postgres://nobody@127.0.0.1:1/none?connect_timeout=1", ""); err == nil {
		t.Error("Open of an unreachable postgres succeeded")
	}
}
