package vfs

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/ersatz-dev/ersatz/internal/files"
	"github.com/ersatz-dev/ersatz/internal/files/beneath"
)

// --- file info -----------------------------------------------------------

// FileInfo is what Stat and ReadDir report: the file's own facts with the
// session's owner.
type FileInfo struct {
	name    string
	size    int64
	mode    fs.FileMode
	modTime time.Time
	uid     uint32
	gid     uint32
}

func (i *FileInfo) Name() string       { return i.name }
func (i *FileInfo) Size() int64        { return i.size }
func (i *FileInfo) Mode() fs.FileMode  { return i.mode }
func (i *FileInfo) ModTime() time.Time { return i.modTime }
func (i *FileInfo) IsDir() bool        { return i.mode.IsDir() }
func (i *FileInfo) Sys() any           { return nil }

// Uid and Gid are the owner reported to SFTP clients.
func (i *FileInfo) Uid() uint32 { return i.uid }
func (i *FileInfo) Gid() uint32 { return i.gid }

func (f *FS) info(name string, fi fs.FileInfo) *FileInfo {
	out := &FileInfo{name: name, size: fi.Size(), mode: fi.Mode(), modTime: fi.ModTime()}
	if fi.IsDir() {
		out.size = 0
	}
	if o := f.cfg.Owner; o != nil {
		out.uid, out.gid = o.Uid, o.Gid
	}
	return out
}

func (f *FS) virtualDir(name string) *FileInfo {
	out := &FileInfo{name: name, mode: fs.ModeDir | 0o744}
	if o := f.cfg.Owner; o != nil {
		out.uid, out.gid = o.Uid, o.Gid
	}
	return out
}

func baseName(v string) string {
	if v == "/" {
		return "/"
	}
	return path.Base(v)
}

// --- operations ----------------------------------------------------------

// RealPath cleans p relative to dir (the session's working directory).
func RealPath(dir, p string) string {
	if strings.HasPrefix(p, "/") {
		return path.Clean(p)
	}
	return path.Clean(path.Join("/", dir, p))
}

// Stat reports one virtual path.
func (f *FS) Stat(p string) (*FileInfo, error) {
	n, err := f.resolve(p)
	if err != nil {
		return nil, err
	}
	switch n.kind {
	case kindContainers, kindVirtual:
		return f.virtualDir(baseName(n.virtual)), nil
	}
	if !f.allowStat(n) {
		return nil, ErrDenied
	}
	if f.objects != nil {
		return f.s3Stat(n)
	}
	root, err := f.root(n.container, false)
	if err != nil {
		return nil, err
	}
	fi, err := root.Lstat(n.key)
	if err != nil {
		return nil, mapErr(err)
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return nil, ErrDenied
	}
	if n.fileOnly && fi.IsDir() {
		return nil, ErrNotFound
	}
	return f.info(baseName(n.virtual), fi), nil
}

