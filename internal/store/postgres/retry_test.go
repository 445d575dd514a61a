package postgres

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ersatz-dev/ersatz/internal/store"
)

var counterKey = store.Key{Scope: srv.Scope, Kind: "counter", ID: "c"}

type counter struct{ N int }

// increment adds one to the counter; runs counts how often fn ran.
func increment(ctx context.Context, s store.Store, runs *atomic.Int32) error {
	return s.Update(ctx, func(tx store.Tx) error {
		runs.Add(1)
		c, err := store.GetJSON[counter](tx, counterKey)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		c.N++
		return store.PutJSON(tx, counterKey, c)
	})
}

func readCounter(t *testing.T, s store.Store) int {
	t.Helper()
	var c counter
	err := s.View(t.Context(), func(tx store.Tx) error {
		var err error
		c, err = store.GetJSON[counter](tx, counterKey)
		if errors.Is(err, store.ErrNotFound) {
			err = nil
		}
		return err
	})
	if err != nil {
		t.Fatalf("read the counter: %v", err)
	}
	return c.N
}

// withParams adds query parameters to a URL DSN (the tests' DSNs are URLs).
func withParams(t *testing.T, dsn string, kv ...string) *url.URL {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Skipf("ERSATZ_TEST_POSTGRES is not a postgres:// URL: %v", err)
	}
	q := u.Query()
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	u.RawQuery = q.Encode()
	return u
}

