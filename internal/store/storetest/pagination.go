package storetest

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/ersatz-dev/ersatz/internal/store"
)

// The contract of pages: every item once, in order, across pages and
// concurrent writes; tokens of another collection, or forged, are refused.

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

func base64URL(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }

func encodeBase64URL(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
