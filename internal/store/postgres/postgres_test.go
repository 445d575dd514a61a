package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/ersatz-dev/ersatz/internal/store"
	"github.com/ersatz-dev/ersatz/internal/store/storetest"
	"github.com/ersatz-dev/ersatz/internal/testkit"
)

// testDSN returns the DSN of the test database, or skips the test.
func testDSN(tb testing.TB) string { return testkit.PostgresDSN(tb) }

// freshSchema is a DSN of an empty schema of its own, dropped at the end.
func freshSchema(tb testing.TB) string { return testkit.PostgresSchema(tb) }

func openT(tb testing.TB, dsn string) *Store {
	tb.Helper()
	s, err := Open(context.Background(), dsn)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

func TestContract(t *testing.T) {
	testDSN(t)
	storetest.Run(t, func(t *testing.T) store.Store { return openT(t, freshSchema(t)) })
}

var srv = store.Key{Scope: store.Scope{Account: "1", Region: "r", Service: "s"}, Kind: "server", ID: "s-1"}

// TestTwoProcesses stands in for two Ersatz processes: two Opens, two pools,
// one database.
func TestTwoProcesses(t *testing.T) {
	dsn := freshSchema(t)
	a, b := openT(t, dsn), openT(t, dsn)
	if err := a.Update(t.Context(), func(tx store.Tx) error { return tx.Put(srv, []byte(`"from a"`)) }); err != nil {
		t.Fatal(err)
	}
	err := b.View(t.Context(), func(tx store.Tx) error {
		d, err := tx.Get(srv)
		if err == nil && string(d) != `"from a"` {
			err = fmt.Errorf("b reads %s", d)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	storetest.RunIncrements(t, []store.Store{a, b}, 64, 1000)
}

// TestConcurrentOpen: processes starting together on an empty database both
// get a migrated schema.
func TestConcurrentOpen(t *testing.T) {
	dsn := freshSchema(t)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			s, err := Open(t.Context(), dsn)
			if err == nil {
				err = s.Update(t.Context(), func(tx store.Tx) error {
					return tx.Put(store.Key{Scope: srv.Scope, Kind: "opener", ID: fmt.Sprint(i)}, []byte(`{}`))
				})
				_ = s.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("open %d: %v", i, err)
		}
	}
	s := openT(t, dsn)
	if got := versions(t, s); !slices.Equal(got, []int{1}) {
		t.Errorf("versions = %v", got)
	}
}

func versions(t *testing.T, s *Store) []int {
	t.Helper()
	rows, err := s.pool.Query(t.Context(), `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	vs, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		t.Fatal(err)
	}
	return vs
}

func TestMigrations(t *testing.T) {
	ctx := t.Context()
	dsn := freshSchema(t)
	v1 := migrations()[:1]
	s, err := open(ctx, dsn, v1)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Update(ctx, func(tx store.Tx) error { return tx.Put(srv, []byte(`{"old":true}`)) }); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	s, err = open(ctx, dsn, v1)
	if err != nil {
		t.Fatalf("second open: %v", err)
	}
	if got := versions(t, s); !slices.Equal(got, []int{1}) {
		t.Fatalf("versions after second open = %v", got)
	}
	_ = s.Close()

	v2 := append(slices.Clone(v1), migration{Version: 2, Name: "test: add column", Stmts: []string{
		`ALTER TABLE resources ADD COLUMN note TEXT NOT NULL DEFAULT 'v2'`,
	}})
	s, err = open(ctx, dsn, v2)
	if err != nil {
		t.Fatalf("upgrade: %v", err)
	}
	if got := versions(t, s); !slices.Equal(got, []int{1, 2}) {
		t.Fatalf("versions after upgrade = %v", got)
	}
	var note string
	if err := s.pool.QueryRow(ctx, `SELECT note FROM resources WHERE id = 's-1'`).Scan(&note); err != nil || note != "v2" {
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

	if s, err := open(ctx, dsn, v1); err == nil || !strings.Contains(err.Error(), "newer") {
		if s != nil {
			_ = s.Close()
		}
		t.Fatalf("old binary opened a newer database: %v", err)
	}
	bad := append(slices.Clone(v2), migration{Version: 3, Name: "test: broken", Stmts: []string{
		`CREATE TABLE extra (x INTEGER)`, `THIS IS NOT SQL`,
	}})
	if _, err := open(ctx, dsn, bad); err == nil {
		t.Fatal("broken migration applied")
	}
	s, err = open(ctx, dsn, v2)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := versions(t, s); !slices.Equal(got, []int{1, 2}) {
		t.Fatalf("versions after a failed migration = %v", got)
	}
	var extra *string
	if err := s.pool.QueryRow(ctx, `SELECT to_regclass('extra')::text`).Scan(&extra); err != nil || extra != nil {
		t.Fatalf("failed migration left table extra: %v, %v", extra, err)
	}
}

func BenchmarkStore(b *testing.B) {
	testDSN(b)
	storetest.Bench(b, func(b *testing.B) store.Store { return openT(b, freshSchema(b)) })
}
