package e2e_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"
)

// traversalCorpus are paths a chrooted user sends to get out.
var traversalCorpus = []string{
	"..",
	"../..",
	"/..",
	"/../..",
	"../bob/secret.txt",
	"../../home/bob/secret.txt",
	"/../bob/secret.txt",
	"/../../../../etc/passwd",
	"../../../../../../etc/passwd",
	"../../other/top.txt",
	"/bucket/home/bob/secret.txt",
	"/other/top.txt",
	"//bucket/home/bob/secret.txt",
	"/./../bob/secret.txt",
	"./../bob/secret.txt",
	"a/../../bob/secret.txt",
	"a/b/../../../bob/secret.txt",
	"%2e%2e/bob/secret.txt",
	"%2e%2e%2fbob%2fsecret.txt",
	"..%2fbob%2fsecret.txt",
	"..%252fbob%252fsecret.txt",
	"..\\bob\\secret.txt",
	"....//bob/secret.txt",
	".../bob/secret.txt",
	"..;/bob/secret.txt",
	"tobob/secret.txt",
	"tobob",
	"passwd",
	"data/files/s3/bucket/home/bob/secret.txt",
	"/tobob/secret.txt",
	"readme.txt/../../bob/secret.txt",
	"/readme.txt/../../../bob/secret.txt",
	"../alice/../bob/secret.txt",
	"~/../bob/secret.txt",
	"/proc/self/root/etc/passwd",
	"..%c0%afbob%c0%afsecret.txt",
	"..\u2215bob\u2215secret.txt",
	"/bucket/home/alice/../bob/secret.txt",
	"/etc/passwd",
	"bucket/home/bob/secret.txt",
}

