package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/ersatz-dev/ersatz/internal/store"
)

// The contract of transactions: cascading deletes, failed updates that
// change nothing, and concurrent read-modify-writes that lose nothing.

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
