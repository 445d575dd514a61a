// Package storetest is the contract every store backend must meet, as a test
// suite (Run) and a set of benchmarks (Bench) that each backend's tests run
// against it.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/ersatz-dev/ersatz/internal/store"
)

// Opener returns a new, empty store, and arranges (with t.Cleanup) for it to
// be closed. Two calls return two independent stores.
type Opener func(t *testing.T) store.Store

var (
	scopeA = store.Scope{Account: "111111111111", Region: "us-east-1", Service: "transfer"}
	scopeB = store.Scope{Account: "222222222222", Region: "us-east-1", Service: "transfer"}
	scopeC = store.Scope{Account: "111111111111", Region: "eu-west-1", Service: "transfer"}
	scopeD = store.Scope{Account: "111111111111", Region: "us-east-1", Service: "amplifybackend"}
)

// Run runs the contract suite against the stores open returns. Every subtest
// gets its own store(s).
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(*testing.T, Opener)
	}{
		{"CRUD", testCRUD},
		{"InvalidKeys", testInvalidKeys},
		{"ReadOnlyView", testReadOnlyView},
		{"TxAfterEnd", testTxAfterEnd},
		{"Scoping", testScoping},
		{"Pagination", testPagination},
		{"PaginationStability", testPaginationStability},
		{"InvalidTokens", testInvalidTokens},
		{"CascadeDelete", testCascadeDelete},
		{"FailedUpdateChangesNothing", testFailedUpdate},
		{"ConcurrentIncrements", testConcurrentIncrements},
		{"ConcurrentWholeDocuments", testConcurrentDocuments},
		{"Reset", testReset},
		{"JSONHelpers", testJSONHelpers},
		{"Exists", testExists},
		{"ExportImport", testExportImport},
		{"RejectedImports", testRejectedImports},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open) })
	}
}

// ---- helpers ----

func key(sc store.Scope, parent, kind, id string) store.Key {
	return store.Key{Scope: sc, Parent: parent, Kind: kind, ID: id}
}

