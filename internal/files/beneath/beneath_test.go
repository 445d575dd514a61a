//go:build unix

package beneath

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// plant makes <tmp>/outside/secret.txt and <tmp>/root with a folder, a
// file and links pointing out of it and inside it.
func plant(t testing.TB) (rootDir, outside string) {
	t.Helper()
	tmp := t.TempDir()
	outside = filepath.Join(tmp, "outside")
	rootDir = filepath.Join(tmp, "root")
	for _, d := range []string{outside, filepath.Join(rootDir, "a", "b")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p, body string) {
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(outside, "secret.txt"), "SECRET")
	write(filepath.Join(rootDir, "a", "b", "f.txt"), "inside")
	for name, target := range map[string]string{
		"out":          outside,                 // a folder link leaving the root
		"a/in":         "b",                     // a folder link staying inside
		"a/b/file":     "f.txt",                 // a file link staying inside
		"a/b/shadow":   outside + "/secret.txt", // a file link leaving the root
		"a/b/relative": "../../../outside/secret.txt",
	} {
		if err := os.Symlink(target, filepath.Join(rootDir, filepath.FromSlash(name))); err != nil {
			t.Fatal(err)
		}
	}
	return rootDir, outside
}

func openRoot(t testing.TB, dir string) *Dir {
	t.Helper()
	d, err := OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// TestLinksRefused: no operation goes through a link at any component,
// whether the link leaves the root or not.
func TestLinksRefused(t *testing.T) {
	rootDir, outside := plant(t)
	d := openRoot(t, rootDir)
	links := []string{"out/secret.txt", "out", "a/in/f.txt", "a/in", "a/b/file", "a/b/shadow", "a/b/relative"}
	for _, name := range links {
		if f, err := d.OpenFile(name, os.O_RDONLY, 0); err == nil {
			b, _ := io.ReadAll(f)
			f.Close()
			t.Errorf("OpenFile(%q) read %q", name, b)
		} else if !errors.Is(err, ErrLink) && !errors.Is(err, fs.ErrPermission) {
			t.Errorf("OpenFile(%q) = %v, want a link refusal", name, err)
		}
		if f, err := d.OpenFile(name, os.O_WRONLY|os.O_TRUNC, 0); err == nil {
			f.Close()
			t.Errorf("OpenFile(%q) for writing succeeded", name)
		}
	}
	for _, name := range []string{"out/new.txt", "a/in/new.txt"} {
		if f, err := d.OpenFile(name, os.O_WRONLY|os.O_CREATE, 0o644); err == nil {
			f.Close()
			t.Errorf("created %q through a link", name)
		}
		if err := d.MkdirAll(name, 0o755); err == nil {
			t.Errorf("MkdirAll(%q) went through a link", name)
		}
		if _, err := d.OpenDir(name, true); err == nil {
			t.Errorf("OpenDir(%q, create) went through a link", name)
		}
	}
	for _, name := range []string{"out", "a/in"} {
		if _, err := d.OpenDir(name, false); !errors.Is(err, ErrLink) {
			t.Errorf("OpenDir(%q) = %v, want ErrLink", name, err)
		}
		if _, err := d.OpenDir(name+"/sub", true); !errors.Is(err, ErrLink) {
			t.Errorf("OpenDir(%q, create) = %v, want ErrLink", name+"/sub", err)
		}
		if _, err := d.ReadDir(name); err == nil {
			t.Errorf("ReadDir(%q) listed through a link", name)
		}
	}
	if err := d.Chmod("a/b/shadow", 0o600); err == nil {
		t.Error("Chmod went through a link")
	}
	if err := d.Rename("out/secret.txt", d, "stolen.txt"); err == nil {
		t.Error("Rename went through a link")
	}
	if err := d.Remove("out/secret.txt"); err == nil {
		t.Error("Remove went through a link")
	}
	// Lstat reports the link itself; the last component is not followed.
	fi, err := d.Lstat("a/b/shadow")
	if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("Lstat(a/b/shadow) = %v, %v; want the link", fi, err)
	}
	if _, err := d.Lstat("out/secret.txt"); err == nil {
		t.Error("Lstat went through a link")
	}
	if b, err := os.ReadFile(filepath.Join(outside, "secret.txt")); err != nil || string(b) != "SECRET" {
		t.Fatalf("outside file: %q %v", b, err)
	}
	if ents, _ := os.ReadDir(outside); len(ents) != 1 {
		t.Fatalf("outside folder holds %d entries", len(ents))
	}
}

