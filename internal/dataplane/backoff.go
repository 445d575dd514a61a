package dataplane

import (
	"net"
	"sync"
	"time"
)

// Login back-off: password guessing from one address is slowed down. The
// first FreeLoginFailures consecutive failures from an address (on one
// server) cost nothing; each later one makes the address wait before its
// next attempt is even checked: LoginBackoff, then twice as long after
// every further failure, at most MaxBackoffFactor times LoginBackoff.
// Attempts during the wait are refused unchecked (even with the right
// password) and logged with the remaining wait; they do not lengthen it.
// A successful login clears the address; an address is forgotten
// ForgetFailuresAfter its last failure.
const (
	FreeLoginFailures   = 5
	MaxBackoffFactor    = 32
	DefaultLoginBackoff = time.Second
	ForgetFailuresAfter = 15 * time.Minute
	// maxBackoffSources bounds the addresses remembered.
	maxBackoffSources = 4096
)

type backoffEntry struct {
	failures int
	last     time.Time // last failure
	until    time.Time // no attempt is checked before
}

// loginBackoff remembers the failed logins of each (server, address).
type loginBackoff struct {
	base time.Duration // 0: no back-off
	mu   sync.Mutex
	m    map[string]*backoffEntry
}

func newLoginBackoff(base time.Duration) *loginBackoff {
	return &loginBackoff{base: base, m: map[string]*backoffEntry{}}
}

// backoffKey is the server and the remote host (not its port).
func backoffKey(id ident, remote net.Addr) string {
	host := ""
	if remote != nil {
		host = remote.String()
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
	}
	return serverKey(id.account, id.region, id.serverID) + "|" + host
}

// wait is how long key must still wait before an attempt is checked.
func (b *loginBackoff) wait(key string, now time.Time) time.Duration {
	if b == nil || b.base <= 0 {
		return 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.m[key]
	if e == nil || !now.Before(e.until) {
		return 0
	}
	return e.until.Sub(now)
}

// result records a checked attempt; after a failure it returns the wait
// it imposes on the next attempt (0 while failures are free).
func (b *loginBackoff) result(key string, ok bool, now time.Time) time.Duration {
	if b == nil || b.base <= 0 {
		return 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if ok {
		delete(b.m, key)
		return 0
	}
	e := b.m[key]
	if e == nil || now.Sub(e.last) > ForgetFailuresAfter {
		if e == nil && len(b.m) >= maxBackoffSources {
			b.sweep(now)
		}
		e = &backoffEntry{}
		b.m[key] = e
	}
	e.failures++
	e.last = now
	over := e.failures - FreeLoginFailures
	if over <= 0 {
		return 0
	}
	d := b.base << min(over-1, 5) // 2^5 = MaxBackoffFactor
	e.until = now.Add(d)
	return d
}

// sweep forgets stale addresses, and the oldest ones while too many remain.
func (b *loginBackoff) sweep(now time.Time) {
	for k, e := range b.m {
		if now.Sub(e.last) > ForgetFailuresAfter && now.After(e.until) {
			delete(b.m, k)
		}
	}
	for len(b.m) >= maxBackoffSources {
		oldest, at := "", now
		for k, e := range b.m {
			if !e.last.After(at) {
				oldest, at = k, e.last
			}
		}
		delete(b.m, oldest)
	}
}
