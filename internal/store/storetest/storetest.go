// Package storetest is the contract every store backend must meet, as a test
// suite (Run) and a set of benchmarks (Bench) that each backend's tests run
// against it.
package storetest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
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

func paginationIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		switch {
		case i%97 == 0:
			ids[i] = fmt.Sprintf("ü-%d", i) // sorts after ASCII, bytewise
		case i%89 == 0:
			ids[i] = fmt.Sprintf("R-%d", i) // upper case sorts before lower
		case i%83 == 0:
			ids[i] = fmt.Sprintf("r_%d", i)
		default:
			ids[i] = fmt.Sprintf("r-%d", i) // r-1 < r-10 < r-100 < r-11 bytewise
		}
	}
	return ids
}

func testPagination(t *testing.T, open Opener) {
	s := open(t)
	const n = 1000
	ids := paginationIDs(n)
	parent := key(scopeA, "", "app", "a-1")
	c := parent.Child("item", "x").Collection()
	shuffled := slices.Clone(ids)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	mustUpdate(t, s, func(tx store.Tx) error {
		for _, id := range shuffled {
			k := parent.Child("item", id)
			if err := tx.Put(k, []byte(fmt.Sprintf(`{"id":%q}`, id))); err != nil {
				return err
			}
		}
		// Noise that must not show up in the collection.
		noise := []store.Key{
			parent.Child("item", ids[3]).Child("sub", "x"),
			parent.Child("item", ids[4]).Child("item", "nested"),
			parent.Child("other", "r-5"),
			key(scopeA, "", "item", "top"),
			key(scopeA, "app/a-10", "item", "r-1"),
			key(scopeB, parent.Path(), "item", "r-1"),
		}
		for _, k := range noise {
			if err := tx.Put(k, []byte(`{}`)); err != nil {
				return err
			}
		}
		return nil
	})
	want := slices.Clone(ids)
	slices.Sort(want) // bytewise, like every backend

	for _, limit := range []int{1, 7, 100, 999, 1000, 1001, 0} {
		t.Run(fmt.Sprintf("limit=%d", limit), func(t *testing.T) {
			got := listAll(t, s, c, limit)
			if !slices.Equal(got, want) {
				t.Fatalf("listed %d ids, want %d; first difference at %d", len(got), len(want), firstDiff(got, want))
			}
		})
	}
	// Documents come back with their ids, and a page of exactly the remaining
	// items has no next token.
	items, next, err := list(t, s, c, store.Page{Limit: n})
	if err != nil || next != "" || len(items) != n {
		t.Fatalf("List(limit %d) = %d items, next %q, %v", n, len(items), next, err)
	}
	for _, it := range items {
		if string(it.Data) != fmt.Sprintf(`{"id":%q}`, it.Key.ID) {
			t.Fatalf("item %s has data %s", it.Key.ID, it.Data)
		}
	}
	// An empty collection lists nothing.
	items, next, err = list(t, s, store.Collection{Scope: scopeA, Kind: "nothing"}, store.Page{Limit: 5})
	if err != nil || next != "" || len(items) != 0 {
		t.Fatalf("empty List = %v, %q, %v", items, next, err)
	}
}

