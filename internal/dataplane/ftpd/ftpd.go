// Package ftpd serves FTP and explicit FTPS (AUTH TLS) with
// github.com/fclairamb/ftpserverlib on one listener, for one Transfer
// server. Every command goes through the session's virtual file system
// (internal/dataplane/vfs). As on AWS, only passive mode is offered (PASV,
// EPSV); active mode, SITE and symbolic links are refused.
package ftpd

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path"
	"strings"
	"sync"
	"time"

	ftpserver "github.com/fclairamb/ftpserverlib"
	"github.com/spf13/afero"

	"github.com/ersatz-dev/ersatz/internal/dataplane/listener"
	"github.com/ersatz-dev/ersatz/internal/dataplane/vfs"
)

// Config configures a Server.
type Config struct {
	// TLS, when set, makes the listener FTPS: clients must send AUTH TLS
	// before logging in, and data connections are protected (PROT P).
	TLS *tls.Config
	// TLSResumption is the server's TlsSessionResumptionMode: ENFORCED
	// (the default), ENABLED or DISABLED (see datasec.go).
	TLSResumption string
	// PassivePorts is the range of passive data ports (inclusive).
	PassiveStart, PassiveEnd int
	// PublicHost is the address given in PASV replies ("" uses the
	// control connection's local address).
	PublicHost string
	// Banner is the welcome message; PostAuthBanner follows a login.
	Banner, PostAuthBanner string
	// Login authenticates a user with its password and opens its session.
	Login func(remote net.Addr, user, password string) (*vfs.FS, error)
	Log   *slog.Logger
	// Name labels the listener in logs.
	Name string
	// Gate, when set, caps the server's connections (shared with its other
	// listeners).
	Gate *listener.Gate
	// LoginGrace is how long a client has to log in (default 30 s).
	LoginGrace time.Duration
	// IdleTimeout ends a connection that sends no command for that long
	// (rounded up to whole seconds; default 1800 s).
	IdleTimeout time.Duration
}

// DefaultIdleTimeout is AWS's idle timeout of every protocol.
const DefaultIdleTimeout = 1800 * time.Second

// Server is one FTP or FTPS listener.
type Server struct {
	cfg Config
	srv *ftpserver.FtpServer
	ln  net.Listener
	bl  *listener.Listener

	done    chan struct{}
	conns   *connTracker
	data    *dataState
	tlsConf *tls.Config
}

// Serve accepts FTP clients on ln until Close.
func Serve(ln net.Listener, cfg Config) (*Server, error) {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Gate == nil {
		cfg.Gate = listener.NewGate(listener.Limits{})
	}
	if cfg.LoginGrace <= 0 {
		cfg.LoginGrace = 30 * time.Second
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	// The library's ClientContext.Close races with a client's own
	// disconnect, so Close ends sessions by closing the control connections
	// it accepted, which is safe from any goroutine.
	conns := &connTracker{conns: map[string]*trackedConn{}}
	bl := listener.New(ln, cfg.Name, cfg.Log)
	ln = &trackingListener{Listener: bl, t: conns, gate: cfg.Gate, grace: cfg.LoginGrace, log: cfg.Log, name: cfg.Name}
	s := &Server{cfg: cfg, ln: ln, bl: bl, done: make(chan struct{}), conns: conns, data: newDataState()}
	if cfg.TLS != nil {
		s.tlsConf = s.tlsConfig()
	}
	s.srv = ftpserver.NewFtpServer(&driver{s: s})
	// Ersatz logs logins itself; the library's log only tells which client
	// owns which passive port.
	s.srv.Logger = slog.New(&dataWatch{d: s.data})
	if err := s.srv.Listen(); err != nil {
		return nil, fmt.Errorf("ftpd: %w", err)
	}
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(); err != nil {
			s.cfg.Log.Debug("ftp: serve ended", "error", err)
		}
	}()
	return s, nil
}

// Addr is the listener's address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Health is a nil error while the listener accepts; otherwise since when
// Accept fails and why.
func (s *Server) Health() (time.Time, error) { return s.bl.Health() }

// Close stops accepting and disconnects every client.
func (s *Server) Close() error {
	err := s.srv.Stop()
	s.conns.closeAll()
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
	}
	if errors.Is(err, ftpserver.ErrNotListening) {
		err = nil
	}
	return err
}

type driver struct{ s *Server }

