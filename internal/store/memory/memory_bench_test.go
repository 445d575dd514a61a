package memory_test

import (
	"os"
	"testing"
	"time"

	"github.com/ersatz-dev/ersatz/internal/store"
	"github.com/ersatz-dev/ersatz/internal/store/memory"
	"github.com/ersatz-dev/ersatz/internal/store/storetest"
)

func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, func(b *testing.B) store.Store {
		s := memory.New()
		b.Cleanup(func() { _ = s.Close() })
		return s
	})
}

// BenchmarkLarge lists pages of a 1,000,000-resource collection. It is opt-in:
// ERSATZ_BENCH_LARGE=1 go test -run '^$' -bench Large ./internal/store/memory
func BenchmarkLarge(b *testing.B) {
	if os.Getenv("ERSATZ_BENCH_LARGE") == "" {
		b.Skip("set ERSATZ_BENCH_LARGE=1 to run the 1,000,000-resource benchmarks")
	}
	const n = 1_000_000
	s := memory.New()
	defer s.Close()
	start := time.Now()
	storetest.Fill(b, s, storetest.BenchCollection(), n, 10_000)
	b.Logf("filled %d resources in %s", n, time.Since(start).Round(time.Millisecond))
	b.Run("ListPage100/n=1M", func(b *testing.B) {
		storetest.ListPages(b, s, storetest.BenchCollection(), n, 100)
	})
}
