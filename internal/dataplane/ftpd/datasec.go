package ftpd

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	ftpserver "github.com/fclairamb/ftpserverlib"
)

// TLS session resumption modes of a server's ProtocolDetails.
const (
	ResumeEnforced = "ENFORCED"
	ResumeEnabled  = "ENABLED"
	ResumeDisabled = "DISABLED"
)

// How a passive data connection is tied to its control connection:
//
//   - Each PASV/EPSV listener belongs to the control connection whose reply
//     announced its port (the library logs every reply of a client in
//     debug mode with the client's id; dataWatch reads the 227/229 replies
//     before they are sent). A connection to it from another IP address
//     is closed unseen and the listener waits for the next one.
//   - FTPS: every control connection gets its own session ticket key, and
//     a data connection is offered only its control connection's key, so
//     only that connection's TLS session can be resumed. ENFORCED refuses
//     a data connection that does not resume it (the TLS handshake fails,
//     the transfer answers 425/426 and nothing is sent); ENABLED accepts a
//     full handshake too; DISABLED issues no tickets at all.

// ticketKey is a fresh session ticket key.
func ticketKey() [32]byte {
	var k [32]byte
	_, _ = rand.Read(k[:])
	return k
}

// dataHandshake bounds the TLS handshake of a data connection.
const dataHandshake = 30 * time.Second

// tlsConfig is the one configuration the library gets for control and data
// connections; it picks each connection's own from the connection.
func (s *Server) tlsConfig() *tls.Config {
	c := s.cfg.TLS.Clone()
	c.GetConfigForClient = s.configFor
	return c
}

func (s *Server) mode() string {
	switch m := strings.ToUpper(s.cfg.TLSResumption); m {
	case ResumeEnabled, ResumeDisabled:
		return m
	}
	return ResumeEnforced
}

// configFor is the configuration of one connection's TLS handshake.
func (s *Server) configFor(hello *tls.ClientHelloInfo) (*tls.Config, error) {
	c := s.cfg.TLS.Clone()
	c.SessionTicketsDisabled = s.mode() == ResumeDisabled
	switch conn := hello.Conn.(type) {
	case *trackedConn:
		c.SetSessionTicketKeys([][32]byte{conn.ticketKey})
		return c, nil
	case *dataConn:
		owner := conn.l.getOwner()
		enforced := s.mode() == ResumeEnforced
		if owner == nil {
			if enforced {
				return nil, errors.New("data connection: no control connection announced this port")
			}
			c.SetSessionTicketKeys([][32]byte{ticketKey()})
			c.VerifyConnection = func(tls.ConnectionState) error {
				_ = conn.SetDeadline(time.Time{}) // the handshake is over: the transfer has no deadline
				return nil
			}
			return c, nil
		}
		c.SetSessionTicketKeys([][32]byte{owner.ticketKey})
		c.VerifyConnection = func(cs tls.ConnectionState) error {
			if enforced && !cs.DidResume {
				s.cfg.Log.Warn("ftps: data connection refused", "listener", s.cfg.Name, "remote", conn.RemoteAddr().String(),
					"control", owner.key, "reason", "it does not resume the control connection's TLS session (TlsSessionResumptionMode ENFORCED)")
				return errors.New("the data connection must resume the control connection's TLS session")
			}
			_ = conn.SetDeadline(time.Time{})
			return nil
		}
		return c, nil
	}
	return nil, nil
}

// WrapPassiveListener tracks each passive listener by port until its
// control connection claims it.
func (d *driver) WrapPassiveListener(ln net.Listener) (net.Listener, error) {
	tcp, ok := ln.Addr().(*net.TCPAddr)
	if !ok {
		return ln, nil
	}
	pl := &passiveListener{Listener: ln, s: d.s, port: tcp.Port}
	d.s.data.mu.Lock()
	d.s.data.passive[tcp.Port] = pl
	d.s.data.mu.Unlock()
	return pl, nil
}

// dataState maps passive ports to their listeners and client ids to their
// control connections.
type dataState struct {
	mu      sync.Mutex
	passive map[int]*passiveListener
	clients map[uint32]*trackedConn
}

func newDataState() *dataState {
	return &dataState{passive: map[int]*passiveListener{}, clients: map[uint32]*trackedConn{}}
}

// claim gives the passive listener of port to client id.
func (d *dataState) claim(id uint32, port int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if pl, tc := d.passive[port], d.clients[id]; pl != nil && tc != nil {
		pl.setOwner(tc)
	}
}

type passiveListener struct {
	net.Listener
	s    *Server
	port int

	mu    sync.Mutex
	owner *trackedConn
}

