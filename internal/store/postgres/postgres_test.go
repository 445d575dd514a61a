package postgres

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/ersatz-dev/ersatz/internal/store"
	"github.com/ersatz-dev/ersatz/internal/store/storetest"
	"github.com/ersatz-dev/ersatz/internal/testkit/pgtest"
)

// testDSN returns the DSN of the test database, or skips the test.
func testDSN(tb testing.TB) string { return pgtest.PostgresDSN(tb) }

// freshSchema is a DSN of an empty schema of its own, dropped at the end.
func freshSchema(tb testing.TB) string { return pgtest.PostgresSchema(tb) }

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
	dsn := freshSchema(t)
	storetest.RunMigrations(t, storetest.SQLBackend{
		Migrations: migrations(),
		Open: func(ms []migration) (store.Store, error) {
			s, err := open(t.Context(), dsn, ms)
			if err != nil {
				return nil, err
			}
			return s, nil
		},
		Versions: func(t *testing.T, s store.Store) []int { return versions(t, s.(*Store)) },
		QueryString: func(t *testing.T, s store.Store, query string) (v string, err error) {
			err = s.(*Store).pool.QueryRow(t.Context(), query).Scan(&v)
			return v, err
		},
		HasTable: func(t *testing.T, s store.Store, name string) (bool, error) {
			var reg *string
			err := s.(*Store).pool.QueryRow(t.Context(), `SELECT to_regclass($1)::text`, name).Scan(&reg)
			return reg != nil, err
		},
	})
}

func BenchmarkStore(b *testing.B) {
	testDSN(b)
	storetest.Bench(b, func(b *testing.B) store.Store { return openT(b, freshSchema(b)) })
}