func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// testPaginationStability changes the collection between pages and checks
// that every page is exactly what keyset pagination promises: the first Limit
// ids, in the collection as it is then, that are greater than the last id
// already returned.
func testPaginationStability(t *testing.T, open Opener) {
	s := open(t)
	c := store.Collection{Scope: scopeA, Kind: "item"}
	var model []string // sorted ids currently stored
	add := func(tx store.Tx, id string) error {
		if i, found := slices.BinarySearch(model, id); !found {
			model = slices.Insert(model, i, id)
		}
		return tx.Put(key(scopeA, "", "item", id), []byte(`{}`))
	}
	del := func(tx store.Tx, id string) error {
		if i, found := slices.BinarySearch(model, id); found {
			model = slices.Delete(model, i, i+1)
		}
		return tx.Delete(key(scopeA, "", "item", id))
	}
	mustUpdate(t, s, func(tx store.Tx) error {
		for i := 0; i < 100; i += 2 {
			if err := add(tx, fmt.Sprintf("k-%03d", i)); err != nil {
				return err
			}
		}
		return nil
	})
	original := slices.Clone(model)
	deleted := map[string]bool{}

	const limit = 5
	var got []string
	token, last := "", ""
	for round := 0; ; round++ {
		if round > 200 {
			t.Fatal("pagination does not end")
		}
		items, next, err := list(t, s, c, store.Page{Token: token, Limit: limit})
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		// What keyset pagination promises.
		i, _ := slices.BinarySearch(model, last)
		if i < len(model) && model[i] == last {
			i++
		}
		want := model[i:min(i+limit, len(model))]
		var page []string
		for _, it := range items {
			page = append(page, it.Key.ID)
		}
		if !slices.Equal(page, want) {
			t.Fatalf("round %d after %q: page %v, want %v", round, last, page, want)
		}
		got = append(got, page...)
		if next == "" {
			if i+limit < len(model) {
				t.Fatalf("round %d: no next token, but %d ids remain", round, len(model)-i-limit)
			}
			break
		}
		last = page[len(page)-1]
		token = next
		// Change the collection around the cursor.
		mustUpdate(t, s, func(tx store.Tx) error {
			if err := add(tx, last+"-after"); err != nil { // must be listed next
				return err
			}
			if err := add(tx, "a-before-"+last); err != nil { // must never be listed
				return err
			}
			j, _ := slices.BinarySearch(model, last)
			if j+3 < len(model) { // an id ahead of the cursor: must not be listed
				deleted[model[j+3]] = true
				if err := del(tx, model[j+3]); err != nil {
					return err
				}
			}
			deleted[last] = true
			return del(tx, last) // the token's own id: the token must still work
		})
	}
	if !slices.IsSorted(got) || len(slices.Compact(slices.Clone(got))) != len(got) {
		t.Fatalf("ids not strictly increasing: %v", got)
	}
	for _, id := range original {
		if !deleted[id] && !slices.Contains(got, id) {
			t.Errorf("%s was present throughout but never listed", id)
		}
	}
	for _, id := range got {
		if strings.HasPrefix(id, "a-before-") {
			t.Errorf("%s was inserted behind the cursor but listed", id)
		}
	}
}

func testInvalidTokens(t *testing.T, open Opener) {
	s := open(t)
	parent := key(scopeA, "", "server", "s-1")
	c := parent.Child("user", "x").Collection()
	other := parent.Child("key", "x").Collection()
	mustUpdate(t, s, func(tx store.Tx) error {
		for _, id := range []string{"alice", "bob", "carol"} {
			if err := tx.Put(parent.Child("user", id), []byte(`{}`)); err != nil {
				return err
			}
			if err := tx.Put(parent.Child("key", id), []byte(`{}`)); err != nil {
				return err
			}
		}
		return nil
	})
	items, tok, err := list(t, s, c, store.Page{Limit: 1})
	if err != nil || tok == "" || len(items) != 1 || items[0].Key.ID != "alice" {
		t.Fatalf("first page = %v, %q, %v", items, tok, err)
	}
	items, _, err = list(t, s, c, store.Page{Token: tok, Limit: 1})
	if err != nil || len(items) != 1 || items[0].Key.ID != "bob" {
		t.Fatalf("second page = %v, %v", items, err)
	}
	_, otherTok, err := list(t, s, other, store.Page{Limit: 1})
	if err != nil || otherTok == "" {
		t.Fatalf("other collection: %q, %v", otherTok, err)
	}

	rawTok, err := base64URL(tok)
	if err != nil {
		t.Fatalf("token %q is not base64url: %v", tok, err)
	}
	flip := func(i int) string {
		b := slices.Clone(rawTok)
		b[i] ^= 0x01
		return encodeBase64URL(b)
	}
	foreign := func(mod func(*store.Collection)) string {
		c2 := c
		mod(&c2)
		return store.EncodeToken(c2, "alice")
	}
	cases := []struct{ name, token string }{
		{"garbage", "not a token!"},
		{"percent signs", "%%%%"},
		{"random base64", encodeBase64URL([]byte("0123456789abcdef0123456789abcdef"))},
		{"short", "AA"},
		{"truncated", tok[:len(tok)-2]},
		{"truncated to half", tok[:len(tok)/2]},
		{"extended", tok + "AAAA"},
		{"tampered version", flip(0)},
		{"tampered fingerprint", flip(3)},
		{"tampered id", flip(10)},
		{"tampered mac", flip(len(rawTok) - 1)},
		{"padded", tok + "="},
		{"very long", strings.Repeat("A", 100000)},
		{"another kind", otherTok},
		{"another parent", foreign(func(c *store.Collection) { c.Parent = "server/s-2" })},
		{"another account", foreign(func(c *store.Collection) { c.Account = "999999999999" })},
		{"another region", foreign(func(c *store.Collection) { c.Region = "eu-west-1" })},
		{"another service", foreign(func(c *store.Collection) { c.Service = "amplifybackend" })},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			items, next, err := list(t, s, c, store.Page{Token: tc.token, Limit: 1})
			if !errors.Is(err, store.ErrInvalidToken) {
				t.Fatalf("List with %q = %d items, %q, %v; want ErrInvalidToken", tc.token, len(items), next, err)
			}
		})
	}
}