func (d *driver) GetSettings() (*ftpserver.Settings, error) {
	st := &ftpserver.Settings{
		Listener:               d.s.ln,
		PublicHost:             d.s.cfg.PublicHost,
		IdleTimeout:            int((d.s.cfg.IdleTimeout + time.Second - 1) / time.Second),
		ConnectionTimeout:      30,
		DisableActiveMode:      true,
		DisableSite:            true,
		DisableSTAT:            false,
		DefaultTransferType:    ftpserver.TransferTypeBinary,
		DisableASCIIConversion: true,
	}
	if d.s.cfg.PassiveStart > 0 && d.s.cfg.PassiveEnd >= d.s.cfg.PassiveStart {
		st.PassiveTransferPortRange = ftpserver.PortRange{Start: d.s.cfg.PassiveStart, End: d.s.cfg.PassiveEnd}
	}
	if d.s.cfg.TLS != nil {
		st.TLSRequired = ftpserver.MandatoryEncryption
	}
	return st, nil
}

func (d *driver) ClientConnected(cc ftpserver.ClientContext) (string, error) {
	d.s.clientArrived(cc)
	if d.s.cfg.Banner != "" {
		return d.s.cfg.Banner, nil
	}
	return "Ersatz AWS Transfer Family", nil
}

func (d *driver) ClientDisconnected(cc ftpserver.ClientContext) {
	d.s.clientLeft(cc)
	if fsys, ok := cc.Extra().(*vfs.FS); ok {
		_ = fsys.Close()
	}
}

func (d *driver) AuthUser(cc ftpserver.ClientContext, user, pass string) (ftpserver.ClientDriver, error) {
	fsys, err := d.s.cfg.Login(cc.RemoteAddr(), user, pass)
	if err != nil {
		return nil, err
	}
	cc.SetExtra(fsys)
	cc.SetPath(fsys.Home())
	d.s.conns.authenticated(cc.RemoteAddr())
	// A session the control plane ends (vfs.FS.End) is disconnected; Done
	// is also closed when the client leaves (ClientDisconnected).
	go func() {
		<-fsys.Done()
		if fsys.Ended() != "" {
			d.s.conns.closeRemote(cc.RemoteAddr())
		}
	}()
	return &fsDriver{fs: fsys}, nil
}

func (d *driver) PostAuthMessage(_ ftpserver.ClientContext, _ string, authErr error) string {
	if authErr != nil {
		return "Authentication failed"
	}
	if d.s.cfg.PostAuthBanner != "" {
		return d.s.cfg.PostAuthBanner
	}
	return "Password ok, continue"
}

func (d *driver) GetTLSConfig() (*tls.Config, error) {
	if d.s.tlsConf == nil {
		return nil, errors.New("this server does not offer FTPS on this port")
	}
	return d.s.tlsConf, nil
}

// fsDriver is the afero.Fs a logged-in client works on.
type fsDriver struct {
	fs *vfs.FS
}

var (
	_ ftpserver.ClientDriver                      = (*fsDriver)(nil)
	_ ftpserver.ClientDriverExtensionFileList     = (*fsDriver)(nil)
	_ ftpserver.ClientDriverExtentionFileTransfer = (*fsDriver)(nil)
	_ ftpserver.ClientDriverExtensionRemoveDir    = (*fsDriver)(nil)
)

func (f *fsDriver) Name() string { return "ersatz" }

func (f *fsDriver) Create(name string) (afero.File, error) {
	return f.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
}

func (f *fsDriver) Mkdir(name string, _ os.FileMode) error { return f.fs.Mkdir(name) }

func (f *fsDriver) MkdirAll(name string, _ os.FileMode) error {
	cur := "/"
	for _, part := range splitPath(name) {
		cur = path.Join(cur, part)
		if fi, err := f.fs.Stat(cur); err == nil && fi.IsDir() {
			continue
		}
		if err := f.fs.Mkdir(cur); err != nil {
			return err
		}
	}
	return nil
}

