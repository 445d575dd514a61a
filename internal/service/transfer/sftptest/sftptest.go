// Package sftptest runs a real SFTP server (golang.org/x/crypto/ssh and
// github.com/pkg/sftp) on 127.0.0.1 for tests of Transfer's SFTP
// connectors. It serves one directory as its root ("/" is the directory;
// nothing outside it can be reached) to one user, by password or public key.
package sftptest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// Options configures a Server.
type Options struct {
	User     string
	Password string        // accepted password ("" accepts none)
	UserKey  ssh.PublicKey // accepted public key (nil accepts none)
	HostKey  ssh.Signer    // the server's host key; a new ECDSA P-256 key when nil
}

// Server is a running SFTP server.
type Server struct {
	Addr    string // host:port
	URL     string // sftp://host:port
	Dir     string // the directory served as "/"
	HostKey ssh.PublicKey
	// HostKeyLine is the host key as TrustedHostKeys takes it: "<type> <base64>".
	HostKeyLine string

	ln    net.Listener
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns map[net.Conn]bool
}

// NewHostKey returns a new ECDSA P-256 host key.
func NewHostKey(t testing.TB) ssh.Signer {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// KeyLine is a public key as "<type> <base64>".
func KeyLine(k ssh.PublicKey) string {
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k)))
}

// Start serves dir until the test ends.
func Start(t testing.TB, dir string, opt Options) *Server {
	t.Helper()
	if opt.HostKey == nil {
		opt.HostKey = NewHostKey(t)
	}
	cfg := &ssh.ServerConfig{}
	if opt.Password != "" {
		cfg.PasswordCallback = func(c ssh.ConnMetadata, pw []byte) (*ssh.Permissions, error) {
			if c.User() == opt.User && string(pw) == opt.Password {
				return nil, nil
			}
			return nil, errors.New("wrong user or password")
		}
	}
	if opt.UserKey != nil {
		cfg.PublicKeyCallback = func(c ssh.ConnMetadata, k ssh.PublicKey) (*ssh.Permissions, error) {
			if c.User() == opt.User && string(k.Marshal()) == string(opt.UserKey.Marshal()) {
				return nil, nil
			}
			return nil, errors.New("unknown key")
		}
	}
	cfg.AddHostKey(opt.HostKey)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{
		Addr: ln.Addr().String(), Dir: dir, HostKey: opt.HostKey.PublicKey(),
		HostKeyLine: KeyLine(opt.HostKey.PublicKey()), ln: ln, conns: map[net.Conn]bool{},
	}
	s.URL = "sftp://" + s.Addr
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns[c] = true
			s.mu.Unlock()
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				s.serve(c, cfg, root)
				s.mu.Lock()
				delete(s.conns, c)
				s.mu.Unlock()
			}()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		s.mu.Lock()
		for c := range s.conns {
			_ = c.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
		_ = root.Close()
	})
	return s
}

// Port is the port the server listens on.
func (s *Server) Port() int {
	_, p, _ := net.SplitHostPort(s.Addr)
	n, _ := strconv.Atoi(p)
	return n
}

func (s *Server) serve(c net.Conn, cfg *ssh.ServerConfig, root *os.Root) {
	defer c.Close()
	sc, chans, reqs, err := ssh.NewServerConn(c, cfg)
	if err != nil {
		return
	}
	defer sc.Close()
	go ssh.DiscardRequests(reqs)
	for nc := range chans {
		if nc.ChannelType() != "session" {
			_ = nc.Reject(ssh.UnknownChannelType, "only sessions")
			continue
		}
		ch, creqs, err := nc.Accept()
		if err != nil {
			return
		}
		go func() {
			for r := range creqs {
				ok := r.Type == "subsystem" && len(r.Payload) > 4 && string(r.Payload[4:]) == "sftp"
				_ = r.Reply(ok, nil)
				if ok {
					h := &rootFS{root: root}
					srv := sftp.NewRequestServer(ch, sftp.Handlers{FileGet: h, FilePut: h, FileCmd: h, FileList: h})
					_ = srv.Serve()
					_ = srv.Close()
					_ = ch.Close()
					return
				}
			}
		}()
	}
}

// rootFS serves an os.Root over SFTP.
type rootFS struct{ root *os.Root }

// rel turns an SFTP path into a path inside the root.
func rel(p string) string {
	c := path.Clean("/" + p)
	if c == "/" {
		return "."
	}
	return c[1:]
}

func (h *rootFS) Fileread(r *sftp.Request) (io.ReaderAt, error) {
	return h.root.Open(rel(r.Filepath))
}

func (h *rootFS) Filewrite(r *sftp.Request) (io.WriterAt, error) {
	fl := r.Pflags()
	flags := os.O_WRONLY
	if fl.Creat {
		flags |= os.O_CREATE
	}
	if fl.Trunc {
		flags |= os.O_TRUNC
	}
	if fl.Excl {
		flags |= os.O_EXCL
	}
	return h.root.OpenFile(rel(r.Filepath), flags, 0o644)
}

func (h *rootFS) Filecmd(r *sftp.Request) error {
	switch r.Method {
	case "Setstat":
		return nil
	case "Rename", "PosixRename":
		return h.root.Rename(rel(r.Filepath), rel(r.Target))
	case "Rmdir", "Remove":
		return h.root.Remove(rel(r.Filepath))
	case "Mkdir":
		return h.root.Mkdir(rel(r.Filepath), 0o755)
	}
	return sftp.ErrSSHFxOpUnsupported
}

type lister []os.FileInfo

func (l lister) ListAt(out []os.FileInfo, off int64) (int, error) {
	if off >= int64(len(l)) {
		return 0, io.EOF
	}
	n := copy(out, l[off:])
	if n < len(out) {
		return n, io.EOF
	}
	return n, nil
}

func (h *rootFS) Filelist(r *sftp.Request) (sftp.ListerAt, error) {
	p := rel(r.Filepath)
	switch r.Method {
	case "List":
		d, err := h.root.Open(p)
		if err != nil {
			return nil, err
		}
		defer d.Close()
		entries, err := d.ReadDir(-1)
		if err != nil {
			return nil, err
		}
		out := make(lister, 0, len(entries))
		for _, e := range entries {
			fi, err := e.Info()
			if err != nil {
				return nil, err
			}
			out = append(out, fi)
		}
		return out, nil
	case "Stat":
		fi, err := h.root.Stat(p)
		if err != nil {
			return nil, err
		}
		return lister{fi}, nil
	case "Lstat":
		fi, err := h.root.Lstat(p)
		if err != nil {
			return nil, err
		}
		return lister{fi}, nil
	}
	return nil, sftp.ErrSSHFxOpUnsupported
}
