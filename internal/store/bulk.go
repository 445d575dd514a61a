package store

import (
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
