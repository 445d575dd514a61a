// Package background runs the work Transfer starts beyond a request
// (connector operations, workflow steps, custom step timers) under one
// lifecycle: work starts only while the group is open, every goroutine's
// context ends at Close, and Close waits for them all.
package background

import (
	"context"
	"sync"
	"time"

	"github.com/ersatz-dev/ersatz/internal/api"
)

// Group is a set of background goroutines with one end.
type Group struct {
	ctx    context.Context
	cancel context.CancelFunc
	mu     sync.Mutex // orders Go against Close
	wg     sync.WaitGroup
}

// New returns an open group.
func New() *Group {
	ctx, cancel := context.WithCancel(context.Background())
	return &Group{ctx: ctx, cancel: cancel}
}

// Go runs fn on a goroutine whose context carries caller (the account and
// region the work belongs to) and ends at Close. It reports false, running
// nothing, once the group is closed.
func (g *Group) Go(caller api.Caller, fn func(ctx context.Context)) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ctx.Err() != nil {
		return false
	}
	g.wg.Add(1)
	ctx := api.WithCaller(g.ctx, caller)
	go func() {
		defer g.wg.Done()
		fn(ctx)
	}()
	return true
}

// Close ends the contexts of the running work and waits for it to return.
// Closing twice is harmless.
func (g *Group) Close() {
	g.mu.Lock()
	g.cancel()
	g.mu.Unlock()
	g.wg.Wait()
}

// StoreContext is the context of a background store write: it outlives the
// cancellation of ctx (so that "cancelled" can still be recorded) but is
// bounded.
func StoreContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
}
