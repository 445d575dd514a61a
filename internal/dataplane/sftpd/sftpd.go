// Package sftpd serves SFTP over SSH (golang.org/x/crypto/ssh and
// github.com/pkg/sftp's request server) on one listener, for one Transfer
// server: every path of every command goes through the session's virtual
// file system (internal/dataplane/vfs), which applies the home directory and
// the session policy. Shells, exec, port forwarding and every subsystem but
// "sftp" are refused.
package sftpd

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/ersatz-dev/ersatz/internal/dataplane/listener"
	"github.com/ersatz-dev/ersatz/internal/dataplane/vfs"
)

// Config configures a Server.
type Config struct {
	// HostKeys are presented to clients; for each key algorithm the last
	// key of that algorithm wins.
	HostKeys []ssh.Signer
	// Ciphers, KeyExchanges and MACs are the security policy's lists; they
	// are intersected with what x/crypto/ssh implements (see Algorithms).
	Ciphers, KeyExchanges, MACs []string
	// Banner is sent before authentication ("" for none).
	Banner string
	// PublicKey decides whether user may log in with key. It may be called
	// for a key the client only offers; nil refuses public keys.
	PublicKey func(meta ssh.ConnMetadata, key ssh.PublicKey) error
	// Login opens the session of an authenticated user: after the client
	// proved it holds key (method "publickey"), or with a password to check
	// (method "password"). nil refuses that method.
	Login func(meta ssh.ConnMetadata, method string, key ssh.PublicKey, password []byte) (*vfs.FS, error)
	// PasswordAuth offers the password method.
	PasswordAuth bool
	// Custom, when set, authenticates through a custom identity provider
	// instead of PublicKey, Login and PasswordAuth (custom.go).
	Custom *CustomAuth
	// Owner names owners in long listings: "-" on S3 (as AWS lists them),
	// the numeric id on EFS.
	NumericOwners bool
	Log           *slog.Logger
	// Name labels the listener in logs.
	Name string
	// Gate, when set, caps the server's connections (shared with its other
	// listeners).
	Gate *listener.Gate
	// MaxChannels caps the SFTP sessions (channels) of one connection
	// (default DefaultMaxChannels, AWS's limit).
	MaxChannels int
	// MaxHandles caps the files one connection holds open (0: no cap).
	MaxHandles int
	// LoginGrace is how long a client has to log in (default 30 s).
	LoginGrace time.Duration
	// IdleTimeout ends a logged-in connection that sends no SFTP request
	// for that long (0: never).
	IdleTimeout time.Duration
	// UnresponsiveTimeout ends a connection that does not answer a
	// keepalive within that long; keepalives go out every third of it
	// (0: none).
	UnresponsiveTimeout time.Duration
}

// DefaultMaxChannels is AWS's "maximum number of concurrent, multiplexed
// SFTP sessions per connection".
const DefaultMaxChannels = 10

// DefaultLoginGrace is how long a client has to authenticate.
const DefaultLoginGrace = 30 * time.Second

// Algorithms intersects a security policy's lists with what x/crypto/ssh
// implements, keeping the policy's order. An empty result keeps x/crypto's
// defaults (the policy names nothing this server can speak).
func Algorithms(ciphers, kexs, macs []string) (outCiphers, outKexs, outMacs []string) {
	sup := ssh.SupportedAlgorithms()
	ins := ssh.InsecureAlgorithms()
	keep := func(want []string, have ...[]string) []string {
		var out []string
		for _, w := range want {
			for _, h := range have {
				if slices.Contains(h, w) && !slices.Contains(out, w) {
					out = append(out, w)
				}
			}
		}
		return out
	}
	return keep(ciphers, sup.Ciphers, ins.Ciphers), keep(kexs, sup.KeyExchanges, ins.KeyExchanges), keep(macs, sup.MACs, ins.MACs)
}

