package postgres

// How a transaction is run, and run again.
//
// Update's first attempt is optimistic: SERIALIZABLE, taking no lock beyond
// what its statements take. When PostgreSQL aborts it for a serialization
// failure or a deadlock (40001, 40P01), every later attempt is locked: it
// begins with, before any query fixes its snapshot,
//
//	LOCK TABLE resources IN SHARE ROW EXCLUSIVE MODE
//
// That lock waits until every transaction that has written to the table has
// ended, and keeps any other from writing until the locked attempt ends. The
// attempt's snapshot therefore sees every write that can matter to it, and no
// concurrent transaction writes what it read: it is never the transaction a
// serialization check aborts, and locked attempts (the mode conflicts with
// itself) queue in the order they asked. So an Update conflicts at most once,
// then runs; many writers of one resource run one after another instead of
// aborting each other until one runs out of attempts. Writers of unrelated
// resources pay for the lock only when they conflict.
//
// A lost connection (PostgreSQL restarted or shut down, a pooled connection
// it closed, a refused connection while it starts) ends the attempt without a
// commit; the pool drops the connection and the attempt runs again on a new
// one, with backoff, for up to defaultLostWindow. When the connection drops
// during the COMMIT of a transaction that wrote, the outcome is asked of the
// server (txid_status) instead of guessed, so a committed transaction never
// runs twice and an aborted one is not reported as done.
//
// When a budget runs out (lock_timeout waiting for a lock, maxConflicts
// conflicts, defaultLostWindow without a connection or without the outcome
// of a COMMIT) the error wraps store.ErrBusy: nothing is kept (for a COMMIT
// of unknown outcome: nothing is known to be kept), and the call may be
// repeated.

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ersatz-dev/ersatz/internal/store"
)

const (
	// maxConflicts bounds the attempts that end in a conflict; only the
	// first should, the rest are locked.
	maxConflicts = 8
	// defaultLostWindow is how long an Update or View keeps trying to reach
	// the database after losing its connection.
	defaultLostWindow = 20 * time.Second
	// lockTimeout is the longest a statement waits for a lock (a locked
	// attempt for the table lock, a write for a row another transaction
	// is writing), unless the DSN sets lock_timeout.
	lockTimeout = 10 * time.Second

	conflictBase = time.Millisecond      // first wait after a conflict, at most
	conflictCap  = 50 * time.Millisecond // no wait after a conflict is longer
	lostBase     = 10 * time.Millisecond // first wait after a lost connection, at most
	lostCap      = time.Second           // no wait after a lost connection is longer
)

// qLockedBegin begins a locked attempt: one round trip, the lock before any
// query fixes the snapshot.
const qLockedBegin = `BEGIN ISOLATION LEVEL SERIALIZABLE; LOCK TABLE resources IN SHARE ROW EXCLUSIVE MODE`

// failure is how an attempt failed, as far as running it again goes.
type failure int

const (
	fatal    failure = iota // not retried: fn's own error, a constraint, a bug
	conflict                // serialization failure or deadlock: retry locked
	lost                    // the connection is gone: retry on another one
	timedOut                // waited lock_timeout for a lock: busy
)

// lostError is a failure of the connection itself, not an answer of the
// server: the transaction did not commit (unless it was the COMMIT that
// failed) and may run again.
type lostError struct{ err error }

func (e *lostError) Error() string { return "connection lost: " + e.err.Error() }
func (e *lostError) Unwrap() error { return e.err }

func isPgError(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe)
}

func classify(err error) failure {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "40001", pe.Code == "40P01":
			return conflict
		case pe.Code == "55P03": // lock_not_available: lock_timeout expired
			return timedOut
		case strings.HasPrefix(pe.Code, "08"), // connection exception
			pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03", // shutdown, crash, starting up
			pe.Code == "53300": // too many connections
			return lost
		}
		return fatal
	}
	var le *lostError
	if errors.As(err, &le) {
		return lost
	}
	return fatal
}

