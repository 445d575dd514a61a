package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/ersatz-dev/ersatz/internal/store"
)

// testExists: store.Exists agrees with Get in Views (before and after the
// backend has read the key) and in Updates (seeing the Update's own puts
// and deletes), and is false for a key no resource can have.
func testExists(t *testing.T, open Opener) {
	s := open(t)
	have := key(scopeA, "", "server", "s-1")
	child := have.Child("user", "alice")
	missing := key(scopeA, "", "server", "s-2")
	invalid := key(scopeA, "", "server", "s-1/user")
	put(t, s, have, `{"a":1}`)
	put(t, s, child, `{"b":2}`)
	want := map[store.Key]bool{have: true, child: true, missing: false, invalid: false}
	check := func(tx store.Tx, when string, want map[store.Key]bool) error {
		for k, w := range want {
			for range 2 { // the second time, a caching backend knows the key
				got, err := store.Exists(tx, k)
				if err != nil {
					return err
				}
				if got != w {
					t.Errorf("%s: Exists(%s) = %v, want %v", when, k.Path(), got, w)
				}
			}
		}
		return nil
	}
	ctx := context.Background()
	for _, when := range []string{"first view", "second view"} {
		if err := s.View(ctx, func(tx store.Tx) error { return check(tx, when, want) }); err != nil {
			t.Fatal(err)
		}
	}
	errRollback := errors.New("roll back")
	err := s.Update(ctx, func(tx store.Tx) error {
		if err := tx.Delete(have); err != nil {
			return err
		}
		if err := tx.Put(missing, []byte(`{}`)); err != nil {
			return err
		}
		if err := check(tx, "in an update", map[store.Key]bool{have: false, child: false, missing: true}); err != nil {
			return err
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatalf("Update: %v", err)
	}
	if err := s.View(ctx, func(tx store.Tx) error { return check(tx, "after the rolled back update", want) }); err != nil {
		t.Fatal(err)
	}
	mustUpdate(t, s, func(tx store.Tx) error { return tx.Delete(have) })
	if err := s.View(ctx, func(tx store.Tx) error {
		return check(tx, "after delete", map[store.Key]bool{have: false, child: false, missing: false})
	}); err != nil {
		t.Fatal(err)
	}
}