// Server is one SFTP listener.
type Server struct {
	cfg Config
	ln  *listener.Listener
	log *slog.Logger

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// Serve accepts SFTP clients on ln until Close.
func Serve(ln net.Listener, cfg Config) *Server {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.MaxChannels <= 0 {
		cfg.MaxChannels = DefaultMaxChannels
	}
	if cfg.LoginGrace <= 0 {
		cfg.LoginGrace = DefaultLoginGrace
	}
	if cfg.Gate == nil {
		cfg.Gate = listener.NewGate(listener.Limits{})
	}
	s := &Server{cfg: cfg, ln: listener.New(ln, cfg.Name, cfg.Log), log: cfg.Log, conns: map[net.Conn]struct{}{}}
	s.wg.Add(1)
	go s.accept()
	return s
}

// Addr is the listener's address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Health is a nil error while the listener accepts; otherwise since when
// Accept fails and why.
func (s *Server) Health() (time.Time, error) { return s.ln.Health() }

// Close stops accepting, ends every session and waits for them.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	err := s.ln.Close()
	for c := range s.conns {
		_ = c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		nc, err := s.ln.Accept() // retries with back-off until closed
		if err != nil {
			return
		}
		slot, err := s.cfg.Gate.Admit()
		if err != nil {
			s.log.Warn("sftp: connection refused", "listener", s.cfg.Name, "remote", nc.RemoteAddr().String(), "reason", err)
			_ = nc.Close()
			continue
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			slot.Release()
			_ = nc.Close()
			return
		}
		s.conns[nc] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			defer func() {
				s.mu.Lock()
				delete(s.conns, nc)
				s.mu.Unlock()
				_ = nc.Close()
				slot.Release()
			}()
			s.serveConn(nc, slot)
		}()
	}
}

// serverConfig builds the SSH configuration of one connection; fsys
// receives the session's file system once a login succeeds.
func (s *Server) serverConfig(fsys **vfs.FS) *ssh.ServerConfig {
	c := &ssh.ServerConfig{
		MaxAuthTries:  6,
		ServerVersion: "SSH-2.0-AWS_SFTP_1.1",
	}
	c.Ciphers, c.KeyExchanges, c.MACs = Algorithms(s.cfg.Ciphers, s.cfg.KeyExchanges, s.cfg.MACs)
	for _, k := range s.cfg.HostKeys {
		c.AddHostKey(k)
	}
	if s.cfg.Banner != "" {
		banner := s.cfg.Banner
		c.BannerCallback = func(ssh.ConnMetadata) string { return banner }
	}
	if s.cfg.Custom != nil {
		s.customCallbacks(c, fsys)
		return c
	}
	if s.cfg.PublicKey != nil && s.cfg.Login != nil {
		c.PublicKeyCallback = func(meta ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			if err := s.cfg.PublicKey(meta, key); err != nil {
				return nil, err
			}
			return &ssh.Permissions{}, nil
		}
		c.VerifiedPublicKeyCallback = func(meta ssh.ConnMetadata, key ssh.PublicKey, perms *ssh.Permissions, _ string) (*ssh.Permissions, error) {
			f, err := s.cfg.Login(meta, "publickey", key, nil)
			if err != nil {
				return nil, err
			}
			setFS(fsys, f)
			return perms, nil
		}
	}
	if s.cfg.PasswordAuth && s.cfg.Login != nil {
		c.PasswordCallback = func(meta ssh.ConnMetadata, password []byte) (*ssh.Permissions, error) {
			f, err := s.cfg.Login(meta, "password", nil, password)
			if err != nil {
				return nil, err
			}
			setFS(fsys, f)
			return &ssh.Permissions{}, nil
		}
	}
	return c
}

// setFS keeps the last successful login's file system (an earlier one, if
// any, is closed: only one login completes a connection).
func setFS(dst **vfs.FS, f *vfs.FS) {
	if *dst != nil {
		_ = (*dst).Close()
	}
	*dst = f
}

func (s *Server) serveConn(nc net.Conn, slot *listener.Slot) {
	var fsys *vfs.FS
	defer func() {
		if fsys != nil {
			_ = fsys.Close()
		}
	}()
	_ = nc.SetDeadline(time.Now().Add(s.cfg.LoginGrace))
	conn, chans, reqs, err := ssh.NewServerConn(nc, s.serverConfig(&fsys))
	if err != nil {
		s.log.Debug("sftp: handshake failed", "remote", nc.RemoteAddr().String(), "error", err)
		return
	}
	_ = nc.SetDeadline(time.Time{})
	defer conn.Close()
	if fsys == nil {
		return
	}
	slot.Authenticated()
	// A session the control plane ends (vfs.FS.End) is disconnected.
	ended := make(chan struct{})
	defer close(ended)
	go func() {
		select {
		case <-fsys.Done():
			if fsys.Ended() != "" {
				s.log.Debug("sftp: session ended", "remote", nc.RemoteAddr().String(), "reason", fsys.Ended())
				_ = conn.Close()
			}
		case <-ended:
		}
	}()
	go ssh.DiscardRequests(reqs)
	c := &connState{srv: s, conn: conn, fsys: fsys}
	c.touch()
	stop := make(chan struct{})
	defer close(stop)
	go c.watch(stop)
	var wg sync.WaitGroup
	for nch := range chans {
		if nch.ChannelType() != "session" {
			_ = nch.Reject(ssh.UnknownChannelType, "only session channels are served")
			continue
		}
		if !c.openChannel() {
			s.log.Warn("sftp: channel refused", "listener", s.cfg.Name, "user", conn.User(),
				"remote", conn.RemoteAddr().String(), "reason", fmt.Sprintf("%d SFTP sessions already open on this connection", s.cfg.MaxChannels))
			_ = nch.Reject(ssh.ResourceShortage, fmt.Sprintf("at most %d concurrent SFTP sessions per connection", s.cfg.MaxChannels))
			continue
		}
		ch, creqs, err := nch.Accept()
		if err != nil {
			c.closeChannel()
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.closeChannel()
			c.session(ch, creqs)
		}()
	}
	wg.Wait()
}

