//go:build unix

package beneath

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzOpen: whatever the name, nothing outside the root is read, listed,
// created, renamed or removed, and nothing goes through a link.
func FuzzOpen(f *testing.F) {
	for _, s := range []string{"", ".", "a/b/f.txt", "out/secret.txt", "../outside/secret.txt", "a/in/f.txt",
		"a/b/shadow", "/etc/passwd", "a/../../outside", "a\x00", "a/b/relative", "out", "a//b", "x/y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		rootDir, outside := plant(t)
		d := openRoot(t, rootDir)
		if fh, err := d.OpenFile(name, os.O_RDONLY, 0); err == nil {
			b, _ := io.ReadAll(fh)
			fh.Close()
			if strings.Contains(string(b), "SECRET") {
				t.Fatalf("read the outside file through %q", name)
			}
		}
		if ents, err := d.ReadDir(name); err == nil {
			for _, e := range ents {
				if e.Name() == "secret.txt" {
					t.Fatalf("listed the outside folder through %q", name)
				}
			}
		}
		if fh, err := d.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644); err == nil {
			fh.Close()
		}
		_ = d.MkdirAll(name+"/sub", 0o755)
		_ = d.Rename(name, d, "renamed")
		_ = d.Remove(name)
		if b, err := os.ReadFile(filepath.Join(outside, "secret.txt")); err != nil || string(b) != "SECRET" {
			t.Fatalf("outside file after %q: %q %v", name, b, err)
		}
		if ents, _ := os.ReadDir(outside); len(ents) != 1 {
			t.Fatalf("outside folder holds %d entries after %q", len(ents), name)
		}
	})
}
