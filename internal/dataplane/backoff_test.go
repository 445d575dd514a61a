package dataplane

import (
	"net"
	"strconv"
	"testing"
	"time"
)

// TestLoginBackoff: five free failures, then waits of 1, 2, 4, ... up to
// 32 times the base; attempts during a wait do not lengthen it; a success
// clears the address; addresses and servers are apart.
func TestLoginBackoff(t *testing.T) {
	b := newLoginBackoff(time.Second)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	id := ident{account: "111111111111", region: "us-east-1", serverID: "s-1"}
	key := backoffKey(id, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 4000})
	if other := backoffKey(id, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5000}); other != key {
		t.Fatalf("the port is part of the key: %q %q", key, other)
	}
	for i := range FreeLoginFailures {
		if d := b.result(key, false, now); d != 0 {
			t.Fatalf("free failure %d imposed %s", i+1, d)
		}
		if w := b.wait(key, now); w != 0 {
			t.Fatalf("wait after free failure %d: %s", i+1, w)
		}
	}
	want := []time.Duration{1, 2, 4, 8, 16, 32, 32, 32}
	for i, w := range want {
		d := b.result(key, false, now)
		if d != w*time.Second {
			t.Fatalf("failure %d imposed %s, want %s", FreeLoginFailures+i+1, d, w*time.Second)
		}
		if got := b.wait(key, now.Add(d/2)); got != d/2 {
			t.Fatalf("half-way wait %s, want %s", got, d/2)
		}
		now = now.Add(d)
		if got := b.wait(key, now); got != 0 {
			t.Fatalf("wait after the back-off: %s", got)
		}
	}
	otherServer := backoffKey(ident{account: "111111111111", region: "us-east-1", serverID: "s-2"}, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	otherHost := backoffKey(id, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)})
	b.result(key, false, now)
	if b.wait(otherServer, now) != 0 || b.wait(otherHost, now) != 0 {
		t.Fatal("one address's failures slowed another server or address")
	}
	b.result(key, true, now)
	if b.wait(key, now) != 0 || b.result(key, false, now) != 0 {
		t.Fatal("a success did not clear the address")
	}
	// Failures older than ForgetFailuresAfter are forgotten.
	for range FreeLoginFailures {
		b.result(key, false, now)
	}
	now = now.Add(ForgetFailuresAfter + time.Second)
	if d := b.result(key, false, now); d != 0 {
		t.Fatalf("a failure after a long pause imposed %s", d)
	}
	if newLoginBackoff(0).result(key, false, now) != 0 || newLoginBackoff(0).wait(key, now) != 0 {
		t.Fatal("a zero base still backs off")
	}
}

// TestLoginBackoffBounded: the addresses remembered stay bounded.
func TestLoginBackoffBounded(t *testing.T) {
	b := newLoginBackoff(time.Second)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range maxBackoffSources + 100 {
		b.result("k"+strconv.Itoa(i), false, now.Add(time.Duration(i)*time.Millisecond))
	}
	if len(b.m) > maxBackoffSources {
		t.Fatalf("%d addresses remembered", len(b.m))
	}
	if _, ok := b.m["k"+strconv.Itoa(maxBackoffSources+99)]; !ok {
		t.Fatal("the newest address was dropped")
	}
}
