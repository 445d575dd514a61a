// Package beneath opens and changes files beneath one directory without
// following a symbolic link at any component of a path, and without ever
// leaving the directory.
//
// On Linux every path is resolved in one openat2 call with
// RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS|RESOLVE_NO_MAGICLINKS; where openat2 is
// missing (kernels before 5.6, or a seccomp filter refusing it) and on the
// other Unix systems, the path is walked one component at a time with
// openat(O_NOFOLLOW), each component opened relative to the previous one,
// so a link swapped in mid-walk is refused too. Operations on a name (mkdir,
// remove, rename, stat, times) run on the already opened parent folder with
// the *at system calls. Elsewhere (Windows) the package checks every
// component with Lstat inside an os.Root, which refuses links but cannot
// close the race with a link planted between the check and the use.
//
// Names are slash-separated and relative: "" and "." name the directory
// itself; absolute names, empty components, "." and ".." inside a name and
// NUL bytes are refused with an error wrapping fs.ErrInvalid. A symbolic
// link met at any component is refused with an error wrapping ErrLink
// (which wraps fs.ErrPermission).
package beneath

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"
)

// ErrLink is a symbolic link met on a path.
var ErrLink = fmt.Errorf("symbolic links are not followed: %w", fs.ErrPermission)

// ErrInvalid is a name that is not a clean relative path.
var ErrInvalid = fmt.Errorf("name must be a clean relative path: %w", fs.ErrInvalid)

// check validates a name and returns its components (none for the
// directory itself).
func check(name string) ([]string, error) {
	if name == "" || name == "." {
		return nil, nil
	}
	if strings.IndexByte(name, 0) >= 0 || strings.HasPrefix(name, "/") {
		return nil, ErrInvalid
	}
	parts := strings.Split(name, "/")
	for _, p := range parts {
		if p == "" || p == "." || p == ".." {
			return nil, ErrInvalid
		}
	}
	return parts, nil
}

// split returns the parent of a name ("." for a top-level name) and its
// last component; the directory itself has no parent.
func split(name string) (dir, base string, err error) {
	parts, err := check(name)
	if err != nil {
		return "", "", err
	}
	if len(parts) == 0 {
		return "", "", ErrInvalid
	}
	if len(parts) == 1 {
		return ".", parts[0], nil
	}
	return strings.Join(parts[:len(parts)-1], "/"), parts[len(parts)-1], nil
}

func pathErr(op, name string, err error) error {
	if err == nil {
		return nil
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return err
	}
	return &fs.PathError{Op: op, Path: name, Err: err}
}

// Info is what Lstat and ReadDir report of one file.
type Info struct {
	name    string
	size    int64
	mode    fs.FileMode
	modTime time.Time
	// Links is the file's number of hard links.
	Links uint64
	sys   any
}

func (i *Info) Name() string       { return i.name }
func (i *Info) Size() int64        { return i.size }
func (i *Info) Mode() fs.FileMode  { return i.mode }
func (i *Info) ModTime() time.Time { return i.modTime }
func (i *Info) IsDir() bool        { return i.mode.IsDir() }
func (i *Info) Sys() any           { return i.sys }
