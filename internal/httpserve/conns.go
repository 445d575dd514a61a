package httpserve

import (
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// tracker knows every open connection and its state, from the server's
// ConnState hook, and keeps their number at most max.
type tracker struct {
	mu    sync.Mutex
	conns map[net.Conn]*connInfo
	max   int
	log   *slog.Logger
}

type connInfo struct {
	state   http.ConnState
	since   time.Time
	evicted bool
}

func newTracker(max int, log *slog.Logger) *tracker {
	return &tracker{conns: map[net.Conn]*connInfo{}, max: max, log: log}
}

// hook is the http.Server's ConnState.
func (t *tracker) hook(c net.Conn, st http.ConnState) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if st == http.StateClosed || st == http.StateHijacked {
		delete(t.conns, c)
		return
	}
	ci, ok := t.conns[c]
	if !ok {
		ci = &connInfo{}
		t.conns[c] = ci
	}
	ci.state, ci.since = st, time.Now()
}

// add counts a newly accepted connection and, at the cap, closes another:
// the one idle the longest (waiting for its first or next request), else the
// one busy the longest.
func (t *tracker) add(c net.Conn) {
	t.mu.Lock()
	t.conns[c] = &connInfo{state: http.StateNew, since: time.Now()}
	var victim net.Conn
	if t.liveLocked() > t.max {
		victim = t.victimLocked(c)
		if victim != nil {
			t.conns[victim].evicted = true
		}
	}
	t.mu.Unlock()
	if victim != nil {
		t.log.Debug("connection limit reached: closing the longest idle connection",
			"limit", t.max, "closed", victim.RemoteAddr().String())
		_ = victim.Close()
	}
}

func (t *tracker) liveLocked() int {
	n := 0
	for _, ci := range t.conns {
		if !ci.evicted {
			n++
		}
	}
	return n
}

func (t *tracker) victimLocked(except net.Conn) net.Conn {
	var idle, busy net.Conn
	var idleSince, busySince time.Time
	for c, ci := range t.conns {
		if c == except || ci.evicted {
			continue
		}
		if ci.state == http.StateNew || ci.state == http.StateIdle {
			if idle == nil || ci.since.Before(idleSince) {
				idle, idleSince = c, ci.since
			}
		} else if busy == nil || ci.since.Before(busySince) {
			busy, busySince = c, ci.since
		}
	}
	if idle != nil {
		return idle
	}
	return busy
}

// closeIdle closes every connection that is waiting for a request.
func (t *tracker) closeIdle() {
	t.mu.Lock()
	var idle []net.Conn
	for c, ci := range t.conns {
		if ci.state == http.StateNew || ci.state == http.StateIdle {
			idle = append(idle, c)
			ci.evicted = true
		}
	}
	t.mu.Unlock()
	for _, c := range idle {
		_ = c.Close()
	}
}

func (t *tracker) count() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.conns)
}

// listener counts accepted connections and wraps them so that net/http's
// own plain-text answers are rewritten (see conn.Write).
type listener struct {
	net.Listener
	t *tracker
}

func (l *listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	wc := &conn{Conn: c}
	l.t.add(wc)
	return wc, nil
}

type conn struct{ net.Conn }

// Write rewrites the answers net/http writes itself, before any handler
// runs, as AWS-shaped errors (see rewriteCanned).
func (c *conn) Write(p []byte) (int, error) {
	if out, ok := rewriteCanned(p); ok {
		if _, err := c.Conn.Write(out); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	return c.Conn.Write(p)
}
