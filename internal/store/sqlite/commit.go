package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/ersatz-dev/ersatz/internal/store"
)

// Group commit.
//
// Update queues its fn; whichever waiting caller takes the leader slot runs
// every queued fn (at most maxBatch) in one SQLite transaction, each inside
// its own SAVEPOINT, and commits once: one fsync for the batch. A fn that
// fails or panics is rolled back to its savepoint and leaves the others'
// writes alone. Each caller returns only when the commit holding its writes
// is durable, or with an error when it is not: if the commit fails, every
// Update of the batch fails and nothing of it is kept.
//
// The fns of a batch run one after another on one connection in one
// transaction, each seeing the writes of those before it: a serial
// execution, so Updates stay serializable.
//
// Statements run under a context that is never canceled, because an
// interrupted INSERT, UPDATE or DELETE makes SQLite roll back the whole
// transaction, the other fns' writes included; the caller's context is checked
// before every statement instead.

const maxBatch = 256

// request is one queued Update.
type request struct {
	ctx      context.Context
	fn       func(store.Tx) error
	done     chan struct{} // closed when err (or panicVal) is final
	err      error
	panicked bool
	panicVal any
}

// Update runs fn in a write transaction, sharing the commit with concurrent
// Updates, and returns once its writes are durable.
func (s *Store) Update(ctx context.Context, fn func(store.Tx) error) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	r := &request{ctx: ctx, fn: fn, done: make(chan struct{})}
	s.qmu.Lock()
	s.queue = append(s.queue, r)
	s.qmu.Unlock()
	select {
	case <-r.done:
	case s.leader <- struct{}{}:
		// Every leader drains the queue, and held the slot until its batch was
		// done: r is in this batch, or an earlier one finished it.
		for !isDone(r) {
			s.runBatch(s.take())
		}
		<-s.leader
	case <-ctx.Done():
		if s.withdraw(r) {
			return ctx.Err()
		}
		<-r.done // a leader has it: its outcome is what happened
	}
	if r.panicked {
		panic(r.panicVal)
	}
	return r.err
}

func isDone(r *request) bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

// take removes up to maxBatch requests from the front of the queue.
func (s *Store) take() []*request {
	s.qmu.Lock()
	defer s.qmu.Unlock()
	n := min(len(s.queue), maxBatch)
	batch := s.queue[:n:n]
	s.queue = s.queue[n:]
	if len(s.queue) == 0 {
		s.queue = nil
	}
	return batch
}

// withdraw removes r from the queue, and reports whether it was still there.
func (s *Store) withdraw(r *request) bool {
	s.qmu.Lock()
	defer s.qmu.Unlock()
	for i, q := range s.queue {
		if q == r {
			s.queue = append(s.queue[:i:i], s.queue[i+1:]...)
			return true
		}
	}
	return false
}

// runBatch runs batch in one transaction and finishes every request of it.
func (s *Store) runBatch(batch []*request) {
	if len(batch) == 0 {
		return
	}
	ctx := context.Background() // see the comment at the top
	sqlTx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		finishAll(batch, fmt.Errorf("sqlite: begin: %w", err))
		return
	}
	bound := &stmts{}
	var kept []*request // fns that returned nil, whose writes the commit holds
	var writes []write  // their writes, for the read cache
	for i, r := range batch {
		if err := r.ctx.Err(); err != nil {
			finish(r, err)
			continue
		}
		if err := s.runOne(ctx, sqlTx, bound, r, &writes); err != nil {
			// The transaction is in an unknown state: give it up whole.
			_ = sqlTx.Rollback()
			finishAll(kept, err)
			finishAll(batch[i+1:], err)
			if !isDone(r) {
				finish(r, err)
			}
			return
		}
		if isDone(r) { // fn failed, its savepoint rolled back
			continue
		}
		kept = append(kept, r)
	}
	if len(kept) == 0 {
		_ = sqlTx.Rollback()
		return
	}
	if err := s.commit(sqlTx, writes); err != nil {
		finishAll(kept, fmt.Errorf("sqlite: commit: %w", err))
		return
	}
	s.commits.Add(1)
	finishAll(kept, nil)
}

// commit commits the batch and, with the read cache, publishes its writes
// while no View runs (cache.go).
func (s *Store) commit(sqlTx *sql.Tx, writes []write) error {
	if s.cache == nil {
		return sqlTx.Commit()
	}
	s.cache.gate.Lock()
	defer s.cache.gate.Unlock()
	if err := sqlTx.Commit(); err != nil {
		s.cache.clear() // SQLite does not promise what a failed COMMIT left
		return err
	}
	s.cache.apply(writes)
	return nil
}

// runOne runs r's fn inside a savepoint. When fn fails or panics it rolls the
// savepoint back and finishes r; when fn succeeds it leaves r unfinished, for
// the commit. It returns an error only when the savepoint statements fail.
func (s *Store) runOne(ctx context.Context, sqlTx *sql.Tx, bound *stmts, r *request, writes *[]write) error {
	if _, err := sqlTx.ExecContext(ctx, "SAVEPOINT ersatz_update"); err != nil {
		return fmt.Errorf("sqlite: savepoint: %w", err)
	}
	t := &tx{ctx: ctx, caller: r.ctx, tx: sqlTx, st: s.ws, bound: bound, writable: true, now: time.Now().UnixMicro(), cache: s.cache}
	panicked, panicVal, err := call(r.fn, t)
	t.done = true
	if err == nil && !panicked && t.err != nil {
		err = t.err // fn swallowed a database error: its writes are suspect
	}
	if err == nil && !panicked {
		if _, err := sqlTx.ExecContext(ctx, "RELEASE ersatz_update"); err != nil {
			return fmt.Errorf("sqlite: release savepoint: %w", err)
		}
		*writes = append(*writes, t.writes...)
		return nil
	}
	if _, rerr := sqlTx.ExecContext(ctx, "ROLLBACK TO ersatz_update"); rerr != nil {
		return fmt.Errorf("sqlite: roll back to savepoint: %w", rerr)
	}
	if _, rerr := sqlTx.ExecContext(ctx, "RELEASE ersatz_update"); rerr != nil {
		return fmt.Errorf("sqlite: release savepoint: %w", rerr)
	}
	r.err, r.panicked, r.panicVal = err, panicked, panicVal
	close(r.done)
	return nil
}

// call runs fn, turning a panic into a value that Update re-raises in its
// caller's goroutine.
func call(fn func(store.Tx) error, t *tx) (panicked bool, panicVal any, err error) {
	defer func() {
		if v := recover(); v != nil {
			panicked, panicVal = true, v
		}
	}()
	return false, nil, fn(t)
}

func finish(r *request, err error) {
	r.err = err
	close(r.done)
}

func finishAll(rs []*request, err error) {
	for _, r := range rs {
		finish(r, err)
	}
}
