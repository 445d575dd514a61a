package storetest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/ersatz-dev/ersatz/internal/store"
)

// BenchOpener returns a new, empty store and arranges for it to be closed.
type BenchOpener func(b *testing.B) store.Store

// BenchDoc is a document of a realistic size (about 300 bytes, like a
// Transfer server record).
const BenchDoc = `{"Arn":"arn:aws:transfer:us-east-1:111122223333:server/s-0123456789abcdef0",` +
	`"Domain":"S3","EndpointType":"PUBLIC","IdentityProviderType":"SERVICE_MANAGED",` +
	`"LoggingRole":"arn:aws:iam::111122223333:role/transfer-logs","Protocols":["SFTP"],` +
	`"SecurityPolicyName":"TransferSecurityPolicy-2024-01","State":"ONLINE","UserCount":3}`

// BenchCollection is the collection the benchmarks fill.
func BenchCollection() store.Collection {
	return store.Collection{Scope: scopeA, Parent: "server/s-bench", Kind: "user"}
}

// BenchID is the id of the i-th resource Fill writes; ids sort in i order.
func BenchID(i int) string { return fmt.Sprintf("u-%08d", i) }

// Fill writes n resources into c, batch per transaction.
func Fill(tb testing.TB, s store.Store, c store.Collection, n, batch int) {
	tb.Helper()
	doc := []byte(BenchDoc)
	for start := 0; start < n; start += batch {
		err := s.Update(context.Background(), func(tx store.Tx) error {
			for i := start; i < min(start+batch, n); i++ {
				k := store.Key{Scope: c.Scope, Parent: c.Parent, Kind: c.Kind, ID: BenchID(i)}
				if err := tx.Put(k, doc); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			tb.Fatalf("fill: %v", err)
		}
	}
}

// Bench runs the benchmarks every backend reports: durable single writes,
// reads, list pages, and write throughput with 1 and 64 concurrent writers.
func Bench(b *testing.B, open BenchOpener) {
	b.Run("Put", func(b *testing.B) {
		s := open(b)
		doc := []byte(BenchDoc)
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			k := store.Key{Scope: scopeA, Kind: "server", ID: BenchID(i)}
			if err := s.Update(context.Background(), func(tx store.Tx) error { return tx.Put(k, doc) }); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Get", func(b *testing.B) {
		s := open(b)
		const n = 1000
		c := BenchCollection()
		Fill(b, s, c, n, n)
		rng := rand.New(rand.NewPCG(1, 2))
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			k := store.Key{Scope: c.Scope, Parent: c.Parent, Kind: c.Kind, ID: BenchID(rng.IntN(n))}
			err := s.View(context.Background(), func(tx store.Tx) error {
				_, err := tx.Get(k)
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ListPage100/n=1k", func(b *testing.B) {
		s := open(b)
		Fill(b, s, BenchCollection(), 1000, 1000)
		ListPages(b, s, BenchCollection(), 1000, 100)
	})
	for _, writers := range []int{1, 64} {
		b.Run(fmt.Sprintf("Writes/writers=%d", writers), func(b *testing.B) {
			Writes(b, open(b), writers)
		})
	}
	b.Run("Increments/writers=64", func(b *testing.B) {
		Increments(b, open(b), 64)
	})
}

// Increments measures read-modify-writes of one resource (a counter) by
// writers concurrent goroutines, the most contended case, and reports
// increments/s. Every increment must succeed, and none may be lost.
func Increments(b *testing.B, s store.Store, writers int) {
	b.Helper()
	b.ReportAllocs()
	k := key(scopeA, "", "counter", "hot")
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	begin := time.Now()
	b.ResetTimer()
	for w := range writers {
		n := b.N / writers
		if w < b.N%writers {
			n++
		}
		wg.Go(func() {
			for range n {
				err := s.Update(context.Background(), func(tx store.Tx) error {
					c, err := store.GetJSON[counter](tx, k)
					if err != nil && !errors.Is(err, store.ErrNotFound) {
						return err
					}
					c.N++
					return store.PutJSON(tx, k, c)
				})
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	elapsed := time.Since(begin)
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	var c counter
	err := s.View(context.Background(), func(tx store.Tx) error {
		var err error
		c, err = store.GetJSON[counter](tx, k)
		return err
	})
	if err != nil || c.N != b.N {
		b.Fatalf("counter = %d after %d increments: %v", c.N, b.N, err)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "increments/s")
}

// ListPages measures one View listing a page of size resources of c (which
// holds n resources filled by Fill), starting at a random position.
func ListPages(b *testing.B, s store.Store, c store.Collection, n, size int) {
	b.Helper()
	rng := rand.New(rand.NewPCG(3, 4))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		start := rng.IntN(n - size)
		page := store.Page{Limit: size}
		if start > 0 {
			page.Token = store.EncodeToken(c, BenchID(start-1))
		}
		var items []store.Item
		err := s.View(context.Background(), func(tx store.Tx) error {
			var err error
			items, _, err = tx.List(c, page)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		if len(items) != size || items[0].Key.ID != BenchID(start) {
			b.Fatalf("page at %d: %d items", start, len(items))
		}
	}
}

// Writes measures durable writes (one Put per Update, each to its own
// resource) with writers concurrent goroutines, and reports writes/s.
func Writes(b *testing.B, s store.Store, writers int) {
	b.Helper()
	b.ReportAllocs()
	doc := []byte(BenchDoc)
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	begin := time.Now()
	b.ResetTimer()
	for w := range writers {
		n := b.N / writers
		if w < b.N%writers {
			n++
		}
		wg.Go(func() {
			for i := range n {
				k := store.Key{Scope: scopeA, Kind: "w", ID: fmt.Sprintf("w%02d-%08d", w, i)}
				if err := s.Update(context.Background(), func(tx store.Tx) error { return tx.Put(k, doc) }); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/time.Since(begin).Seconds(), "writes/s")
}
