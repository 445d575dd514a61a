package e2e_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"
)

// ftpCtl is a minimal FTP(S) client (control connection).
type ftpCtl struct {
	t     testing.TB
	conn  net.Conn
	r     *bufio.Reader
	tls   *tls.Config // nil: plain FTP
	addr  string
	cache tls.ClientSessionCache
}

// tlsClientConfig is the configuration of one client's connections: they
// share a session cache, so data connections can resume the control
// connection's session (as curl and FileZilla do).
func tlsClientConfig(cache tls.ClientSessionCache) *tls.Config {
	return &tls.Config{InsecureSkipVerify: true, ServerName: "ersatz.test", ClientSessionCache: cache} //nolint:gosec // the test server's certificate is self-signed
}

// dialFTP logs in; with useTLS it secures the control connection first
// (AUTH TLS) and protects data connections (PROT P).
func dialFTP(t testing.TB, addr, user, pass string, useTLS bool) *ftpCtl {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(time.Minute))
	c := &ftpCtl{t: t, conn: nc, r: bufio.NewReader(nc), addr: addr}
	c.expect("", 220)
	if useTLS {
		c.expect("AUTH TLS", 234)
		c.cache = tls.NewLRUClientSessionCache(8)
		c.tls = tlsClientConfig(c.cache)
		tc := tls.Client(nc, c.tls)
		if err := tc.Handshake(); err != nil {
			t.Fatalf("control TLS: %v", err)
		}
		c.conn, c.r = tc, bufio.NewReader(tc)
	}
	c.expect("USER "+user, 331)
	c.expect("PASS "+pass, 230)
	if useTLS {
		c.expect("PBSZ 0", 200)
		c.expect("PROT P", 200)
	}
	c.expect("TYPE I", 200)
	return c
}

// cmd sends line (none when "") and reads the reply: code and text.
func (c *ftpCtl) cmd(line string) (int, string) {
	c.t.Helper()
	if line != "" {
		if _, err := io.WriteString(c.conn, line+"\r\n"); err != nil {
			c.t.Fatalf("send %q: %v", line, err)
		}
	}
	var text strings.Builder
	for {
		l, err := c.r.ReadString('\n')
		if err != nil {
			c.t.Fatalf("reply to %q: %v (%q)", line, err, text.String())
		}
		text.WriteString(l)
		if len(l) >= 4 && l[3] == ' ' {
			code, err := strconv.Atoi(l[:3])
			if err != nil {
				c.t.Fatalf("reply to %q: %q", line, l)
			}
			return code, text.String()
		}
	}
}

func (c *ftpCtl) expect(line string, code int) string {
	c.t.Helper()
	got, text := c.cmd(line)
	if got != code {
		c.t.Fatalf("%q: %d %s, want %d", line, got, text, code)
	}
	return text
}

// epsv asks for a passive port.
func (c *ftpCtl) epsv() string {
	c.t.Helper()
	text := c.expect("EPSV", 229)
	i, j := strings.Index(text, "(|||"), strings.LastIndex(text, "|)")
	if i < 0 || j < i {
		c.t.Fatalf("EPSV reply %q", text)
	}
	host, _, _ := net.SplitHostPort(c.addr)
	return net.JoinHostPort(host, text[i+4:j])
}

// dataResult is what a data connection received.
type dataResult struct {
	body    []byte
	err     error
	resumed bool
}

// openData connects to a passive port (from local, when set) and reads
// everything, over TLS with cfg when cfg is set.
func openData(addr string, local net.Addr, cfg *tls.Config) (<-chan dataResult, error) {
	d := net.Dialer{Timeout: 5 * time.Second, LocalAddr: local}
	nc, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	out := make(chan dataResult, 1)
	go func() {
		defer nc.Close()
		_ = nc.SetDeadline(time.Now().Add(time.Minute))
		var r io.Reader = nc
		var res dataResult
		if cfg != nil {
			tc := tls.Client(nc, cfg)
			if err := tc.HandshakeContext(context.Background()); err != nil {
				res.err = err
				out <- res
				return
			}
			res.resumed = tc.ConnectionState().DidResume
			r = tc
		}
		res.body, res.err = io.ReadAll(r)
		out <- res
	}()
	return out, nil
}

// retr downloads name on a data connection the client opens itself.
func (c *ftpCtl) retr(name string) dataResult {
	c.t.Helper()
	port := c.epsv()
	var cfg *tls.Config
	if c.tls != nil {
		cfg = c.tls
	}
	data, err := openData(port, nil, cfg)
	if err != nil {
		c.t.Fatal(err)
	}
	c.expect("RETR "+name, 150)
	c.expect("", 226)
	return <-data
}

