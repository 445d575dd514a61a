// Package postgres is the shared store backend: a PostgreSQL database, through
// github.com/jackc/pgx/v5 (pgxpool), that several Ersatz processes can use at
// once.
//
// Every Update runs at SERIALIZABLE isolation, so concurrent
// read-modify-writes from any number of processes never lose an update. When
// PostgreSQL aborts one for a serialization failure or a deadlock (SQLSTATE
// 40001, 40P01) the whole transaction, fn included, runs again under a table
// lock that no second conflict can abort; a transaction whose connection was
// lost runs again on a new one (see retry.go). Views run at REPEATABLE READ,
// read only: one consistent snapshot, never blocked by writers.
//
// Portability: the SQL is kept to what CockroachDB also runs, where that costs
// nothing: plain tables and indexes, INSERT ... ON CONFLICT, row-value
// comparisons, no stored procedures, triggers, advisory locks or LISTEN. The
// PostgreSQL-specific choices are COLLATE "C" on the text columns, which
// makes PostgreSQL compare them bytewise whatever the database's locale (List
// order, the cascade-delete range and Export depend on it; CockroachDB's
// STRING columns already compare bytewise), and, after a conflict, LOCK TABLE
// and txid_status (retry.go), which CockroachDB lacks.
//
// To keep several deployments apart in one database, give each its own
// schema: add search_path=<schema> to the DSN (the schema must exist).
//
// The tests run when ERSATZ_TEST_POSTGRES holds a DSN; each test works in a
// schema of its own, dropped afterwards. For a throwaway local cluster:
//
//	eval "$(bash .ci/postgres.sh)"
//	go test -race ./internal/store/...
//	bash .ci/postgres.sh stop
package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ersatz-dev/ersatz/internal/store"
)

const (
	allBatch    = 1000            // rows per query of Tx.All
	rollbackTTL = 5 * time.Second // for rollbacks after ctx is done
)

// Store is the PostgreSQL backend.
type Store struct {
	pool   *pgxpool.Pool
	closed atomic.Bool
	once   sync.Once
	// lostWindow is how long a transaction keeps trying after losing its
	// connection (defaultLostWindow; tests shorten it).
	lostWindow time.Duration
}

var _ store.Store = (*Store)(nil)

// Open connects to the database dsn ("postgres://user:pass@host:port/db?..."
// or key=value form; pgxpool options such as pool_max_conns are honoured, and
// other parameters, such as lock_timeout, are set on every connection) and
// brings its schema up to date. Unless the DSN sets lock_timeout, no statement
// waits longer than lockTimeout for a lock.
func Open(ctx context.Context, dsn string) (*Store, error) {
	return open(ctx, dsn, migrations())
}

func open(ctx context.Context, dsn string, ms []migration) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse DSN: %w", err)
	}
	if _, ok := cfg.ConnConfig.RuntimeParams["lock_timeout"]; !ok {
		cfg.ConnConfig.RuntimeParams["lock_timeout"] = strconv.FormatInt(lockTimeout.Milliseconds(), 10)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	s := &Store{pool: pool, lostWindow: defaultLostWindow}
	if err := s.migrate(ctx, ms); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return s, nil
}

// Kind returns "postgres".
func (s *Store) Kind() string { return "postgres" }

// Close closes the connection pool. It is safe to call more than once.
func (s *Store) Close() error {
	s.once.Do(func() {
		s.closed.Store(true)
		s.pool.Close()
	})
	return nil
}

// View runs fn in a read-only REPEATABLE READ transaction.
func (s *Store) View(ctx context.Context, fn func(store.Tx) error) error {
	return s.run(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, false, fn)
}

// Update runs fn in a SERIALIZABLE transaction, running it again after a
// serialization failure, a deadlock or a lost connection (see retry.go).
func (s *Store) Update(ctx context.Context, fn func(store.Tx) error) error {
	return s.run(ctx, pgx.TxOptions{IsoLevel: pgx.Serializable}, true, fn)
}

// Reset deletes every resource.
func (s *Store) Reset(ctx context.Context) error {
	return s.Update(ctx, func(t store.Tx) error { return t.(*tx).DeleteAll() })
}

// ---- transactions ----

