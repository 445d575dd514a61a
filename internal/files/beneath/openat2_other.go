//go:build unix && !linux

package beneath

import "errors"

// openat2 is Linux's; elsewhere the caller walks the path.
func openat2(int, string, int, uint32) (int, error) { return -1, errors.ErrUnsupported }
