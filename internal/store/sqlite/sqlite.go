// Package sqlite is the durable single-host store backend: one SQLite file,
// <dataDir>/ersatz.db, through the pure-Go driver modernc.org/sqlite (no cgo).
//
// Durability: the database runs in WAL mode with synchronous=FULL, so the WAL
// is fsynced before every commit returns. Every Update that returned nil
// survives kill -9 of the process and a power loss or OS crash (given a disk
// that honours fsync); an Update that had not returned may or may not have
// happened, never partly.
//
// Concurrency: every Update runs on the one writer connection, in a
// transaction begun with BEGIN IMMEDIATE, which takes SQLite's write lock
// before the first read, so read-modify-write transactions are serialized and
// never lose an update, also between several processes opening the same file
// (busy_timeout makes a writer wait for the lock rather than fail). Views run
// on a pool of read-only connections and see a consistent snapshot,
// concurrently with the writer. An Update's fn must not call Update on the
// same store: it would wait for itself.
//
// Concurrent Updates share commits (group commit, see commit.go): one fsync
// makes a whole batch of them durable, so write throughput grows with the
// number of writers instead of stopping at one fsync per Update.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/ersatz-dev/ersatz/internal/store"
)

// FileName is the name of the database file inside the data directory.
const FileName = "ersatz.db"

const (
	busyTimeout = 10 * time.Second
	readers     = 4    // read-only connections
	allBatch    = 1000 // rows per query of Tx.All
)

// Store is the SQLite backend.
type Store struct {
	path   string
	w      *sql.DB // one connection, every Update
	r      *sql.DB // read-only connections, every View
	ws, rs *stmts
	closed atomic.Bool
	once   sync.Once
	err    error

	// Group commit (commit.go).
	leader  chan struct{} // one slot: held by the goroutine running a batch
	qmu     sync.Mutex
	queue   []*request // Updates waiting for a batch
	commits atomic.Int64

	cache *cache // nil unless WithReadCache (cache.go)
}

var _ store.Store = (*Store)(nil)

// Open opens (creating it and dir if missing) the database dir/ersatz.db and
// brings its schema up to date.
func Open(ctx context.Context, dir string, opts ...Option) (*Store, error) {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	s, err := open(ctx, dir, migrations())
	if err != nil {
		return nil, err
	}
	if cfg.cacheBytes > 0 {
		s.cache = newCache(cfg.cacheBytes)
	}
	return s, nil
}

func open(ctx context.Context, dir string, ms []migration) (*Store, error) {
	if dir == "" {
		return nil, errors.New("sqlite: empty data directory")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("sqlite: create data directory: %w", err)
	}
	path := filepath.Join(dir, FileName)
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("sqlite: data directory %q must not contain '?' or '#'", dir)
	}
	s := &Store{path: path, leader: make(chan struct{}, 1)}
	var err error
	if s.w, err = sql.Open("sqlite", dsn(path, true)); err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	s.w.SetMaxOpenConns(1)
	s.w.SetMaxIdleConns(1)
	s.w.SetConnMaxLifetime(0)
	s.w.SetConnMaxIdleTime(0)
	if err := migrate(ctx, s.w, ms); err != nil {
		_ = s.w.Close()
		return nil, fmt.Errorf("sqlite: %s: %w", path, err)
	}
	// The readers open once the file is in WAL mode and has its schema.
	if s.r, err = sql.Open("sqlite", dsn(path, false)); err != nil {
		_ = s.w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	s.r.SetMaxOpenConns(readers)
	s.r.SetMaxIdleConns(readers)
	if s.ws, err = prepare(ctx, s.w); err == nil {
		s.rs, err = prepare(ctx, s.r)
	}
	if err != nil {
		_ = s.close()
		return nil, fmt.Errorf("sqlite: %s: %w", path, err)
	}
	return s, nil
}

// dsn configures every connection: the writer's transactions BEGIN
// IMMEDIATE; the readers are query_only.
func dsn(path string, writer bool) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	if writer {
		q.Add("_pragma", "journal_mode(WAL)")
		q.Set("_txlock", "immediate")
	} else {
		q.Add("_pragma", "query_only(1)")
	}
	q.Add("_pragma", "synchronous(FULL)")
	return path + "?" + q.Encode()
}

// Path is the database file.
func (s *Store) Path() string { return s.path }

// Kind returns "sqlite".
func (s *Store) Kind() string { return "sqlite" }

// Close checkpoints the WAL into the database file and closes it. It is safe
// to call more than once.
func (s *Store) Close() error {
	s.once.Do(func() {
		s.closed.Store(true)
		ctx, cancel := context.WithTimeout(context.Background(), busyTimeout)
		defer cancel()
		if _, err := s.w.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
			s.err = fmt.Errorf("sqlite: checkpoint: %w", err)
		}
		s.err = errors.Join(s.err, s.close())
	})
	return s.err
}

