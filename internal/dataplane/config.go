package dataplane

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ersatz-dev/ersatz/internal/objectstore"
)

// Defaults.
const (
	DefaultHost         = "127.0.0.1"
	DefaultPorts        = "2200-2299"
	DefaultPassivePorts = "2300-2399"
	DefaultTick         = 2 * time.Second
	DefaultLoginLog     = 1000
	// DefaultMaxConnections caps the open connections of one server.
	DefaultMaxConnections = 256
	// DefaultMaxUnauthenticated caps the connections of one server that
	// have not logged in (yet).
	DefaultMaxUnauthenticated = 64
	// DefaultMaxHandles caps the files one SFTP connection holds open.
	DefaultMaxHandles = 256
	// DefaultIdleTimeout and DefaultUnresponsiveTimeout are AWS's documented
	// timeouts: 1800 s without activity for every protocol, 300 s for an
	// SFTP client that does not answer at all.
	DefaultIdleTimeout         = 1800 * time.Second
	DefaultUnresponsiveTimeout = 300 * time.Second
	// DefaultLoginGrace is how long a client has to log in.
	DefaultLoginGrace = 30 * time.Second
)

// Config is the user-facing configuration (flags).
type Config struct {
	// DataDir holds the file store (<DataDir>/files).
	DataDir string
	// Host is the address listeners bind and report (default 127.0.0.1).
	Host string
	// Ports and PassivePorts are inclusive ranges "LOW-HIGH".
	Ports        string
	PassivePorts string
	// DirectoryFile, when set, is loaded into the local directory at Start.
	DirectoryFile string
	// Tick is the period of the fallback reconciliation (default 2s).
	Tick time.Duration
	// LoginLog is how many login attempts GET /_ersatz/transfer/logins keeps.
	LoginLog int
	// MaxConnections and MaxUnauthenticated cap the connections of one
	// server (all its protocols), MaxHandles the open files of one SFTP
	// connection: 0 takes the default, a negative value removes the cap.
	MaxConnections     int
	MaxUnauthenticated int
	MaxHandles         int
	// IdleTimeout ends a session without activity for that long (every
	// protocol); UnresponsiveTimeout an SFTP client that does not answer
	// keepalives for that long; LoginGrace a connection that has not
	// logged in after that long. 0 takes the default, a negative value
	// turns the timeout off (LoginGrace cannot be turned off).
	IdleTimeout         time.Duration
	UnresponsiveTimeout time.Duration
	LoginGrace          time.Duration
	// LoginBackoff is the first wait of an address after repeated failed
	// password logins (see backoff.go; 0 takes the default, a negative
	// value turns the back-off off).
	LoginBackoff time.Duration
	// Objects is the S3 domain's object store, which S3 servers' files
	// are (nil: the local backend over <DataDir>/files). Not a flag: the
	// server passes its own.
	Objects objectstore.Store
}

// orDefault is v, def when v is 0, and 0 (none) when v is negative.
func orDefault[T int | time.Duration](v, def T) T {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0
	}
	return v
}

// PortRange is an inclusive range of TCP ports.
type PortRange struct{ Low, High int }

// ParsePortRange parses "LOW-HIGH" (or a single port).
func ParsePortRange(s string) (PortRange, error) {
	lo, hi, found := strings.Cut(strings.TrimSpace(s), "-")
	if !found {
		hi = lo
	}
	l, err1 := strconv.Atoi(strings.TrimSpace(lo))
	h, err2 := strconv.Atoi(strings.TrimSpace(hi))
	if err1 != nil || err2 != nil || l < 1 || h > 65535 || l > h {
		return PortRange{}, fmt.Errorf("port range %q must be LOW-HIGH with 1 <= LOW <= HIGH <= 65535", s)
	}
	return PortRange{l, h}, nil
}