func testCascadeDelete(t *testing.T, open Opener) {
	s := open(t)
	s1 := key(scopeA, "", "server", "s-1")
	s10 := key(scopeA, "", "server", "s-10")
	s1x := key(scopeA, "", "server", "s-1x")
	s1dot := key(scopeA, "", "server", "s-1.")
	host := key(scopeA, "", "host", "s-1")
	otherScope := key(scopeB, "", "server", "s-1")
	gone := []store.Key{
		s1,
		s1.Child("user", "alice"),
		s1.Child("user", "bob"),
		s1.Child("user", "alice").Child("key", "k-1"),
		s1.Child("user", "alice").Child("key", "k-1").Child("tag", "t"),
		s1.Child("workflow", "w-1"),
	}
	kept := []store.Key{
		s10, s10.Child("user", "alice"), s10.Child("user", "alice").Child("key", "k-1"),
		s1x, s1x.Child("user", "alice"),
		s1dot, s1dot.Child("user", "alice"),
		host, host.Child("user", "alice"),
		otherScope, otherScope.Child("user", "alice"),
	}
	mustUpdate(t, s, func(tx store.Tx) error {
		for _, k := range slices.Concat(gone, kept) {
			if err := tx.Put(k, []byte(fmt.Sprintf(`{"path":%q}`, k.Path()))); err != nil {
				return err
			}
		}
		return nil
	})
	// Deleting a child removes only its subtree.
	mustUpdate(t, s, func(tx store.Tx) error { return tx.Delete(s1.Child("user", "bob")) })
	mustNotFound(t, s, s1.Child("user", "bob"))
	mustGet(t, s, s1.Child("user", "alice").Child("key", "k-1"), fmt.Sprintf(`{"path":%q}`, s1.Child("user", "alice").Child("key", "k-1").Path()))

	mustUpdate(t, s, func(tx store.Tx) error { return tx.Delete(s1) })
	for _, k := range gone {
		mustNotFound(t, s, k)
	}
	for _, k := range kept {
		mustGet(t, s, k, fmt.Sprintf(`{"path":%q}`, k.Path()))
	}
	if got := listAll(t, s, s1.Child("user", "x").Collection(), 0); len(got) != 0 {
		t.Errorf("users of the deleted server still listed: %v", got)
	}
	if got := listAll(t, s, s1.Collection(), 0); !slices.Equal(got, []string{"s-1.", "s-10", "s-1x"}) {
		t.Errorf("servers = %v", got)
	}
	// The export agrees: exactly the kept resources remain.
	snap := export(t, s)
	if len(snap.Resources) != len(kept) {
		t.Errorf("%d resources remain, want %d", len(snap.Resources), len(kept))
	}
}

var errBoom = errors.New("boom")

