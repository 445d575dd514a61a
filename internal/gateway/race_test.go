//go:build race

package gateway_test

// raceEnabled: the race detector drops sync.Pool items at random, so
// allocation counts are not stable under it.
const raceEnabled = true