func mustUpdate(t testing.TB, s store.Store, fn func(store.Tx) error) {
	t.Helper()
	if err := s.Update(context.Background(), fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

func put(t testing.TB, s store.Store, k store.Key, data string) {
	t.Helper()
	mustUpdate(t, s, func(tx store.Tx) error { return tx.Put(k, []byte(data)) })
}

// get returns the document at k, or "" with the error.
func get(t testing.TB, s store.Store, k store.Key) (string, error) {
	t.Helper()
	var out []byte
	err := s.View(context.Background(), func(tx store.Tx) error {
		var err error
		out, err = tx.Get(k)
		return err
	})
	return string(out), err
}

func mustGet(t testing.TB, s store.Store, k store.Key, want string) {
	t.Helper()
	got, err := get(t, s, k)
	if err != nil {
		t.Fatalf("Get(%s): %v", k.Path(), err)
	}
	if got != want {
		t.Fatalf("Get(%s) = %s, want %s", k.Path(), got, want)
	}
}

func mustNotFound(t testing.TB, s store.Store, k store.Key) {
	t.Helper()
	got, err := get(t, s, k)
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get(%s) = %q, %v; want ErrNotFound", k.Path(), got, err)
	}
}

func list(t testing.TB, s store.Store, c store.Collection, page store.Page) ([]store.Item, string, error) {
	t.Helper()
	var items []store.Item
	var next string
	err := s.View(context.Background(), func(tx store.Tx) error {
		var err error
		items, next, err = tx.List(c, page)
		return err
	})
	return items, next, err
}

// listAll walks a collection page by page and returns the ids in order.
func listAll(t testing.TB, s store.Store, c store.Collection, limit int) []string {
	t.Helper()
	var ids []string
	token := ""
	for pages := 0; ; pages++ {
		if pages > 100000 {
			t.Fatal("pagination does not end")
		}
		items, next, err := list(t, s, c, store.Page{Token: token, Limit: limit})
		if err != nil {
			t.Fatalf("List(%+v, limit %d, page %d): %v", c, limit, pages, err)
		}
		if limit > 0 && len(items) > limit {
			t.Fatalf("List returned %d items, limit %d", len(items), limit)
		}
		if next != "" && len(items) != limit {
			t.Fatalf("List returned a short page (%d of %d) with a next token", len(items), limit)
		}
		for _, it := range items {
			if it.Key.Collection() != c {
				t.Fatalf("List(%+v) returned %+v from another collection", c, it.Key)
			}
			ids = append(ids, it.Key.ID)
		}
		if next == "" {
			return ids
		}
		token = next
	}
}

func export(t testing.TB, s store.Store) *store.Snapshot {
	t.Helper()
	snap, err := store.Export(context.Background(), s)
	if err != nil {
		t.Fatalf("Export: %v", err)
	}
	return snap
}

func snapshotText(t testing.TB, snap *store.Snapshot) string {
	t.Helper()
	var buf bytes.Buffer
	if err := store.WriteSnapshot(&buf, snap); err != nil {
		t.Fatalf("WriteSnapshot: %v", err)
	}
	return buf.String()
}

// ---- tests ----

func testCRUD(t *testing.T, open Opener) {
	s := open(t)
	if s.Kind() == "" {
		t.Error("Kind() is empty")
	}
	k := key(scopeA, "", "server", "s-1")
	mustNotFound(t, s, k)

	put(t, s, k, `{"v":1}`)
	mustGet(t, s, k, `{"v":1}`)

	put(t, s, k, `{"v":2, "x": [1, 2]}`)
	mustGet(t, s, k, `{"v":2, "x": [1, 2]}`)

	// Returned and stored bytes are not shared with the caller.
	buf := []byte(`{"v":3}`)
	mustUpdate(t, s, func(tx store.Tx) error { return tx.Put(k, buf) })
	buf[2] = 'X'
	got, _ := get(t, s, k)
	if got != `{"v":3}` {
		t.Fatalf("store kept a reference to Put's data: %s", got)
	}
	_ = s.View(context.Background(), func(tx store.Tx) error {
		b, err := tx.Get(k)
		if err != nil {
			return err
		}
		b[2] = 'Y'
		return nil
	})
	mustGet(t, s, k, `{"v":3}`)

	// Writes are visible to later reads of the same transaction.
	mustUpdate(t, s, func(tx store.Tx) error {
		k2 := key(scopeA, "", "server", "s-2")
		if err := tx.Put(k2, []byte(`"two"`)); err != nil {
			return err
		}
		got, err := tx.Get(k2)
		if err != nil || string(got) != `"two"` {
			return fmt.Errorf("read own write: %q, %v", got, err)
		}
		items, _, err := tx.List(k2.Collection(), store.Page{})
		if err != nil || len(items) != 2 {
			return fmt.Errorf("list own write: %d items, %v", len(items), err)
		}
		if err := tx.Delete(k2); err != nil {
			return err
		}
		if _, err := tx.Get(k2); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("read own delete: %v", err)
		}
		return nil
	})

	// Invalid JSON is refused and not stored.
	for _, bad := range []string{``, `{`, `{"a":}`, `nope`, `{"a":1}x`} {
		err := s.Update(context.Background(), func(tx store.Tx) error {
			return tx.Put(key(scopeA, "", "server", "bad"), []byte(bad))
		})
		if err == nil {
			t.Errorf("Put(%q) succeeded", bad)
		}
	}
	mustNotFound(t, s, key(scopeA, "", "server", "bad"))

	if err := s.Update(context.Background(), func(tx store.Tx) error { return tx.Delete(k) }); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	mustNotFound(t, s, k)
	err := s.Update(context.Background(), func(tx store.Tx) error { return tx.Delete(k) })
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second Delete = %v, want ErrNotFound", err)
	}
}

func testInvalidKeys(t *testing.T, open Opener) {
	s := open(t)
	put(t, s, key(scopeA, "", "server", "s-1"), `{}`)
	cases := []struct {
		name string
		key  store.Key
	}{
		{"empty kind", key(scopeA, "", "", "x")},
		{"empty id", key(scopeA, "", "server", "")},
		{"slash in id", key(scopeA, "", "server", "s-1/user")},
		{"slash in kind", key(scopeA, "", "server/s-1", "x")},
		{"odd parent", key(scopeA, "server", "user", "x")},
		{"empty parent segment", key(scopeA, "server//s-1", "user", "x")},
		{"parent with trailing slash", key(scopeA, "server/s-1/", "user", "x")},
		{"NUL in id", key(scopeA, "", "server", "a\x00b")},
		{"invalid UTF-8 id", key(scopeA, "", "server", "a\xffb")},
		{"NUL in account", key(store.Scope{Account: "1\x00", Region: "r", Service: "s"}, "", "server", "x")},
		{"invalid UTF-8 parent", key(scopeA, "server/s-\xff", "user", "x")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := s.Update(context.Background(), func(tx store.Tx) error { return tx.Put(tc.key, []byte(`{}`)) })
			if !errors.Is(err, store.ErrInvalidKey) {
				t.Errorf("Put = %v, want ErrInvalidKey", err)
			}
			if _, err := get(t, s, tc.key); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("Get = %v, want ErrNotFound", err)
			}
			err = s.Update(context.Background(), func(tx store.Tx) error { return tx.Delete(tc.key) })
			if !errors.Is(err, store.ErrNotFound) {
				t.Errorf("Delete = %v, want ErrNotFound", err)
			}
		})
	}
	for _, c := range []store.Collection{
		{Scope: scopeA, Kind: ""},
		{Scope: scopeA, Kind: "a/b"},
		{Scope: scopeA, Parent: "server", Kind: "user"},
		{Scope: scopeA, Parent: "server/\x00", Kind: "user"},
	} {
		if items, next, err := list(t, s, c, store.Page{}); err != nil || len(items) != 0 || next != "" {
			t.Errorf("List(%+v) = %v, %q, %v, want an empty page", c, items, next, err)
		}
		if _, _, err := list(t, s, c, store.Page{Token: "x"}); !errors.Is(err, store.ErrInvalidToken) {
			t.Errorf("List(%+v) with a token = %v, want ErrInvalidToken", c, err)
		}
	}
	if ids := listAll(t, s, store.Collection{Scope: scopeA, Kind: "server"}, 0); !slices.Equal(ids, []string{"s-1"}) {
		t.Errorf("after invalid writes the store holds %v", ids)
	}
}