// session waits for the sftp subsystem request and serves it; when the
// client ends it, the channel gets an exit-status (0, or 1 after an error)
// before it closes, as OpenSSH's sftp-server gives, so scp and sftp exit 0.
func (c *connState) session(ch ssh.Channel, reqs <-chan *ssh.Request) {
	s := c.srv
	defer ch.Close()
	started := false
	for req := range reqs {
		ok := false
		if !started && req.Type == "subsystem" && len(req.Payload) >= 4 && string(req.Payload[4:]) == "sftp" {
			ok, started = true, true
		}
		if req.WantReply {
			_ = req.Reply(ok, nil)
		}
		if ok {
			go func() {
				for r := range reqs {
					if r.WantReply {
						_ = r.Reply(false, nil)
					}
				}
			}()
			h := &handlers{fs: c.fsys, numeric: s.cfg.NumericOwners, open: c.openHandle}
			rs := sftp.NewRequestServer(activity{Channel: ch, c: c}, h.sftp(), sftp.WithStartDirectory(c.fsys.Home()))
			status := uint32(0)
			if err := rs.Serve(); err != nil && !errors.Is(err, io.EOF) {
				s.log.Debug("sftp: session ended", "error", err)
				status = 1
			}
			// Before rs.Close, which closes the channel.
			_, _ = ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{status}))
			_ = rs.Close()
			return
		}
	}
}

// Handlers are the request server's handlers over one session's file system.
func Handlers(fsys *vfs.FS, numericOwners bool) sftp.Handlers {
	h := &handlers{fs: fsys, numeric: numericOwners}
	return h.sftp()
}

func (h *handlers) sftp() sftp.Handlers {
	return sftp.Handlers{FileGet: h, FilePut: h, FileCmd: h, FileList: h}
}

// statusError carries the SFTP status code of an error with its message.
type statusError struct {
	msg  string
	code error
}

func (e *statusError) Error() string { return e.msg }
func (e *statusError) Unwrap() error { return e.code }

// status gives a file-system error its SFTP status code: NO_SUCH_FILE,
// PERMISSION_DENIED, OP_UNSUPPORTED or FAILURE, with the error's message.
func status(err error) error {
	if err == nil {
		return nil
	}
	code := sftp.ErrSSHFxFailure
	switch {
	case errors.Is(err, os.ErrNotExist):
		code = sftp.ErrSSHFxNoSuchFile
	case errors.Is(err, os.ErrPermission):
		code = sftp.ErrSSHFxPermissionDenied
	case errors.Is(err, errors.ErrUnsupported):
		code = sftp.ErrSSHFxOpUnsupported
	}
	return &statusError{msg: err.Error(), code: code}
}

type handlers struct {
	fs      *vfs.FS
	numeric bool
	// open, when set, counts an open file against the connection's cap.
	open func(p string, fl vfs.OpenFlags) (fileHandle, error)
}

// fileHandle is an open file as the request server uses it.
type fileHandle interface {
	io.ReaderAt
	io.WriterAt
	io.Closer
}

// openFile opens a file through the cap when there is one.
func (h *handlers) openFile(p string, fl vfs.OpenFlags) (fileHandle, error) {
	if h.open != nil {
		f, err := h.open(p, fl)
		if err != nil {
			return nil, status(err)
		}
		return f, nil
	}
	f, err := h.fs.Open(p, fl)
	if err != nil {
		return nil, status(err)
	}
	return f, nil
}

// Fileread opens a file for reading.
func (h *handlers) Fileread(r *sftp.Request) (io.ReaderAt, error) {
	f, err := h.openFile(r.Filepath, vfs.OpenFlags{Read: true})
	if err != nil {
		return nil, err
	}
	return f, nil
}

func openFlags(p sftp.FileOpenFlags) vfs.OpenFlags {
	return vfs.OpenFlags{Read: p.Read, Write: p.Write, Create: p.Creat, Truncate: p.Trunc, Exclusive: p.Excl, Append: p.Append}
}