// run runs fn until it commits, fails for a reason of its own, or a budget
// runs out.
func (s *Store) run(ctx context.Context, opts pgx.TxOptions, writable bool, fn func(store.Tx) error) error {
	start := time.Now()
	locked := false
	conflicts, losses := 0, 0
	for attempt := 1; ; attempt++ {
		err := s.attempt(ctx, opts, writable, locked, fn)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil || errors.Is(err, store.ErrBusy) {
			return err // ErrBusy: a COMMIT of unknown outcome is not run again
		}
		if s.closed.Load() {
			return fmt.Errorf("%w: %w", store.ErrClosed, err)
		}
		var wait time.Duration
		switch classify(err) {
		case fatal:
			return err
		case timedOut:
			return busy(attempt, start, err)
		case conflict:
			conflicts++
			if conflicts == maxConflicts {
				return busy(attempt, start, err)
			}
			locked = writable
			wait = backoff(conflicts, conflictBase, conflictCap)
		case lost:
			losses++
			wait = backoff(losses, lostBase, lostCap)
			if time.Since(start)+wait > s.lostWindow {
				return busy(attempt, start, err)
			}
		}
		if err := sleep(ctx, wait); err != nil {
			return err
		}
	}
}

func busy(attempts int, start time.Time, err error) error {
	return fmt.Errorf("postgres: %w: gave up after %d attempts in %v: %w",
		store.ErrBusy, attempts, time.Since(start).Round(time.Millisecond), err)
}

// attempt runs fn once in a transaction; locked takes the table lock first.
// BeginTx fails with the lock's errors: a lock timeout, a deadlock.
// A conflict or lost connection seen by any statement is returned even when
// fn swallowed it, so that run retries.
func (s *Store) attempt(ctx context.Context, opts pgx.TxOptions, writable, locked bool, fn func(store.Tx) error) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	if locked {
		opts.BeginQuery = qLockedBegin
	}
	ptx, err := s.pool.BeginTx(ctx, opts)
	if err != nil {
		if !isPgError(err) && ctx.Err() == nil {
			err = &lostError{err}
		}
		return fmt.Errorf("postgres: begin: %w", err)
	}
	t := &tx{ctx: ctx, tx: ptx, writable: writable, now: time.Now().UnixMicro()}
	committed := false
	defer func() {
		t.done = true
		if !committed {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTTL)
			defer cancel()
			_ = ptx.Rollback(rctx)
		}
	}()
	err = fn(t)
	if t.abort != nil {
		return t.abort
	}
	if err != nil {
		return err
	}
	t.done = true
	if t.wrote && t.xid == 0 { // a Put returns it; a Delete does not
		if err := ptx.QueryRow(ctx, `SELECT txid_current()`).Scan(&t.xid); err != nil {
			return t.fail("txid", err)
		}
	}
	if err := ptx.Commit(ctx); err != nil {
		// Commit has given the connection back to the pool: classify without it.
		if !isPgError(err) && ctx.Err() == nil && !errors.Is(err, pgx.ErrTxCommitRollback) {
			err = &lostError{err}
		}
		err = fmt.Errorf("postgres: commit: %w", err)
		if classify(err) != lost || !t.wrote {
			return err
		}
		done, oerr := s.outcome(ctx, t.xid)
		if oerr != nil {
			if ctx.Err() != nil {
				return oerr
			}
			return fmt.Errorf("postgres: %w: %w (after %w)", store.ErrBusy, oerr, err)
		}
		if !done {
			return err
		}
	}
	committed = true
	return nil
}

// outcome asks the server whether transaction xid committed, after its
// connection was lost during COMMIT. It waits up to s.lostWindow for the server
// to answer and for the transaction to end.
func (s *Store) outcome(ctx context.Context, xid int64) (committed bool, err error) {
	deadline := time.Now().Add(s.lostWindow)
	for n := 1; ; n++ {
		var status *string
		err := s.pool.QueryRow(ctx, `SELECT txid_status($1)`, xid).Scan(&status)
		switch {
		case err == nil && status == nil:
			return false, fmt.Errorf("postgres: transaction %d is unknown to the server", xid)
		case err == nil && *status == "committed":
			return true, nil
		case err == nil && *status == "aborted":
			return false, nil
		case err == nil: // "in progress": its backend has not yet ended it
			err = fmt.Errorf("transaction %d is still in progress", xid)
		case ctx.Err() != nil:
			return false, err
		}
		wait := backoff(n, lostBase, lostCap)
		if time.Now().Add(wait).After(deadline) {
			return false, fmt.Errorf("postgres: outcome of the COMMIT of transaction %d: %w", xid, err)
		}
		if err := sleep(ctx, wait); err != nil {
			return false, err
		}
	}
}

// backoff is "full jitter": a random wait up to base*2^(n-1), capped.
func backoff(n int, base, limit time.Duration) time.Duration {
	d := limit
	if n < 20 {
		d = min(base<<(n-1), limit)
	}
	return rand.N(d) + time.Millisecond/4
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
