//go:build unix

package e2e_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
)

// TestDataplanePlantedLinks: links planted on the host inside the data
// directory are never followed through OpenSSH's sftp: a bucket folder
// that is a symbolic link to a folder outside the data directory is
// neither read, listed nor written; a hard link to an outside file is not
// written (nor truncated) in place; a named pipe does not hang the session.
func TestDataplanePlantedLinks(t *testing.T) {
	t.Parallel()
	needTool(t, "sftp", "ssh-keygen")
	env := startDataPlane(t, nil, "", "")
	key, pub := sshKey(t, "ed25519")
	sid := mustCreateServer(t, env.TC, nil)
	createUser(t, env.TC, sid, "alice", pub, func(in *transfer.CreateUserInput) {
		in.HomeDirectory = aws.String("/bucket/home/alice")
	})
	addr := env.waitListening(t, sid, "SFTP")
	// A first session creates the home folder.
	if out, err := sftpBatch(t, addr, key, "alice", "pwd\n"); err != nil {
		t.Fatalf("sftp: %v\n%s", err, out)
	}

	outside := t.TempDir()
	secret := filepath.Join(outside, "secret.txt")
	if err := os.WriteFile(secret, []byte("OUTSIDE-SECRET"), 0o644); err != nil {
		t.Fatal(err)
	}
	victim := filepath.Join(outside, "victim.txt")
	if err := os.WriteFile(victim, []byte("OUTSIDE-VICTIM"), 0o644); err != nil {
		t.Fatal(err)
	}
	// /linked is a bucket whose folder is a link out of the data directory;
	// home/alice/hard.txt is a hard link to an outside file.
	if err := os.Symlink(outside, env.file("/linked")); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(victim, env.file("/bucket/home/alice/hard.txt")); err != nil {
		t.Skipf("no hard link across the temporary folders: %v", err)
	}
	if err := syscall.Mkfifo(env.file("/bucket/home/alice/pipe"), 0o644); err != nil {
		t.Fatal(err)
	}
	local := t.TempDir()
	payload := filepath.Join(local, "payload")
	if err := os.WriteFile(payload, []byte("PAYLOAD"), 0o644); err != nil {
		t.Fatal(err)
	}

	tests := []struct{ name, cmd string }{
		{"get through a linked bucket", "get /linked/secret.txt " + filepath.Join(local, "stolen")},
		{"list a linked bucket", "ls /linked"},
		{"put through a linked bucket", "put " + payload + " /linked/new.txt"},
		{"overwrite through a linked bucket", "put " + payload + " /linked/secret.txt"},
		{"mkdir through a linked bucket", "mkdir /linked/dir"},
		{"rename out of a linked bucket", "rename /linked/secret.txt /bucket/home/alice/got.txt"},
		{"remove through a linked bucket", "rm /linked/secret.txt"},
		{"overwrite a hard link", "put " + payload + " hard.txt"},
		{"truncate a hard link", "put /dev/null hard.txt"},
		{"read a named pipe", "get pipe " + filepath.Join(local, "pipe")},
	}
	for _, tc := range tests {
		out, err := sftpBatch(t, addr, key, "alice", tc.cmd+"\n")
		if err == nil {
			t.Errorf("%s (%q) succeeded:\n%s", tc.name, tc.cmd, out)
		}
		if strings.Contains(out, "OUTSIDE") || strings.Contains(out, "secret.txt") && strings.HasPrefix(tc.cmd, "ls") {
			t.Errorf("%s shows the outside folder:\n%s", tc.name, out)
		}
	}
	for p, want := range map[string]string{secret: "OUTSIDE-SECRET", victim: "OUTSIDE-VICTIM"} {
		if b, err := os.ReadFile(p); err != nil || string(b) != want {
			t.Errorf("%s = %q, %v; want %q", p, b, err, want)
		}
	}
	if ents, _ := os.ReadDir(outside); len(ents) != 2 {
		t.Errorf("the outside folder holds %d entries, want 2", len(ents))
	}
	for _, name := range []string{"stolen", "got.txt"} {
		if _, err := os.Stat(filepath.Join(local, name)); err == nil {
			t.Errorf("%s was written", name)
		}
	}
	// The linked bucket is not listed at /, and the session still works.
	out, err := sftpBatch(t, addr, key, "alice", "ls /\nput "+payload+" ok.txt\n")
	if err != nil {
		t.Fatalf("sftp: %v\n%s", err, out)
	}
	if strings.Contains(out, "linked") || !strings.Contains(out, "bucket") {
		t.Errorf("ls / = %s", out)
	}
	if b, err := os.ReadFile(env.file("/bucket/home/alice/ok.txt")); err != nil || string(b) != "PAYLOAD" {
		t.Errorf("ok.txt = %q, %v", b, err)
	}
}
