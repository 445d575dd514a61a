package e2e_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"
)

// TestDataplaneFolderRenameBypass: a Deny on locked/*.pdf is not bypassed
// by renaming the folder locked and reading from the new name: on S3 a
// folder cannot be renamed at all (files still can).
func TestDataplaneFolderRenameBypass(t *testing.T) {
	t.Parallel()
	needTool(t, "sftp", "ssh-keygen")
	env := startDataPlane(t, nil, "", "")
	key, pub := sshKey(t, "ed25519")
	sid := mustCreateServer(t, env.TC, nil)
	policy := `{"Version":"2012-10-17","Statement":[
	 {"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::${transfer:HomeBucket}"},
	 {"Effect":"Allow","Action":["s3:PutObject","s3:GetObject","s3:DeleteObject"],"Resource":"arn:aws:s3:::${transfer:HomeDirectory}*"},
	 {"Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::${transfer:HomeDirectory}locked/*.pdf"}]}`
	createUser(t, env.TC, sid, "bob", pub, func(in *transfer.CreateUserInput) {
		in.HomeDirectory = aws.String("/bucket/home/bob/")
		in.Policy = aws.String(policy)
	})
	for p, body := range map[string]string{"/bucket/home/bob/locked/doc.pdf": "LOCKED-PDF", "/bucket/home/bob/notes.txt": "notes"} {
		if err := os.MkdirAll(filepath.Dir(env.file(p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(env.file(p), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	addr := env.waitListening(t, sid, "SFTP")
	local := t.TempDir()
	steps := []struct {
		cmd  string
		ok   bool
		want string // in the output of a refused command
	}{
		{"get locked/doc.pdf " + filepath.Join(local, "direct.pdf"), false, ""},
		{"rename locked open", false, "unsupported"},
		{"get open/doc.pdf " + filepath.Join(local, "renamed.pdf"), false, ""},
		{"mkdir open", true, ""},
		{"rename locked/doc.pdf open/doc.pdf", false, "denied"}, // a file rename reads the source
		{"rename notes.txt open/notes.txt", true, ""},
	}
	for _, s := range steps {
		out, err := sftpBatch(t, addr, key, "bob", s.cmd+"\n")
		if s.ok != (err == nil) {
			t.Errorf("%q: err = %v, want ok=%v\n%s", s.cmd, err, s.ok, out)
		}
		if s.want != "" && !strings.Contains(strings.ToLower(out), s.want) {
			t.Errorf("%q: output lacks %q:\n%s", s.cmd, s.want, out)
		}
	}
	for _, name := range []string{"direct.pdf", "renamed.pdf"} {
		if _, err := os.Stat(filepath.Join(local, name)); err == nil {
			t.Errorf("%s was downloaded", name)
		}
	}
	if b, err := os.ReadFile(env.file("/bucket/home/bob/locked/doc.pdf")); err != nil || string(b) != "LOCKED-PDF" {
		t.Errorf("locked/doc.pdf = %q, %v", b, err)
	}
	if b, err := os.ReadFile(env.file("/bucket/home/bob/open/notes.txt")); err != nil || string(b) != "notes" {
		t.Errorf("renamed file = %q, %v", b, err)
	}
}

// TestDataplaneMappingTargets: a mapping's target is never renamed or
// removed through another mapping (nor through its own entry): on EFS,
// where folders can be renamed, a user with the entries / and /shared
// cannot move /shared into its home, nor rename the folder of its home
// that holds another entry's target; on S3 a FILE mapping cannot be
// removed or renamed away.
func TestDataplaneMappingTargets(t *testing.T) {
	t.Parallel()
	needTool(t, "sftp", "ssh-keygen")
	env := startDataPlane(t, nil, "", "")
	key, pub := sshKey(t, "ed25519")
	const fsid = "fs-0123456789abcdef0"
	efs := mustCreateServer(t, env.TC, &transfer.CreateServerInput{Domain: types.DomainEfs})
	createUser(t, env.TC, efs, "alice", pub, func(in *transfer.CreateUserInput) {
		in.HomeDirectoryType = types.HomeDirectoryTypeLogical
		in.PosixProfile = &types.PosixProfile{Uid: aws.Int64(1000), Gid: aws.Int64(1000)}
		in.HomeDirectoryMappings = []types.HomeDirectoryMapEntry{
			{Entry: aws.String("/"), Target: aws.String("/" + fsid + "/home/alice")},
			{Entry: aws.String("/shared"), Target: aws.String("/" + fsid + "/shared")},
			{Entry: aws.String("/deep"), Target: aws.String("/" + fsid + "/home/alice/sub/target")},
		}
	})
	efsFile := func(p string) string { return filepath.Join(env.DataDir, "files", "efs", fsid, filepath.FromSlash(p)) }
	if err := os.MkdirAll(efsFile("shared"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(efsFile("shared/team.txt"), []byte("TEAM"), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := env.waitListening(t, efs, "SFTP")
	local := t.TempDir()
	empty := filepath.Join(local, "empty")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	refused := []string{
		"rename /shared /mine",
		"rename /shared /shared2",
		"rename /deep /moved",
		"rename /sub /other", // holds /deep's target
		"rmdir /deep",        // an empty target
	}
	for _, cmd := range refused {
		out, err := sftpBatch(t, addr, key, "alice", cmd+"\n")
		if err == nil {
			t.Errorf("%q succeeded:\n%s", cmd, out)
		} else if !strings.Contains(strings.ToLower(out), "permission denied") {
			t.Errorf("%q failed without permission denied:\n%s", cmd, out)
		}
	}
	if b, err := os.ReadFile(efsFile("shared/team.txt")); err != nil || string(b) != "TEAM" {
		t.Errorf("shared/team.txt = %q, %v", b, err)
	}
	for _, p := range []string{"home/alice/mine", "home/alice/shared2", "home/alice/moved", "home/alice/other"} {
		if _, err := os.Stat(efsFile(p)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s exists: %v", p, err)
		}
	}
	if fi, err := os.Stat(efsFile("home/alice/sub/target")); err != nil || !fi.IsDir() {
		t.Errorf("the /deep target: %v, %v", fi, err)
	}
	// Ordinary folders and files still move, into and out of targets.
	out, err := sftpBatch(t, addr, key, "alice", "mkdir /jobs\nrename /jobs /done\nrename /shared/team.txt /team.txt\nput "+empty+" /deep/x.txt\nrm /deep/x.txt\n")
	if err != nil {
		t.Fatalf("sftp: %v\n%s", err, out)
	}
	if _, err := os.Stat(efsFile("home/alice/done")); err != nil {
		t.Errorf("folder rename on EFS: %v", err)
	}
	if b, err := os.ReadFile(efsFile("home/alice/team.txt")); err != nil || string(b) != "TEAM" {
		t.Errorf("file moved out of a target: %q, %v", b, err)
	}

	// S3: a FILE mapping's target is neither removed nor renamed.
	s3 := mustCreateServer(t, env.TC, nil)
	createUser(t, env.TC, s3, "carol", pub, func(in *transfer.CreateUserInput) {
		in.HomeDirectoryType = types.HomeDirectoryTypeLogical
		in.HomeDirectoryMappings = []types.HomeDirectoryMapEntry{
			{Entry: aws.String("/"), Target: aws.String("/bucket/home/carol")},
			{Entry: aws.String("/readme.txt"), Target: aws.String("/bucket/shared/readme.txt"), Type: types.MapTypeFile},
		}
	})
	if err := os.MkdirAll(filepath.Dir(env.file("/bucket/shared/readme.txt")), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(env.file("/bucket/shared/readme.txt"), []byte("README"), 0o644); err != nil {
		t.Fatal(err)
	}
	addr = env.waitListening(t, s3, "SFTP")
	for _, cmd := range []string{"rm /readme.txt", "rename /readme.txt /mine.txt", "put " + empty + " /x.txt\nrename /x.txt /readme.txt"} {
		out, err := sftpBatch(t, addr, key, "carol", cmd+"\n")
		if err == nil {
			t.Errorf("%q succeeded:\n%s", cmd, out)
		}
	}
	if b, err := os.ReadFile(env.file("/bucket/shared/readme.txt")); err != nil || string(b) != "README" {
		t.Errorf("readme.txt = %q, %v", b, err)
	}
	if _, err := os.Stat(env.file("/bucket/home/carol/mine.txt")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("mine.txt exists: %v", err)
	}
}
