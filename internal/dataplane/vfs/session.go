package vfs

import (
	"fmt"
	"os"
	"sync"
	"sync/atomic"
)

// ErrEnded is every command of a session that was ended (End): the
// control plane removed the user or its key, or changed what it may see.
var ErrEnded = fmt.Errorf("session ended: %w", os.ErrPermission)

// lifecycle is a session's end: by the control plane (End) or by its own
// close (Close).
type lifecycle struct {
	done      chan struct{}
	doneOnce  sync.Once
	closeOnce sync.Once
	reason    atomic.Pointer[string]
}

func newLifecycle() lifecycle { return lifecycle{done: make(chan struct{})} }

func (l *lifecycle) err() error {
	if r := l.reason.Load(); r != nil {
		return fmt.Errorf("%w: %s", ErrEnded, *r)
	}
	return nil
}

func (l *lifecycle) close(onClose func()) {
	l.doneOnce.Do(func() { close(l.done) })
	l.closeOnce.Do(func() {
		if onClose != nil {
			onClose()
		}
	})
}

// End ends the session for reason: every later command fails with
// ErrEnded, and Done is closed so the server closes the connection. Only
// the first reason is kept; End after Close does nothing.
func (f *FS) End(reason string) {
	select {
	case <-f.life.done:
		return
	default:
	}
	f.life.reason.CompareAndSwap(nil, &reason)
	f.life.doneOnce.Do(func() { close(f.life.done) })
}

// Done is closed when the session ends or closes.
func (f *FS) Done() <-chan struct{} { return f.life.done }

// Ended is why the session was ended ("" while it goes on, or when it
// closed by itself).
func (f *FS) Ended() string {
	if r := f.life.reason.Load(); r != nil {
		return *r
	}
	return ""
}
