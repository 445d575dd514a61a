package store

import (
	"context"
	"errors"
	"fmt"
)

// BulkTx is implemented by the transactions of every backend in this module.
// It reaches across scopes, which Tx deliberately cannot: Export, Import and
// the backends' Reset are built on it.
type BulkTx interface {
	Tx
	// All calls fn for every resource of every scope, in ascending bytewise
	// order of (account, region, service, path), so a parent comes before its
	// children. It stops at fn's first error and returns it. fn may use the
	// transaction.
	All(fn func(Item) error) error
	// DeleteAll deletes every resource of every scope.
	DeleteAll() error
}

// ErrNotBulk is returned by Export and Import for a backend whose Tx does not
// implement BulkTx.
var ErrNotBulk = errors.New("store: backend cannot enumerate its resources (Tx does not implement BulkTx)")

func bulk(tx Tx) (BulkTx, error) {
	b, ok := tx.(BulkTx)
	if !ok {
		return nil, fmt.Errorf("%w: %T", ErrNotBulk, tx)
	}
	return b, nil
}

// ResetScope deletes, in one transaction, every resource of the given
// account (every account when "") and service (every service when ""), and
// returns how many top-level resources went (children go with their parent;
// every matching resource goes, an orphan too).
func ResetScope(ctx context.Context, s Store, account, service string) (int, error) {
	var n int
	err := s.Update(ctx, func(tx Tx) error {
		n = 0
		b, err := bulk(tx)
		if err != nil {
			return err
		}
		var keys []Key
		if err := b.All(func(it Item) error {
			k := it.Key
			if (account == "" || k.Account == account) && (service == "" || k.Service == service) {
				keys = append(keys, k)
				if k.Parent == "" {
					n++
				}
			}
			return nil
		}); err != nil {
			return err
		}
		for _, k := range keys {
			if err := tx.Delete(k); err != nil && !errors.Is(err, ErrNotFound) {
				return fmt.Errorf("store: reset %s: %w", k.Path(), err)
			}
		}
		return nil
	})
	return n, err
}
