package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ersatz-dev/ersatz/internal/store"
)

// SQLBackend is what RunMigrations needs of a SQL backend: a way to open
// one database (the same one every time) with a given list of migrations,
// and to look inside it.
type SQLBackend struct {
	// Migrations is the backend's schema; the first one must create the
	// table resources.
	Migrations []store.Migration
	// Open opens the database with ms (the store is closed by the caller).
	Open func(ms []store.Migration) (store.Store, error)
	// Versions lists the versions in schema_migrations, in ascending order.
	Versions func(t *testing.T, s store.Store) []int
	// QueryString runs a query whose result is one string.
	QueryString func(t *testing.T, s store.Store, query string) (string, error)
	// HasTable reports whether the database has a table of that name.
	HasTable func(t *testing.T, s store.Store, name string) (bool, error)
}

// RunMigrations checks the schema migrations of a SQL backend: opening
// twice is idempotent, a newer Ersatz upgrades the database and keeps its
// data, an older one refuses a newer database, and a failing migration
// leaves the database at its version.
func RunMigrations(t *testing.T, b SQLBackend) {
	srv := store.Key{Scope: store.Scope{Account: "1", Region: "r", Service: "s"}, Kind: "server", ID: "s-1"}
	ctx := t.Context()
	v1 := b.Migrations[:1]
	s, err := b.Open(v1)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Update(ctx, func(tx store.Tx) error { return tx.Put(srv, []byte(`{"old":true}`)) }); err != nil {
		t.Fatal(err)
	}
	if got := b.Versions(t, s); !slices.Equal(got, []int{1}) {
		t.Fatalf("versions = %v", got)
	}
	_ = s.Close()

	// Opening again is idempotent.
	s, err = b.Open(v1)
	if err != nil {
		t.Fatalf("second open: %v", err)
	}
	if got := b.Versions(t, s); !slices.Equal(got, []int{1}) {
		t.Fatalf("versions after second open = %v", got)
	}
	_ = s.Close()

	// A newer Ersatz (a second, test-only migration) upgrades the database
	// and keeps its data.
	v2 := append(slices.Clone(v1), store.Migration{Version: 2, Name: "test: add column", Stmts: []string{
		`ALTER TABLE resources ADD COLUMN note TEXT NOT NULL DEFAULT 'v2'`,
	}})
	s, err = b.Open(v2)
	if err != nil {
		t.Fatalf("upgrade: %v", err)
	}
	if got := b.Versions(t, s); !slices.Equal(got, []int{1, 2}) {
		t.Fatalf("versions after upgrade = %v", got)
	}
	if note, err := b.QueryString(t, s, `SELECT note FROM resources WHERE id = 's-1'`); err != nil || note != "v2" {
		t.Fatalf("migration 2 not applied: %q, %v", note, err)
	}
	err = s.View(ctx, func(tx store.Tx) error {
		d, err := tx.Get(srv)
		if err == nil && string(d) != `{"old":true}` {
			err = fmt.Errorf("data = %s", d)
		}
		return err
	})
	if err != nil {
		t.Fatalf("data after upgrade: %v", err)
	}
	_ = s.Close()

	// An older Ersatz refuses the newer database rather than corrupt it.
	if s, err := b.Open(v1); err == nil || !strings.Contains(err.Error(), "newer") {
		if s != nil {
			_ = s.Close()
		}
		t.Fatalf("old binary opened a newer database: %v", err)
	}
	// A failing migration leaves the database at its version.
	bad := append(slices.Clone(v2), store.Migration{Version: 3, Name: "test: broken", Stmts: []string{
		`CREATE TABLE extra (x INTEGER)`, `THIS IS NOT SQL`,
	}})
	if _, err := b.Open(bad); err == nil {
		t.Fatal("broken migration applied")
	}
	s, err = b.Open(v2)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := b.Versions(t, s); !slices.Equal(got, []int{1, 2}) {
		t.Fatalf("versions after a failed migration = %v", got)
	}
	if extra, err := b.HasTable(t, s, "extra"); err != nil || extra {
		t.Fatalf("failed migration left table extra: %v, %v", extra, err)
	}
}
