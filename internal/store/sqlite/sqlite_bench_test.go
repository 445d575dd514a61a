package sqlite

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ersatz-dev/ersatz/internal/store"
	"github.com/ersatz-dev/ersatz/internal/store/storetest"
)

func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, func(b *testing.B) store.Store {
		s, err := Open(context.Background(), b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = s.Close() })
		return s
	})
}

// BenchmarkOpen opens a store of 1,000 resources and reads one.
func BenchmarkOpen(b *testing.B) {
	dir := b.TempDir()
	fixture(b, dir, 1000)
	benchOpen(b, dir)
}

// BenchmarkLarge builds a 1,000,000-resource database once, then measures a
// list page, a read and an open against it. It is opt-in (the build takes a
// while and about 600 MB of disk):
//
//	ERSATZ_BENCH_LARGE=1 go test -run '^$' -bench Large -benchtime 2s ./internal/store/sqlite
func BenchmarkLarge(b *testing.B) {
	if os.Getenv("ERSATZ_BENCH_LARGE") == "" {
		b.Skip("set ERSATZ_BENCH_LARGE=1 to run the 1,000,000-resource benchmarks")
	}
	const n = 1_000_000
	dir := b.TempDir()
	start := time.Now()
	fixture(b, dir, n)
	fi, err := os.Stat(dir + "/" + FileName)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("built %d resources in %s (%d MB)", n, time.Since(start).Round(time.Millisecond), fi.Size()>>20)
	b.Run("ListPage100/n=1M", func(b *testing.B) {
		s := openB(b, dir)
		storetest.ListPages(b, s, storetest.BenchCollection(), n, 100)
	})
	b.Run("Get/n=1M", func(b *testing.B) {
		s := openB(b, dir)
		c := storetest.BenchCollection()
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			k := store.Key{Scope: c.Scope, Parent: c.Parent, Kind: c.Kind, ID: storetest.BenchID(i * 7919 % n)}
			if err := s.View(context.Background(), func(tx store.Tx) error { _, err := tx.Get(k); return err }); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Open/n=1M", func(b *testing.B) { benchOpen(b, dir) })
}

func openB(b *testing.B, dir string) *Store {
	b.Helper()
	s, err := Open(context.Background(), dir)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	return s
}

// fixture fills dir's database with n resources, 10,000 per transaction.
func fixture(b *testing.B, dir string, n int) {
	b.Helper()
	s, err := Open(context.Background(), dir)
	if err != nil {
		b.Fatal(err)
	}
	storetest.Fill(b, s, storetest.BenchCollection(), n, 10_000)
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
}

// benchOpen measures Open, one Get and Close, and reports the Go heap and the
// process RSS (which includes SQLite's page cache) that an open store holds.
func benchOpen(b *testing.B, dir string) {
	c := storetest.BenchCollection()
	k := store.Key{Scope: c.Scope, Parent: c.Parent, Kind: c.Kind, ID: storetest.BenchID(0)}
	var heap, rss int64
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		runtime.GC()
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		r0 := rssBytes()
		b.StartTimer()
		s, err := Open(context.Background(), dir)
		if err != nil {
			b.Fatal(err)
		}
		if err := s.View(context.Background(), func(tx store.Tx) error { _, err := tx.Get(k); return err }); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		runtime.ReadMemStats(&m1)
		heap += int64(m1.HeapAlloc) - int64(m0.HeapAlloc)
		rss += rssBytes() - r0
		b.StartTimer()
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(heap)/float64(b.N), "heap-B/open")
	b.ReportMetric(float64(rss)/float64(b.N), "rss-B/open")
}

// rssBytes is the process's resident set size, or 0 where /proc is missing.
func rssBytes() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
