// Package memory is the in-memory store backend: fast, private to one process,
// and gone when the process exits.
//
// State lives in two B-trees of the same records, one ordered by (scope, path)
// for Get, cascading Delete and All, one by (scope, parent, kind, id) for List,
// so every operation is logarithmic in the number of resources and a List page
// costs the same however large the collection is.
//
// Transactions are serializable by construction: View holds a read lock and
// Update the write lock. Update works on copy-on-write clones of the trees and
// installs them only when fn returns nil, so an Update whose fn fails (or
// panics) changes nothing. fn must not call View or Update on the same store:
// the locks are not reentrant.
package memory

import (
	"context"
	"fmt"
	"sync"

	"github.com/google/btree"

	"github.com/ersatz-dev/ersatz/internal/store"
)

const degree = 32

type record struct {
	scope  store.Scope
	parent string
	kind   string
	id     string
	path   string
	data   []byte
}

func (r *record) item() store.Item {
	return store.Item{
		Key:  store.Key{Scope: r.scope, Parent: r.parent, Kind: r.kind, ID: r.id},
		Data: clone(r.data),
	}
}

func compareScope(a, b store.Scope) int {
	switch {
	case a.Account != b.Account:
		return cmpStr(a.Account, b.Account)
	case a.Region != b.Region:
		return cmpStr(a.Region, b.Region)
	default:
		return cmpStr(a.Service, b.Service)
	}
}

func cmpStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func lessPath(a, b *record) bool {
	if c := compareScope(a.scope, b.scope); c != 0 {
		return c < 0
	}
	return a.path < b.path
}

func lessColl(a, b *record) bool {
	if c := compareScope(a.scope, b.scope); c != 0 {
		return c < 0
	}
	if a.parent != b.parent {
		return a.parent < b.parent
	}
	if a.kind != b.kind {
		return a.kind < b.kind
	}
	return a.id < b.id
}

// Store is the in-memory backend. The zero value is not usable: call New.
type Store struct {
	mu     sync.RWMutex
	byPath *btree.BTreeG[*record]
	byColl *btree.BTreeG[*record]
	closed bool
}

var _ store.Store = (*Store)(nil)

// New returns an empty in-memory store.
func New() *Store {
	return &Store{
		byPath: btree.NewG(degree, lessPath),
		byColl: btree.NewG(degree, lessColl),
	}
}

// Kind returns "memory".
func (s *Store) Kind() string { return "memory" }

// Close drops the state; later calls fail with store.ErrClosed.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.byPath, s.byColl = nil, nil
	return nil
}

// View runs fn with a read lock held.
func (s *Store) View(ctx context.Context, fn func(store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return store.ErrClosed
	}
	t := &tx{byPath: s.byPath, byColl: s.byColl}
	defer func() { t.done = true }()
	return fn(t)
}

// Update runs fn with the write lock held, on clones of the trees that replace
// the store's only when fn returns nil and ctx is still live.
func (s *Store) Update(ctx context.Context, fn func(store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return store.ErrClosed
	}
	t := &tx{byPath: s.byPath.Clone(), byColl: s.byColl.Clone(), writable: true}
	defer func() { t.done = true }()
	if err := fn(t); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memory: update not applied: %w", err)
	}
	s.byPath, s.byColl = t.byPath, t.byColl
	return nil
}

// Reset deletes every resource.
func (s *Store) Reset(ctx context.Context) error {
	return s.Update(ctx, func(t store.Tx) error { return t.(*tx).DeleteAll() })
}

type tx struct {
	byPath   *btree.BTreeG[*record]
	byColl   *btree.BTreeG[*record]
	writable bool
	done     bool
}

var _ store.BulkTx = (*tx)(nil)

func (t *tx) check(write bool) error {
	if t.done {
		return fmt.Errorf("%w: transaction has ended", store.ErrClosed)
	}
	if write && !t.writable {
		return store.ErrReadOnly
	}
	return nil
}

func (t *tx) Get(key store.Key) ([]byte, error) {
	if err := t.check(false); err != nil {
		return nil, err
	}
	if err := store.NotFoundIfInvalid(key); err != nil {
		return nil, err
	}
	r, ok := t.byPath.Get(&record{scope: key.Scope, path: key.Path()})
	if !ok {
		return nil, store.ErrNotFound
	}
	return clone(r.data), nil
}

// Has is Get without the copy of the document (store.Haser).
func (t *tx) Has(key store.Key) (bool, error) {
	if err := t.check(false); err != nil {
		return false, err
	}
	if store.NotFoundIfInvalid(key) != nil {
		return false, nil
	}
	return t.byPath.Has(&record{scope: key.Scope, path: key.Path()}), nil
}

func (t *tx) Put(key store.Key, data []byte) error {
	if err := t.check(true); err != nil {
		return err
	}
	if err := store.ValidatePut("memory", key, data); err != nil {
		return err
	}
	r := &record{
		scope: key.Scope, parent: key.Parent, kind: key.Kind, id: key.ID,
		path: key.Path(), data: clone(data),
	}
	t.byPath.ReplaceOrInsert(r)
	t.byColl.ReplaceOrInsert(r)
	return nil
}

func (t *tx) Delete(key store.Key) error {
	if err := t.check(true); err != nil {
		return err
	}
	if err := store.NotFoundIfInvalid(key); err != nil {
		return err
	}
	path := key.Path()
	r, ok := t.byPath.Delete(&record{scope: key.Scope, path: path})
	if !ok {
		return store.ErrNotFound
	}
	t.byColl.Delete(r)
	lo, hi := store.PathRange(path)
	var below []*record
	t.byPath.AscendRange(&record{scope: key.Scope, path: lo}, &record{scope: key.Scope, path: hi},
		func(r *record) bool {
			below = append(below, r)
			return true
		})
	for _, r := range below {
		t.byPath.Delete(r)
		t.byColl.Delete(r)
	}
	return nil
}

func (t *tx) List(c store.Collection, page store.Page) ([]store.Item, string, error) {
	if err := t.check(false); err != nil {
		return nil, "", err
	}
	return store.ListPage(c, page, func(last string, limit int) ([]store.Item, error) {
		items := make([]store.Item, 0, min(max(limit, 0), 128))
		pivot := &record{scope: c.Scope, parent: c.Parent, kind: c.Kind, id: last}
		t.byColl.AscendGreaterOrEqual(pivot, func(r *record) bool {
			if r.scope != c.Scope || r.parent != c.Parent || r.kind != c.Kind {
				return false
			}
			if r.id == last {
				return true
			}
			items = append(items, r.item())
			return limit < 0 || len(items) < limit
		})
		return items, nil
	})
}

// All walks the path tree; in an Update it walks a clone of it, so that fn
// may write through the transaction. (A View must not clone: Clone writes to
// the tree it clones, and Views run concurrently.)
func (t *tx) All(fn func(store.Item) error) error {
	if err := t.check(false); err != nil {
		return err
	}
	tree := t.byPath
	if t.writable {
		tree = tree.Clone()
	}
	var err error
	tree.Ascend(func(r *record) bool {
		err = fn(r.item())
		return err == nil
	})
	return err
}

func (t *tx) DeleteAll() error {
	if err := t.check(true); err != nil {
		return err
	}
	t.byPath = btree.NewG(degree, lessPath)
	t.byColl = btree.NewG(degree, lessColl)
	return nil
}

func clone(b []byte) []byte {
	return append([]byte(nil), b...)
}
