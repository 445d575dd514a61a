package localfs_test

import (
	"path/filepath"
	"testing"

	"github.com/ersatz-dev/ersatz/internal/objectstore"
	"github.com/ersatz-dev/ersatz/internal/objectstore/localfs"
	"github.com/ersatz-dev/ersatz/internal/objectstore/storetest"
)

// The local backend keeps the object store's whole contract.
func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) objectstore.Store {
		return localfs.New(filepath.Join(t.TempDir(), "files"))
	})
}
