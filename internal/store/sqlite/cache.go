package sqlite

import (
	"sync"

	"github.com/ersatz-dev/ersatz/internal/store"
)

// Read cache (WithReadCache).
//
// A View answers Get from the documents this process has read or committed
// before (and from the keys it found empty: a resource without tags is
// described without a query), and opens an SQLite read transaction only when one is missing, so a
// read of a known resource costs a map lookup instead of a query.
//
// It is correct only while this process is the file's one writer: a commit
// of another process is not seen by the cache. The serving process is (one
// process per data directory); two Stores opened on one file must leave the
// cache off.
//
// Consistency: a View holds gate shared for its whole run, and a batch
// commits and publishes its writes to the cache holding gate exclusively. So
// no commit lands during a View: the cache and the View's SQLite snapshot
// (taken at its first query, under the gate) show the same committed state,
// and a View sees a whole batch or none of it, as before. A batch's writes
// are applied to the cache only once COMMIT succeeded; a failed COMMIT, whose
// outcome SQLite does not promise, empties the cache. Writes of an Update
// whose fn failed were rolled back to its savepoint and are never applied.
//
// Like the memory backend, a View's fn must not call Update on the same
// store (the commit would wait for the View).

// DefaultReadCacheBytes is the budget of WithReadCache(0).
const DefaultReadCacheBytes = 64 << 20

// Option configures Open.
type Option func(*config)

type config struct {
	cacheBytes int // 0: no read cache
}

// WithReadCache keeps up to maxBytes of documents (0: DefaultReadCacheBytes)
// in memory for Views. Use it only when this process is the one writer of the
// database file; see the package documentation.
func WithReadCache(maxBytes int) Option {
	return func(c *config) {
		if maxBytes <= 0 {
			maxBytes = DefaultReadCacheBytes
		}
		c.cacheBytes = maxBytes
	}
}

type cache struct {
	gate sync.RWMutex // Views shared; a commit publishing its writes exclusive

	mu    sync.RWMutex // docs, size
	docs  map[store.Scope]map[string][]byte
	size  int
	limit int
}

func newCache(limit int) *cache {
	return &cache{docs: map[store.Scope]map[string][]byte{}, limit: limit}
}

// get returns a copy of the cached document at key; hit is false when the
// cache does not know the key, data nil when it knows there is no document
// (a document is never empty: it is JSON).
func (c *cache) get(key store.Key, path string) (data []byte, hit bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	d, ok := c.docs[key.Scope][path]
	if !ok || d == nil {
		return nil, ok
	}
	return clone(d), true
}

// has is get without the copy: whether the cache knows key (hit) and, if
// so, whether it holds a document.
func (c *cache) has(key store.Key, path string) (found, hit bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	d, ok := c.docs[key.Scope][path]
	return ok && d != nil, ok
}

// fill records what a View read from the database: a document, or nil for
// none. The caller holds gate shared, so no commit has changed it since.
func (c *cache) fill(key store.Key, path string, data []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if data != nil {
		data = clone(data)
	}
	c.set(key.Scope, path, data)
}

// set stores data (owned by the cache); c.mu is held.
func (c *cache) set(sc store.Scope, path string, data []byte) {
	m := c.docs[sc]
	if m == nil {
		m = map[string][]byte{}
		c.docs[sc] = m
	}
	if old, ok := m[path]; ok {
		c.size -= len(old) + len(path)
	}
	m[path] = data
	c.size += len(data) + len(path)
	if c.size > c.limit {
		// Over budget: start again rather than track recency on every read.
		c.docs, c.size = map[store.Scope]map[string][]byte{}, 0
	}
}

func (c *cache) drop(sc store.Scope, path string) {
	m := c.docs[sc]
	if d, ok := m[path]; ok {
		c.size -= len(d) + len(path)
		delete(m, path)
	}
	for p, d := range m {
		if store.Under(p, path) {
			c.size -= len(d) + len(p)
			delete(m, p)
		}
	}
}

func (c *cache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.docs, c.size = map[store.Scope]map[string][]byte{}, 0
}

// write is one change an Update made, kept to apply to the cache once it is
// committed.
type write struct {
	op   writeOp
	key  store.Key
	path string
	data []byte
}

type writeOp int

const (
	opPut writeOp = iota
	opDelete
	opDeleteAll
)

// apply publishes committed writes, in order; c.gate is held exclusively.
func (c *cache) apply(ws []write) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, w := range ws {
		switch w.op {
		case opPut:
			c.set(w.key.Scope, w.path, w.data)
		case opDelete:
			c.drop(w.key.Scope, w.path)
		case opDeleteAll:
			c.docs, c.size = map[store.Scope]map[string][]byte{}, 0
		}
	}
}

func clone(b []byte) []byte { return append([]byte(nil), b...) }
