package vfs

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ersatz-dev/ersatz/internal/files"
)

// seed writes a file into the store at a domain path "/container/key".
func seed(t *testing.T, st *files.Store, d files.Domain, p, body string) {
	t.Helper()
	c, key, err := files.Split(p)
	if err != nil {
		t.Fatal(err)
	}
	dir, err := st.ContainerDir(d, c)
	if err != nil {
		t.Fatal(err)
	}
	full := filepath.Join(dir, key)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(full, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readAll(t *testing.T, f *FS, p string) string {
	t.Helper()
	h, err := f.Open(p, OpenFlags{Read: true})
	if err != nil {
		t.Fatalf("open %s: %v", p, err)
	}
	defer h.Close()
	b, err := io.ReadAll(h)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func logicalFS(t *testing.T) (*FS, *files.Store, string) {
	t.Helper()
	dataDir := t.TempDir()
	st := files.New(dataDir)
	seed(t, st, files.S3, "/bucket/home/alice/in.txt", "alice's")
	seed(t, st, files.S3, "/bucket/home/bob/secret.txt", "bob's secret")
	seed(t, st, files.S3, "/bucket/shared/readme.txt", "shared")
	seed(t, st, files.S3, "/other/top.txt", "other bucket")
	f, err := New(Config{
		Files: st, Domain: files.S3, UserName: "alice", HomeDirectoryType: TypeLogical,
		Mappings: []Mapping{
			{Entry: "/", Target: "/bucket/home/${transfer:UserName}"},
			{Entry: "/shared/readme.txt", Target: "/bucket/shared/readme.txt", Type: "FILE"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f, st, dataDir
}

// TestTraversalCorpus: a LOGICAL user chrooted at /bucket/home/alice reaches
// nothing outside it, whatever the path.
func TestTraversalCorpus(t *testing.T) {
	f, st, dataDir := logicalFS(t)
	// A symbolic link planted inside alice's folder, pointing at bob's.
	aliceDir, _ := st.ContainerDir(files.S3, "bucket")
	if err := os.Symlink("../bob", filepath.Join(aliceDir, "home/alice/tobob")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(aliceDir, "home/alice/passwd")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(dataDir, filepath.Join(aliceDir, "home/alice/data")); err != nil {
		t.Fatal(err)
	}
	corpus := []string{
		"../bob/secret.txt",
		"../../home/bob/secret.txt",
		"/../bob/secret.txt",
		"/../../../../etc/passwd",
		"..",
		"../..",
		"/..",
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
		"..%252fbob",
		"..\\bob\\secret.txt",
		"\\..\\..\\bob\\secret.txt",
		"....//bob/secret.txt",
		".../bob/secret.txt",
		"..;/bob/secret.txt",
		"../bob/secret.txt\x00.txt",
		"in.txt\x00/../../bob/secret.txt",
		"\x00",
		"tobob/secret.txt",
		"tobob",
		"passwd",
		"data",
		"data/files/s3/bucket/home/bob/secret.txt",
		"/tobob/secret.txt",
		"shared/readme.txt/../../bob/secret.txt",
		"/shared/../../bob/secret.txt",
		"../alice/../bob/secret.txt",
		"~bob/secret.txt",
		"~/../bob/secret.txt",
		"/proc/self/root/etc/passwd",
		"..%c0%afbob",
		"..\u2215bob\u2215secret.txt",
	}
	if len(corpus) < 30 {
		t.Fatalf("corpus has %d paths", len(corpus))
	}
	for _, p := range corpus {
		// Whatever the path, nothing outside alice's folder is read, listed,
		// written or removed: the operations fail or act inside her folder.
		if h, err := f.Open(p, OpenFlags{Read: true}); err == nil {
			b, _ := io.ReadAll(h)
			h.Close()
			if strings.Contains(string(b), "bob") || strings.Contains(string(b), "other") || strings.Contains(string(b), "root:") {
				t.Errorf("read %q leaked %q", p, b)
			}
		}
		if ents, err := f.ReadDir(p); err == nil {
			for _, e := range ents {
				if e.Name() != "in.txt" {
					t.Errorf("ReadDir(%q) listed %q", p, e.Name())
				}
			}
		}
	}
	// Then the commands that change things: whatever they do, they do it
	// inside alice's folder (checked by the walk below).
	for _, p := range corpus {
		_ = f.Remove(p)
		_ = f.Rename(p, "stolen.txt", true)
		_ = f.Rename("in.txt", p, true)
		if h, err := f.Open(p, OpenFlags{Write: true, Create: true, Truncate: true}); err == nil {
			h.Close()
		}
		if err := f.Rename(p, "back.txt", false); err == nil {
			_ = f.Remove("back.txt")
		}
	}
	// Bob's and the other bucket's files are untouched.
	bob := filepath.Join(aliceDir, "home/bob/secret.txt")
	if b, err := os.ReadFile(bob); err != nil || string(b) != "bob's secret" {
		t.Fatalf("bob's file: %q %v", b, err)
	}
	otherDir, _ := st.ContainerDir(files.S3, "other")
	if b, err := os.ReadFile(filepath.Join(otherDir, "top.txt")); err != nil || string(b) != "other bucket" {
		t.Fatalf("other bucket: %q %v", b, err)
	}
	// Nothing was written outside alice's folder.
	err := filepath.Walk(filepath.Join(dataDir, "files"), func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(filepath.Join(dataDir, "files"), p)
		switch {
		case strings.HasPrefix(rel, "s3/bucket/home/alice/"), strings.HasPrefix(rel, "s3meta/bucket/"),
			rel == "s3/bucket/home/bob/secret.txt", rel == "s3/bucket/shared/readme.txt", rel == "s3/other/top.txt":
		default:
			t.Errorf("file written outside alice's folder: %s", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The symbolic links are neither followed nor listed.
	for _, p := range []string{"tobob/secret.txt", "passwd", "data"} {
		if _, err := f.Stat(p); err == nil {
			t.Errorf("Stat(%q) through a symlink succeeded", p)
		}
	}
}

func TestLogicalMappings(t *testing.T) {
	dataDir := t.TempDir()
	st := files.New(dataDir)
	seed(t, st, files.S3, "/b1/pics/cat.png", "cat")
	seed(t, st, files.S3, "/b2/test/mydocs/a.txt", "doc")
	f, err := New(Config{
		Files: st, UserName: "mary", HomeDirectoryType: TypeLogical,
		Mappings: []Mapping{
			{Entry: "/pics", Target: "/b1/pics"},
			{Entry: "/doc", Target: "/b2/test/mydocs"},
			{Entry: "/deep/er/x", Target: "/b1/x"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	names := func(p string) string {
		ents, err := f.ReadDir(p)
		if err != nil {
			t.Fatalf("ReadDir(%s): %v", p, err)
		}
		var out []string
		for _, e := range ents {
			out = append(out, e.Name())
		}
		return strings.Join(out, ",")
	}
	if got := names("/"); got != "deep,doc,pics" {
		t.Fatalf("root lists %q", got)
	}
	if got := names("/deep"); got != "er" {
		t.Fatalf("/deep lists %q", got)
	}
	if got := names("/pics"); got != "cat.png" {
		t.Fatalf("/pics lists %q", got)
	}
	if got := readAll(t, f, "/doc/a.txt"); got != "doc" {
		t.Fatalf("read %q", got)
	}
	// Nothing can be created at the virtual level.
	if err := f.Mkdir("/newdir"); !errors.Is(err, os.ErrPermission) {
		t.Fatalf("mkdir at the virtual root: %v", err)
	}
	if _, err := f.Open("/new.txt", OpenFlags{Write: true, Create: true}); err == nil {
		t.Fatal("created a file at the virtual root")
	}
	// Inside a mapping, it can; and rename across mappings moves the file.
	if err := f.Mkdir("/pics/2024"); err != nil {
		t.Fatal(err)
	}
	if err := f.Rename("/doc/a.txt", "/pics/2024/a.txt", false); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, f, "/pics/2024/a.txt"); got != "doc" {
		t.Fatalf("after rename %q", got)
	}
	if f.Home() != "/" {
		t.Fatalf("home %q", f.Home())
	}
}

func TestPathHomeAndPolicy(t *testing.T) {
	dataDir := t.TempDir()
	st := files.New(dataDir)
	seed(t, st, files.S3, "/bucket/home/alice/x.txt", "x")
	seed(t, st, files.S3, "/bucket/home/bob/y.txt", "y")
	pol := `{"Version":"2012-10-17","Statement":[
	 {"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::${transfer:HomeBucket}",
	  "Condition":{"StringLike":{"s3:prefix":["${transfer:HomeFolder}/*","${transfer:HomeFolder}"]}}},
	 {"Effect":"Allow","Action":["s3:PutObject","s3:GetObject","s3:DeleteObject"],"Resource":"arn:aws:s3:::${transfer:HomeDirectory}*"},
	 {"Effect":"Deny","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::${transfer:HomeDirectory}keep/*"}]}`
	var uploads []Upload
	f, err := New(Config{Files: st, UserName: "alice", HomeDirectory: "/bucket/home/alice/", HomeDirectoryType: TypePath,
		Policy: pol, OnUpload: func(u Upload) { uploads = append(uploads, u) }})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Home() != "/bucket/home/alice" {
		t.Fatalf("home %q", f.Home())
	}
	if v := f.Vars(); v["HomeBucket"] != "bucket" || v["HomeFolder"] != "home/alice" || v["HomeDirectory"] != "bucket/home/alice/" {
		t.Fatalf("vars %v", v)
	}
	if _, err := f.ReadDir("/bucket/home/alice"); err != nil {
		t.Fatalf("list home: %v", err)
	}
	for _, p := range []string{"/bucket/home/bob", "/bucket/home", "/bucket", "/"} {
		if _, err := f.ReadDir(p); !errors.Is(err, os.ErrPermission) {
			t.Errorf("ReadDir(%s) = %v, want permission denied", p, err)
		}
	}
	if _, err := f.Open("/bucket/home/bob/y.txt", OpenFlags{Read: true}); !errors.Is(err, os.ErrPermission) {
		t.Fatalf("read bob's: %v", err)
	}
	h, err := f.Open("/bucket/home/alice/keep/new.txt", OpenFlags{Write: true, Create: true, Truncate: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if len(uploads) != 1 || uploads[0].Key != "home/alice/keep/new.txt" || uploads[0].Size != 5 || uploads[0].Container != "bucket" {
		t.Fatalf("uploads %+v", uploads)
	}
	if err := f.Remove("/bucket/home/alice/keep/new.txt"); !errors.Is(err, os.ErrPermission) {
		t.Fatalf("explicit deny: %v", err)
	}
	if err := f.Remove("/bucket/home/alice/x.txt"); err != nil {
		t.Fatalf("allowed delete: %v", err)
	}
	if err := f.Setstat("/bucket/home/alice/keep/new.txt", SetStat{Mode: ptr(os.FileMode(0o600))}); !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("setstat on S3: %v", err)
	}
}

func TestEFSOwner(t *testing.T) {
	st := files.New(t.TempDir())
	seed(t, st, files.EFS, "/fs-0123456789abcdef0/home/u/a.txt", "a")
	f, err := New(Config{Files: st, Domain: files.EFS, UserName: "u", HomeDirectory: "/fs-0123456789abcdef0/home/u",
		Owner: &Owner{Uid: 1234, Gid: 5678}, Policy: `{"Statement":[]}`})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ents, err := f.ReadDir(f.Home())
	if err != nil || len(ents) != 1 {
		t.Fatalf("ReadDir: %v %v", ents, err)
	}
	if ents[0].Uid() != 1234 || ents[0].Gid() != 5678 {
		t.Fatalf("owner %d:%d", ents[0].Uid(), ents[0].Gid())
	}
	// Session policies do not apply on EFS; SETSTAT does.
	if err := f.Setstat(f.Home()+"/a.txt", SetStat{Mode: ptr(os.FileMode(0o600))}); err != nil {
		t.Fatal(err)
	}
	fi, err := f.Stat(f.Home() + "/a.txt")
	if err != nil || fi.Mode().Perm() != 0o600 || fi.Uid() != 1234 {
		t.Fatalf("stat %v %v", fi, err)
	}
}

func TestRenameRules(t *testing.T) {
	st := files.New(t.TempDir())
	seed(t, st, files.S3, "/b/a.txt", "a")
	seed(t, st, files.S3, "/b/c.txt", "c")
	f, err := New(Config{Files: st, HomeDirectory: "/b", UserName: "u"})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Rename("/b/a.txt", "/b/c.txt", false); !errors.Is(err, os.ErrExist) {
		t.Fatalf("rename onto existing: %v", err)
	}
	if err := f.Rename("/b/a.txt", "/b/c.txt", true); err != nil {
		t.Fatalf("posix-rename: %v", err)
	}
	if got := readAll(t, f, "/b/c.txt"); got != "a" {
		t.Fatalf("c.txt = %q", got)
	}
	if err := f.Rename("/b/c.txt", "/b-two/moved.txt", false); err != nil {
		t.Fatalf("rename across buckets: %v", err)
	}
	if got := readAll(t, f, "/b-two/moved.txt"); got != "a" {
		t.Fatalf("moved = %q", got)
	}
	if err := f.Mkdir("/newbucket"); !errors.Is(err, os.ErrPermission) {
		t.Fatalf("mkdir of a bucket: %v", err)
	}
	if err := f.Rmdir("/b"); !errors.Is(err, os.ErrPermission) {
		t.Fatalf("rmdir of a bucket: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }
