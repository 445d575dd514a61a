package memstore_test

import (
	"testing"

	"github.com/ersatz-dev/ersatz/internal/objectstore"
	"github.com/ersatz-dev/ersatz/internal/objectstore/memstore"
	"github.com/ersatz-dev/ersatz/internal/objectstore/storetest"
)

// The memory store keeps the object store's whole contract, so tests over
// it prove what the real backends do.
func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) objectstore.Store { return memstore.New() })
}
