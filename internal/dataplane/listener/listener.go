// Package listener guards the listeners of the Transfer data plane against
// hostile clients: Accept retries with back-off when it fails (as net/http
// does, so running out of file descriptors pauses a listener instead of
// ending it) and reports whether it is healthy, and a Gate caps the
// connections, and the unauthenticated connections, one server holds.
package listener

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"
)

// Back-off of a failing Accept: 5 ms, doubled after each failure, at most
// 1 s (net/http's figures).
const (
	MinDelay = 5 * time.Millisecond
	MaxDelay = time.Second
)

// Listener is a net.Listener whose Accept never gives up on an error but
// the listener being closed: it waits (MinDelay doubling up to MaxDelay)
// and tries again, and Health reports the failure meanwhile.
type Listener struct {
	net.Listener
	log  *slog.Logger
	name string

	closeOnce sync.Once
	closed    chan struct{}

	mu      sync.Mutex
	failure error
	since   time.Time
	sleep   func(time.Duration, <-chan struct{}) bool
}

// New wraps ln; name (e.g. "SFTP s-123") labels its log lines.
func New(ln net.Listener, name string, log *slog.Logger) *Listener {
	if log == nil {
		log = slog.Default()
	}
	return &Listener{Listener: ln, name: name, log: log, closed: make(chan struct{}), sleep: sleep}
}

// sleep waits d or until done is closed; it reports whether d elapsed.
func sleep(d time.Duration, done <-chan struct{}) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-done:
		return false
	}
}

// Accept waits for the next connection. It returns an error only once the
// listener is closed.
func (l *Listener) Accept() (net.Conn, error) {
	var delay time.Duration
	for {
		c, err := l.Listener.Accept()
		if err == nil {
			l.setHealth(nil)
			return c, nil
		}
		select {
		case <-l.closed:
			return nil, l.closedErr()
		default:
		}
		if errors.Is(err, net.ErrClosed) {
			return nil, err
		}
		if delay == 0 {
			delay = MinDelay
		} else {
			delay = min(2*delay, MaxDelay)
		}
		if l.setHealth(err) {
			l.log.Warn("transfer data plane: accept failed, retrying", "listener", l.name, "error", err)
		}
		if !l.sleep(delay, l.closed) {
			return nil, l.closedErr()
		}
	}
}

// closedErr is the error of Accept on a closed listener, shaped as the
// net package's own.
func (l *Listener) closedErr() error {
	return &net.OpError{Op: "accept", Net: l.Addr().Network(), Addr: l.Addr(), Err: net.ErrClosed}
}

// setHealth records the outcome of an Accept; it reports whether a
// failure begins (the previous Accept succeeded).
func (l *Listener) setHealth(err error) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err == nil {
		if l.failure != nil {
			l.log.Info("transfer data plane: accepting again", "listener", l.name, "after", time.Since(l.since).Round(time.Millisecond))
		}
		l.failure = nil
		return false
	}
	starts := l.failure == nil
	if starts {
		l.since = time.Now()
	}
	l.failure = err
	return starts
}

// Health is a nil error while Accept works; otherwise since when Accept
// fails and its last error.
func (l *Listener) Health() (since time.Time, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.failure == nil {
		return time.Time{}, nil
	}
	return l.since, l.failure
}

// Close closes the listener and wakes a waiting Accept.
func (l *Listener) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	return l.Listener.Close()
}

// Limits caps what the clients of one server hold at once; 0 is no cap.
type Limits struct {
	// MaxConnections counts every open control connection.
	MaxConnections int
	// MaxUnauthenticated counts the connections that have not logged in.
	MaxUnauthenticated int
}

// ErrTooMany is why a Gate refuses a connection.
var ErrTooMany = errors.New("too many connections")

// Gate counts the open connections of one server (shared by its SFTP,
// FTPS and FTP listeners).
type Gate struct {
	lim Limits

	mu            sync.Mutex
	conns, unauth int
}

// NewGate makes a gate with the given limits.
func NewGate(lim Limits) *Gate { return &Gate{lim: lim} }

// Admit takes a slot for a new, unauthenticated connection, or refuses it
// with ErrTooMany naming the cap that is reached.
func (g *Gate) Admit() (*Slot, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.lim.MaxConnections > 0 && g.conns >= g.lim.MaxConnections {
		return nil, fmt.Errorf("%w: %d open connections (the server's limit)", ErrTooMany, g.conns)
	}
	if g.lim.MaxUnauthenticated > 0 && g.unauth >= g.lim.MaxUnauthenticated {
		return nil, fmt.Errorf("%w: %d connections not logged in (the server's limit)", ErrTooMany, g.unauth)
	}
	g.conns++
	g.unauth++
	return &Slot{g: g}, nil
}

// Open reports the connections held and those not logged in.
func (g *Gate) Open() (conns, unauthenticated int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.conns, g.unauth
}

// Slot is one admitted connection.
type Slot struct {
	g                *Gate
	mu               sync.Mutex
	authed, released bool
}

// Authenticated moves the connection out of the unauthenticated count (once).
func (s *Slot) Authenticated() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.authed || s.released {
		return
	}
	s.authed = true
	s.g.mu.Lock()
	s.g.unauth--
	s.g.mu.Unlock()
}

// IsAuthenticated reports whether Authenticated was called.
func (s *Slot) IsAuthenticated() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.authed
}

// Release frees the slot when the connection ends (once).
func (s *Slot) Release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.released {
		return
	}
	s.released = true
	s.g.mu.Lock()
	s.g.conns--
	if !s.authed {
		s.g.unauth--
	}
	s.g.mu.Unlock()
}