func (l *passiveListener) setOwner(tc *trackedConn) {
	l.mu.Lock()
	l.owner = tc
	l.mu.Unlock()
}

func (l *passiveListener) getOwner() *trackedConn {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.owner
}

// Accept returns the next data connection from the control connection's
// IP address; others are closed unseen.
func (l *passiveListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		owner := l.getOwner()
		if owner != nil && !sameIP(c.RemoteAddr(), owner.RemoteAddr()) {
			l.s.cfg.Log.Warn("ftp: data connection refused", "listener", l.s.cfg.Name, "remote", c.RemoteAddr().String(),
				"control", owner.key, "reason", "not from the control connection's address")
			_ = c.Close()
			continue
		}
		if l.s.cfg.TLS != nil {
			_ = c.SetDeadline(time.Now().Add(dataHandshake))
		}
		return &dataConn{Conn: c, l: l}, nil
	}
}

func (l *passiveListener) Close() error {
	l.s.data.mu.Lock()
	if l.s.data.passive[l.port] == l {
		delete(l.s.data.passive, l.port)
	}
	l.s.data.mu.Unlock()
	return l.Listener.Close()
}

// dataConn is an accepted passive data connection.
type dataConn struct {
	net.Conn
	l *passiveListener
}

func sameIP(a, b net.Addr) bool {
	ha, _, err1 := net.SplitHostPort(a.String())
	hb, _, err2 := net.SplitHostPort(b.String())
	if err1 != nil || err2 != nil {
		return false
	}
	ia, ib := net.ParseIP(ha), net.ParseIP(hb)
	return ia != nil && ia.Equal(ib)
}

// dataWatch is the library's logger: it reads the passive replies
// ("227 Entering Passive Mode (h1,h2,h3,h4,p1,p2)", "229 Entering Extended
// Passive Mode (|||port|)") of every client and drops everything else.
type dataWatch struct {
	d  *dataState
	id uint32
	ok bool
}

func (w *dataWatch) Enabled(context.Context, slog.Level) bool { return true }

func (w *dataWatch) WithAttrs(attrs []slog.Attr) slog.Handler {
	out := *w
	for _, a := range attrs {
		if a.Key == "clientId" {
			if v := a.Value.Resolve(); v.Kind() == slog.KindUint64 {
				out.id, out.ok = uint32(v.Uint64()), true
			}
		}
	}
	return &out
}

func (w *dataWatch) WithGroup(string) slog.Handler { return w }

func (w *dataWatch) Handle(_ context.Context, r slog.Record) error {
	if !w.ok || r.Message != "Sending answer" {
		return nil
	}
	r.Attrs(func(a slog.Attr) bool {
		if a.Key != "line" {
			return true
		}
		if port, ok := passivePort(a.Value.String()); ok {
			w.d.claim(w.id, port)
		}
		return false
	})
	return nil
}

// passivePort reads the port of a 227 or 229 reply (0, false for any
// other line).
func passivePort(line string) (int, bool) {
	p, ok := parsePassive(line)
	if !ok || p < 1 || p > 65535 {
		return 0, false
	}
	return p, true
}

func parsePassive(line string) (int, bool) {
	open, end := strings.LastIndexByte(line, '('), strings.LastIndexByte(line, ')')
	if open < 0 || end < open {
		return 0, false
	}
	inner := line[open+1 : end]
	switch {
	case strings.HasPrefix(line, "229 "):
		parts := strings.Split(inner, "|")
		if len(parts) != 5 {
			return 0, false
		}
		p, err := strconv.Atoi(parts[3])
		return p, err == nil
	case strings.HasPrefix(line, "227 "):
		parts := strings.Split(inner, ",")
		if len(parts) != 6 {
			return 0, false
		}
		hi, err1 := strconv.Atoi(parts[4])
		lo, err2 := strconv.Atoi(parts[5])
		if err1 != nil || err2 != nil || hi < 0 || hi > 255 || lo < 0 || lo > 255 {
			return 0, false
		}
		return hi<<8 | lo, true
	}
	return 0, false
}

// clientArrived ties the library's client id to its control connection.
func (s *Server) clientArrived(cc ftpserver.ClientContext) {
	cc.SetDebug(true) // for dataWatch
	if cc.RemoteAddr() == nil {
		return
	}
	s.conns.mu.Lock()
	tc := s.conns.conns[cc.RemoteAddr().String()]
	s.conns.mu.Unlock()
	if tc == nil {
		return
	}
	s.data.mu.Lock()
	s.data.clients[cc.ID()] = tc
	s.data.mu.Unlock()
}

func (s *Server) clientLeft(cc ftpserver.ClientContext) {
	s.data.mu.Lock()
	delete(s.data.clients, cc.ID())
	s.data.mu.Unlock()
}
