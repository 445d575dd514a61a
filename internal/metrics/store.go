package metrics

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/ersatz-dev/ersatz/internal/store"
)

// timedStore is a store whose transactions are timed and whose retries are
// counted: a backend may run a transaction's function more than once (a
// serialization conflict, a lost connection), and each run beyond the first
// is a retry.
type timedStore struct {
	store.Store
	m *Metrics
}

// Store wraps st so its transactions are measured. The transactions are
// st's own (a BulkTx stays one).
func (m *Metrics) Store(st store.Store) store.Store { return &timedStore{Store: st, m: m} }

func (s *timedStore) View(ctx context.Context, fn func(tx store.Tx) error) error {
	return s.run(ctx, "view", s.Store.View, fn)
}

func (s *timedStore) Update(ctx context.Context, fn func(tx store.Tx) error) error {
	return s.run(ctx, "update", s.Store.Update, fn)
}

func (s *timedStore) run(ctx context.Context, kind string, do func(context.Context, func(store.Tx) error) error, fn func(store.Tx) error) error {
	var attempts atomic.Int32
	start := time.Now()
	err := do(ctx, func(tx store.Tx) error {
		attempts.Add(1)
		return fn(tx)
	})
	s.m.observeTx(kind, time.Since(start), int(attempts.Load()), err)
	return err
}