func (s *Store) close() error {
	var errs []error
	for _, st := range []*stmts{s.ws, s.rs} {
		if st != nil {
			errs = append(errs, st.close())
		}
	}
	for _, db := range []*sql.DB{s.r, s.w} {
		if db != nil {
			errs = append(errs, db.Close())
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sqlite: close: %w", err)
	}
	return nil
}

// View runs fn in a read transaction on a reader connection. With the read
// cache, the transaction begins only when fn reads something the cache does
// not hold.
func (s *Store) View(ctx context.Context, fn func(store.Tx) error) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	if s.cache != nil {
		s.cache.gate.RLock()
		defer s.cache.gate.RUnlock()
		t := &tx{ctx: ctx, st: s.rs, bound: &stmts{}, cache: s.cache, lazy: s.r}
		defer func() {
			t.done = true
			if t.tx != nil {
				_ = t.tx.Rollback()
			}
		}()
		return fn(t)
	}
	sqlTx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("sqlite: begin read: %w", err)
	}
	t := &tx{ctx: ctx, tx: sqlTx, st: s.rs, bound: &stmts{}}
	defer func() {
		t.done = true
		_ = sqlTx.Rollback()
	}()
	return fn(t)
}

// Reset deletes every resource.
func (s *Store) Reset(ctx context.Context) error {
	return s.Update(ctx, func(t store.Tx) error { return t.(*tx).DeleteAll() })
}

// ---- statements ----

const (
	qGet = `SELECT data FROM resources WHERE account = ? AND region = ? AND service = ? AND path = ?`
	qPut = `INSERT INTO resources (account, region, service, path, parent, kind, id, data, created, updated)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (account, region, service, path) DO UPDATE SET data = excluded.data, updated = excluded.updated`
	qDelete = `DELETE FROM resources WHERE account = ? AND region = ? AND service = ? AND path = ?`
	// Everything below a path: path > p||'/' AND path < p||'0' ('0' is '/'+1),
	// a range scan of the primary key, unlike LIKE.
	qDeleteBelow = `DELETE FROM resources WHERE account = ? AND region = ? AND service = ? AND path > ? AND path < ?`
	qList        = `SELECT id, data FROM resources
		WHERE account = ? AND region = ? AND service = ? AND parent = ? AND kind = ? AND id > ?
		ORDER BY id LIMIT ?`
	qAll = `SELECT account, region, service, parent, kind, id, path, data FROM resources
		WHERE (account, region, service, path) > (?, ?, ?, ?)
		ORDER BY account, region, service, path LIMIT ?`
	qDeleteAll = `DELETE FROM resources`
)

// Statement indexes into stmts.
const (
	sGet = iota
	sPut
	sDelete
	sDeleteBelow
	sList
	sAll
	sDeleteAll
	nStmts
)

type stmts [nStmts]*sql.Stmt

func prepare(ctx context.Context, db *sql.DB) (*stmts, error) {
	st := &stmts{}
	for i, q := range [nStmts]string{qGet, qPut, qDelete, qDeleteBelow, qList, qAll, qDeleteAll} {
		var err error
		if st[i], err = db.PrepareContext(ctx, q); err != nil {
			_ = st.close()
			return nil, fmt.Errorf("prepare %q: %w", q, err)
		}
	}
	return st, nil
}

func (st *stmts) close() error {
	var errs []error
	for _, s := range st {
		if s != nil {
			errs = append(errs, s.Close())
		}
	}
	return errors.Join(errs...)
}

// ---- transactions ----

type tx struct {
	ctx      context.Context // of the statements
	caller   context.Context // when set, checked before each call (see commit.go)
	tx       *sql.Tx
	st       *stmts
	bound    *stmts // st's statements bound to tx, made on first use
	writable bool
	done     bool
	now      int64 // unix microseconds, for created/updated
	err      error // the first database error, which every later call returns

	// With the read cache (cache.go): a View's cache and the reader pool it
	// begins its transaction on when it first needs one; an Update's record
	// of what it wrote, published to the cache once committed.
	cache  *cache
	lazy   *sql.DB
	writes []write
}

var _ store.BulkTx = (*tx)(nil)

func (t *tx) check(write bool) error {
	if t.done {
		return fmt.Errorf("%w: transaction has ended", store.ErrClosed)
	}
	if t.err != nil {
		return t.err
	}
	if t.caller != nil {
		if err := t.caller.Err(); err != nil {
			return err
		}
	}
	if write && !t.writable {
		return store.ErrReadOnly
	}
	return nil
}

// fail records a database error. After one, SQLite may have rolled the whole
// transaction back, so no further statement may run in it: a statement would
// then run, and commit, on its own.
func (t *tx) fail(format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	if t.err == nil {
		t.err = err
	}
	return err
}

// begin starts a cached View's read transaction on its first query.
func (t *tx) begin() error {
	if t.tx != nil || t.lazy == nil {
		return nil
	}
	sqlTx, err := t.lazy.BeginTx(t.ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return t.fail("sqlite: begin read: %w", err)
	}
	t.tx = sqlTx
	return nil
}