const (
	qGet = `SELECT data FROM resources WHERE account = $1 AND region = $2 AND service = $3 AND path = $4`
	qPut = `INSERT INTO resources (account, region, service, path, parent, kind, id, data, created, updated)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
		ON CONFLICT (account, region, service, path) DO UPDATE SET data = excluded.data, updated = excluded.updated
		RETURNING txid_current()`
	qDelete = `DELETE FROM resources WHERE account = $1 AND region = $2 AND service = $3 AND path = $4`
	// Everything below a path: path > p||'/' AND path < p||'0' ('0' is '/'+1),
	// a range scan of the primary key, unlike LIKE.
	qDeleteBelow = `DELETE FROM resources WHERE account = $1 AND region = $2 AND service = $3 AND path > $4 AND path < $5`
	qList        = `SELECT id, data FROM resources
		WHERE account = $1 AND region = $2 AND service = $3 AND parent = $4 AND kind = $5 AND id > $6
		ORDER BY id LIMIT $7`
	qAll = `SELECT account, region, service, parent, kind, id, path, data FROM resources
		WHERE (account, region, service, path) > ($1, $2, $3, $4)
		ORDER BY account, region, service, path LIMIT $5`
	qDeleteAll = `DELETE FROM resources`
)

type tx struct {
	ctx      context.Context
	tx       pgx.Tx
	writable bool
	done     bool
	wrote    bool  // a Put or Delete ran: COMMIT's outcome matters
	xid      int64 // the transaction's id once known (txid_current), for that outcome
	now      int64 // unix microseconds, for created/updated
	// abort is the first failure that ends the attempt however fn handles
	// it: a conflict, a lost connection or a lock timeout (see classify).
	abort error
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

// fail wraps a database error, and remembers it if it ends the attempt.
func (t *tx) fail(op string, err error) error {
	if !isPgError(err) && t.ctx.Err() == nil && t.tx.Conn().IsClosed() {
		err = &lostError{err}
	}
	err = fmt.Errorf("postgres: %s: %w", op, err)
	if t.abort == nil && classify(err) != fatal {
		t.abort = err
	}
	return err
}

func (t *tx) Get(key store.Key) ([]byte, error) {
	if err := t.check(false); err != nil {
		return nil, err
	}
	if err := store.NotFoundIfInvalid(key); err != nil {
		return nil, err
	}
	var data []byte
	err := t.tx.QueryRow(t.ctx, qGet, key.Account, key.Region, key.Service, key.Path()).Scan(&data)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, t.fail("get "+key.Path(), err)
	}
	return data, nil
}

func (t *tx) Put(key store.Key, data []byte) error {
	if err := t.check(true); err != nil {
		return err
	}
	if err := store.ValidatePut("postgres", key, data); err != nil {
		return err
	}
	t.wrote = true
	err := t.tx.QueryRow(t.ctx, qPut, key.Account, key.Region, key.Service, key.Path(),
		key.Parent, key.Kind, key.ID, data, t.now).Scan(&t.xid)
	if err != nil {
		return t.fail("put "+key.Path(), err)
	}
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
	t.wrote = true
	tag, err := t.tx.Exec(t.ctx, qDelete, key.Account, key.Region, key.Service, path)
	if err != nil {
		return t.fail("delete "+path, err)
	}
	if tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	lo, hi := store.PathRange(path)
	if _, err := t.tx.Exec(t.ctx, qDeleteBelow, key.Account, key.Region, key.Service, lo, hi); err != nil {
		return t.fail("delete below "+path, err)
	}
	return nil
}

func (t *tx) List(c store.Collection, page store.Page) ([]store.Item, string, error) {
	if err := t.check(false); err != nil {
		return nil, "", err
	}
	return store.ListPage(c, page, func(last string, n int) ([]store.Item, error) {
		var limit any // NULL: no limit
		if n > 0 {
			limit = n
		}
		rows, err := t.tx.Query(t.ctx, qList, c.Account, c.Region, c.Service, c.Parent, c.Kind, last, limit)
		if err != nil {
			return nil, t.fail("list", err)
		}
		defer rows.Close()
		items, err := store.ScanList(rows, c)
		if err != nil {
			return nil, t.fail("list", err)
		}
		return items, nil
	})
}

// All reads the table in batches of allBatch rows in primary-key order and
// calls fn between batches, so fn may use the transaction.
func (t *tx) All(fn func(store.Item) error) error {
	if err := t.check(false); err != nil {
		return err
	}
	return store.AllInBatches(allBatch, t.allBatch, fn)
}

func (t *tx) allBatch(after [4]string) ([]store.Row, error) {
	rows, err := t.tx.Query(t.ctx, qAll, after[0], after[1], after[2], after[3], allBatch)
	if err != nil {
		return nil, t.fail("all", err)
	}
	defer rows.Close()
	batch, err := store.ScanRows(rows)
	if err != nil {
		return nil, t.fail("all", err)
	}
	return batch, nil
}

func (t *tx) DeleteAll() error {
	if err := t.check(true); err != nil {
		return err
	}
	t.wrote = true
	if _, err := t.tx.Exec(t.ctx, qDeleteAll); err != nil {
		return t.fail("delete all", err)
	}
	return nil
}