// ReadDir lists a virtual folder, in ascending order of name. Symbolic
// links are not listed.
func (f *FS) ReadDir(p string) ([]*FileInfo, error) {
	n, err := f.resolve(p)
	if err != nil {
		return nil, err
	}
	switch n.kind {
	case kindContainers:
		if !f.allow("s3:ListAllMyBuckets", arnS3+"*", nil) {
			return nil, ErrDenied
		}
		names, err := f.containers()
		if err != nil {
			return nil, mapErr(err)
		}
		out := make([]*FileInfo, 0, len(names))
		for _, name := range names {
			out = append(out, f.virtualDir(name))
		}
		return out, nil
	case kindVirtual:
		seen := map[string]bool{}
		var out []*FileInfo
		prefix := strings.TrimSuffix(n.virtual, "/") + "/"
		for _, m := range f.mappings {
			if !strings.HasPrefix(m.Entry, prefix) {
				continue
			}
			child, _, _ := strings.Cut(m.Entry[len(prefix):], "/")
			if child == "" || seen[child] {
				continue
			}
			seen[child] = true
			if fi, err := f.Stat(prefix + child); err == nil {
				out = append(out, fi)
			} else if errors.Is(err, os.ErrNotExist) && m.Type == "DIRECTORY" {
				out = append(out, f.virtualDir(child))
			}
		}
		sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
		return out, nil
	}
	if !f.allowListDir(n) {
		return nil, ErrDenied
	}
	if f.objects != nil {
		return f.s3ReadDir(n)
	}
	root, err := f.root(n.container, false)
	if err != nil {
		return nil, err
	}
	if st, err := root.Lstat(n.key); err != nil {
		return nil, mapErr(err)
	} else if !st.IsDir() {
		return nil, ErrNotDir
	}
	entries, err := root.ReadDir(n.key)
	if err != nil {
		return nil, mapErr(err)
	}
	out := make([]*FileInfo, 0, len(entries))
	for _, e := range entries {
		if !e.Mode().IsDir() && !e.Mode().IsRegular() {
			continue // links, pipes, devices and sockets are not listed
		}
		out = append(out, f.info(e.Name(), e))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

// real resolves p to a real node, refusing virtual folders with err.
func (f *FS) real(p string, virtualErr error) (node, error) {
	n, err := f.resolve(p)
	if err != nil {
		return n, err
	}
	if n.kind != kindReal {
		return n, virtualErr
	}
	if n.key == "" && virtualErr == ErrReadOnly {
		// A bucket or file system root cannot be written, removed or renamed.
		return n, ErrReadOnly
	}
	return n, nil
}

// OpenFlags say how a file is opened.
type OpenFlags struct {
	Read, Write, Create, Truncate, Exclusive, Append bool
}

// Open opens a file for reading and/or writing.
func (f *FS) Open(p string, fl OpenFlags) (*File, error) {
	n, err := f.real(p, ErrIsDir)
	if err != nil {
		return nil, err
	}
	if n.key == "" {
		return nil, ErrIsDir
	}
	write := fl.Write || fl.Append || fl.Create || fl.Truncate
	if write && !f.allowObject("s3:PutObject", n) {
		return nil, ErrDenied
	}
	if (fl.Read || !write) && !f.allowObject("s3:GetObject", n) {
		return nil, ErrDenied
	}
	if f.objects != nil {
		return f.s3Open(n, fl, write)
	}
	root, err := f.root(n.container, write)
	if err != nil {
		return nil, err
	}
	flag := os.O_RDONLY
	switch {
	case write && (fl.Read):
		flag = os.O_RDWR
	case write:
		flag = os.O_WRONLY
	}
	if fl.Create {
		flag |= os.O_CREATE
	}
	if fl.Exclusive {
		flag |= os.O_EXCL
	}
	if fl.Append {
		flag |= os.O_APPEND
	}
	if write && f.cfg.Domain == files.S3 {
		// S3 has no folders to create first: a key's prefixes exist as soon
		// as the key does.
		if dir := path.Dir(n.key); dir != "." {
			if err := root.MkdirAll(dir, 0o755); err != nil {
				return nil, mapErr(err)
			}
		}
	}
	// O_NONBLOCK: a named pipe planted on the host must not block the
	// session (it is refused below; regular files ignore the flag).
	file, err := root.OpenFile(n.key, flag|nonBlock, 0o644)
	if err != nil {
		return nil, mapErr(err)
	}
	if err := checkOpened(file, write); err != nil {
		file.Close()
		return nil, err
	}
	if fl.Truncate {
		// Truncated only now: a file with several hard links is refused
		// before anything changes.
		if err := file.Truncate(0); err != nil {
			file.Close()
			return nil, mapErr(err)
		}
	}
	return &File{body: file, fs: f, n: n, name: n.virtual, write: write}, nil
}

// checkOpened refuses what the session may not use: a folder, anything but
// a regular file, and, for writing, a file with several hard links (a
// link planted on the host would change another file in place).
func checkOpened(file *os.File, write bool) error {
	st, err := file.Stat()
	if err != nil {
		return mapErr(err)
	}
	if st.IsDir() {
		return ErrIsDir
	}
	if !st.Mode().IsRegular() {
		return ErrDenied
	}
	if write && beneath.Links(st) > 1 {
		return ErrHardLink
	}
	return nil
}

// Mkdir creates a folder. Its parent must exist.
func (f *FS) Mkdir(p string) error {
	n, err := f.real(p, ErrReadOnly)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return ErrReadOnly
		}
		return err
	}
	if !f.allow("s3:PutObject", arnS3+n.container+"/"+n.key+"/", nil) {
		return ErrDenied
	}
	if f.objects != nil {
		return f.done(FileOp{Op: OpMkdir, Path: n.virtual}, f.s3Mkdir(n))
	}
	root, err := f.root(n.container, true)
	if err != nil {
		return err
	}
	return f.done(FileOp{Op: OpMkdir, Path: n.virtual}, mapErr(root.Mkdir(n.key, 0o755)))
}

