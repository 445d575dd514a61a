package e2e_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"
	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/ersatz-dev/ersatz/internal/dataplane"
)

// goSSH logs in with the Go SSH client and the private key at keyPath.
func goSSH(t testing.TB, addr, user, keyPath string) (*ssh.Client, error) {
	t.Helper()
	pem, err := os.ReadFile(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.ParsePrivateKey(pem)
	if err != nil {
		t.Fatal(err)
	}
	return ssh.Dial("tcp", addr, &ssh.ClientConfig{
		User: user, Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second,
	})
}

// keyUser creates a server with a service-managed user (home
// /bucket/home/<user>) and returns the SFTP address and the user's key.
func keyUser(t testing.TB, env *dpEnv, user string) (addr, key string) {
	t.Helper()
	key, pub := sshKey(t, "ed25519")
	sid := mustCreateServer(t, env.TC, nil)
	createUser(t, env.TC, sid, user, pub, func(in *transfer.CreateUserInput) {
		in.HomeDirectory = aws.String("/bucket/home/" + user)
	})
	return env.waitListening(t, sid, "SFTP"), key
}

// TestDataplaneSCPExitStatus: OpenSSH's scp (SFTP mode) copies a file up
// and back and exits 0: the server ends the channel with an exit-status.
func TestDataplaneSCPExitStatus(t *testing.T) {
	t.Parallel()
	needTool(t, "scp", "ssh-keygen")
	env := startDataPlane(t, nil, "", "")
	addr, key := keyUser(t, env, "sam")
	host, port, _ := net.SplitHostPort(addr)
	local := t.TempDir()
	src := filepath.Join(local, "up.txt")
	if err := os.WriteFile(src, []byte("copied by scp\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	scp := func(args ...string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		base := append(sshOpts(port), "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-i", key)
		out, err := exec.CommandContext(ctx, "scp", append(base, args...)...).CombinedOutput()
		return string(out), err
	}
	if out, err := scp(src, "sam@"+host+":up.txt"); err != nil {
		t.Fatalf("scp upload: %v %s", err, out)
	}
	if b, err := os.ReadFile(env.file("/bucket/home/sam/up.txt")); err != nil || string(b) != "copied by scp\n" {
		t.Fatalf("uploaded file: %q %v", b, err)
	}
	back := filepath.Join(local, "back.txt")
	if out, err := scp("sam@"+host+":up.txt", back); err != nil {
		t.Fatalf("scp download: %v %s", err, out)
	}
	if b, err := os.ReadFile(back); err != nil || string(b) != "copied by scp\n" {
		t.Fatalf("downloaded file: %q %v", b, err)
	}
}

// TestDataplaneSFTPChannelLimit: one connection holds at most 10 SFTP
// sessions (AWS's limit); the 11th is refused, and a closed one frees its
// place.
func TestDataplaneSFTPChannelLimit(t *testing.T) {
	t.Parallel()
	env := startDataPlane(t, nil, "", "")
	addr, key := keyUser(t, env, "cara")
	conn, err := goSSH(t, addr, "cara", key)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var sessions []*sftp.Client
	for i := range 10 {
		c, err := sftp.NewClient(conn)
		if err != nil {
			t.Fatalf("session %d: %v", i+1, err)
		}
		sessions = append(sessions, c)
	}
	if _, err := sessions[9].Getwd(); err != nil {
		t.Fatalf("10th session: %v", err)
	}
	_, err = sftp.NewClient(conn)
	var oc *ssh.OpenChannelError
	if !errors.As(err, &oc) || oc.Reason != ssh.ResourceShortage || !strings.Contains(oc.Message, "10") {
		t.Fatalf("11th session: %v", err)
	}
	_ = sessions[0].Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := sftp.NewClient(conn)
		if err == nil {
			_ = c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no session after closing one: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestDataplaneSFTPHandleCap: a connection opening 20,000 files gets the
// configured cap and a permission error for the rest; closing one frees a
// place, and a normal login works meanwhile.
func TestDataplaneSFTPHandleCap(t *testing.T) {
	t.Parallel()
	env := startDataPlaneWith(t, nil, "", "", func(c *dataplane.Config) { c.MaxHandles = 50 })
	addr, key := keyUser(t, env, "hana")
	if out, err := sftpBatch(t, addr, key, "hana", "put /etc/hostname f.txt\n"); err != nil {
		t.Fatalf("sftp put: %v %s", err, out)
	}
	conn, err := goSSH(t, addr, "hana", key)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c, err := sftp.NewClient(conn)
	if err != nil {
		t.Fatal(err)
	}
	opened, refused, _ := floodHandles(c, "f.txt", 20000)
	if len(opened) != 50 || refused != 20000-50 {
		t.Fatalf("opened %d, refused %d of 20000 (cap 50)", len(opened), refused)
	}
	if _, err := c.Open("f.txt"); !errors.Is(err, os.ErrPermission) {
		t.Fatalf("open over the cap: %v", err)
	}
	if out, err := sftpBatch(t, addr, key, "hana", "ls\n"); err != nil || !strings.Contains(out, "f.txt") {
		t.Fatalf("normal login during the flood: %v %s", err, out)
	}
	_ = opened[0].Close()
	f, err := c.Open("f.txt")
	if err != nil {
		t.Fatalf("open after a close: %v", err)
	}
	_ = f.Close()
}

// floodHandles opens name n times from 32 goroutines; it returns the open
// files and how many opens were refused.
func floodHandles(c *sftp.Client, name string, n int) ([]*sftp.File, int, time.Duration) {
	start := time.Now()
	type result struct {
		f   *sftp.File
		err error
	}
	results := make(chan result, n)
	work := make(chan struct{}, n)
	for range n {
		work <- struct{}{}
	}
	close(work)
	for range 32 {
		go func() {
			for range work {
				f, err := c.Open(name)
				results <- result{f, err}
			}
		}()
	}
	var opened []*sftp.File
	refused := 0
	for range n {
		r := <-results
		if r.err != nil {
			refused++
		} else {
			opened = append(opened, r.f)
		}
	}
	return opened, refused, time.Since(start)
}

// TestDataplaneFTPUnauthenticatedCap: past the cap of connections not
// logged in, a new FTP connection is answered 421 and closed; a closed one
// frees its place.
func TestDataplaneFTPUnauthenticatedCap(t *testing.T) {
	t.Parallel()
	env := startDataPlaneWith(t, nil, "", "", func(c *dataplane.Config) { c.MaxUnauthenticated = 2 })
	sid := ftpServer(t, env.TC, dpDirID, types.ProtocolFtp)
	addr := env.waitListening(t, sid, "FTP")
	greet := func() (net.Conn, string) {
		t.Helper()
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		line, _ := bufio.NewReader(c).ReadString('\n')
		return c, line
	}
	a, l1 := greet()
	defer a.Close()
	b, l2 := greet()
	if !strings.HasPrefix(l1, "220") || !strings.HasPrefix(l2, "220") {
		t.Fatalf("greetings %q %q", l1, l2)
	}
	c, l3 := greet()
	_ = c.Close()
	if !strings.HasPrefix(l3, "421") {
		t.Fatalf("third connection not logged in: %q", l3)
	}
	_ = b.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, line := greet()
		_ = c.Close()
		if strings.HasPrefix(line, "220") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after a close: %q", line)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestDataplaneSFTPTimeouts: a session without SFTP requests ends after the
// idle timeout; a client that answers no keepalive ends after the
// unresponsive timeout; a responsive, busy client stays.
func TestDataplaneSFTPTimeouts(t *testing.T) {
	t.Parallel()
	pem := func(key string) ssh.Signer {
		b, err := os.ReadFile(key)
		if err != nil {
			t.Fatal(err)
		}
		s, err := ssh.ParsePrivateKey(b)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	ended := func(wait func() error, within time.Duration) bool {
		done := make(chan struct{})
		go func() { _ = wait(); close(done) }()
		select {
		case <-done:
			return true
		case <-time.After(within):
			return false
		}
	}
	t.Run("idle", func(t *testing.T) {
		t.Parallel()
		env := startDataPlaneWith(t, nil, "", "", func(c *dataplane.Config) {
			c.IdleTimeout, c.UnresponsiveTimeout = time.Second, -1
		})
		addr, key := keyUser(t, env, "ida")
		idle, err := goSSH(t, addr, "ida", key)
		if err != nil {
			t.Fatal(err)
		}
		defer idle.Close()
		if _, err := sftp.NewClient(idle); err != nil {
			t.Fatal(err)
		}
		busy, err := goSSH(t, addr, "ida", key)
		if err != nil {
			t.Fatal(err)
		}
		defer busy.Close()
		bc, err := sftp.NewClient(busy)
		if err != nil {
			t.Fatal(err)
		}
		// The busy one sends a request every 200 ms all along.
		stop, busyErr := make(chan struct{}), make(chan error, 1)
		go func() {
			defer close(busyErr)
			for {
				select {
				case <-stop:
					return
				case <-time.After(200 * time.Millisecond):
				}
				if _, err := bc.Stat("."); err != nil {
					busyErr <- err
					return
				}
			}
		}()
		start := time.Now()
		if !ended(idle.Wait, 15*time.Second) {
			t.Fatal("idle connection still open 15 s after a 1 s idle timeout")
		}
		t.Logf("idle connection ended after %s", time.Since(start).Round(10*time.Millisecond))
		time.Sleep(1500 * time.Millisecond)
		close(stop)
		if err := <-busyErr; err != nil {
			t.Fatalf("busy connection ended: %v", err)
		}
	})
	t.Run("unresponsive", func(t *testing.T) {
		t.Parallel()
		env := startDataPlaneWith(t, nil, "", "", func(c *dataplane.Config) {
			c.IdleTimeout, c.UnresponsiveTimeout = -1, time.Second
		})
		addr, key := keyUser(t, env, "una")
		cfg := &ssh.ClientConfig{User: "una", Auth: []ssh.AuthMethod{ssh.PublicKeys(pem(key))},
			HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second}
		// This client never answers the server's global requests (keepalives).
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		deaf, _, _, err := ssh.NewClientConn(nc, addr, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer deaf.Close()
		// This one answers them (ssh.Client refuses global requests: an answer).
		alive, err := ssh.Dial("tcp", addr, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer alive.Close()
		start := time.Now()
		if !ended(deaf.Wait, 15*time.Second) {
			t.Fatal("unresponsive connection still open 15 s after a 1 s unresponsive timeout")
		}
		t.Logf("unresponsive connection ended after %s", time.Since(start).Round(10*time.Millisecond))
		if ended(alive.Wait, 2*time.Second) {
			t.Fatal("a client answering keepalives was disconnected")
		}
	})
}

// TestDataplaneLoginBackoff: after 5 failed FTP logins from one address,
// the next attempt is refused unchecked, even with the right password,
// until the back-off has passed; the login log shows it.
func TestDataplaneLoginBackoff(t *testing.T) {
	t.Parallel()
	needTool(t, "curl")
	const wait = 3 * time.Second
	env := startDataPlaneWith(t, nil, "", "", func(c *dataplane.Config) { c.LoginBackoff = wait })
	sid := ftpServer(t, env.TC, dpDirID, types.ProtocolFtp)
	createAccess(t, env.TC, sid, sidTeamA, "/bucket/ftp/bo")
	env.putDirectoryUser(t, dpDirID, "bob", "right", sidTeamA)
	addr := env.waitListening(t, sid, "FTP")
	login := func(pw string) error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, "curl", "-sS", "--max-time", "20", "-u", "bob:"+pw, "ftp://"+addr+"/").CombinedOutput()
		if err != nil {
			return fmt.Errorf("%w: %s", err, out)
		}
		return nil
	}
	if err := login("right"); err != nil {
		t.Fatalf("first login: %v", err)
	}
	for i := range 6 {
		if err := login(fmt.Sprintf("wrong%d", i)); err == nil {
			t.Fatal("wrong password accepted")
		}
	}
	failedAt := time.Now()
	if err := login("right"); err == nil {
		t.Fatal("the right password was checked during the back-off")
	}
	logins := env.logins(t, sid)
	last := logins[len(logins)-1]
	if last.Success || !strings.Contains(last.Reason, "back-off") || last.Backoff == "" {
		t.Fatalf("attempt during the back-off: %+v", last)
	}
	sixth := logins[len(logins)-2]
	if sixth.Success || sixth.Backoff != wait.String() || !strings.Contains(sixth.Reason, "wrong password") {
		t.Fatalf("6th failure: %+v", sixth)
	}
	for _, a := range logins[len(logins)-7 : len(logins)-2] {
		if a.Backoff != "" {
			t.Fatalf("a free failure imposed a wait: %+v", a)
		}
	}
	time.Sleep(time.Until(failedAt.Add(wait + 200*time.Millisecond)))
	if err := login("right"); err != nil {
		t.Fatalf("login after the back-off: %v", err)
	}
	// A success clears the address: one more failure costs nothing.
	_ = login("wrong")
	if err := login("right"); err != nil {
		t.Fatalf("login after a success and one failure: %v", err)
	}
}

// TestDataplaneConnectionCap: past a server's cap of open connections, a
// new one is closed before any login; a closed one frees its place.
func TestDataplaneConnectionCap(t *testing.T) {
	t.Parallel()
	env := startDataPlaneWith(t, nil, "", "", func(c *dataplane.Config) { c.MaxConnections = 2 })
	addr, key := keyUser(t, env, "cap")
	a, err := goSSH(t, addr, "cap", key)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := goSSH(t, addr, "cap", key)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := goSSH(t, addr, "cap", key); err == nil {
		c.Close()
		t.Fatal("a third connection was served past a cap of 2")
	}
	_ = b.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := goSSH(t, addr, "cap", key)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no connection after closing one: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestDataplaneLoginGraceAndFTPIdle: a connection that does not log in
// within the grace period is closed (SFTP and FTP); a logged-in FTP client
// that sends no command for the idle timeout is told so and disconnected.
func TestDataplaneLoginGraceAndFTPIdle(t *testing.T) {
	t.Parallel()
	env := startDataPlaneWith(t, nil, "", "", func(c *dataplane.Config) {
		c.LoginGrace, c.IdleTimeout = 3*time.Second, 3*time.Second
	})
	sid := ftpServer(t, env.TC, dpDirID, types.ProtocolFtp, types.ProtocolSftp)
	createAccess(t, env.TC, sid, sidTeamA, "/bucket/grace")
	env.putDirectoryUser(t, dpDirID, "gus", "gus-pw", sidTeamA)
	closedWithin := func(c net.Conn, d time.Duration) (string, bool) {
		_ = c.SetReadDeadline(time.Now().Add(d))
		b, err := io.ReadAll(c)
		var ne net.Error
		return string(b), err == nil || !(errors.As(err, &ne) && ne.Timeout())
	}
	for _, proto := range []string{"SFTP", "FTP"} {
		c, err := net.DialTimeout("tcp", env.waitListening(t, sid, proto), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		got, closed := closedWithin(c, 15*time.Second)
		_ = c.Close()
		if !closed {
			t.Fatalf("%s: a connection that never logs in is open 15 s after a 3 s grace period (%q)", proto, got)
		}
		t.Logf("%s: closed %s after connecting without a login", proto, time.Since(start).Round(10*time.Millisecond))
	}
	ftp := dialFTP(t, env.waitListening(t, sid, "FTP"), "gus", "gus-pw", false)
	got, closed := closedWithin(ftp.conn, 15*time.Second)
	if !closed || !strings.Contains(got, "421") {
		t.Fatalf("idle FTP session: closed=%v, %q", closed, got)
	}
}
