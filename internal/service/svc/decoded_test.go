package svc

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/ersatz-dev/ersatz/internal/store"
	"github.com/ersatz-dev/ersatz/internal/store/memory"
	"github.com/ersatz-dev/ersatz/internal/store/sqlite"
)

type decRec struct {
	Name string   `json:"name"`
	List []string `json:"list"`
}

var decKey = store.Key{Scope: store.Scope{Account: "1", Region: "r", Service: "s"}, Kind: "thing", ID: "t-1"}

var errMissing = errors.New("missing thing")

func put(t *testing.T, st store.Store, doc string) {
	t.Helper()
	if err := st.Update(context.Background(), func(tx store.Tx) error { return tx.Put(decKey, []byte(doc)) }); err != nil {
		t.Fatal(err)
	}
}

func viewDec(t *testing.T, st store.Store, d *Decoded[decRec]) (decRec, error) {
	t.Helper()
	var v decRec
	err := st.View(context.Background(), func(tx store.Tx) error {
		var err error
		v, err = d.Get(tx, decKey, func() error { return errMissing })
		return err
	})
	return v, err
}

// TestDecoded: a document read again unchanged comes from the cache; one
// written again (by this handle or another on the same data) is decoded
// afresh; a deleted one is missing(); a document that is not a T is a
// decode error naming the key.
func TestDecoded(t *testing.T) {
	stores := map[string]func(t *testing.T) (writer, reader store.Store){
		"memory": func(t *testing.T) (store.Store, store.Store) { st := memory.New(); return st, st },
		// Two handles of one data directory, neither caching reads: the
		// writer's commits reach the reader through SQLite.
		"sqlite two handles": func(t *testing.T) (store.Store, store.Store) {
			dir := t.TempDir()
			a, err := sqlite.Open(context.Background(), dir)
			if err != nil {
				t.Fatal(err)
			}
			b, err := sqlite.Open(context.Background(), dir)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = a.Close(); _ = b.Close() })
			return a, b
		},
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			w, r := open(t)
			d := NewDecoded[decRec](0)
			if _, err := viewDec(t, r, d); !errors.Is(err, errMissing) {
				t.Fatalf("no document: %v", err)
			}
			put(t, w, `{"name":"one","list":["a"]}`)
			for i := range 2 {
				v, err := viewDec(t, r, d)
				if err != nil || v.Name != "one" || len(v.List) != 1 {
					t.Fatalf("read %d: %+v %v", i, v, err)
				}
				v.Name = "changed by the caller" // its own field: not the cache's
			}
			if n := d.Len(); n != 1 {
				t.Fatalf("the cache holds %d documents, want 1", n)
			}
			put(t, w, `{"name":"two","list":["a","b"]}`)
			if v, err := viewDec(t, r, d); err != nil || v.Name != "two" || len(v.List) != 2 {
				t.Fatalf("after a write: %+v %v", v, err)
			}
			put(t, w, `{"name":"one","list":["a"]}`) // back to a document the cache holds
			if v, err := viewDec(t, r, d); err != nil || v.Name != "one" {
				t.Fatalf("after writing the first document again: %+v %v", v, err)
			}
			if err := w.Update(context.Background(), func(tx store.Tx) error { return tx.Delete(decKey) }); err != nil {
				t.Fatal(err)
			}
			if _, err := viewDec(t, r, d); !errors.Is(err, errMissing) {
				t.Fatalf("after delete: %v", err)
			}
			put(t, w, `{"name":5}`)
			if _, err := viewDec(t, r, d); err == nil || !strings.Contains(err.Error(), decKey.Path()) {
				t.Fatalf("a document that is not a decRec: %v", err)
			}
		})
	}
}

// TestDecodedBound: past its bound the cache starts again, and a document
// larger than the bound is decoded but not kept.
func TestDecodedBound(t *testing.T) {
	st := memory.New()
	d := NewDecoded[decRec](100)
	for i := range 10 {
		put(t, st, fmt.Sprintf(`{"name":"n%02d","list":["0123456789"]}`, i)) // 34 bytes
		if v, err := viewDec(t, st, d); err != nil || v.Name != fmt.Sprintf("n%02d", i) {
			t.Fatalf("document %d: %+v %v", i, v, err)
		}
		if n := d.Len(); n > 2 {
			t.Fatalf("document %d: %d documents of 34 bytes held under a bound of 100", i, n)
		}
	}
	put(t, st, `{"name":"`+strings.Repeat("x", 200)+`"}`)
	if v, err := viewDec(t, st, d); err != nil || len(v.Name) != 200 {
		t.Fatalf("large document: %v", err)
	}
	if n := d.Len(); n > 2 {
		t.Fatalf("a document over the bound was kept: %d documents", n)
	}
}

// TestDecodedConcurrent: readers and a writer at once (run with -race):
// every read is one of the written documents, whole.
func TestDecodedConcurrent(t *testing.T) {
	st := memory.New()
	d := NewDecoded[decRec](0)
	put(t, st, `{"name":"v0","list":["v0"]}`)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				v, err := viewDec(t, st, d)
				if err != nil || len(v.List) != 1 || v.List[0] != v.Name {
					t.Errorf("torn read: %+v %v", v, err)
					return
				}
			}
		})
	}
	for i := 1; i <= 200; i++ {
		put(t, st, fmt.Sprintf(`{"name":"v%d","list":["v%d"]}`, i%7, i%7))
	}
	close(stop)
	wg.Wait()
}
