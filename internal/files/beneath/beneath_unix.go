//go:build unix

package beneath

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"runtime"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Dir is an open directory; every name is resolved beneath it.
type Dir struct {
	f  *os.File
	fd int
}

// OpenRoot opens a trusted directory (its own path is resolved as usual,
// links included: it is the operator's choice).
func OpenRoot(dir string) (*Dir, error) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: dir, Err: err}
	}
	return newDir(fd, dir), nil
}

func newDir(fd int, name string) *Dir {
	return &Dir{f: os.NewFile(uintptr(fd), name), fd: fd}
}

// Close closes the directory.
func (d *Dir) Close() error { return d.f.Close() }

// errno turns ELOOP (a link met with O_NOFOLLOW or RESOLVE_NO_SYMLINKS) and
// EXDEV (RESOLVE_BENEATH refusing an escape) into ErrLink.
func errno(err error) error {
	if errors.Is(err, unix.ELOOP) || errors.Is(err, unix.EXDEV) {
		return ErrLink
	}
	return err
}

// open resolves name beneath d and opens it with flags (O_NOFOLLOW and
// O_CLOEXEC are always added).
func (d *Dir) open(name string, flags int, perm uint32) (int, error) {
	parts, err := check(name)
	if err != nil {
		return -1, err
	}
	defer runtime.KeepAlive(d.f)
	flags |= unix.O_NOFOLLOW | unix.O_CLOEXEC
	if len(parts) == 0 {
		fd, err := unix.Openat(d.fd, ".", flags&^unix.O_NOFOLLOW, perm)
		return fd, errno(err)
	}
	fd, err := openat2(d.fd, name, flags, perm)
	if err != nil && errors.Is(err, errors.ErrUnsupported) {
		fd, err = walk(d.fd, parts, flags, perm)
	}
	if errors.Is(err, unix.ENOTDIR) && linkOnPath(d.fd, parts) {
		// O_DIRECTORY|O_NOFOLLOW on a link answers ENOTDIR.
		err = ErrLink
	}
	return fd, errno(err)
}

// linkOnPath reports whether a component of parts is a symbolic link (it
// only looks: nothing is followed).
func linkOnPath(dirfd int, parts []string) bool {
	cur, owned := dirfd, false
	defer func() {
		if owned {
			_ = unix.Close(cur)
		}
	}()
	for i, p := range parts {
		var st unix.Stat_t
		if err := unix.Fstatat(cur, p, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return false
		}
		if uint32(st.Mode)&unix.S_IFMT == unix.S_IFLNK {
			return true
		}
		if i == len(parts)-1 {
			return false
		}
		fd, err := unix.Openat(cur, p, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return false
		}
		if owned {
			_ = unix.Close(cur)
		}
		cur, owned = fd, true
	}
	return false
}

// walk opens parts one component at a time, never following a link.
func walk(dirfd int, parts []string, flags int, perm uint32) (int, error) {
	cur, owned := dirfd, false
	for _, p := range parts[:len(parts)-1] {
		fd, err := unix.Openat(cur, p, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if owned {
			_ = unix.Close(cur)
		}
		if err != nil {
			return -1, err
		}
		cur, owned = fd, true
	}
	fd, err := unix.Openat(cur, parts[len(parts)-1], flags, perm)
	if owned {
		_ = unix.Close(cur)
	}
	return fd, err
}

// parent opens the folder holding name; release closes it.
func (d *Dir) parent(name string) (fd int, base string, release func(), err error) {
	dir, base, err := split(name)
	if err != nil {
		return -1, "", nil, err
	}
	if dir == "." {
		return d.fd, base, func() { runtime.KeepAlive(d.f) }, nil
	}
	fd, err = d.open(dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return -1, "", nil, err
	}
	return fd, base, func() { _ = unix.Close(fd) }, nil
}

// OpenDir opens the folder name beneath d; with create, missing folders
// are made (mode 0755).
func (d *Dir) OpenDir(name string, create bool) (*Dir, error) {
	if create {
		fd, err := d.mkdirAll(name, 0o755)
		if err != nil {
			return nil, pathErr("mkdir", name, err)
		}
		return newDir(fd, name), nil
	}
	fd, err := d.open(name, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return nil, pathErr("open", name, err)
	}
	return newDir(fd, name), nil
}

// OpenFile opens a file beneath d (flag as for os.OpenFile).
func (d *Dir) OpenFile(name string, flag int, perm fs.FileMode) (*os.File, error) {
	fd, err := d.open(name, flag, uint32(perm.Perm()))
	if err != nil {
		return nil, pathErr("open", name, err)
	}
	return os.NewFile(uintptr(fd), path.Base("/"+name)), nil
}

// Lstat reports name without following it.
func (d *Dir) Lstat(name string) (*Info, error) {
	if parts, err := check(name); err != nil {
		return nil, pathErr("lstat", name, err)
	} else if len(parts) == 0 {
		var st unix.Stat_t
		err := unix.Fstat(d.fd, &st)
		runtime.KeepAlive(d.f)
		if err != nil {
			return nil, pathErr("lstat", name, err)
		}
		return info(".", &st), nil
	}
	pfd, base, release, err := d.parent(name)
	if err != nil {
		return nil, pathErr("lstat", name, err)
	}
	defer release()
	var st unix.Stat_t
	if err := unix.Fstatat(pfd, base, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return nil, pathErr("lstat", name, err)
	}
	return info(base, &st), nil
}

func info(name string, st *unix.Stat_t) *Info {
	return &Info{name: name, size: st.Size, mode: fileMode(uint32(st.Mode)), modTime: time.Unix(st.Mtim.Unix()),
		Links: uint64(st.Nlink), sys: st}
}

func fileMode(m uint32) fs.FileMode {
	mode := fs.FileMode(m & 0o777)
	switch m & unix.S_IFMT {
	case unix.S_IFDIR:
		mode |= fs.ModeDir
	case unix.S_IFLNK:
		mode |= fs.ModeSymlink
	case unix.S_IFIFO:
		mode |= fs.ModeNamedPipe
	case unix.S_IFSOCK:
		mode |= fs.ModeSocket
	case unix.S_IFCHR:
		mode |= fs.ModeDevice | fs.ModeCharDevice
	case unix.S_IFBLK:
		mode |= fs.ModeDevice
	}
	return mode
}

// Links is the number of hard links of a file an os.File reported (1 when
// unknown).
func Links(fi fs.FileInfo) uint64 {
	switch s := fi.Sys().(type) {
	case *syscall.Stat_t:
		return uint64(s.Nlink)
	case *unix.Stat_t:
		return uint64(s.Nlink)
	}
	return 1
}

// ReadDir lists the folder name: every entry, links included (reported as
// links, not followed), in the order of the file system.
func (d *Dir) ReadDir(name string) ([]*Info, error) {
	fd, err := d.open(name, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return nil, pathErr("open", name, err)
	}
	f := os.NewFile(uintptr(fd), name)
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return nil, pathErr("readdir", name, err)
	}
	out := make([]*Info, 0, len(names))
	for _, n := range names {
		var st unix.Stat_t
		if err := unix.Fstatat(fd, n, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			continue // removed meanwhile
		}
		out = append(out, info(n, &st))
	}
	return out, nil
}

