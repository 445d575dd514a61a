package sqlite

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/ersatz-dev/ersatz/internal/store"
	"github.com/ersatz-dev/ersatz/internal/store/storetest"
)

func openCached(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(t.Context(), dir, WithReadCache(0))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// TestContractCached: the whole store contract holds with the read cache.
func TestContractCached(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openCached(t, t.TempDir()) })
}

func getIn(t *testing.T, s *Store, k store.Key) (data string, queried bool, err error) {
	t.Helper()
	err = s.View(t.Context(), func(tx0 store.Tx) error {
		d, err := tx0.Get(k)
		data = string(d)
		queried = tx0.(*tx).tx != nil
		return err
	})
	return data, queried, err
}

// TestReadCache: a View reads a known document without a query, sees every
// committed write, and never sees a write whose Update failed.
func TestReadCache(t *testing.T) {
	s := openCached(t, t.TempDir())
	user := srv.Child("user", "u")
	mustUpdate := func(fn func(store.Tx) error) {
		t.Helper()
		if err := s.Update(t.Context(), fn); err != nil {
			t.Fatal(err)
		}
	}
	mustUpdate(func(tx store.Tx) error {
		if err := tx.Put(srv, []byte(`{"v":1}`)); err != nil {
			return err
		}
		return tx.Put(user, []byte(`{"u":1}`))
	})
	steps := []struct {
		name    string
		update  func(store.Tx) error
		fails   bool
		key     store.Key
		want    string // "" for not found
		queried bool
	}{
		{"committed put is served from the cache", nil, false, srv, `{"v":1}`, false},
		{"replaced", func(tx store.Tx) error { return tx.Put(srv, []byte(`{"v":2}`)) }, false, srv, `{"v":2}`, false},
		{"a failed update changes nothing", func(tx store.Tx) error {
			if err := tx.Put(srv, []byte(`{"v":3}`)); err != nil {
				return err
			}
			return errors.New("refused")
		}, true, srv, `{"v":2}`, false},
		{"a child is cached", nil, false, user, `{"u":1}`, false},
		{"deleting the parent drops its children", func(tx store.Tx) error { return tx.Delete(srv) }, false, user, "", true},
		{"and the parent", nil, false, srv, "", true},
		{"a missing document is remembered", nil, false, srv, "", false},
		{"put again", func(tx store.Tx) error { return tx.Put(srv, []byte(`{"v":4}`)) }, false, srv, `{"v":4}`, false},
		{"reset empties it", func(t0 store.Tx) error { return t0.(*tx).DeleteAll() }, false, srv, "", true},
		{"a put replaces a remembered absence", func(tx store.Tx) error { return tx.Put(srv, []byte(`{"v":5}`)) }, false, srv, `{"v":5}`, false},
	}
	for _, st := range steps {
		if st.update != nil {
			err := s.Update(t.Context(), st.update)
			if (err != nil) != st.fails {
				t.Fatalf("%s: update = %v", st.name, err)
			}
		}
		got, queried, err := getIn(t, s, st.key)
		switch {
		case st.want == "" && !errors.Is(err, store.ErrNotFound):
			t.Errorf("%s: Get = %q, %v; want not found", st.name, got, err)
		case st.want != "" && (err != nil || got != st.want):
			t.Errorf("%s: Get = %q, %v; want %s", st.name, got, err, st.want)
		case queried != st.queried:
			t.Errorf("%s: queried the database = %v, want %v", st.name, queried, st.queried)
		}
	}
	// A document read once from the database is then served from the cache.
	other, err := Open(t.Context(), filepath.Dir(s.Path()))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	k := srv.Child("user", "fresh")
	if err := other.Update(t.Context(), func(tx store.Tx) error { return tx.Put(k, []byte(`{"f":1}`)) }); err != nil {
		t.Fatal(err)
	}
	for i, wantQuery := range []bool{true, false} {
		got, queried, err := getIn(t, s, k)
		if err != nil || got != `{"f":1}` || queried != wantQuery {
			t.Errorf("read %d: %q, %v, queried %v; want a query %v", i, got, err, queried, wantQuery)
		}
	}
}

// TestReadCacheSnapshots: Updates write two documents with the same number;
// concurrent Views, from the cache or the database, always see them equal.
func TestReadCacheSnapshots(t *testing.T) {
	s := openCached(t, t.TempDir())
	a, b := srv.Child("pair", "a"), srv.Child("pair", "b")
	write := func(n int) error {
		return s.Update(t.Context(), func(tx store.Tx) error {
			d := []byte(fmt.Sprintf(`{"n":%d}`, n))
			if err := tx.Put(a, d); err != nil {
				return err
			}
			return tx.Put(b, d)
		})
	}
	if err := write(0); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errc := make(chan error, 16)
	for w := range 4 {
		wg.Go(func() {
			for n := 1; n <= 50; n++ {
				if err := write(w*1000 + n); err != nil {
					errc <- err
					return
				}
			}
		})
	}
	for range 4 {
		wg.Go(func() {
			for range 300 {
				err := s.View(t.Context(), func(tx store.Tx) error {
					da, err := tx.Get(a)
					if err != nil {
						return err
					}
					db, err := tx.Get(b)
					if err != nil {
						return err
					}
					if string(da) != string(db) {
						return fmt.Errorf("a View saw a = %s and b = %s", da, db)
					}
					return nil
				})
				if err != nil {
					errc <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
}
