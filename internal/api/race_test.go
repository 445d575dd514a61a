//go:build race

package api_test

// raceEnabled: the race detector makes sync.Pool drop items, so pooled
// buffers (the regexp package's) are allocated again.
const raceEnabled = true
