//go:build !unix

package httpserve

// fdLimit is unknown outside Unix.
func fdLimit() int { return 0 }
