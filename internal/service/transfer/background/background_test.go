package background

import (
	"context"
	"testing"
	"time"

	"github.com/ersatz-dev/ersatz/internal/api"
)

func TestGroupLifecycle(t *testing.T) {
	g := New()
	started := make(chan api.Caller, 1)
	ended := make(chan error, 1)
	if !g.Go(api.Caller{Account: "111111111111", Region: "eu-west-1"}, func(ctx context.Context) {
		started <- api.CallerFrom(ctx)
		<-ctx.Done()
		ended <- ctx.Err()
	}) {
		t.Fatal("an open group refused work")
	}
	if c := <-started; c.Account != "111111111111" || c.Region != "eu-west-1" {
		t.Fatalf("the work's caller is %+v", c)
	}
	g.Close()
	select {
	case err := <-ended:
		if err != context.Canceled {
			t.Fatalf("the work ended with %v", err)
		}
	default:
		t.Fatal("Close returned before the work ended")
	}
	if g.Go(api.Caller{}, func(context.Context) { t.Error("work ran after Close") }) {
		t.Fatal("a closed group accepted work")
	}
	g.Close()
}

func TestStoreContextOutlivesCancellation(t *testing.T) {
	ctx, cancel := context.WithCancel(api.WithCaller(context.Background(), api.Caller{Account: "a"}))
	cancel()
	sctx, scancel := StoreContext(ctx)
	defer scancel()
	if sctx.Err() != nil {
		t.Fatalf("the store context is already done: %v", sctx.Err())
	}
	if d, ok := sctx.Deadline(); !ok || time.Until(d) > 10*time.Second {
		t.Fatalf("deadline %v, %v", d, ok)
	}
	if api.CallerFrom(sctx).Account != "a" {
		t.Fatal("the store context lost the caller")
	}
}
