package main

import (
	"flag"
	"fmt"

	"github.com/ersatz-dev/ersatz/internal/reqlog"
)

// maxRequestLog is the largest --request-log (about 300 bytes a request).
const maxRequestLog = 1_000_000

// addObserveFlags adds the flags of /metrics and the request log (their
// environment twins are read by parseWithEnv).
func addObserveFlags(fs *flag.FlagSet, c *config) {
	fs.BoolVar(&c.metrics, "metrics", true, "serve GET /metrics (Prometheus) and measure requests, store transactions and the data plane")
	fs.IntVar(&c.requestLog, "request-log", reqlog.DefaultSize, "how many recent requests GET /_ersatz/requests keeps (0: none)")
}

// checkObserveFlags refuses a --request-log out of range.
func checkObserveFlags(c config) error {
	if c.requestLog < 0 || c.requestLog > maxRequestLog {
		return fmt.Errorf("--request-log must be from 0 to %d, not %d", maxRequestLog, c.requestLog)
	}
	return nil
}