// Filewrite opens a file for writing.
func (h *handlers) Filewrite(r *sftp.Request) (io.WriterAt, error) {
	fl := openFlags(r.Pflags())
	fl.Write = true
	fl.Append = false // WriteAt with O_APPEND is refused by os.File; SFTP clients send offsets
	f, err := h.openFile(r.Filepath, fl)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// OpenFile opens a file for reading and writing.
func (h *handlers) OpenFile(r *sftp.Request) (sftp.WriterAtReaderAt, error) {
	fl := openFlags(r.Pflags())
	fl.Append = false
	f, err := h.openFile(r.Filepath, fl)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// Filecmd runs SETSTAT, RENAME, RMDIR, MKDIR, REMOVE; links are refused.
func (h *handlers) Filecmd(r *sftp.Request) error { return status(h.filecmd(r)) }

func (h *handlers) filecmd(r *sftp.Request) error {
	switch r.Method {
	case "Setstat":
		return h.fs.Setstat(r.Filepath, setStat(r))
	case "Rename":
		return h.fs.Rename(r.Filepath, r.Target, false)
	case "Rmdir":
		return h.fs.Rmdir(r.Filepath)
	case "Mkdir":
		return h.fs.Mkdir(r.Filepath)
	case "Remove":
		return h.fs.Remove(r.Filepath)
	case "Symlink", "Link":
		return fmt.Errorf("links are not supported: %w", os.ErrPermission)
	}
	return sftp.ErrSSHFxOpUnsupported
}

// PosixRename renames over an existing file.
func (h *handlers) PosixRename(r *sftp.Request) error {
	return status(h.fs.Rename(r.Filepath, r.Target, true))
}

func setStat(r *sftp.Request) vfs.SetStat {
	var out vfs.SetStat
	fl, at := r.AttrFlags(), r.Attributes()
	if at == nil {
		return out
	}
	if fl.Size {
		size := int64(at.Size)
		out.Size = &size
	}
	if fl.Permissions {
		m := at.FileMode()
		out.Mode = &m
	}
	if fl.Acmodtime {
		a, m := time.Unix(int64(at.Atime), 0), time.Unix(int64(at.Mtime), 0)
		out.Atime, out.Mtime = &a, &m
	}
	return out
}

// Filelist answers LIST, STAT and READLINK.
func (h *handlers) Filelist(r *sftp.Request) (sftp.ListerAt, error) {
	l, err := h.filelist(r)
	if err != nil {
		return nil, status(err)
	}
	return l, nil
}

func (h *handlers) filelist(r *sftp.Request) (sftp.ListerAt, error) {
	switch r.Method {
	case "List":
		ents, err := h.fs.ReadDir(r.Filepath)
		if err != nil {
			return nil, err
		}
		out := make(listerAt, len(ents))
		for i, e := range ents {
			out[i] = e
		}
		return out, nil
	case "Stat":
		fi, err := h.fs.Stat(r.Filepath)
		if err != nil {
			return nil, err
		}
		return listerAt{fi}, nil
	case "Readlink":
		return nil, fmt.Errorf("not a symbolic link: %w", os.ErrInvalid)
	}
	return nil, sftp.ErrSSHFxOpUnsupported
}

// Lstat is Stat: the file system has no symbolic links.
func (h *handlers) Lstat(r *sftp.Request) (sftp.ListerAt, error) {
	fi, err := h.fs.Stat(r.Filepath)
	if err != nil {
		return nil, status(err)
	}
	return listerAt{fi}, nil
}

// RealPath cleans a path against the session's home directory.
func (h *handlers) RealPath(p string) (string, error) {
	return vfs.RealPath(h.fs.Home(), p), nil
}

// LookupUserName names owners in long listings.
func (h *handlers) LookupUserName(uid string) string {
	if h.numeric {
		return uid
	}
	return "-"
}

// LookupGroupName names groups in long listings.
func (h *handlers) LookupGroupName(gid string) string {
	if h.numeric {
		return gid
	}
	return "-"
}

type listerAt []os.FileInfo

func (l listerAt) ListAt(dst []os.FileInfo, off int64) (int, error) {
	if off >= int64(len(l)) {
		return 0, io.EOF
	}
	n := copy(dst, l[off:])
	if n < len(dst) || off+int64(n) >= int64(len(l)) {
		return n, io.EOF
	}
	return n, nil
}

// Fingerprint is the SHA256 fingerprint of a host key, as DescribeServer
// and ssh-keygen -l print it.
func Fingerprint(k ssh.PublicKey) string { return ssh.FingerprintSHA256(k) }
