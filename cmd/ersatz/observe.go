package main

import (
	"flag"
	"fmt"
	"strconv"

	"github.com/ersatz-dev/ersatz/internal/reqlog"
)

// maxRequestLog is the largest --request-log (about 300 bytes a request).
const maxRequestLog = 1_000_000

// addObserveFlags adds the flags of /metrics and the request log.
func addObserveFlags(fs *flag.FlagSet, c *config) error {
	metrics := true
	if v := env("ERSATZ_METRICS", ""); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("ERSATZ_METRICS: %q is not true or false", v)
		}
		metrics = b
	}
	fs.BoolVar(&c.metrics, "metrics", metrics, "serve GET /metrics (Prometheus) and measure requests, store transactions and the data plane")
	size := reqlog.DefaultSize
	if v := env("ERSATZ_REQUEST_LOG", ""); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > maxRequestLog {
			return fmt.Errorf("ERSATZ_REQUEST_LOG: %q is not a number of requests from 0 to %d", v, maxRequestLog)
		}
		size = n
	}
	fs.IntVar(&c.requestLog, "request-log", size, "how many recent requests GET /_ersatz/requests keeps (0: none)")
	return nil
}

// checkObserveFlags refuses a --request-log out of range.
func checkObserveFlags(c config) error {
	if c.requestLog < 0 || c.requestLog > maxRequestLog {
		return fmt.Errorf("--request-log must be from 0 to %d, not %d", maxRequestLog, c.requestLog)
	}
	return nil
}
