package sftpd

import (
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/ersatz-dev/ersatz/internal/dataplane/vfs"
)

// ErrTooManyHandles refuses an open beyond the connection's cap.
var ErrTooManyHandles = fmt.Errorf("too many open files on this connection: %w", os.ErrPermission)

// connState is what one logged-in connection holds: its channels, its open
// files and when the client last sent an SFTP request.
type connState struct {
	srv  *Server
	conn *ssh.ServerConn
	fsys *vfs.FS

	mu       sync.Mutex
	channels int
	handles  int

	last atomic.Int64 // unix nanoseconds of the last channel data received
}

func (c *connState) touch() { c.last.Store(time.Now().UnixNano()) }

// openChannel takes one of the connection's channels, if one is left.
func (c *connState) openChannel() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.channels >= c.srv.cfg.MaxChannels {
		return false
	}
	c.channels++
	return true
}

func (c *connState) closeChannel() {
	c.mu.Lock()
	c.channels--
	c.mu.Unlock()
}

// openHandle opens a file against the connection's cap of open files.
func (c *connState) openHandle(p string, fl vfs.OpenFlags) (fileHandle, error) {
	limit := c.srv.cfg.MaxHandles
	c.mu.Lock()
	if limit > 0 && c.handles >= limit {
		c.mu.Unlock()
		c.srv.log.Warn("sftp: open refused", "listener", c.srv.cfg.Name, "user", c.conn.User(),
			"remote", c.conn.RemoteAddr().String(), "reason", fmt.Sprintf("%d files already open on this connection", limit))
		return nil, fmt.Errorf("%w (at most %d)", ErrTooManyHandles, limit)
	}
	c.handles++
	c.mu.Unlock()
	f, err := c.fsys.Open(p, fl)
	if err != nil {
		c.releaseHandle()
		return nil, err
	}
	return &handle{File: f, release: c.releaseHandle}, nil
}

func (c *connState) releaseHandle() {
	c.mu.Lock()
	c.handles--
	c.mu.Unlock()
}

// handle is an open file that gives its place back when closed.
type handle struct {
	*vfs.File
	once    sync.Once
	release func()
}

func (h *handle) Close() error {
	err := h.File.Close()
	h.once.Do(h.release)
	return err
}

// watch ends the connection when it is idle (no SFTP request for
// IdleTimeout) or unresponsive (a keepalive unanswered for
// UnresponsiveTimeout), until stop is closed.
func (c *connState) watch(stop <-chan struct{}) {
	idle, unresp := c.srv.cfg.IdleTimeout, c.srv.cfg.UnresponsiveTimeout
	if idle <= 0 && unresp <= 0 {
		return
	}
	// Check often enough for either deadline to be met within a tenth of it.
	period := time.Hour
	for _, d := range []time.Duration{idle / 10, unresp / 3} {
		if d > 0 && d < period {
			period = d
		}
	}
	period = max(period, 10*time.Millisecond)
	tick := time.NewTicker(period)
	defer tick.Stop()
	var answered chan struct{} // the pending keepalive's answer
	var sent time.Time
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		now := time.Now()
		if idle > 0 && now.Sub(time.Unix(0, c.last.Load())) >= idle {
			c.end("idle", fmt.Sprintf("no SFTP request for %s", idle))
			return
		}
		if unresp <= 0 {
			continue
		}
		if answered != nil {
			select {
			case <-answered:
				answered = nil
			default:
				if now.Sub(sent) >= unresp {
					c.end("unresponsive", fmt.Sprintf("keepalive unanswered for %s", unresp))
					return
				}
				continue
			}
		}
		if now.Sub(sent) >= unresp/3 {
			done := make(chan struct{})
			answered, sent = done, now
			go func() {
				// Any answer, success or failure, shows the client is alive.
				if _, _, err := c.conn.SendRequest("keepalive@openssh.com", true, nil); err == nil {
					close(done)
				}
			}()
		}
	}
}

func (c *connState) end(why, detail string) {
	c.srv.log.Info("sftp: connection ended", "listener", c.srv.cfg.Name, "user", c.conn.User(),
		"remote", c.conn.RemoteAddr().String(), "reason", why, "detail", detail)
	_ = c.conn.Close()
}

// activity is a channel whose reads count as the client's activity.
type activity struct {
	ssh.Channel
	c *connState
}

func (a activity) Read(p []byte) (int, error) {
	n, err := a.Channel.Read(p)
	if n > 0 {
		a.c.touch()
	}
	return n, err
}