// Mkdir makes the folder name; its parent must exist.
func (d *Dir) Mkdir(name string, perm fs.FileMode) error {
	pfd, base, release, err := d.parent(name)
	if err != nil {
		return pathErr("mkdir", name, err)
	}
	defer release()
	return pathErr("mkdir", name, errno(unix.Mkdirat(pfd, base, uint32(perm.Perm()))))
}

// MkdirAll makes the folder name and its missing parents.
func (d *Dir) MkdirAll(name string, perm fs.FileMode) error {
	fd, err := d.mkdirAll(name, perm)
	if err != nil {
		return pathErr("mkdir", name, err)
	}
	return unix.Close(fd)
}

// mkdirAll makes the missing folders of name one component at a time and
// returns the last one open.
func (d *Dir) mkdirAll(name string, perm fs.FileMode) (int, error) {
	parts, err := check(name)
	if err != nil {
		return -1, err
	}
	defer runtime.KeepAlive(d.f)
	cur, err := unix.Dup(d.fd)
	if err != nil {
		return -1, err
	}
	unix.CloseOnExec(cur)
	for _, p := range parts {
		if err := unix.Mkdirat(cur, p, uint32(perm.Perm())); err != nil && !errors.Is(err, unix.EEXIST) {
			_ = unix.Close(cur)
			return -1, errno(err)
		}
		fd, err := unix.Openat(cur, p, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if errors.Is(err, unix.ENOTDIR) && linkOnPath(cur, []string{p}) {
			err = ErrLink
		}
		_ = unix.Close(cur)
		if err != nil {
			return -1, errno(err)
		}
		cur = fd
	}
	return cur, nil
}

// Remove removes a file or an empty folder.
func (d *Dir) Remove(name string) error {
	pfd, base, release, err := d.parent(name)
	if err != nil {
		return pathErr("remove", name, err)
	}
	defer release()
	err = unix.Unlinkat(pfd, base, 0)
	if errors.Is(err, unix.EISDIR) || errors.Is(err, unix.EPERM) {
		if err2 := unix.Unlinkat(pfd, base, unix.AT_REMOVEDIR); err2 == nil || !errors.Is(err2, unix.ENOTDIR) {
			err = err2
		}
	}
	return pathErr("remove", name, err)
}

// Rename moves oldname beneath d to newname beneath to (which may be d).
func (d *Dir) Rename(oldname string, to *Dir, newname string) error {
	opfd, obase, orelease, err := d.parent(oldname)
	if err != nil {
		return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: err}
	}
	defer orelease()
	npfd, nbase, nrelease, err := to.parent(newname)
	if err != nil {
		return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: err}
	}
	defer nrelease()
	if err := unix.Renameat(opfd, obase, npfd, nbase); err != nil {
		return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: errno(err)}
	}
	return nil
}

// Chmod changes the mode of name (never through a link).
func (d *Dir) Chmod(name string, mode fs.FileMode) error {
	fd, err := d.open(name, unix.O_RDONLY|unix.O_NONBLOCK, 0)
	if err != nil {
		return pathErr("chmod", name, err)
	}
	defer unix.Close(fd)
	return pathErr("chmod", name, unix.Fchmod(fd, uint32(mode.Perm())))
}

// Chtimes changes the access and modification times of name (never through
// a link).
func (d *Dir) Chtimes(name string, atime, mtime time.Time) error {
	pfd, base, release, err := d.parent(name)
	if err != nil {
		return pathErr("chtimes", name, err)
	}
	defer release()
	ts := []unix.Timespec{unix.NsecToTimespec(atime.UnixNano()), unix.NsecToTimespec(mtime.UnixNano())}
	return pathErr("chtimes", name, unix.UtimesNanoAt(pfd, base, ts, unix.AT_SYMLINK_NOFOLLOW))
}
