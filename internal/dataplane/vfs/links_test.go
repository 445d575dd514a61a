//go:build unix

package vfs

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/ersatz-dev/ersatz/internal/files"
)

// TestHardLinksNotWritten: a file with several hard links is read but
// never written, truncated, nor (on EFS) given another mode or time; a
// named pipe is refused at once. On EFS opening it for writing is refused;
// on S3 an upload is a new file moved into place when it is closed, so the
// link's other name keeps its content whatever is written.
func TestHardLinksNotWritten(t *testing.T) {
	for _, d := range []files.Domain{files.S3, files.EFS} {
		t.Run(string(d), func(t *testing.T) {
			st := files.New(t.TempDir())
			seed(t, st, d, "/fs-0123456789abcdef0/home/u/a.txt", "a")
			dir, _ := st.ContainerDir(d, "fs-0123456789abcdef0")
			outside := filepath.Join(t.TempDir(), "victim")
			if err := os.WriteFile(outside, []byte("victim"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Link(outside, filepath.Join(dir, "home/u/hard.txt")); err != nil {
				t.Skipf("hard link: %v", err)
			}
			if err := syscall.Mkfifo(filepath.Join(dir, "home/u/pipe"), 0o644); err != nil {
				t.Fatal(err)
			}
			f, err := New(Config{Files: st, Domain: d, UserName: "u", HomeDirectory: "/fs-0123456789abcdef0/home/u"})
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			p := "/fs-0123456789abcdef0/home/u/hard.txt"
			if got := readAll(t, f, p); got != "victim" {
				t.Fatalf("read %q", got)
			}
			for name, fl := range map[string]OpenFlags{
				"write":    {Write: true},
				"truncate": {Write: true, Truncate: true},
				"create":   {Write: true, Create: true, Truncate: true},
				"append":   {Write: true, Append: true},
			} {
				h, err := f.Open(p, fl)
				if d == files.S3 {
					if err != nil {
						t.Errorf("%s: %v", name, err)
						continue
					}
					if _, err := h.WriteString("overwritten"); err != nil {
						t.Errorf("%s: write: %v", name, err)
					}
					if err := h.Close(); err != nil {
						t.Errorf("%s: close: %v", name, err)
					}
					continue
				}
				if !errors.Is(err, ErrHardLink) {
					if err == nil {
						h.Close()
					}
					t.Errorf("%s: %v, want ErrHardLink", name, err)
				}
			}
			if err := f.Setstat(p, SetStat{Size: ptr(int64(0))}); d == files.EFS && !errors.Is(err, ErrHardLink) {
				t.Errorf("truncate by SETSTAT: %v", err)
			}
			if d == files.EFS {
				if err := f.Setstat(p, SetStat{Mode: ptr(os.FileMode(0o600))}); !errors.Is(err, ErrHardLink) {
					t.Errorf("chmod: %v", err)
				}
			}
			if b, err := os.ReadFile(outside); err != nil || string(b) != "victim" {
				t.Fatalf("outside file = %q, %v", b, err)
			}
			if fi, err := os.Stat(outside); err != nil || fi.Mode().Perm() != 0o644 {
				t.Fatalf("outside mode = %v, %v", fi, err)
			}
			if h, err := f.Open("/fs-0123456789abcdef0/home/u/pipe", OpenFlags{Read: true}); err == nil {
				h.Close()
				t.Error("opened a named pipe")
			}
			// The ordinary file is still written.
			h, err := f.Open("/fs-0123456789abcdef0/home/u/a.txt", OpenFlags{Write: true, Truncate: true})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := h.WriteString("new"); err != nil {
				t.Fatal(err)
			}
			h.Close()
			if got := readAll(t, f, "/fs-0123456789abcdef0/home/u/a.txt"); got != "new" {
				t.Fatalf("a.txt = %q", got)
			}
		})
	}
}

// TestLinkedContainer: a bucket folder that is a symbolic link is neither
// opened nor listed.
func TestLinkedContainer(t *testing.T) {
	dataDir := t.TempDir()
	st := files.New(dataDir)
	seed(t, st, files.S3, "/real/a.txt", "a")
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret.txt"), []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dataDir, "files", "s3", "linked")); err != nil {
		t.Fatal(err)
	}
	f, err := New(Config{Files: st, UserName: "u"})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// A link is no bucket: not found (S3) or refused.
	if _, err := f.Open("/linked/secret.txt", OpenFlags{Read: true}); !errors.Is(err, os.ErrPermission) && !errors.Is(err, os.ErrNotExist) {
		t.Errorf("open through the linked bucket: %v", err)
	}
	if _, err := f.Open("/linked/new.txt", OpenFlags{Write: true, Create: true}); !errors.Is(err, os.ErrPermission) {
		t.Errorf("create through the linked bucket: %v", err)
	}
	ents, err := f.ReadDir("/")
	if err != nil || len(ents) != 1 || ents[0].Name() != "real" {
		t.Errorf("ReadDir(/) = %v, %v; want only real", ents, err)
	}
	if ents, _ := os.ReadDir(outside); len(ents) != 1 {
		t.Errorf("outside holds %d entries", len(ents))
	}
}
