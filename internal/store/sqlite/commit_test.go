package sqlite

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ersatz-dev/ersatz/internal/store"
)

type count struct {
	N int `json:"n"`
}

// TestGroupCommit holds the leader slot while updates queue up, so that they
// all run in one batch, and checks that failing and panicking fns in the
// batch change nothing while the others commit, once, together.
func TestGroupCommit(t *testing.T) {
	s := openT(t, t.TempDir())
	ctx := t.Context()
	counter := store.Key{Scope: srv.Scope, Kind: "counter", ID: "c"}
	key := func(i int) store.Key { return store.Key{Scope: srv.Scope, Kind: "item", ID: strconv.Itoa(i)} }

	const n = 60
	canceled, cancel := context.WithCancel(ctx)
	s.leader <- struct{}{} // no batch can start
	errs := make([]error, n)
	panics := make([]any, n)
	var wg sync.WaitGroup
	for i := range n {
		uctx := ctx
		if i%10 == 7 {
			uctx = canceled
		}
		wg.Go(func() {
			defer func() { panics[i] = recover() }()
			errs[i] = s.Update(uctx, func(tx store.Tx) error {
				if err := tx.Put(key(i), []byte(`{}`)); err != nil {
					return err
				}
				c, err := store.GetJSON[count](tx, counter)
				if err != nil && !errors.Is(err, store.ErrNotFound) {
					return err
				}
				c.N++
				if err := store.PutJSON(tx, counter, c); err != nil {
					return err
				}
				switch i % 10 {
				case 3:
					return fmt.Errorf("fn %d fails", i)
				case 5:
					panic(fmt.Sprintf("fn %d panics", i))
				}
				return nil
			})
		})
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		s.qmu.Lock()
		queued := len(s.queue)
		s.qmu.Unlock()
		if queued == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d updates queued", queued, n)
		}
		time.Sleep(time.Millisecond)
	}
	cancel() // the i%10 == 7 updates give up while queued
	before := s.commits.Load()
	<-s.leader
	wg.Wait()

	want := 0
	for i := range n {
		var exists bool
		err := s.View(ctx, func(tx store.Tx) error {
			_, err := tx.Get(key(i))
			exists = err == nil
			if errors.Is(err, store.ErrNotFound) {
				err = nil
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		switch i % 10 {
		case 3:
			if errs[i] == nil || exists {
				t.Errorf("failing fn %d: err %v, its write kept: %v", i, errs[i], exists)
			}
		case 5:
			if panics[i] != fmt.Sprintf("fn %d panics", i) || exists {
				t.Errorf("panicking fn %d: recovered %v, its write kept: %v", i, panics[i], exists)
			}
		case 7:
			if !errors.Is(errs[i], context.Canceled) || exists {
				t.Errorf("canceled update %d: err %v, its write kept: %v", i, errs[i], exists)
			}
		default:
			want++
			if errs[i] != nil || panics[i] != nil || !exists {
				t.Errorf("update %d: err %v, panic %v, write kept: %v", i, errs[i], panics[i], exists)
			}
		}
	}
	err := s.View(ctx, func(tx store.Tx) error {
		c, err := store.GetJSON[count](tx, counter)
		if err == nil && c.N != want {
			err = fmt.Errorf("counter = %d, want %d (one per kept update)", c.N, want)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.commits.Load() - before; got != 1 {
		t.Errorf("%d commits for one batch", got)
	}
}

// TestGroupCommitBatchesAreBounded queues more than maxBatch updates: they
// all run, in more than one commit.
func TestGroupCommitBatchesAreBounded(t *testing.T) {
	s := openT(t, t.TempDir())
	ctx := t.Context()
	n := maxBatch + 10
	s.leader <- struct{}{}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			k := store.Key{Scope: srv.Scope, Kind: "item", ID: strconv.Itoa(i)}
			if err := s.Update(ctx, func(tx store.Tx) error { return tx.Put(k, []byte(`{}`)) }); err != nil {
				errs <- err
			}
		})
	}
	for {
		s.qmu.Lock()
		queued := len(s.queue)
		s.qmu.Unlock()
		if queued == n {
			break
		}
		time.Sleep(time.Millisecond)
	}
	before := s.commits.Load()
	<-s.leader
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := s.commits.Load() - before; got != 2 {
		t.Errorf("%d updates took %d commits, want 2", n, got)
	}
	snap, err := store.Export(ctx, s)
	if err != nil || len(snap.Resources) != n {
		t.Fatalf("%d resources, %v; want %d", len(snap.Resources), err, n)
	}
}
