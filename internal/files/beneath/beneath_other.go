//go:build !unix

package beneath

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"strings"
	"time"
)

// Dir is an open directory; every name is resolved beneath it. Without the
// *at system calls, each component is checked with Lstat inside an os.Root
// (which refuses to leave the directory).
type Dir struct {
	root *os.Root
}

// OpenRoot opens a trusted directory.
func OpenRoot(dir string) (*Dir, error) {
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	return &Dir{root: r}, nil
}

// Close closes the directory.
func (d *Dir) Close() error { return d.root.Close() }

// safe refuses a link at any component of name (a missing one ends the walk).
func (d *Dir) safe(name string) error {
	parts, err := check(name)
	if err != nil {
		return err
	}
	cur := ""
	for _, p := range parts {
		cur = path.Join(cur, p)
		fi, err := d.root.Lstat(cur)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			return ErrLink
		}
	}
	return nil
}

func dot(name string) string {
	if name == "" {
		return "."
	}
	return name
}

// OpenDir opens the folder name beneath d; with create, missing folders
// are made.
func (d *Dir) OpenDir(name string, create bool) (*Dir, error) {
	if err := d.safe(name); err != nil {
		return nil, pathErr("open", name, err)
	}
	if create {
		if err := d.root.MkdirAll(dot(name), 0o755); err != nil {
			return nil, err
		}
	}
	r, err := d.root.OpenRoot(dot(name))
	if err != nil {
		return nil, err
	}
	return &Dir{root: r}, nil
}

// OpenFile opens a file beneath d.
func (d *Dir) OpenFile(name string, flag int, perm fs.FileMode) (*os.File, error) {
	if err := d.safe(name); err != nil {
		return nil, pathErr("open", name, err)
	}
	return d.root.OpenFile(dot(name), flag, perm)
}

// Lstat reports name without following it.
func (d *Dir) Lstat(name string) (*Info, error) {
	if err := d.safe(name); err != nil {
		return nil, pathErr("lstat", name, err)
	}
	fi, err := d.root.Lstat(dot(name))
	if err != nil {
		return nil, err
	}
	return &Info{name: fi.Name(), size: fi.Size(), mode: fi.Mode(), modTime: fi.ModTime(), Links: 1, sys: fi.Sys()}, nil
}

// Links is 1: hard links are not counted here.
func Links(fs.FileInfo) uint64 { return 1 }

// ReadDir lists the folder name.
func (d *Dir) ReadDir(name string) ([]*Info, error) {
	f, err := d.OpenFile(name, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ents, err := f.ReadDir(-1)
	if err != nil {
		return nil, err
	}
	out := make([]*Info, 0, len(ents))
	for _, e := range ents {
		if fi, err := d.Lstat(strings.TrimPrefix(path.Join(name, e.Name()), "/")); err == nil {
			fi.name = e.Name()
			out = append(out, fi)
		}
	}
	return out, nil
}

// Mkdir makes the folder name; its parent must exist.
func (d *Dir) Mkdir(name string, perm fs.FileMode) error {
	if err := d.safe(name); err != nil {
		return pathErr("mkdir", name, err)
	}
	return d.root.Mkdir(name, perm)
}

// MkdirAll makes the folder name and its missing parents.
func (d *Dir) MkdirAll(name string, perm fs.FileMode) error {
	if err := d.safe(name); err != nil {
		return pathErr("mkdir", name, err)
	}
	return d.root.MkdirAll(dot(name), perm)
}

// Remove removes a file or an empty folder.
func (d *Dir) Remove(name string) error {
	if err := d.safe(name); err != nil {
		return pathErr("remove", name, err)
	}
	return d.root.Remove(name)
}

// Rename moves oldname beneath d to newname beneath to, which must be d:
// os.Root renames inside one root only.
func (d *Dir) Rename(oldname string, to *Dir, newname string) error {
	if to != d {
		return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: errors.ErrUnsupported}
	}
	if err := d.safe(oldname); err != nil {
		return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: err}
	}
	if err := d.safe(newname); err != nil {
		return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: err}
	}
	return d.root.Rename(oldname, newname)
}

// Chmod changes the mode of name.
func (d *Dir) Chmod(name string, mode fs.FileMode) error {
	if err := d.safe(name); err != nil {
		return pathErr("chmod", name, err)
	}
	return d.root.Chmod(name, mode)
}

// Chtimes changes the times of name.
func (d *Dir) Chtimes(name string, atime, mtime time.Time) error {
	if err := d.safe(name); err != nil {
		return pathErr("chtimes", name, err)
	}
	return d.root.Chtimes(name, atime, mtime)
}
