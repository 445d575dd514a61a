package transfer

import (
	"context"
	"sync"
)

// The change hook. The data plane listens on the ports of ONLINE servers and
// checks open sessions against users and accesses, so it must learn of every
// change to them: OnChange registers a function that runs after each
// successful state-changing operation. Which operations those are is written
// in the operation table (API): each is wrapped with changes or
// changesErr. The read-only operations (Describe*, List*,
// TestIdentityProvider) and the tag operations, which change nothing the data
// plane reads, are not.

// changeHooks are the functions OnChange registered.
type changeHooks struct {
	mu  sync.Mutex
	fns []func()
}

// OnChange registers fn to run, on the request's goroutine, after every
// successful state-changing operation. fn must not block: the data plane's
// Notify only asks for a reconciliation.
func (s *Service) OnChange(fn func()) {
	if fn == nil {
		return
	}
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	s.hooks.fns = append(s.hooks.fns, fn)
}

// changed runs the change hooks.
func (s *Service) changed() {
	s.hooks.mu.Lock()
	fns := s.hooks.fns
	s.hooks.mu.Unlock()
	for _, fn := range fns {
		fn()
	}
}

// changes wraps an operation that changes state so that the change hooks run
// after each success.
func changes[I, O any](s *Service, op func(context.Context, I) (O, error)) func(context.Context, I) (O, error) {
	return func(ctx context.Context, in I) (O, error) {
		out, err := op(ctx, in)
		if err == nil {
			s.changed()
		}
		return out, err
	}
}

// changesErr is changes for an operation without output.
func changesErr[I any](s *Service, op func(context.Context, I) error) func(context.Context, I) error {
	return func(ctx context.Context, in I) error {
		err := op(ctx, in)
		if err == nil {
			s.changed()
		}
		return err
	}
}