// Remove deletes a file. A mapping's target cannot be removed.
func (f *FS) Remove(p string) error {
	n, err := f.real(p, ErrReadOnly)
	if err != nil {
		return err
	}
	if f.holdsTarget(n) {
		return ErrMapped
	}
	if !f.allowObject("s3:DeleteObject", n) {
		return ErrDenied
	}
	if f.objects != nil {
		return f.done(FileOp{Op: OpRemove, Path: n.virtual}, f.s3Remove(n))
	}
	root, err := f.root(n.container, false)
	if err != nil {
		return err
	}
	fi, err := root.Lstat(n.key)
	if err != nil {
		return mapErr(err)
	}
	if fi.IsDir() {
		return ErrIsDir
	}
	if !fi.Mode().IsRegular() {
		return ErrDenied // a link planted on the host is left alone
	}
	return f.done(FileOp{Op: OpRemove, Path: n.virtual}, mapErr(root.Remove(n.key)))
}

// Rmdir deletes an empty folder. A mapping's target, or a folder holding
// one, cannot be removed.
func (f *FS) Rmdir(p string) error {
	n, err := f.real(p, ErrReadOnly)
	if err != nil {
		return err
	}
	if f.holdsTarget(n) {
		return ErrMapped
	}
	if !f.allow("s3:DeleteObject", arnS3+n.container+"/"+n.key+"/", nil) {
		return ErrDenied
	}
	if f.objects != nil {
		return f.done(FileOp{Op: OpRmdir, Path: n.virtual}, f.s3Rmdir(n))
	}
	root, err := f.root(n.container, false)
	if err != nil {
		return err
	}
	fi, err := root.Lstat(n.key)
	if err != nil {
		return mapErr(err)
	}
	if !fi.IsDir() {
		return ErrNotDir
	}
	if n.fileOnly {
		return ErrNotDir
	}
	return f.done(FileOp{Op: OpRmdir, Path: n.virtual}, mapErr(root.Remove(n.key)))
}

