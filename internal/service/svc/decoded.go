package svc

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/ersatz-dev/ersatz/internal/store"
)

// DefaultDecodedBytes bounds a Decoded cache when NewDecoded is given no
// bound: 4 MiB of documents.
const DefaultDecodedBytes = 4 << 20

// Decoded remembers the decoded form of JSON documents, keyed by the
// documents' bytes, so that a hot read (DescribeUser, say) decodes a
// record once rather than on every request.
//
// The key is the document itself, not where it lives: Get still reads the
// document in the caller's transaction and looks up exactly the bytes it
// read. A cached value can therefore never be stale, whatever wrote the
// document (this process, another handle of the same data directory, or
// another process sharing a PostgreSQL database); two equal documents share
// one decoded value. What the cache saves is the decoding, not the read.
//
// It is bounded: once the documents it holds exceed its bound it starts
// again empty (no recency is tracked; the hot records come back at once).
//
// A value handed out shares its slices, maps and pointed-to values with the
// cache and with every other request reading the same document: callers may
// read them and set the returned T's own fields, but must never write
// through them. Use it only on read paths whose results are encoded and
// dropped.
type Decoded[T any] struct {
	max   int
	mu    sync.RWMutex
	byDoc map[string]*T
	size  int
}

// NewDecoded returns an empty cache holding at most maxBytes of documents
// (DefaultDecodedBytes when maxBytes <= 0).
func NewDecoded[T any](maxBytes int) *Decoded[T] {
	if maxBytes <= 0 {
		maxBytes = DefaultDecodedBytes
	}
	return &Decoded[T]{max: maxBytes, byDoc: map[string]*T{}}
}

// Get is svc.Get through the cache: it reads the document at key in tx and
// returns its decoded value (see Decoded about sharing), missing() when
// there is none, or the store's error as is.
func (d *Decoded[T]) Get(tx store.Tx, key store.Key, missing func() error) (T, error) {
	var zero T
	data, err := tx.Get(key)
	if errors.Is(err, store.ErrNotFound) {
		return zero, missing()
	}
	if err != nil {
		return zero, err
	}
	v, err := d.decode(data)
	if err != nil {
		return zero, fmt.Errorf("store: decode %s: %w", key.Path(), err)
	}
	return *v, nil
}

// decode returns the decoded value of data, from the cache or decoded and
// remembered.
func (d *Decoded[T]) decode(data []byte) (*T, error) {
	d.mu.RLock()
	v, ok := d.byDoc[string(data)]
	d.mu.RUnlock()
	if ok {
		return v, nil
	}
	v = new(T)
	if err := json.Unmarshal(data, v); err != nil {
		return nil, err
	}
	if len(data) > d.max {
		return v, nil
	}
	d.mu.Lock()
	if _, ok := d.byDoc[string(data)]; !ok {
		if d.size+len(data) > d.max {
			d.byDoc = map[string]*T{}
			d.size = 0
		}
		d.byDoc[string(data)] = v
		d.size += len(data)
	}
	d.mu.Unlock()
	return v, nil
}

// Len is how many documents the cache holds.
func (d *Decoded[T]) Len() int {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return len(d.byDoc)
}