// record keeps a write of an Update for the read cache.
func (t *tx) record(w write) {
	if t.writable && t.cache != nil {
		t.writes = append(t.writes, w)
	}
}

func (t *tx) stmt(i int) *sql.Stmt {
	if t.bound == nil {
		t.bound = &stmts{}
	}
	if t.bound[i] == nil {
		t.bound[i] = t.tx.StmtContext(t.ctx, t.st[i])
	}
	return t.bound[i]
}

// Has is Get without the copy of the document when the read cache knows
// the key (store.Haser).
func (t *tx) Has(key store.Key) (bool, error) {
	if t.cache != nil && !t.writable && t.check(false) == nil && store.NotFoundIfInvalid(key) == nil {
		if found, hit := t.cache.has(key, key.Path()); hit {
			return found, nil
		}
	}
	_, err := t.Get(key)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

func (t *tx) Get(key store.Key) ([]byte, error) {
	if err := t.check(false); err != nil {
		return nil, err
	}
	if err := store.NotFoundIfInvalid(key); err != nil {
		return nil, err
	}
	path := key.Path()
	cached := t.cache != nil && !t.writable
	if cached {
		if d, hit := t.cache.get(key, path); hit {
			if d == nil {
				return nil, store.ErrNotFound
			}
			return d, nil
		}
		if err := t.begin(); err != nil {
			return nil, err
		}
	}
	var data []byte
	err := t.stmt(sGet).QueryRowContext(t.ctx, key.Account, key.Region, key.Service, path).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		if cached {
			t.cache.fill(key, path, nil)
		}
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, t.fail("sqlite: get %s: %w", path, err)
	}
	if cached {
		t.cache.fill(key, path, data)
	}
	return data, nil
}

func (t *tx) Put(key store.Key, data []byte) error {
	if err := t.check(true); err != nil {
		return err
	}
	if err := store.ValidatePut("sqlite", key, data); err != nil {
		return err
	}
	path := key.Path()
	_, err := t.stmt(sPut).ExecContext(t.ctx, key.Account, key.Region, key.Service, path,
		key.Parent, key.Kind, key.ID, data, t.now, t.now)
	if err != nil {
		return t.fail("sqlite: put %s: %w", path, err)
	}
	t.record(write{op: opPut, key: key, path: path, data: clone(data)})
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
	res, err := t.stmt(sDelete).ExecContext(t.ctx, key.Account, key.Region, key.Service, path)
	if err != nil {
		return t.fail("sqlite: delete %s: %w", path, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return t.fail("sqlite: delete %s: %w", path, err)
	} else if n == 0 {
		return store.ErrNotFound
	}
	lo, hi := store.PathRange(path)
	if _, err := t.stmt(sDeleteBelow).ExecContext(t.ctx, key.Account, key.Region, key.Service, lo, hi); err != nil {
		return t.fail("sqlite: delete below %s: %w", path, err)
	}
	t.record(write{op: opDelete, key: key, path: path})
	return nil
}

func (t *tx) List(c store.Collection, page store.Page) ([]store.Item, string, error) {
	if err := t.check(false); err != nil {
		return nil, "", err
	}
	if err := t.begin(); err != nil {
		return nil, "", err
	}
	return store.ListPage(c, page, func(last string, limit int) ([]store.Item, error) {
		rows, err := t.stmt(sList).QueryContext(t.ctx, c.Account, c.Region, c.Service, c.Parent, c.Kind, last, limit)
		if err != nil {
			return nil, t.fail("sqlite: list: %w", err)
		}
		defer rows.Close()
		items, err := store.ScanList(rows, c)
		if err != nil {
			return nil, t.fail("sqlite: list: %w", err)
		}
		return items, nil
	})
}

// All reads the table in batches of allBatch rows in primary-key order, and
// calls fn between batches, so fn may use the transaction.
func (t *tx) All(fn func(store.Item) error) error {
	if err := t.check(false); err != nil {
		return err
	}
	if err := t.begin(); err != nil {
		return err
	}
	return store.AllInBatches(allBatch, t.allBatch, fn)
}

func (t *tx) allBatch(after [4]string) ([]store.Row, error) {
	rows, err := t.stmt(sAll).QueryContext(t.ctx, after[0], after[1], after[2], after[3], allBatch)
	if err != nil {
		return nil, t.fail("sqlite: all: %w", err)
	}
	defer rows.Close()
	batch, err := store.ScanRows(rows)
	if err != nil {
		return nil, t.fail("sqlite: all: %w", err)
	}
	return batch, nil
}

func (t *tx) DeleteAll() error {
	if err := t.check(true); err != nil {
		return err
	}
	if _, err := t.stmt(sDeleteAll).ExecContext(t.ctx); err != nil {
		return t.fail("sqlite: delete all: %w", err)
	}
	t.record(write{op: opDeleteAll})
	return nil
}
