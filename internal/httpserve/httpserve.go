// Package httpserve runs Ersatz's HTTP server so it holds against hostile
// clients: every phase of a connection has a timeout, the number of open
// connections stays below the process's file descriptor limit (the longest
// idle connection is closed to make room for a new one), the plain-text
// answers net/http writes itself are rewritten as AWS-shaped JSON errors,
// and shutdown closes idle connections at once and in-flight ones after a
// grace period.
package httpserve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Config holds the server's limits. Zero values take the defaults.
type Config struct {
	// ReadHeaderTimeout bounds reading a request's headers (default 10s).
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds reading a whole request, body included (default 60s).
	ReadTimeout time.Duration
	// WriteTimeout bounds handling a request and writing its answer, from
	// the end of its headers (default 60s).
	WriteTimeout time.Duration
	// IdleTimeout bounds how long a keep-alive connection waits for its next
	// request (default 60s).
	IdleTimeout time.Duration
	// ShutdownTimeout is how long shutdown lets in-flight requests finish
	// before it closes their connections (default 10s).
	ShutdownTimeout time.Duration
	// MaxConns caps open connections (default: three quarters of the file
	// descriptor limit, leaving the rest to the store and the data plane).
	MaxConns int
	// MaxHeaderBytes caps a request's headers (default 1 MiB).
	MaxHeaderBytes int
	Logger         *slog.Logger
}

// Defaults of Config.
const (
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultReadTimeout       = 60 * time.Second
	DefaultWriteTimeout      = 60 * time.Second
	DefaultIdleTimeout       = 60 * time.Second
	DefaultShutdownTimeout   = 10 * time.Second
)

func (c Config) withDefaults() Config {
	set := func(d *time.Duration, def time.Duration) {
		if *d <= 0 {
			*d = def
		}
	}
	set(&c.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	set(&c.ReadTimeout, DefaultReadTimeout)
	set(&c.WriteTimeout, DefaultWriteTimeout)
	set(&c.IdleTimeout, DefaultIdleTimeout)
	set(&c.ShutdownTimeout, DefaultShutdownTimeout)
	if c.MaxConns <= 0 {
		c.MaxConns = defaultMaxConns(fdLimit())
	}
	if c.MaxHeaderBytes <= 0 {
		c.MaxHeaderBytes = http.DefaultMaxHeaderBytes
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// defaultMaxConns leaves a quarter of the descriptors (at least 64) to the
// rest of the process.
func defaultMaxConns(limit int) int {
	if limit <= 0 {
		return 4096
	}
	n := min(limit*3/4, limit-64)
	return max(n, 16)
}

// Server is an http.Server with Ersatz's limits.
type Server struct {
	cfg   Config
	hs    *http.Server
	conns *tracker
}

// New returns a server of h.
func New(h http.Handler, cfg Config) *Server {
	cfg = cfg.withDefaults()
	t := newTracker(cfg.MaxConns, cfg.Logger)
	hs := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    cfg.MaxHeaderBytes,
		ConnState:         t.hook,
		ErrorLog:          slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelDebug),
	}
	return &Server{cfg: cfg, hs: hs, conns: t}
}

// Config is the configuration with its defaults applied.
func (s *Server) Config() Config { return s.cfg }

// Serve serves ln until ctx ends, then shuts down: it stops accepting,
// closes idle connections at once, lets in-flight requests finish for
// ShutdownTimeout and then closes their connections. It returns nil after a
// shutdown, or the error that stopped serving.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	errc := make(chan error, 1)
	go func() { errc <- s.hs.Serve(&listener{Listener: ln, t: s.conns}) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	return s.shutdown()
}

func (s *Server) shutdown() error {
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.hs.Shutdown(sctx) }()
	// net/http waits 5 s before it treats a connection that sent nothing
	// as idle; close those and the idle keep-alive ones now.
	s.conns.closeIdle()
	err := <-done
	if errors.Is(err, context.DeadlineExceeded) {
		n := s.conns.count()
		s.cfg.Logger.Warn("shutdown: closing connections whose requests did not finish in time",
			"connections", n, "after", s.cfg.ShutdownTimeout)
		_ = s.hs.Close()
		return nil
	}
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}