// TestDataplaneFTPSPassiveTheft: a local process that connects first to the
// passive port a victim was given gets none of the victim's download: from
// another address it is closed unseen (FTP and FTPS); from the same
// address, over FTPS with ENFORCED session resumption, its TLS handshake
// fails whether it brings no session or its own control connection's.
// The victim's own data connections, resuming its session, work.
func TestDataplaneFTPSPassiveTheft(t *testing.T) {
	t.Parallel()
	env := startDataPlane(t, nil, "", "")
	sid := ftpServer(t, env.TC, dpDirID, types.ProtocolFtps, types.ProtocolFtp)
	createAccess(t, env.TC, sid, sidTeamA, "/bucket/ftps/home")
	env.putDirectoryUser(t, dpDirID, "vic", "victim-pw", sidTeamA)
	env.putDirectoryUser(t, dpDirID, "eve", "eve-pw", sidTeamA)
	const secret = "the victim's secret report\n"
	path := env.file("/bucket/ftps/home/secret.txt")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(secret), 0o644); err != nil {
		t.Fatal(err)
	}
	ftps, ftp := env.waitListening(t, sid, "FTPS"), env.waitListening(t, sid, "FTP")

	// A victim downloads while an attacker has connected to its port first.
	theft := func(t *testing.T, victim *ftpCtl, local net.Addr, attackerTLS *tls.Config) (victimGot, attackerGot dataResult) {
		t.Helper()
		port := victim.epsv()
		stolen, err := openData(port, local, attackerTLS)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond) // the attacker is queued first
		var own <-chan dataResult
		if local != nil { // the attacker is refused unseen: the victim connects too
			if own, err = openData(port, nil, victim.tls); err != nil {
				t.Fatal(err)
			}
		}
		code, text := victim.cmd("RETR secret.txt")
		if code == 150 {
			code, text = victim.cmd("")
		}
		if own != nil {
			victimGot = <-own
			if code != 226 {
				t.Fatalf("victim's RETR with a foreign connection refused: %d %s", code, text)
			}
		} else if code == 226 {
			t.Fatalf("transfer completed on the attacker's connection: %s", text)
		}
		select {
		case attackerGot = <-stolen:
		case <-time.After(30 * time.Second):
			t.Fatal("attacker's connection neither served nor closed")
		}
		return victimGot, attackerGot
	}

	t.Run("another address", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			addr string
			tls  bool
		}{{"FTP", ftp, false}, {"FTPS", ftps, true}} {
			victim := dialFTP(t, tc.addr, "vic", "victim-pw", tc.tls)
			var cfg *tls.Config
			if tc.tls {
				cfg = tlsClientConfig(nil)
			}
			got, stolen := theft(t, victim, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}, cfg)
			if len(stolen.body) != 0 {
				t.Fatalf("%s: attacker from 127.0.0.2 read %q", tc.name, stolen.body)
			}
			if string(got.body) != secret || got.err != nil {
				t.Fatalf("%s: victim read %q, %v", tc.name, got.body, got.err)
			}
		}
	})

	t.Run("same address, no session", func(t *testing.T) {
		victim := dialFTP(t, ftps, "vic", "victim-pw", true)
		_, stolen := theft(t, victim, nil, tlsClientConfig(nil))
		if len(stolen.body) != 0 || stolen.err == nil {
			t.Fatalf("attacker without a session read %q (%v)", stolen.body, stolen.err)
		}
		// The victim's next transfer, resuming its session, works.
		if got := victim.retr("secret.txt"); string(got.body) != secret || !got.resumed {
			t.Fatalf("victim's own transfer: %q resumed=%v %v", got.body, got.resumed, got.err)
		}
	})

	t.Run("same address, the attacker's own session", func(t *testing.T) {
		eve := dialFTP(t, ftps, "eve", "eve-pw", true)
		if got := eve.retr("secret.txt"); !got.resumed {
			t.Fatalf("eve's own transfer did not resume: %+v", got)
		}
		victim := dialFTP(t, ftps, "vic", "victim-pw", true)
		_, stolen := theft(t, victim, nil, eve.tls)
		if len(stolen.body) != 0 || stolen.err == nil {
			t.Fatalf("attacker with its own session read %q (%v)", stolen.body, stolen.err)
		}
	})
}

// TestDataplaneFTPSResumptionModes: ENFORCED refuses a data connection
// that does not resume the control connection's TLS session; ENABLED
// accepts it; DISABLED never resumes and serves every data connection.
func TestDataplaneFTPSResumptionModes(t *testing.T) {
	t.Parallel()
	env := startDataPlane(t, nil, "", "")
	sid := ftpServer(t, env.TC, dpDirID, types.ProtocolFtps)
	createAccess(t, env.TC, sid, sidTeamA, "/bucket/modes")
	env.putDirectoryUser(t, dpDirID, "mo", "mo-pw", sidTeamA)
	path := env.file("/bucket/modes/f.txt")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("modes\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		mode        types.TlsSessionResumptionMode
		resumes     bool // the client's own data connection resumes
		freshServed bool // a data connection without the session is served
	}{
		{types.TlsSessionResumptionModeEnforced, true, false},
		{types.TlsSessionResumptionModeEnabled, true, true},
		{types.TlsSessionResumptionModeDisabled, false, true},
	} {
		if _, err := env.TC.UpdateServer(context.Background(), &transfer.UpdateServerInput{ServerId: aws.String(sid),
			ProtocolDetails: &types.ProtocolDetails{TlsSessionResumptionMode: tc.mode}}); err != nil {
			t.Fatal(err)
		}
		// The listener restarts with the new mode.
		var c *ftpCtl
		deadline := time.Now().Add(10 * time.Second)
		for {
			c = dialFTP(t, env.waitListening(t, sid, "FTPS"), "mo", "mo-pw", true)
			got := c.retr("f.txt")
			if got.resumed == tc.resumes || time.Now().After(deadline) {
				if string(got.body) != "modes\n" || got.resumed != tc.resumes {
					t.Fatalf("%s: own transfer %q resumed=%v (want %v) %v", tc.mode, got.body, got.resumed, tc.resumes, got.err)
				}
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		port := c.epsv()
		fresh, err := openData(port, nil, tlsClientConfig(nil))
		if err != nil {
			t.Fatal(err)
		}
		code, text := c.cmd("RETR f.txt")
		if code == 150 {
			code, text = c.cmd("")
		}
		got := <-fresh
		served := code == 226 && string(got.body) == "modes\n"
		if served != tc.freshServed {
			t.Fatalf("%s: data connection without the session: served=%v (%d %s, %q %v)", tc.mode, served, code, text, got.body, got.err)
		}
	}
}