func splitPath(p string) []string {
	var out []string
	for _, s := range strings.Split(path.Clean("/"+p), "/") {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

func (f *fsDriver) Open(name string) (afero.File, error) {
	return f.OpenFile(name, os.O_RDONLY, 0)
}

func (f *fsDriver) OpenFile(name string, flag int, _ os.FileMode) (afero.File, error) {
	h, err := f.fs.Open(name, flagsOf(flag))
	if err != nil {
		return nil, err
	}
	return h, nil
}

func flagsOf(flag int) vfs.OpenFlags {
	acc := flag & (os.O_RDONLY | os.O_WRONLY | os.O_RDWR)
	return vfs.OpenFlags{
		Read:      acc == os.O_RDONLY || acc == os.O_RDWR,
		Write:     acc == os.O_WRONLY || acc == os.O_RDWR,
		Create:    flag&os.O_CREATE != 0,
		Truncate:  flag&os.O_TRUNC != 0,
		Exclusive: flag&os.O_EXCL != 0,
		Append:    flag&os.O_APPEND != 0,
	}
}

// GetHandle opens a file for RETR (O_RDONLY), STOR (O_WRONLY|O_CREATE|O_TRUNC)
// or APPE/REST+STOR (O_WRONLY|O_APPEND or an offset).
func (f *fsDriver) GetHandle(name string, flag int, offset int64) (ftpserver.FileTransfer, error) {
	fl := flagsOf(flag)
	if fl.Write && offset > 0 {
		fl.Truncate = false
	}
	h, err := f.fs.Open(name, fl)
	if err != nil {
		return nil, err
	}
	if offset > 0 {
		if _, err := h.Seek(offset, 0); err != nil {
			_ = h.Close()
			return nil, err
		}
	}
	return h, nil
}

func (f *fsDriver) ReadDir(name string) ([]os.FileInfo, error) {
	ents, err := f.fs.ReadDir(name)
	if err != nil {
		return nil, err
	}
	out := make([]os.FileInfo, len(ents))
	for i, e := range ents {
		out[i] = e
	}
	return out, nil
}

func (f *fsDriver) Remove(name string) error { return f.fs.Remove(name) }

func (f *fsDriver) RemoveDir(name string) error { return f.fs.Rmdir(name) }

func (f *fsDriver) RemoveAll(string) error {
	return fmt.Errorf("recursive removal is not supported: %w", os.ErrPermission)
}

func (f *fsDriver) Rename(oldname, newname string) error { return f.fs.Rename(oldname, newname, true) }

func (f *fsDriver) Stat(name string) (os.FileInfo, error) {
	fi, err := f.fs.Stat(name)
	if err != nil {
		return nil, err
	}
	return fi, nil
}

func (f *fsDriver) Chmod(name string, mode os.FileMode) error {
	return f.fs.Setstat(name, vfs.SetStat{Mode: &mode})
}

func (f *fsDriver) Chown(string, int, int) error {
	return fmt.Errorf("chown is not supported: %w", os.ErrPermission)
}

func (f *fsDriver) Chtimes(name string, atime, mtime time.Time) error {
	return f.fs.Setstat(name, vfs.SetStat{Atime: &atime, Mtime: &mtime})
}

// connTracker knows the control connections a listener accepted and not
// yet closed, by remote address.
type connTracker struct {
	mu    sync.Mutex
	conns map[string]*trackedConn
}

func (t *connTracker) closeAll() {
	t.mu.Lock()
	open := make([]net.Conn, 0, len(t.conns))
	for _, c := range t.conns {
		open = append(open, c)
	}
	t.mu.Unlock()
	for _, c := range open {
		_ = c.Close()
	}
}

// conn is the tracked control connection from remote, or nil.
func (t *connTracker) conn(remote net.Addr) *trackedConn {
	if remote == nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.conns[remote.String()]
}

// authenticated marks the connection from remote as logged in.
func (t *connTracker) authenticated(remote net.Addr) {
	if c := t.conn(remote); c != nil {
		c.slot.Authenticated()
	}
}

// closeRemote closes the control connection from remote.
func (t *connTracker) closeRemote(remote net.Addr) {
	if c := t.conn(remote); c != nil {
		_ = c.Close()
	}
}

// trackingListener admits connections through the server's gate, tracks
// them, and closes those that do not log in within the grace period.
type trackingListener struct {
	net.Listener
	t     *connTracker
	gate  *listener.Gate
	grace time.Duration
	log   *slog.Logger
	name  string
}

func (l *trackingListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		slot, err := l.gate.Admit()
		if err != nil {
			l.log.Warn("ftp: connection refused", "listener", l.name, "remote", c.RemoteAddr().String(), "reason", err)
			_ = c.SetWriteDeadline(time.Now().Add(time.Second))
			_, _ = io.WriteString(c, "421 Too many connections, try again later\r\n")
			_ = c.Close()
			continue
		}
		tc := &trackedConn{Conn: c, t: l.t, slot: slot, key: c.RemoteAddr().String(), ticketKey: ticketKey()}
		tc.grace = time.AfterFunc(l.grace, func() {
			if !slot.IsAuthenticated() {
				l.log.Info("ftp: connection ended", "listener", l.name, "remote", tc.key, "reason", "no login within "+l.grace.String())
				_ = tc.Close()
			}
		})
		l.t.mu.Lock()
		l.t.conns[tc.key] = tc
		l.t.mu.Unlock()
		return tc, nil
	}
}

type trackedConn struct {
	net.Conn
	t     *connTracker
	key   string
	slot  *listener.Slot
	grace *time.Timer
	once  sync.Once
	// ticketKey encrypts the session tickets of this connection's TLS
	// session: only its own data connections can resume it.
	ticketKey [32]byte
}

func (c *trackedConn) Close() error {
	c.once.Do(func() {
		c.t.mu.Lock()
		if c.t.conns[c.key] == c {
			delete(c.t.conns, c.key)
		}
		c.t.mu.Unlock()
		if c.grace != nil {
			c.grace.Stop()
		}
		c.slot.Release()
	})
	return c.Conn.Close()
}
