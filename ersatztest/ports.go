package ersatztest

import (
	"errors"
	"math/rand/v2"
	"net"
	"strconv"
)

// portsPerRange is the size of the data plane's listener range and of its
// passive range.
const portsPerRange = 10

// Port blocks are drawn from below Linux's ephemeral range (32768-60999),
// so a port the kernel hands to an outgoing connection does not take one.
const (
	lowestPort  = 20000
	highestPort = 32000
)

// freePortBlock finds n consecutive loopback ports that nothing listens on.
// The start of the block is random, so servers started at the same time by
// parallel tests, here or in other test processes, draw different blocks.
func freePortBlock(n int) (int, error) {
	for range 100 {
		base := lowestPort + rand.IntN(highestPort-lowestPort-n)
		if portsFree(base, n) {
			return base, nil
		}
	}
	return 0, errors.New("no free block of loopback ports for the data plane (WithDataPlane(false) runs without)")
}

func portsFree(base, n int) bool {
	for p := base; p < base+n; p++ {
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			return false
		}
		_ = ln.Close()
	}
	return true
}