// Rename moves a file or folder. With overwrite an existing target file is
// replaced (posix-rename); without, an existing target is refused (SFTP v3
// RENAME). On S3 a folder cannot be renamed (S3 has no folders: the rename
// would be a copy and a delete of every key below it); on EFS it can. A
// rename from or to a mapping's target, or a folder holding one, is
// refused, so no mapping's target moves under another mapping.
func (f *FS) Rename(from, to string, overwrite bool) error {
	src, err := f.real(from, ErrReadOnly)
	if err != nil {
		return err
	}
	dst, err := f.real(to, ErrReadOnly)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return ErrReadOnly
		}
		return err
	}
	if f.holdsTarget(src) || f.holdsTarget(dst) {
		return ErrMapped
	}
	if f.objects != nil {
		return f.s3Rename(src, dst, overwrite)
	}
	sroot, err := f.root(src.container, false)
	if err != nil {
		return err
	}
	fi, err := sroot.Lstat(src.key)
	if err != nil {
		return mapErr(err)
	}
	if !fi.IsDir() && !fi.Mode().IsRegular() {
		return ErrDenied
	}
	if fi.IsDir() && f.cfg.Domain == files.S3 {
		return ErrFolderRename
	}
	srcKey, dstKey := src.key, dst.key
	if fi.IsDir() {
		srcKey, dstKey = srcKey+"/", dstKey+"/"
	}
	// S3 renames are a copy and a delete.
	if !f.allow("s3:GetObject", arnS3+src.container+"/"+srcKey, nil) ||
		!f.allow("s3:DeleteObject", arnS3+src.container+"/"+srcKey, nil) ||
		!f.allow("s3:PutObject", arnS3+dst.container+"/"+dstKey, nil) {
		return ErrDenied
	}
	droot, err := f.root(dst.container, true)
	if err != nil {
		return err
	}
	if dfi, err := droot.Lstat(dst.key); err == nil {
		if !dfi.IsDir() && !dfi.Mode().IsRegular() {
			return ErrDenied // a link planted on the host is left alone
		}
		if !overwrite || dfi.IsDir() || fi.IsDir() {
			return ErrExists
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return mapErr(err)
	}
	return f.done(FileOp{Op: OpRename, Path: src.virtual, To: dst.virtual}, mapErr(sroot.Rename(src.key, droot, dst.key)))
}

// holdsTarget reports whether n is the target of one of the session's
// mappings, or a folder holding one.
func (f *FS) holdsTarget(n node) bool {
	for _, m := range f.mappings {
		c, key, err := files.Split(m.Target)
		if err != nil || c != n.container {
			continue
		}
		if n.key == "" || n.key == key || strings.HasPrefix(key, n.key+"/") {
			return true
		}
	}
	return false
}

// SetStat changes a file's mode, size or times where the server allows it.
type SetStat struct {
	Mode  *fs.FileMode
	Size  *int64
	Atime *time.Time
	Mtime *time.Time
}

// Setstat applies attributes: a no-op with SetStatNoOp; refused on S3
// otherwise (AWS: SETSTAT fails on S3 unless SetStatOption is
// ENABLE_NO_OP), except a size change, which is a truncate and needs
// PutObject; applied on EFS.
func (f *FS) Setstat(p string, st SetStat) error {
	n, err := f.real(p, ErrReadOnly)
	if err != nil {
		return err
	}
	if f.cfg.SetStatNoOp {
		_, err := f.Stat(p)
		return err
	}
	if f.objects != nil {
		return f.s3Setstat(n, st)
	}
	root, err := f.root(n.container, false)
	if err != nil {
		return err
	}
	if st.Size != nil {
		if !f.allowObject("s3:PutObject", n) {
			return ErrDenied
		}
		file, err := root.OpenFile(n.key, os.O_WRONLY|nonBlock, 0)
		if err != nil {
			return mapErr(err)
		}
		if err := checkOpened(file, true); err != nil {
			file.Close()
			return err
		}
		err = file.Truncate(*st.Size)
		file.Close()
		if err != nil {
			return mapErr(err)
		}
	}
	if st.Mode == nil && st.Mtime == nil && st.Atime == nil {
		return nil
	}
	if f.cfg.Domain == files.S3 {
		return ErrNoSetStat
	}
	fi, err := root.Lstat(n.key)
	if err != nil {
		return mapErr(err)
	}
	if !fi.IsDir() && !fi.Mode().IsRegular() {
		return ErrDenied
	}
	if !fi.IsDir() && fi.Links > 1 {
		return ErrHardLink
	}
	if st.Mode != nil {
		if err := root.Chmod(n.key, *st.Mode&fs.ModePerm); err != nil {
			return mapErr(err)
		}
	}
	if st.Mtime != nil || st.Atime != nil {
		at, mt := fi.ModTime(), fi.ModTime()
		if st.Atime != nil {
			at = *st.Atime
		}
		if st.Mtime != nil {
			mt = *st.Mtime
		}
		if err := root.Chtimes(n.key, at, mt); err != nil {
			return mapErr(err)
		}
	}
	return nil
}
