package listener

import (
	"errors"
	"net"
	"os"
	"syscall"
	"testing"
	"time"
)

// flaky fails its first n Accepts with EMFILE, then accepts.
type flaky struct {
	net.Listener
	n      int
	health func() error
	seen   []error // Health during each failure
}

func (f *flaky) Accept() (net.Conn, error) {
	if f.n > 0 {
		f.n--
		if f.health != nil {
			f.seen = append(f.seen, f.health())
		}
		return nil, &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	}
	a, b := net.Pipe()
	_ = b.Close()
	return a, nil
}

func (f *flaky) Close() error { return nil }

func TestAcceptRetriesWithBackoff(t *testing.T) {
	f := &flaky{n: 12}
	l := New(f, "test", nil)
	f.health = func() error { _, err := l.Health(); return err }
	var delays []time.Duration
	l.sleep = func(d time.Duration, _ <-chan struct{}) bool { delays = append(delays, d); return true }
	c, err := l.Accept()
	if err != nil {
		t.Fatalf("Accept after 12 failures: %v", err)
	}
	_ = c.Close()
	want := []time.Duration{5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000, 1000, 1000}
	if len(delays) != len(want) {
		t.Fatalf("delays %v, want %d of them", delays, len(want))
	}
	for i, d := range delays {
		if d != want[i]*time.Millisecond {
			t.Fatalf("delay %d = %v, want %v (all: %v)", i, d, want[i]*time.Millisecond, delays)
		}
	}
	// The first failure finds a healthy listener; every later one sees the failure.
	if f.seen[0] != nil {
		t.Fatalf("health before the first failure: %v", f.seen[0])
	}
	for i, h := range f.seen[1:] {
		if !errors.Is(h, syscall.EMFILE) {
			t.Fatalf("health during failure %d: %v", i+1, h)
		}
	}
	if since, err := l.Health(); err != nil || !since.IsZero() {
		t.Fatalf("health after a successful Accept: %v since %v", err, since)
	}
}

func TestCloseEndsAWaitingAccept(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &flaky{Listener: ln, n: 1 << 30}
	l := New(f, "test", nil)
	done := make(chan error, 1)
	go func() { _, err := l.Accept(); done <- err }()
	time.Sleep(20 * time.Millisecond)
	if _, err := l.Health(); !errors.Is(err, syscall.EMFILE) {
		t.Fatalf("health while failing: %v", err)
	}
	_ = l.Close()
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("Accept after Close: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Accept still waiting after Close")
	}
}

func TestGate(t *testing.T) {
	g := NewGate(Limits{MaxConnections: 3, MaxUnauthenticated: 2})
	a, err := g.Admit()
	if err != nil {
		t.Fatal(err)
	}
	b, err := g.Admit()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Admit(); !errors.Is(err, ErrTooMany) {
		t.Fatalf("third unauthenticated connection: %v", err)
	}
	a.Authenticated()
	a.Authenticated() // once
	c, err := g.Admit()
	if err != nil {
		t.Fatalf("after a login: %v", err)
	}
	if _, err := g.Admit(); !errors.Is(err, ErrTooMany) {
		t.Fatalf("fourth connection: %v", err)
	}
	if n, u := g.Open(); n != 3 || u != 2 {
		t.Fatalf("open %d, unauthenticated %d", n, u)
	}
	b.Release()
	b.Release() // once
	b.Authenticated()
	a.Release()
	c.Authenticated()
	c.Release()
	if n, u := g.Open(); n != 0 || u != 0 {
		t.Fatalf("after releases: open %d, unauthenticated %d", n, u)
	}
	unlimited := NewGate(Limits{})
	for range 1000 {
		if _, err := unlimited.Admit(); err != nil {
			t.Fatal(err)
		}
	}
}
