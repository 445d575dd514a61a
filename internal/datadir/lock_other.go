//go:build !unix

package datadir

import (
	"errors"
	"os"
)

var errLocked = errors.New("locked by another process")

// lockFile does not lock where flock is missing: the folder is shared
// unguarded there.
func lockFile(*os.File) error { return nil }