func testReadOnlyView(t *testing.T, open Opener) {
	s := open(t)
	k := key(scopeA, "", "server", "s-1")
	put(t, s, k, `1`)
	err := s.View(context.Background(), func(tx store.Tx) error { return tx.Put(k, []byte(`2`)) })
	if !errors.Is(err, store.ErrReadOnly) {
		t.Errorf("Put in View = %v, want ErrReadOnly", err)
	}
	err = s.View(context.Background(), func(tx store.Tx) error { return tx.Delete(k) })
	if !errors.Is(err, store.ErrReadOnly) {
		t.Errorf("Delete in View = %v, want ErrReadOnly", err)
	}
	mustGet(t, s, k, `1`)
}

func testTxAfterEnd(t *testing.T, open Opener) {
	s := open(t)
	k := key(scopeA, "", "server", "s-1")
	put(t, s, k, `1`)
	var kept store.Tx
	mustUpdate(t, s, func(tx store.Tx) error { kept = tx; return nil })
	if err := kept.Put(k, []byte(`2`)); err == nil {
		t.Error("Put through an ended transaction succeeded")
	}
	if _, err := kept.Get(k); err == nil {
		t.Error("Get through an ended transaction succeeded")
	}
	mustGet(t, s, k, `1`)
	// A canceled context fails the transaction and changes nothing.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Update(ctx, func(tx store.Tx) error { return tx.Put(k, []byte(`3`)) }); err == nil {
		t.Error("Update with a canceled context succeeded")
	}
	mustGet(t, s, k, `1`)
}

func testScoping(t *testing.T, open Opener) {
	s := open(t)
	scopes := []store.Scope{scopeA, scopeB, scopeC, scopeD}
	for i, sc := range scopes {
		srv := key(sc, "", "server", "s-1")
		put(t, s, srv, fmt.Sprintf(`{"scope":%d}`, i))
		put(t, s, srv.Child("user", "alice"), fmt.Sprintf(`{"user":%d}`, i))
	}
	// Only scope A holds s-2.
	put(t, s, key(scopeA, "", "server", "s-2"), `{"scope":0}`)

	for i, sc := range scopes {
		t.Run(fmt.Sprintf("%s/%s/%s", sc.Account, sc.Region, sc.Service), func(t *testing.T) {
			srv := key(sc, "", "server", "s-1")
			mustGet(t, s, srv, fmt.Sprintf(`{"scope":%d}`, i))
			mustGet(t, s, srv.Child("user", "alice"), fmt.Sprintf(`{"user":%d}`, i))
			want := []string{"s-1"}
			if sc == scopeA {
				want = []string{"s-1", "s-2"}
			} else {
				mustNotFound(t, s, key(sc, "", "server", "s-2"))
			}
			if got := listAll(t, s, srv.Collection(), 0); !slices.Equal(got, want) {
				t.Errorf("List servers = %v, want %v", got, want)
			}
		})
	}

	// Deleting in one scope leaves the others alone, children included.
	mustUpdate(t, s, func(tx store.Tx) error { return tx.Delete(key(scopeB, "", "server", "s-1")) })
	mustNotFound(t, s, key(scopeB, "", "server", "s-1"))
	mustNotFound(t, s, key(scopeB, "server/s-1", "user", "alice"))
	for _, sc := range []store.Scope{scopeA, scopeC, scopeD} {
		if _, err := get(t, s, key(sc, "server/s-1", "user", "alice")); err != nil {
			t.Errorf("delete in scope B removed %+v's user: %v", sc, err)
		}
	}
	// A token of one scope is refused in another.
	_, next, err := list(t, s, store.Collection{Scope: scopeA, Kind: "server"}, store.Page{Limit: 1})
	if err != nil || next == "" {
		t.Fatalf("List: next %q, %v", next, err)
	}
	if _, _, err := list(t, s, store.Collection{Scope: scopeC, Kind: "server"}, store.Page{Token: next, Limit: 1}); !errors.Is(err, store.ErrInvalidToken) {
		t.Errorf("token of scope A used in scope C: %v, want ErrInvalidToken", err)
	}
}
