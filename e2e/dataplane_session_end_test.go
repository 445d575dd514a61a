package e2e_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"

	"github.com/ersatz-dev/ersatz/internal/dataplane"
)

// syncBuffer is an output buffer two goroutines may use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// liveSFTP is one OpenSSH sftp session fed command by command.
type liveSFTP struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *syncBuffer
}

// startSFTP opens a session with a key (batch mode: a failing command ends
// sftp) or, when key is "", with a password given through SSH_ASKPASS.
func startSFTP(t testing.TB, addr, key, user, password string) *liveSFTP {
	t.Helper()
	needTool(t, "sftp")
	host, port, _ := net.SplitHostPort(addr)
	args := sshOpts(port)
	dir := t.TempDir()
	var env []string
	if key != "" {
		args = append(args, "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "PasswordAuthentication=no", "-i", key, "-b", "-")
	} else {
		askpass := filepath.Join(dir, "askpass.sh")
		pwFile := filepath.Join(dir, "pw")
		if err := os.WriteFile(pwFile, []byte(password), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(askpass, []byte("#!/bin/sh\ncat '"+pwFile+"'\n"), 0o700); err != nil {
			t.Fatal(err)
		}
		args = append(args, "-o", "BatchMode=no", "-o", "PubkeyAuthentication=no",
			"-o", "PreferredAuthentications=password", "-o", "NumberOfPasswordPrompts=1")
		env = []string{"SSH_ASKPASS=" + askpass, "SSH_ASKPASS_REQUIRE=force", "DISPLAY=:0"}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, "sftp", append(args, user+"@"+host)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	l := &liveSFTP{cmd: cmd, stdin: stdin, out: out}
	t.Cleanup(func() { _ = stdin.Close(); _ = cmd.Wait() })
	return l
}

// send writes one command; a write to a session that is gone is not an error.
func (l *liveSFTP) send(line string) { _, _ = io.WriteString(l.stdin, line+"\n") }

// finish closes standard input and waits for sftp to exit.
func (l *liveSFTP) finish() error {
	_ = l.stdin.Close()
	return l.cmd.Wait()
}

// waitFile waits until a file exists with the given content.
func waitFile(t testing.TB, path, want string, l *liveSFTP) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(path); err == nil && string(b) == want {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s never held %q; sftp said:\n%s", path, want, l.out.String())
}

// waitEnded waits for the login log's session-ended entry of user.
func (e *dpEnv) waitEnded(t testing.TB, serverID, user string) dataplane.LoginAttempt {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		for _, l := range e.logins(t, serverID) {
			if l.Event == dataplane.EventSessionEnded && l.UserName == user {
				return l
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no session-ended entry for %s: %+v", user, e.logins(t, serverID))
	return dataplane.LoginAttempt{}
}

// TestDataplaneSessionEndedByControlPlane: an open OpenSSH sftp session
// ends when the control plane deletes its user or the key it logged in
// with, or changes its policy or home directory; the login log records
// why, and nothing more is written. A change that does not touch what the
// session sees (the Role) leaves it open.
func TestDataplaneSessionEndedByControlPlane(t *testing.T) {
	t.Parallel()
	needTool(t, "sftp", "ssh-keygen")
	env := startDataPlane(t, nil, "", "")
	ctx := context.Background()
	key, pub := sshKey(t, "ed25519")
	payload := filepath.Join(t.TempDir(), "payload")
	if err := os.WriteFile(payload, []byte("PAYLOAD"), 0o644); err != nil {
		t.Fatal(err)
	}
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`
	keyID := func(sid, user string) string {
		d, err := env.TC.DescribeUser(ctx, &transfer.DescribeUserInput{ServerId: aws.String(sid), UserName: aws.String(user)})
		if err != nil || len(d.User.SshPublicKeys) == 0 {
			t.Fatalf("DescribeUser: %v", err)
		}
		return aws.ToString(d.User.SshPublicKeys[0].SshPublicKeyId)
	}
	tests := []struct {
		name   string
		change func(sid, user string) error
		reason string // "" keeps the session
	}{
		{"DeleteUser", func(sid, user string) error {
			_, err := env.TC.DeleteUser(ctx, &transfer.DeleteUserInput{ServerId: aws.String(sid), UserName: aws.String(user)})
			return err
		}, "the user was deleted"},
		{"DeleteSshPublicKey", func(sid, user string) error {
			_, err := env.TC.DeleteSshPublicKey(ctx, &transfer.DeleteSshPublicKeyInput{ServerId: aws.String(sid), UserName: aws.String(user),
				SshPublicKeyId: aws.String(keyID(sid, user))})
			return err
		}, "public key"},
		{"UpdateUser Policy", func(sid, user string) error {
			_, err := env.TC.UpdateUser(ctx, &transfer.UpdateUserInput{ServerId: aws.String(sid), UserName: aws.String(user),
				Policy: aws.String(strings.Replace(policy, `"s3:*"`, `"s3:GetObject"`, 1))})
			return err
		}, "policy"},
		{"UpdateUser HomeDirectory", func(sid, user string) error {
			_, err := env.TC.UpdateUser(ctx, &transfer.UpdateUserInput{ServerId: aws.String(sid), UserName: aws.String(user),
				HomeDirectory: aws.String("/bucket/elsewhere")})
			return err
		}, "home directory"},
		{"UpdateUser Role only", func(sid, user string) error {
			_, err := env.TC.UpdateUser(ctx, &transfer.UpdateUserInput{ServerId: aws.String(sid), UserName: aws.String(user),
				Role: aws.String("arn:aws:iam::111111111111:role/other")})
			return err
		}, ""},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sid := mustCreateServer(t, env.TC, nil)
			user := fmt.Sprintf("user%d", i)
			home := "/bucket/home/" + user
			createUser(t, env.TC, sid, user, pub, func(in *transfer.CreateUserInput) {
				in.HomeDirectory = aws.String(home)
				in.Policy = aws.String(policy)
			})
			addr := env.waitListening(t, sid, "SFTP")
			s := startSFTP(t, addr, key, user, "")
			s.send("put " + payload + " first.txt")
			waitFile(t, env.file(home+"/first.txt"), "PAYLOAD", s)
			if err := tc.change(sid, user); err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if tc.reason == "" {
				// Several reconciliations (250 ms apart) see the change.
				time.Sleep(time.Second)
			} else {
				ended := env.waitEnded(t, sid, user)
				if !strings.Contains(ended.Reason, tc.reason) || ended.Success || ended.Protocol != "SFTP" || ended.Remote == "" {
					t.Errorf("session-ended entry: %+v, want a reason with %q", ended, tc.reason)
				}
			}
			s.send("put " + payload + " second.txt")
			err := s.finish()
			_, statErr := os.Stat(env.file(home + "/second.txt"))
			if tc.reason == "" {
				if err != nil || statErr != nil {
					t.Fatalf("the session did not go on: %v, %v\n%s", err, statErr, s.out.String())
				}
				for _, l := range env.logins(t, sid) {
					if l.Event != "" {
						t.Fatalf("unexpected entry %+v", l)
					}
				}
				return
			}
			if err == nil || statErr == nil {
				t.Fatalf("the session went on after %s: exit %v, second.txt %v\n%s", tc.name, err, statErr, s.out.String())
			}
		})
	}
}

// TestDataplaneSessionEndedByAccessChange: a directory user's open sessions
// (SFTP with a password, and FTP) end when UpdateAccess changes the policy
// or home directory of the access they logged in with.
func TestDataplaneSessionEndedByAccessChange(t *testing.T) {
	t.Parallel()
	needTool(t, "sftp")
	env := startDataPlane(t, nil, "", "")
	ctx := context.Background()
	sid := ftpServer(t, env.TC, dpDirID, types.ProtocolSftp, types.ProtocolFtp)
	createAccess(t, env.TC, sid, sidTeamA, "/bucket/teamA")
	env.putDirectoryUser(t, dpDirID, "alice", "correct horse", sidTeamA)
	sftpAddr := env.waitListening(t, sid, "SFTP")
	ftpAddr := env.waitListening(t, sid, "FTP")
	payload := filepath.Join(t.TempDir(), "payload")
	if err := os.WriteFile(payload, []byte("PAYLOAD"), 0o644); err != nil {
		t.Fatal(err)
	}

	s := startSFTP(t, sftpAddr, "", "alice", "correct horse")
	s.send("put " + payload + " first.txt")
	waitFile(t, env.file("/bucket/teamA/first.txt"), "PAYLOAD", s)

	// A plain FTP control connection, logged in.
	conn, err := net.DialTimeout("tcp", ftpAddr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ftp := textproto.NewConn(conn)
	expect := func(code int, cmd string, args ...any) {
		t.Helper()
		if cmd != "" {
			if err := ftp.PrintfLine(cmd, args...); err != nil {
				t.Fatal(err)
			}
		}
		if _, msg, err := ftp.ReadResponse(code); err != nil {
			t.Fatalf("%q: %v %s", cmd, err, msg)
		}
	}
	expect(220, "")
	expect(331, "USER alice")
	expect(230, "PASS correct horse")
	expect(257, "PWD")

	if _, err := env.TC.UpdateAccess(ctx, &transfer.UpdateAccessInput{ServerId: aws.String(sid), ExternalId: aws.String(sidTeamA),
		HomeDirectory: aws.String("/bucket/teamA-v2")}); err != nil {
		t.Fatal(err)
	}
	var sftpEnded, ftpEnded bool
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) && !(sftpEnded && ftpEnded) {
		for _, l := range env.logins(t, sid) {
			if l.Event == dataplane.EventSessionEnded && strings.Contains(l.Reason, "home directory") && l.ExternalID == sidTeamA {
				sftpEnded = sftpEnded || l.Protocol == "SFTP"
				ftpEnded = ftpEnded || l.Protocol == "FTP"
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !sftpEnded || !ftpEnded {
		t.Fatalf("session-ended entries (SFTP %v, FTP %v): %+v\nsftp said:\n%s", sftpEnded, ftpEnded, env.logins(t, sid), s.out.String())
	}
	// The FTP control connection is closed by the server.
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	_ = ftp.PrintfLine("PWD")
	if _, err := bufio.NewReader(conn).ReadString('\n'); err == nil {
		t.Error("the FTP session still answers")
	}
	s.send("put " + payload + " second.txt")
	_ = s.finish()
	if _, err := os.Stat(env.file("/bucket/teamA/second.txt")); err == nil {
		t.Fatalf("the SFTP session wrote after the change:\n%s", s.out.String())
	}
}

// TestDataplaneSessionEndedByDirectoryChange: a directory user's open SFTP
// session ends when the user is removed from the directory, or when its
// groups now select another access; a new password leaves it open.
func TestDataplaneSessionEndedByDirectoryChange(t *testing.T) {
	t.Parallel()
	needTool(t, "sftp")
	env := startDataPlane(t, nil, "", "")
	sid := ftpServer(t, env.TC, dpDirID, types.ProtocolSftp)
	createAccess(t, env.TC, sid, sidTeamA, "/bucket/teamA")
	createAccess(t, env.TC, sid, sidTeamB, "/bucket/teamB")
	addr := env.waitListening(t, sid, "SFTP")
	payload := filepath.Join(t.TempDir(), "payload")
	if err := os.WriteFile(payload, []byte("PAYLOAD"), 0o644); err != nil {
		t.Fatal(err)
	}
	deleteUser := func(name string) {
		req, _ := http.NewRequest(http.MethodDelete, env.URL+"/_ersatz/directory/"+dpDirID+"/users/"+name, nil)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("DELETE directory user: %d", resp.StatusCode)
		}
	}
	tests := []struct {
		user   string
		change func(user string)
		reason string // "" keeps the session
	}{
		{"bob", deleteUser, "removed from directory " + dpDirID},
		{"carol", func(user string) { env.putDirectoryUser(t, dpDirID, user, "pw", sidTeamB) }, "another access"},
		{"dave", func(user string) { env.putDirectoryUser(t, dpDirID, user, "new password", sidTeamA) }, ""},
	}
	for _, tc := range tests {
		t.Run(tc.user, func(t *testing.T) {
			t.Parallel()
			env.putDirectoryUser(t, dpDirID, tc.user, "pw", sidTeamA)
			s := startSFTP(t, addr, "", tc.user, "pw")
			s.send("put " + payload + " " + tc.user + "-1.txt")
			waitFile(t, env.file("/bucket/teamA/"+tc.user+"-1.txt"), "PAYLOAD", s)
			tc.change(tc.user)
			if tc.reason == "" {
				time.Sleep(time.Second) // several 250 ms reconciliations
			} else if ended := env.waitEnded(t, sid, tc.user); !strings.Contains(ended.Reason, tc.reason) {
				t.Errorf("session-ended entry: %+v, want a reason with %q", ended, tc.reason)
			}
			s.send("put " + payload + " " + tc.user + "-2.txt")
			_ = s.finish()
			_, err := os.Stat(env.file("/bucket/teamA/" + tc.user + "-2.txt"))
			if (err == nil) != (tc.reason == "") {
				t.Fatalf("second put: %v (want written: %v)\n%s", err, tc.reason == "", s.out.String())
			}
		})
	}
}
