//go:build unix

package beneath

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// BenchmarkOpen opens a file four folders deep: with Dir.OpenFile (openat2
// on Linux), with the component walk, and with os.Root (which follows
// links inside the root) for comparison.
func BenchmarkOpen(b *testing.B) {
	dir := b.TempDir()
	name := "a/b/c/d/f.txt"
	if err := os.MkdirAll(filepath.Join(dir, "a/b/c/d"), 0o755); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o644); err != nil {
		b.Fatal(err)
	}
	d, err := OpenRoot(dir)
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	b.Run("Dir.OpenFile", func(b *testing.B) {
		for b.Loop() {
			f, err := d.OpenFile(name, os.O_RDONLY, 0)
			if err != nil {
				b.Fatal(err)
			}
			f.Close()
		}
	})
	b.Run("walk", func(b *testing.B) {
		parts, _ := check(name)
		for b.Loop() {
			fd, err := walk(d.fd, parts, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
			if err != nil {
				b.Fatal(err)
			}
			unix.Close(fd)
		}
	})
	b.Run("os.Root", func(b *testing.B) {
		r, err := os.OpenRoot(dir)
		if err != nil {
			b.Fatal(err)
		}
		defer r.Close()
		for b.Loop() {
			f, err := r.Open(name)
			if err != nil {
				b.Fatal(err)
			}
			f.Close()
		}
	})
}
