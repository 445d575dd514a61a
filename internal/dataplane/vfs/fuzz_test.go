package vfs

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ersatz-dev/ersatz/internal/files"
)

// FuzzResolve sends arbitrary client paths to a LOGICAL user chrooted at
// /bucket/home/alice (plus one FILE mapping). resolve never lands outside
// the chroot or the mapped file, and no command (read, list, write, rename,
// remove, mkdir) reads or changes anything outside them, even through the
// symbolic links planted in alice's folder.
func FuzzResolve(f *testing.F) {
	dataDir := f.TempDir()
	st := files.New(dataDir)
	write := func(d files.Domain, p, body string) {
		c, key, err := files.Split(p)
		if err != nil {
			f.Fatal(err)
		}
		dir, err := st.ContainerDir(d, c)
		if err != nil {
			f.Fatal(err)
		}
		full := filepath.Join(dir, key)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			f.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(body), 0o644); err != nil {
			f.Fatal(err)
		}
	}
	write(files.S3, "/bucket/home/alice/in.txt", "alice's")
	write(files.S3, "/bucket/home/bob/secret.txt", "bob's secret")
	write(files.S3, "/bucket/shared/readme.txt", "shared")
	write(files.S3, "/other/top.txt", "other bucket")
	bucketDir, _ := st.ContainerDir(files.S3, "bucket")
	for link, target := range map[string]string{"tobob": "../bob", "passwd": "/etc/passwd", "data": dataDir} {
		if err := os.Symlink(target, filepath.Join(bucketDir, "home/alice", link)); err != nil {
			f.Fatal(err)
		}
	}
	fs, err := New(Config{
		Files: st, Domain: files.S3, UserName: "alice", HomeDirectoryType: TypeLogical,
		Mappings: []Mapping{
			{Entry: "/", Target: "/bucket/home/${transfer:UserName}"},
			{Entry: "/shared/readme.txt", Target: "/bucket/shared/readme.txt", Type: "FILE"},
		},
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { fs.Close() })

	// outside checks that the files outside alice's folder are as seeded.
	outside := func(t *testing.T, what string) {
		err := filepath.Walk(filepath.Join(dataDir, "files"), func(p string, info os.FileInfo, err error) error {
			if err != nil || info.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(filepath.Join(dataDir, "files"), p)
			switch {
			// s3meta/bucket holds the local store's records of the bucket's objects.
			case strings.HasPrefix(rel, "s3/bucket/home/alice/"), rel == "s3/bucket/shared/readme.txt", strings.HasPrefix(rel, "s3meta/bucket/"):
			case rel == "s3/bucket/home/bob/secret.txt", rel == "s3/other/top.txt":
			default:
				t.Fatalf("%s: file written outside alice's folder: %s", what, rel)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for p, want := range map[string]string{"bucket/home/bob/secret.txt": "bob's secret", "other/top.txt": "other bucket"} {
			if b, err := os.ReadFile(filepath.Join(dataDir, "files/s3", p)); err != nil || string(b) != want {
				t.Fatalf("%s: %s is now %q, %v", what, p, b, err)
			}
		}
	}

	for _, p := range []string{"../bob/secret.txt", "/../../../../etc/passwd", "tobob/secret.txt", "data/files/s3/other/top.txt",
		"..\\bob", "in.txt\x00/../../bob", "/shared/readme.txt/../../bob/secret.txt", "a/b/../../../bob", "passwd", "//x//./y/.."} {
		f.Add(p, "in.txt")
	}
	f.Add("in.txt", "../bob/x")
	f.Add("/shared/readme.txt", "moved.txt")
	f.Add("new/dir", "tobob/secret.txt")
	f.Fuzz(func(t *testing.T, p, q string) {
		n, err := fs.resolve(p)
		if err == nil && n.kind == kindReal {
			inHome := n.container == "bucket" && (n.key == "home/alice" || strings.HasPrefix(n.key, "home/alice/"))
			mapped := n.container == "bucket" && n.key == "shared/readme.txt" && n.fileOnly
			if !inHome && !mapped {
				t.Fatalf("resolve(%q) = %s/%s, outside the chroot", p, n.container, n.key)
			}
			for _, seg := range strings.Split(n.key, "/") {
				if seg == "" || seg == "." || seg == ".." {
					t.Fatalf("resolve(%q) = key %q with segment %q", p, n.key, seg)
				}
			}
		}
		for _, path := range []string{p, q} {
			if h, err := fs.Open(path, OpenFlags{Read: true}); err == nil {
				b, _ := io.ReadAll(io.LimitReader(h, 1<<16))
				h.Close()
				if s := string(b); strings.Contains(s, "bob") || strings.Contains(s, "other") || strings.Contains(s, "root:") {
					t.Fatalf("read %q leaked %q", path, s)
				}
			}
			_, _ = fs.ReadDir(path) // lists what resolve names: checked above
			_, _ = fs.Stat(path)
		}
		changed := fs.Mkdir(p) == nil
		if h, err := fs.Open(p, OpenFlags{Write: true, Create: true, Truncate: true}); err == nil {
			_, _ = h.Write([]byte("x"))
			h.Close()
			changed = true
		}
		for _, err := range []error{fs.Rename(p, q, true), fs.Rename(q, p, false), fs.Remove(q), fs.Rmdir(q)} {
			changed = changed || err == nil
		}
		if !changed {
			return
		}
		outside(t, p+" -> "+q)
	})
}