// TestConflictsOnce: 64 writers increment one counter through two pools. A
// conflicted Update runs again under the table lock, which no conflict can
// abort: fn runs at most twice per Update, and nothing fails or is lost.
func TestConflictsOnce(t *testing.T) {
	dsn := withParams(t, freshSchema(t), "pool_max_conns", "32").String()
	stores := []store.Store{openT(t, dsn), openT(t, dsn)}
	const writers, each = 64, 16
	var wg sync.WaitGroup
	var most, retried atomic.Int32
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Go(func() {
			for range each {
				var runs atomic.Int32
				if err := increment(t.Context(), stores[w%2], &runs); err != nil {
					errs <- err
				}
				if n := runs.Load(); n > 1 {
					retried.Add(1)
					for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("increment: %v", err)
	}
	if got := readCounter(t, stores[1]); got != writers*each {
		t.Errorf("counter = %d after %d increments", got, writers*each)
	}
	t.Logf("%d of %d Updates conflicted once and ran again locked; the most runs of one Update: %d", retried.Load(), writers*each, max(most.Load(), 1))
	if most.Load() > 2 {
		t.Errorf("an Update ran %d times, want at most 2 (one conflict, then locked)", most.Load())
	}
}

// TestLockedAttemptSeesWaitedForWrites: a locked attempt's snapshot is taken
// after it gets the lock, so it sees the write it waited for (and does not
// fail on it).
func TestLockedAttemptSeesWaitedForWrites(t *testing.T) {
	dsn := freshSchema(t)
	s := openT(t, dsn)
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	other, err := conn.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	// An open transaction that has written: the lock waits for it.
	if _, err := other.Exec(t.Context(), qPut, srv.Account, srv.Region, srv.Service, counterKey.Path(), "", counterKey.Kind, counterKey.ID, []byte(`{"N":41}`), 1); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	var seen counter
	go func() {
		done <- s.attempt(t.Context(), pgx.TxOptions{IsoLevel: pgx.Serializable}, true, true, func(tx store.Tx) error {
			var err error
			seen, err = store.GetJSON[counter](tx, counterKey)
			if err != nil {
				return err
			}
			seen.N++
			return store.PutJSON(tx, counterKey, seen)
		})
	}()
	select {
	case err := <-done:
		t.Fatalf("the locked attempt did not wait for the writer: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	if err := other.Commit(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("locked Update: %v", err)
	}
	if seen.N != 42 || readCounter(t, s) != 42 {
		t.Fatalf("the locked attempt read %d, the counter is %d; want it to see 41 and write 42", seen.N-1, readCounter(t, s))
	}
}

// TestLostConnectionsRetried: every pooled connection is terminated by the
// server; the next Updates and Views run on new connections, none fails.
func TestLostConnectionsRetried(t *testing.T) {
	var b [6]byte
	_, _ = rand.Read(b[:])
	app := "ersatz-lost-" + hex.EncodeToString(b[:])
	dsn := withParams(t, freshSchema(t), "pool_max_conns", "8", "application_name", app).String()
	s := openT(t, dsn)
	parallel := func(n int, fn func() error) []error {
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() { errs[i] = fn() })
		}
		wg.Wait()
		return errs
	}
	var runs atomic.Int32
	// Fill the pool.
	for _, err := range parallel(16, func() error { return increment(t.Context(), s, &runs) }) {
		if err != nil {
			t.Fatal(err)
		}
	}
	conn, err := pgx.Connect(t.Context(), testDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var killed int
	err = conn.QueryRow(t.Context(), `SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1) k`, app).Scan(&killed)
	if err != nil || killed == 0 {
		t.Fatalf("terminated %d connections: %v", killed, err)
	}
	errs := parallel(16, func() error { return increment(t.Context(), s, &runs) })
	errs = append(errs, parallel(16, func() error {
		return s.View(t.Context(), func(tx store.Tx) error { _, err := tx.Get(counterKey); return err })
	})...)
	for _, err := range errs {
		if err != nil {
			t.Errorf("after %d pooled connections were terminated: %v", killed, err)
		}
	}
	if got := readCounter(t, s); got != 32 {
		t.Errorf("counter = %d, want 32", got)
	}
}

// TestLockTimeoutIsBusy: a write that waits longer than lock_timeout for a
// lock fails with store.ErrBusy and keeps nothing.
func TestLockTimeoutIsBusy(t *testing.T) {
	dsn := freshSchema(t)
	s := openT(t, withParams(t, dsn, "lock_timeout", "200").String())
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	hold, err := conn.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hold.Exec(t.Context(), `LOCK TABLE resources IN SHARE MODE`); err != nil {
		t.Fatal(err)
	}
	var runs atomic.Int32
	err = increment(t.Context(), s, &runs)
	if !errors.Is(err, store.ErrBusy) {
		t.Fatalf("Update behind a lock held too long = %v, want ErrBusy", err)
	}
	if err := hold.Rollback(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := readCounter(t, s); got != 0 {
		t.Fatalf("the busy Update kept its write: counter = %d", got)
	}
	if err := increment(t.Context(), s, &runs); err != nil {
		t.Fatalf("Update once the lock is released: %v", err)
	}
}

// TestCommitLost: the connection drops during COMMIT, before the server
// received it or after it committed. Update asks the server what became of
// the transaction: it runs fn again only if the COMMIT did not happen, and
// reports success either way.
func TestCommitLost(t *testing.T) {
	for _, tc := range []struct {
		name string
		mode int32
		runs int32
	}{
		{"before the server commits", cutBeforeCommit, 2},
		{"after the server committed", cutAfterCommit, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := withParams(t, freshSchema(t), "sslmode", "disable")
			p := startCutter(t, u.Host)
			u.Host = p.addr()
			s := openT(t, u.String())
			p.mode.Store(tc.mode)
			var runs atomic.Int32
			if err := increment(t.Context(), s, &runs); err != nil {
				t.Fatalf("Update: %v", err)
			}
			if p.mode.Load() != 0 {
				t.Fatal("the connection was not cut")
			}
			if got := readCounter(t, s); got != 1 || runs.Load() != tc.runs {
				t.Fatalf("counter = %d after fn ran %d times; want 1 after %d", got, runs.Load(), tc.runs)
			}
		})
	}
}

// TestCommitOutcomeUnknownIsBusy: the connection drops after the server
// committed, and the server cannot be reached to ask about it: Update gives
// up with ErrBusy and does not run fn again (the write is there once the
// server can be reached).
func TestCommitOutcomeUnknownIsBusy(t *testing.T) {
	u := withParams(t, freshSchema(t), "sslmode", "disable", "pool_max_conns", "1")
	p := startCutter(t, u.Host)
	u.Host = p.addr()
	s := openT(t, u.String())
	s.lostWindow = 300 * time.Millisecond
	p.refuseAfterCut.Store(true)
	p.mode.Store(cutAfterCommit)
	var runs atomic.Int32
	err := increment(t.Context(), s, &runs)
	if !errors.Is(err, store.ErrBusy) || runs.Load() != 1 {
		t.Fatalf("Update = %v after fn ran %d times; want ErrBusy after 1", err, runs.Load())
	}
	p.refusing.Store(false)
	if got := readCounter(t, s); got != 1 {
		t.Fatalf("counter = %d, want the 1 the server committed", got)
	}
}

// A cutter is a TCP proxy in front of PostgreSQL that, once armed, drops
// one connection at its COMMIT: before forwarding the client's COMMIT, or
// instead of forwarding the server's answer to it.
type cutter struct {
	ln     net.Listener
	target string
	mode   atomic.Int32 // cutBeforeCommit, cutAfterCommit or 0 (forward all)
	// refuseAfterCut: once a connection is cut, refuse new ones (refusing)
	// until the test says otherwise.
	refuseAfterCut, refusing atomic.Bool
}

const (
	cutBeforeCommit = 1
	cutAfterCommit  = 2
)

func startCutter(t *testing.T, target string) *cutter {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutter{ln: ln, target: target}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		for _, c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			if p.refusing.Load() {
				_ = client.Close()
				continue
			}
			server, err := net.Dial("tcp", target)
			if err != nil {
				_ = client.Close()
				continue
			}
			mu.Lock()
			conns = append(conns, client, server)
			mu.Unlock()
			closeBoth := sync.OnceFunc(func() { _ = client.Close(); _ = server.Close() })
			wg.Go(func() { p.pipe(client, server, true); closeBoth() })
			wg.Go(func() { p.pipe(server, client, false); closeBoth() })
		}
	})
	return p
}

func (p *cutter) addr() string { return p.ln.Addr().String() }

// pipe forwards PostgreSQL messages (a type byte, a length, a body) from src
// to dst until either end closes or the message is one to cut at. The
// client's first message (the startup message) has no type byte.
func (p *cutter) pipe(src, dst net.Conn, fromClient bool) {
	r := bufio.NewReader(src)
	typed := !fromClient
	for {
		hdr := make([]byte, 4, 5)
		if typed {
			hdr = hdr[:5]
		}
		if _, err := io.ReadFull(r, hdr); err != nil {
			return
		}
		n := binary.BigEndian.Uint32(hdr[len(hdr)-4:])
		if n < 4 {
			return
		}
		body := make([]byte, n-4)
		if _, err := io.ReadFull(r, body); err != nil {
			return
		}
		if typed && p.cut(fromClient, hdr[0], body) {
			return
		}
		typed = true
		if _, err := dst.Write(append(hdr, body...)); err != nil {
			return
		}
	}
}

func (p *cutter) cut(fromClient bool, typ byte, body []byte) bool {
	mode := p.mode.Load()
	text := strings.TrimRight(string(body), "\x00")
	switch {
	case mode == cutBeforeCommit && fromClient && typ == 'Q' && strings.EqualFold(text, "commit"):
	case mode == cutAfterCommit && !fromClient && typ == 'C' && text == "COMMIT":
	default:
		return false
	}
	if !p.mode.CompareAndSwap(mode, 0) {
		return false
	}
	if p.refuseAfterCut.Load() {
		p.refusing.Store(true)
	}
	return true
}
