package svc

import (
	"testing"

	"github.com/ersatz-dev/ersatz/internal/store"
)

// FuzzCursorPage feeds page tokens and sizes from outside: a token the kit did
// not hand out is the service's bad-token error, and any page cut holds at
// most limit items, all after the token, with a next token that decodes.
func FuzzCursorPage(f *testing.F) {
	k := testKit()
	coll := store.Collection{Scope: store.Scope{Account: "1", Region: "r", Service: "transfer"}, Kind: "thing"}
	items := []string{"a", "b", "c", "d", "e"}
	f.Add("", 2)
	f.Add(store.EncodeToken(coll, "b"), 2)
	f.Add(store.EncodeToken(coll, ""), 1)
	f.Add("AAAA", 3)
	f.Add("!", -1)
	f.Fuzz(func(t *testing.T, token string, limit int) {
		cur, err := k.Cursor(coll, token, limit)
		if err != nil {
			if err != errBadToken {
				t.Fatalf("token %q: %v", token, err)
			}
			return
		}
		page, next := Page(cur, items, func(s string) string { return s })
		if len(page) > max(limit, 0) {
			t.Fatalf("%d items for limit %d", len(page), limit)
		}
		for _, p := range page {
			if !cur.After(p) {
				t.Fatalf("%s is not after the token", p)
			}
		}
		if next != nil {
			if _, err := k.Cursor(coll, *next, limit); err != nil {
				t.Fatalf("the next token does not decode: %v", err)
			}
		}
	})
}