// TestWalkRefusesLinks: the component walk (used where openat2 is
// missing) refuses what openat2 refuses.
func TestWalkRefusesLinks(t *testing.T) {
	rootDir, _ := plant(t)
	d := openRoot(t, rootDir)
	for _, name := range []string{"out/secret.txt", "a/in/f.txt", "a/b/file", "a/b/shadow"} {
		parts, _ := check(name)
		fd, err := walk(d.fd, parts, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err == nil {
			unix.Close(fd)
			t.Errorf("walk(%q) opened it", name)
		}
	}
	parts, _ := check("a/b/f.txt")
	fd, err := walk(d.fd, parts, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("walk(a/b/f.txt): %v", err)
	}
	unix.Close(fd)
}

func TestInvalidNames(t *testing.T) {
	rootDir, _ := plant(t)
	d := openRoot(t, rootDir)
	for _, name := range []string{"/etc/passwd", "..", "../outside/secret.txt", "a/../../outside/secret.txt", "a//b", "a/./b", "a\x00b", "a/"} {
		if f, err := d.OpenFile(name, os.O_RDONLY, 0); err == nil {
			f.Close()
			t.Errorf("OpenFile(%q) succeeded", name)
		} else if !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("OpenFile(%q) = %v, want ErrInvalid", name, err)
		}
	}
}

// TestOperations: the ordinary operations work beneath the root.
func TestOperations(t *testing.T) {
	rootDir, _ := plant(t)
	d := openRoot(t, rootDir)
	if err := d.MkdirAll("x/y/z", 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := d.OpenFile("x/y/z/new.txt", os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("hello"); err != nil {
		t.Fatal(err)
	}
	st, err := f.Stat()
	if err != nil || Links(st) != 1 {
		t.Fatalf("Links = %d, %v", Links(st), err)
	}
	f.Close()
	sub, err := d.OpenDir("x/y", false)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	if err := sub.Rename("z/new.txt", d, "a/moved.txt"); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(rootDir, "a", "moved.txt")); err != nil || string(b) != "hello" {
		t.Fatalf("moved: %q %v", b, err)
	}
	if err := os.Link(filepath.Join(rootDir, "a", "moved.txt"), filepath.Join(rootDir, "a", "hard.txt")); err != nil {
		t.Fatal(err)
	}
	fi, err := d.Lstat("a/hard.txt")
	if err != nil || fi.Links != 2 || fi.Size() != 5 || fi.IsDir() {
		t.Fatalf("Lstat(hard) = %+v, %v", fi, err)
	}
	ents, err := d.ReadDir("a")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	for _, want := range []string{"b", "in", "moved.txt", "hard.txt"} {
		if !strings.Contains(" "+strings.Join(names, " ")+" ", " "+want+" ") {
			t.Errorf("ReadDir(a) = %v, missing %s", names, want)
		}
	}
	mt := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := d.Chtimes("a/moved.txt", mt, mt); err != nil {
		t.Fatal(err)
	}
	if err := d.Chmod("a/moved.txt", 0o600); err != nil {
		t.Fatal(err)
	}
	if fi, err := d.Lstat("a/moved.txt"); err != nil || !fi.ModTime().Equal(mt) || fi.Mode().Perm() != 0o600 {
		t.Fatalf("after Chtimes/Chmod: %+v %v", fi, err)
	}
	if err := d.Remove("x/y/z"); err != nil {
		t.Fatalf("Remove(empty folder): %v", err)
	}
	if err := d.Remove("a/b"); err == nil {
		t.Fatal("removed a folder that is not empty")
	}
	if err := d.Remove("a/hard.txt"); err != nil {
		t.Fatal(err)
	}
	if err := d.Mkdir("x/y/z", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := d.Mkdir("x/y/z", 0o755); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second Mkdir = %v", err)
	}
	if _, err := d.Lstat("missing"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Lstat(missing) = %v", err)
	}
}