func testFailedUpdate(t *testing.T, open Opener) {
	s := open(t)
	a := key(scopeA, "", "server", "a")
	b := key(scopeA, "", "server", "b")
	mustUpdate(t, s, func(tx store.Tx) error {
		for _, k := range []store.Key{a, a.Child("user", "u"), b} {
			if err := tx.Put(k, []byte(`{"orig":true}`)); err != nil {
				return err
			}
		}
		return nil
	})
	before := snapshotText(t, export(t, s))
	mutate := func(tx store.Tx) error {
		if err := tx.Put(key(scopeA, "", "server", "c"), []byte(`{}`)); err != nil {
			return err
		}
		if err := tx.Put(b, []byte(`{"orig":false}`)); err != nil {
			return err
		}
		if err := tx.Delete(a); err != nil {
			return err
		}
		return tx.Put(key(scopeB, "", "server", "z"), []byte(`{}`))
	}
	err := s.Update(context.Background(), func(tx store.Tx) error {
		if err := mutate(tx); err != nil {
			return err
		}
		return fmt.Errorf("wrapped: %w", errBoom)
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("Update returned %v, want fn's error", err)
	}
	if after := snapshotText(t, export(t, s)); after != before {
		t.Fatalf("a failed Update changed the store:\nbefore %s\nafter %s", before, after)
	}

	// A panicking fn changes nothing either, and the store stays usable.
	func() {
		defer func() {
			if recover() == nil {
				t.Error("panic was swallowed")
			}
		}()
		_ = s.Update(context.Background(), func(tx store.Tx) error {
			if err := mutate(tx); err != nil {
				return err
			}
			panic("fn panics")
		})
	}()
	if after := snapshotText(t, export(t, s)); after != before {
		t.Fatalf("a panicking Update changed the store:\nbefore %s\nafter %s", before, after)
	}
	put(t, s, key(scopeA, "", "server", "d"), `{}`)
	mustGet(t, s, key(scopeA, "", "server", "d"), `{}`)
}

type counter struct {
	N int `json:"n"`
}

// testConcurrentIncrements: 64 goroutines read-modify-write one JSON counter
// 1,000 times in total; no increment may be lost.
func testConcurrentIncrements(t *testing.T, open Opener) {
	RunIncrements(t, []store.Store{open(t)}, 64, 1000)
}

// RunIncrements has workers goroutines increment one JSON counter total times
// in all, spread over stores (which may be several handles on one database),
// and checks that the counter reads exactly total afterwards.
func RunIncrements(t *testing.T, stores []store.Store, workers, total int) {
	t.Helper()
	ctx := context.Background()
	k := key(scopeA, "", "counter", "c")
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		n := total / workers
		if w < total%workers {
			n++
		}
		s := stores[w%len(stores)]
		wg.Go(func() {
			for range n {
				err := s.Update(ctx, func(tx store.Tx) error {
					c, err := store.GetJSON[counter](tx, k)
					if err != nil && !errors.Is(err, store.ErrNotFound) {
						return err
					}
					c.N++
					return store.PutJSON(tx, k, c)
				})
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("increment: %v", err)
	}
	for i, s := range stores {
		var c counter
		err := s.View(ctx, func(tx store.Tx) error {
			var err error
			c, err = store.GetJSON[counter](tx, k)
			return err
		})
		if err != nil {
			t.Fatalf("store %d: read counter: %v", i, err)
		}
		if c.N != total {
			t.Errorf("store %d: counter = %d after %d increments", i, c.N, total)
		}
	}
}

type document struct {
	Writer int   `json:"writer"`
	Seq    int   `json:"seq"`
	Fill   []int `json:"fill"`
}

func (d document) check() error {
	if len(d.Fill) != 64 {
		return fmt.Errorf("document of writer %d has %d fill values, want 64", d.Writer, len(d.Fill))
	}
	for _, v := range d.Fill {
		if v != d.Writer*1000+d.Seq {
			return fmt.Errorf("document of writer %d seq %d mixes in %d", d.Writer, d.Seq, v)
		}
	}
	return nil
}

// testConcurrentDocuments: many goroutines replace one document while others
// read it; every read, and the final state, is one complete document.
func testConcurrentDocuments(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	k := key(scopeA, "", "doc", "d")
	const writers, writes, readers = 64, 3, 4
	var wg sync.WaitGroup
	errs := make(chan error, writers+readers)
	stop := make(chan struct{})
	for w := range writers {
		wg.Go(func() {
			for i := range writes {
				d := document{Writer: w, Seq: i, Fill: make([]int, 64)}
				for j := range d.Fill {
					d.Fill[j] = w*1000 + i
				}
				if err := s.Update(ctx, func(tx store.Tx) error { return store.PutJSON(tx, k, d) }); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	var rwg sync.WaitGroup
	for range readers {
		rwg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				err := s.View(ctx, func(tx store.Tx) error {
					d, err := store.GetJSON[document](tx, k)
					if errors.Is(err, store.ErrNotFound) {
						return nil
					}
					if err != nil {
						return err
					}
					return d.check()
				})
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	rwg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	var d document
	err := s.View(ctx, func(tx store.Tx) error {
		var err error
		d, err = store.GetJSON[document](tx, k)
		return err
	})
	if err != nil {
		t.Fatalf("final read: %v", err)
	}
	if err := d.check(); err != nil {
		t.Fatal(err)
	}
	if d.Writer < 0 || d.Writer >= writers || d.Seq < 0 || d.Seq >= writes {
		t.Fatalf("final document %+v was never written", d)
	}
}

func testReset(t *testing.T, open Opener) {
	s := open(t)
	for _, sc := range []store.Scope{scopeA, scopeB, scopeC, scopeD} {
		srv := key(sc, "", "server", "s-1")
		put(t, s, srv, `{}`)
		put(t, s, srv.Child("user", "u"), `{}`)
	}
	if err := s.Reset(context.Background()); err != nil {
		t.Fatalf("Reset: %v", err)
	}
	if snap := export(t, s); len(snap.Resources) != 0 {
		t.Fatalf("%d resources survived Reset", len(snap.Resources))
	}
	for _, sc := range []store.Scope{scopeA, scopeB, scopeC, scopeD} {
		mustNotFound(t, s, key(sc, "", "server", "s-1"))
	}
	put(t, s, key(scopeA, "", "server", "s-2"), `{"after":"reset"}`)
	mustGet(t, s, key(scopeA, "", "server", "s-2"), `{"after":"reset"}`)
}

func testJSONHelpers(t *testing.T, open Opener) {
	s := open(t)
	type user struct {
		Name string `json:"name"`
		Age  int    `json:"age"`
	}
	parent := key(scopeA, "", "server", "s-1")
	mustUpdate(t, s, func(tx store.Tx) error {
		for i, n := range []string{"bob", "alice", "carol"} {
			if err := store.PutJSON(tx, parent.Child("user", n), user{n, 20 + i}); err != nil {
				return err
			}
		}
		return nil
	})
	err := s.View(context.Background(), func(tx store.Tx) error {
		u, err := store.GetJSON[user](tx, parent.Child("user", "alice"))
		if err != nil || u != (user{"alice", 21}) {
			return fmt.Errorf("GetJSON = %+v, %v", u, err)
		}
		if _, err := store.GetJSON[user](tx, parent.Child("user", "dave")); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("GetJSON(missing) = %v", err)
		}
		if _, err := store.GetJSON[[]int](tx, parent.Child("user", "bob")); err == nil {
			return errors.New("GetJSON into the wrong type succeeded")
		}
		us, next, err := store.ListJSON[user](tx, parent.Child("user", "x").Collection(), store.Page{Limit: 2})
		if err != nil || next == "" || !slices.Equal(us, []user{{"alice", 21}, {"bob", 20}}) {
			return fmt.Errorf("ListJSON = %+v, %q, %v", us, next, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Update(context.Background(), func(tx store.Tx) error {
		return store.PutJSON(tx, parent, func() {})
	})
	if err == nil {
		t.Fatal("PutJSON of a func succeeded")
	}
}

func populate(t testing.TB, s store.Store) {
	t.Helper()
	mustUpdate(t, s, func(tx store.Tx) error {
		for i, sc := range []store.Scope{scopeD, scopeC, scopeB, scopeA} {
			for _, id := range []string{"s-2", "s-10", "s-1"} {
				srv := key(sc, "", "server", id)
				docs := map[store.Key]string{
					srv:                        fmt.Sprintf(`{"scope":%d,"id":%q,"html":"<b>&amp;</b>","uni":"é✓"}`, i, id),
					srv.Child("user", "alice"): `{"n":1}`,
					srv.Child("user", "alice").Child("key", "k"): `[1,2,3]`,
					srv.Child("user", "bob"):                     `"bob"`,
					key(sc, "", "host", id):                      `null`,
				}
				for k, d := range docs {
					if err := tx.Put(k, []byte(d)); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
}

func testExportImport(t *testing.T, open Opener) {
	src := open(t)
	populate(t, src)
	snap := export(t, src)
	if snap.Format != store.SnapshotFormat || snap.Version != store.SnapshotVersion {
		t.Fatalf("snapshot header = %q %d", snap.Format, snap.Version)
	}
	if len(snap.Resources) != 4*3*5 {
		t.Fatalf("exported %d resources, want %d", len(snap.Resources), 4*3*5)
	}
	sorted := slices.IsSortedFunc(snap.Resources, func(a, b store.SnapshotResource) int {
		ka, kb := a.Key(), b.Key()
		return strings.Compare(
			strings.Join([]string{ka.Account, ka.Region, ka.Service, ka.Path()}, "\x00"),
			strings.Join([]string{kb.Account, kb.Region, kb.Service, kb.Path()}, "\x00"))
	})
	if !sorted {
		t.Error("exported resources are not ordered by (account, region, service, path)")
	}
	text := snapshotText(t, snap)
	if again := snapshotText(t, export(t, src)); again != text {
		t.Error("two exports of the same state differ")
	}
	var generic map[string]any
	if err := json.Unmarshal([]byte(text), &generic); err != nil {
		t.Fatalf("snapshot is not JSON: %v\n%s", err, text)
	}
	if generic["format"] != "ersatz-state" || generic["version"] != float64(1) {
		t.Errorf("snapshot header = %v %v", generic["format"], generic["version"])
	}
	if !strings.Contains(text, `"html":"<b>&amp;</b>"`) || !strings.Contains(text, `"uni":"é✓"`) {
		t.Errorf("snapshot does not keep data readable:\n%s", text)
	}

	read, err := store.ReadSnapshot(strings.NewReader(text))
	if err != nil {
		t.Fatalf("ReadSnapshot: %v", err)
	}
	dst := open(t)
	put(t, dst, key(scopeA, "", "server", "stale"), `{"stale":true}`)
	put(t, dst, key(scopeB, "", "junk", "j"), `{}`)
	if err := store.Import(context.Background(), dst, read); err != nil {
		t.Fatalf("Import: %v", err)
	}
	if got := snapshotText(t, export(t, dst)); got != text {
		t.Fatalf("round trip differs:\n got %s\nwant %s", got, text)
	}
	mustNotFound(t, dst, key(scopeA, "", "server", "stale"))
	mustGet(t, dst, key(scopeC, "server/s-10/user/alice", "key", "k"), `[1,2,3]`)
	if ids := listAll(t, dst, store.Collection{Scope: scopeB, Kind: "server"}, 2); !slices.Equal(ids, []string{"s-1", "s-10", "s-2"}) {
		t.Errorf("imported servers list as %v", ids)
	}

	// Indented data is stored compacted; an empty snapshot empties the store.
	indented := `{"format":"ersatz-state","version":1,"resources":[
		{"account":"1","region":"r","service":"s","parent":"","kind":"k","id":"i","data":{ "a" : [ 1, 2 ] }}]}`
	snap2, err := store.ReadSnapshot(strings.NewReader(indented))
	if err != nil {
		t.Fatalf("ReadSnapshot: %v", err)
	}
	if err := store.Import(context.Background(), dst, snap2); err != nil {
		t.Fatalf("Import: %v", err)
	}
	mustGet(t, dst, key(store.Scope{Account: "1", Region: "r", Service: "s"}, "", "k", "i"), `{"a":[1,2]}`)
	empty, err := store.ReadSnapshot(strings.NewReader(`{"format":"ersatz-state","version":1,"resources":[]}`))
	if err != nil {
		t.Fatalf("ReadSnapshot(empty): %v", err)
	}
	if err := store.Import(context.Background(), dst, empty); err != nil {
		t.Fatalf("Import(empty): %v", err)
	}
	if n := len(export(t, dst).Resources); n != 0 {
		t.Fatalf("%d resources after importing an empty snapshot", n)
	}
}

func testRejectedImports(t *testing.T, open Opener) {
	s := open(t)
	populate(t, s)
	before := snapshotText(t, export(t, s))
	ok := func(mod func(*store.Snapshot)) *store.Snapshot {
		snap := &store.Snapshot{Format: store.SnapshotFormat, Version: 1, Resources: []store.SnapshotResource{
			{Account: "1", Region: "r", Service: "s", Kind: "server", ID: "a", Data: json.RawMessage(`{}`)},
			{Account: "1", Region: "r", Service: "s", Parent: "server/a", Kind: "user", ID: "u", Data: json.RawMessage(`{}`)},
		}}
		mod(snap)
		return snap
	}
	snaps := []struct {
		name string
		snap *store.Snapshot
	}{
		{"nil", nil},
		{"wrong format", ok(func(s *store.Snapshot) { s.Format = "other-state" })},
		{"newer version", ok(func(s *store.Snapshot) { s.Version = 2 })},
		{"version zero", ok(func(s *store.Snapshot) { s.Version = 0 })},
		{"no resources", ok(func(s *store.Snapshot) { s.Resources = nil })},
		{"invalid data", ok(func(s *store.Snapshot) { s.Resources[1].Data = json.RawMessage(`{"a":`) })},
		{"missing data", ok(func(s *store.Snapshot) { s.Resources[1].Data = nil })},
		{"invalid key", ok(func(s *store.Snapshot) { s.Resources[1].ID = "a/b" })},
		{"empty kind", ok(func(s *store.Snapshot) { s.Resources[0].Kind = "" })},
		{"duplicate", ok(func(s *store.Snapshot) { s.Resources[1] = s.Resources[0] })},
	}
	for _, tc := range snaps {
		t.Run("Import/"+tc.name, func(t *testing.T) {
			err := store.Import(context.Background(), s, tc.snap)
			if !errors.Is(err, store.ErrInvalidSnapshot) {
				t.Fatalf("Import = %v, want ErrInvalidSnapshot", err)
			}
			if after := snapshotText(t, export(t, s)); after != before {
				t.Fatal("a rejected Import changed the store")
			}
		})
	}
	docs := []struct{ name, doc string }{
		{"empty", ``},
		{"truncated", `{"format":"ersatz-state","version":1,"resources":[`},
		{"not an object", `[]`},
		{"wrong format", `{"format":"other","version":1,"resources":[]}`},
		{"no format", `{"version":1,"resources":[]}`},
		{"newer version", `{"format":"ersatz-state","version":2,"resources":[{"whatever":"shape"}]}`},
		{"string version", `{"format":"ersatz-state","version":"1","resources":[]}`},
		{"no resources", `{"format":"ersatz-state","version":1}`},
		{"null resources", `{"format":"ersatz-state","version":1,"resources":null}`},
		{"resources not an array", `{"format":"ersatz-state","version":1,"resources":{}}`},
		{"missing data", `{"format":"ersatz-state","version":1,"resources":[{"account":"1","region":"r","service":"s","parent":"","kind":"k","id":"i"}]}`},
		{"trailing garbage", `{"format":"ersatz-state","version":1,"resources":[]} {}`},
		{"bad key", `{"format":"ersatz-state","version":1,"resources":[{"kind":"k","id":"","data":{}}]}`},
	}
	for _, tc := range docs {
		t.Run("ReadSnapshot/"+tc.name, func(t *testing.T) {
			snap, err := store.ReadSnapshot(strings.NewReader(tc.doc))
			if !errors.Is(err, store.ErrInvalidSnapshot) {
				t.Fatalf("ReadSnapshot = %+v, %v; want ErrInvalidSnapshot", snap, err)
			}
		})
	}
	if after := snapshotText(t, export(t, s)); after != before {
		t.Fatal("rejected imports changed the store")
	}
}

func base64URL(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }

func encodeBase64URL(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