// TestDataplaneLogicalTraversal: a LOGICAL user chrooted to its folder
// reaches nothing outside its mappings, whatever path it sends through
// OpenSSH's sftp: reads, listings, writes, renames, removals and cd.
func TestDataplaneLogicalTraversal(t *testing.T) {
	t.Parallel()
	needTool(t, "sftp", "ssh-keygen")
	env := startDataPlane(t, nil, "", "")
	key, pub := sshKey(t, "ed25519")
	sid := mustCreateServer(t, env.TC, nil)
	createUser(t, env.TC, sid, "alice", pub, func(in *transfer.CreateUserInput) {
		in.HomeDirectoryType = types.HomeDirectoryTypeLogical
		in.HomeDirectoryMappings = []types.HomeDirectoryMapEntry{
			{Entry: aws.String("/"), Target: aws.String("/bucket/home/${transfer:UserName}")},
			{Entry: aws.String("/readme.txt"), Target: aws.String("/bucket/shared/readme.txt"), Type: types.MapTypeFile},
		}
	})
	seedFile := func(p, body string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(env.file(p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(env.file(p), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	seedFile("/bucket/home/alice/mine.txt", "ALICE")
	seedFile("/bucket/home/bob/secret.txt", "BOB-SECRET")
	seedFile("/bucket/shared/readme.txt", "SHARED-README")
	seedFile("/other/top.txt", "OTHER-BUCKET")
	aliceDir := env.file("/bucket/home/alice")
	for name, target := range map[string]string{"tobob": "../bob", "passwd": "/etc/passwd", "data": env.DataDir} {
		if err := os.Symlink(target, filepath.Join(aliceDir, name)); err != nil {
			t.Fatal(err)
		}
	}
	if len(traversalCorpus) < 30 {
		t.Fatalf("corpus has %d paths", len(traversalCorpus))
	}
	addr := env.waitListening(t, sid, "SFTP")
	local := t.TempDir()
	quote := func(p string) string { return `"` + strings.ReplaceAll(p, `"`, `\"`) + `"` }

	// Reading: every get, ls and cd either fails or stays inside.
	var b strings.Builder
	for i, p := range traversalCorpus {
		fmt.Fprintf(&b, "-get %s %s\n", quote(p), filepath.Join(local, fmt.Sprintf("got%d", i)))
		fmt.Fprintf(&b, "-ls -la %s\n", quote(p))
		fmt.Fprintf(&b, "-cd %s\n-ls -la\n-cd /\n", quote(p))
	}
	b.WriteString("get readme.txt " + filepath.Join(local, "readme") + "\nget mine.txt " + filepath.Join(local, "mine") + "\n")
	out, err := sftpBatch(t, addr, key, "alice", b.String())
	if err != nil {
		t.Fatalf("sftp: %v\n%s", err, out)
	}
	t.Logf("read phase: %d lines of output", strings.Count(out, "\n"))
	for _, leak := range []string{"secret.txt", "top.txt", "BOB-SECRET", "OTHER-BUCKET", "root:x", "files", "efs"} {
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(line, "sftp>") || strings.Contains(line, "not found") || strings.Contains(line, "No such file") ||
				strings.Contains(line, "Permission denied") || strings.Contains(line, "Can't") || strings.Contains(line, "Failure") {
				continue
			}
			if strings.Contains(line, leak) {
				t.Errorf("output shows %q: %s", leak, line)
			}
		}
	}
	entries, _ := os.ReadDir(local)
	for _, e := range entries {
		body, _ := os.ReadFile(filepath.Join(local, e.Name()))
		if strings.Contains(string(body), "BOB") || strings.Contains(string(body), "OTHER") || strings.Contains(string(body), "root:") {
			t.Errorf("downloaded %s holds %q", e.Name(), body)
		}
	}
	if body, _ := os.ReadFile(filepath.Join(local, "readme")); string(body) != "SHARED-README" {
		t.Errorf("the FILE mapping reads %q", body)
	}
	if body, _ := os.ReadFile(filepath.Join(local, "mine")); string(body) != "ALICE" {
		t.Errorf("own file reads %q", body)
	}

	// Writing: puts, renames, removals and mkdirs touch nothing outside.
	src := filepath.Join(local, "payload")
	if err := os.WriteFile(src, []byte("PAYLOAD"), 0o644); err != nil {
		t.Fatal(err)
	}
	b.Reset()
	for _, p := range traversalCorpus {
		fmt.Fprintf(&b, "-put %s %s\n-rm %s\n-rename mine.txt %s\n-rename %s stolen.txt\n-mkdir %s\n-rmdir %s\n",
			src, quote(p), quote(p), quote(p), quote(p), quote(p), quote(p))
	}
	if out, err := sftpBatch(t, addr, key, "alice", b.String()); err != nil {
		t.Fatalf("sftp: %v\n%s", err, out)
	}
	for p, want := range map[string]string{
		"/bucket/home/bob/secret.txt": "BOB-SECRET", "/bucket/shared/readme.txt": "SHARED-README", "/other/top.txt": "OTHER-BUCKET",
	} {
		if body, err := os.ReadFile(env.file(p)); err != nil || string(body) != want {
			t.Errorf("%s = %q, %v", p, body, err)
		}
	}
	if body, err := os.ReadFile("/etc/passwd"); err != nil || strings.Contains(string(body), "PAYLOAD") {
		t.Fatalf("/etc/passwd: %v", err)
	}
	root := filepath.Join(env.DataDir, "files")
	err = filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		switch {
		case info.IsDir() && (rel == "." || rel == "s3" || strings.HasPrefix("s3/bucket/home/alice", rel) || rel == "s3/other" || rel == "s3/bucket/shared" || rel == "s3/bucket/home/bob"):
		case strings.HasPrefix(rel, "s3/bucket/home/alice/"):
		// The local store's records of the bucket's objects, and the
		// (empty) spool of uploads.
		case rel == "s3meta" || rel == "s3meta/bucket" || strings.HasPrefix(rel, "s3meta/bucket/"):
		case rel == "spool" && info.IsDir():
		case rel == "s3/bucket/home/bob/secret.txt" || rel == "s3/bucket/shared/readme.txt" || rel == "s3/other/top.txt":
		default:
			t.Errorf("outside alice's folder: %s", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
