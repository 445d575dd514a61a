package metrics

import (
	"context"
	"testing"
	"time"

	"github.com/ersatz-dev/ersatz/internal/gateway"
	"github.com/ersatz-dev/ersatz/internal/reqlog"
	"github.com/ersatz-dev/ersatz/internal/store"
	"github.com/ersatz-dev/ersatz/internal/store/memory"
)

// BenchmarkObserveRequest is what metrics and the request log add to one
// request: its outcome counted, its latency observed and kept in the log.
func BenchmarkObserveRequest(b *testing.B) {
	m, l := New(), reqlog.New(1000)
	o := &gateway.Outcome{Time: time.Now(), RequestID: "84a9f07b-391e-ce47-2e40-be4306c876c7", Account: "111111111111",
		Region: "us-east-1", Service: "transfer", Operation: "DescribeServer", Status: 200, Latency: 40 * time.Microsecond}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		m.Observe(ctx, o)
		l.Observe(ctx, o)
	}
}

// BenchmarkTimedView is one read transaction of the memory store, bare and
// measured: the difference is what a measured transaction adds.
func BenchmarkTimedView(b *testing.B) {
	st := memory.New()
	defer st.Close()
	key := store.Key{Scope: store.Scope{Account: "1", Region: "r", Service: "s"}, Kind: "k", ID: "a"}
	if err := st.Update(context.Background(), func(tx store.Tx) error { return tx.Put(key, []byte(`{}`)) }); err != nil {
		b.Fatal(err)
	}
	read := func(tx store.Tx) error { _, err := tx.Get(key); return err }
	for _, c := range []struct {
		name string
		st   store.Store
	}{{"bare", st}, {"measured", New().Store(st)}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := c.st.View(context.Background(), read); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
