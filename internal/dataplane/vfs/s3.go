package vfs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/ersatz-dev/ersatz/internal/objectstore"
)

// The S3 domain over the object store. S3 has no folders: a folder is a
// prefix. A path is a folder when a key lies below it ("dir/..."), when
// its zero-byte marker object "dir/" exists (what MKDIR creates, and what
// keeps a folder that holds nothing), or when it is the session's home
// directory or a mapping's target folder or lies above one (anchored). A
// file is an object.

// s3Err turns an object store error into one of the package's errors,
// without leaking the store's wording to the client.
func s3Err(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, objectstore.ErrNoSuchKey), errors.Is(err, objectstore.ErrNoSuchBucket):
		return ErrNotFound
	case errors.Is(err, objectstore.ErrInvalidBucketName), errors.Is(err, objectstore.ErrKeyTooLong),
		errors.Is(err, objectstore.ErrInvalidKey):
		return ErrBadPath
	case errors.Is(err, objectstore.ErrBucketExists):
		return ErrDenied
	case errors.Is(err, objectstore.ErrTooLarge):
		return fmt.Errorf("the file is too large for the object store: %w", os.ErrInvalid)
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrDenied), errors.Is(err, ErrBadPath),
		errors.Is(err, ErrNotDir), errors.Is(err, ErrIsDir), errors.Is(err, ErrNotEmpty), errors.Is(err, ErrExists):
		return err
	}
	return errors.New("operation failed")
}

// readCtx is the context of calls that need no ETag.
func (f *FS) readCtx() context.Context { return objectstore.WithoutETag(f.ctx) }

// containers lists the buckets (S3) or file systems (EFS).
func (f *FS) containers() ([]string, error) {
	if f.objects == nil {
		return f.cfg.Files.Containers(f.cfg.Domain)
	}
	bs, err := f.objects.ListBuckets(f.ctx)
	if err != nil {
		return nil, s3Err(err)
	}
	out := make([]string, 0, len(bs))
	for _, b := range bs {
		out = append(out, b.Name)
	}
	return out, nil
}

// bucket checks that a bucket exists; with create, a missing one is made
// (owned by no account, as a home directory's bucket is made on first use).
func (f *FS) bucket(name string, create bool) error {
	if _, ok := f.buckets.Load(name); ok {
		return nil
	}
	var err error
	if create {
		err = objectstore.EnsureBucket(f.ctx, f.objects, name)
	} else {
		_, err = f.objects.HeadBucket(f.ctx, name)
	}
	if err != nil {
		return s3Err(err)
	}
	f.buckets.Store(name, true)
	return nil
}

// s3Prepare makes sure the bucket of a home directory or mapping target
// exists (made on first use); the folder itself is shown whether or not a
// key lies below it (anchored), and no object is written for it.
func (f *FS) s3Prepare(container, key string) {
	if f.bucket(container, true) == nil {
		f.anchors = append(f.anchors, node{container: container, key: key})
	}
}

// anchored reports whether key is a folder the session always shows: its
// home directory or a DIRECTORY mapping's target, or a folder above one.
// S3 shows a prefix that has no object yet; nothing is written for it.
func (f *FS) anchored(container, key string) bool {
	for _, a := range f.anchors {
		if a.container == container && (a.key == key || strings.HasPrefix(a.key, key+"/")) {
			return true
		}
	}
	return false
}

func (f *FS) putMarker(container, key string) error {
	_, err := f.objects.Put(f.ctx, container, key+"/", strings.NewReader(""), objectstore.PutOptions{Size: 0})
	return s3Err(err)
}

func (f *FS) objectInfo(name string, o objectstore.ObjectInfo) *FileInfo {
	return f.info(name, &FileInfo{name: name, size: o.Size, mode: 0o644, modTime: o.LastModified})
}

func (f *FS) folderInfo(name string, mtime time.Time) *FileInfo {
	return f.info(name, &FileInfo{name: name, mode: fs.ModeDir | 0o755, modTime: mtime})
}

// dirState tells whether key is a folder: a key below it or its marker.
func (f *FS) dirState(container, key string) (isDir bool, mtime time.Time, err error) {
	prefix := key + "/"
	res, err := f.objects.List(f.readCtx(), container, objectstore.ListQuery{Prefix: prefix, Delimiter: "/", Limit: 1})
	if err != nil {
		return false, time.Time{}, s3Err(err)
	}
	if len(res.Objects) > 0 && res.Objects[0].Key == prefix {
		return true, res.Objects[0].LastModified, nil
	}
	return len(res.Objects) > 0 || len(res.CommonPrefixes) > 0, time.Time{}, nil
}

// s3Stat reports a bucket root, an object or a folder.
func (f *FS) s3Stat(n node) (*FileInfo, error) {
	name := baseName(n.virtual)
	if err := f.bucket(n.container, false); err != nil {
		return nil, err
	}
	if n.key == "" {
		return f.folderInfo(name, time.Time{}), nil
	}
	o, err := f.objects.Head(f.readCtx(), n.container, n.key)
	if err == nil {
		return f.objectInfo(name, o), nil
	}
	if !errors.Is(err, objectstore.ErrNoSuchKey) {
		return nil, s3Err(err)
	}
	if n.fileOnly {
		return nil, ErrNotFound
	}
	isDir, mtime, err := f.dirState(n.container, n.key)
	if err != nil {
		return nil, err
	}
	if !isDir && !f.anchored(n.container, n.key) {
		return nil, ErrNotFound
	}
	return f.folderInfo(name, mtime), nil
}

// s3ReadDir lists a folder: its objects and its sub-folders (the common
// prefixes of a list with delimiter "/"), every page. A name that is no
// path component ("", ".", "..") is not listed; a name that is both an
// object and a prefix is listed twice, file first, as S3 holds both.
func (f *FS) s3ReadDir(n node) ([]*FileInfo, error) {
	st, err := f.s3Stat(n)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return nil, ErrNotDir
	}
	prefix := ""
	if n.key != "" {
		prefix = n.key + "/"
	}
	var out []*FileInfo
	q := objectstore.ListQuery{Prefix: prefix, Delimiter: "/"}
	for {
		res, err := f.objects.List(f.readCtx(), n.container, q)
		if err != nil {
			return nil, s3Err(err)
		}
		for _, o := range res.Objects {
			if name := o.Key[len(prefix):]; component(name) {
				out = append(out, f.objectInfo(name, o))
			}
		}
		for _, p := range res.CommonPrefixes {
			if name := strings.TrimSuffix(p[len(prefix):], "/"); component(name) {
				out = append(out, f.folderInfo(name, time.Time{}))
			}
		}
		if !res.Truncated || res.Next == "" || res.Next <= q.After {
			break
		}
		q.After = res.Next
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].name != out[j].name {
			return out[i].name < out[j].name
		}
		return !out[i].IsDir() && out[j].IsDir()
	})
	return out, nil
}

func component(name string) bool {
	return name != "" && name != "." && name != ".." && !strings.Contains(name, "/")
}

// s3Open opens an object for reading, or starts an upload: a spool file
// holding the object's content unless truncated, stored on Close.
func (f *FS) s3Open(n node, fl OpenFlags, write bool) (*File, error) {
	if !write {
		if err := f.bucket(n.container, false); err != nil {
			return nil, err
		}
		r, err := f.openObject(n)
		if err != nil {
			return nil, err
		}
		return &File{body: r, fs: f, n: n, name: n.virtual}, nil
	}
	if err := f.bucket(n.container, true); err != nil {
		return nil, err
	}
	st, err := f.s3Stat(n)
	exists := err == nil
	switch {
	case err != nil && !errors.Is(err, ErrNotFound):
		return nil, err
	case exists && st.IsDir():
		return nil, ErrIsDir
	case exists && fl.Exclusive && fl.Create:
		return nil, ErrExists
	case !exists && !fl.Create:
		return nil, ErrNotFound
	}
	spool, err := f.spool()
	if err != nil {
		return nil, err
	}
	if exists && !fl.Truncate {
		if err := f.fill(spool, n); err != nil {
			discard(spool)
			return nil, err
		}
		if !fl.Append {
			if _, err := spool.Seek(0, 0); err != nil {
				discard(spool)
				return nil, mapErr(err)
			}
		}
	}
	return &File{body: spool, fs: f, n: n, name: n.virtual, write: true, upload: true}, nil
}

// s3Mkdir creates a folder's marker. Its parent must exist and the path
// must be free.
func (f *FS) s3Mkdir(n node) error {
	if err := f.bucket(n.container, true); err != nil {
		return err
	}
	if _, err := f.s3Stat(n); err == nil {
		return ErrExists
	} else if !errors.Is(err, ErrNotFound) {
		return err
	}
	if dir := path.Dir(n.key); dir != "." {
		st, err := f.s3Stat(node{container: n.container, key: dir, virtual: path.Dir(n.virtual)})
		if err != nil {
			return err
		}
		if !st.IsDir() {
			return ErrNotDir
		}
	}
	return f.putMarker(n.container, n.key)
}

// keepParent runs del, which removes a key, and keeps the folder above it
// when that folder had a marker: a store that drops a folder with its last
// key (the local backend's folders) gets the marker back, so removing a
// folder's last file or sub-folder leaves the folder, as MKDIR made it.
func (f *FS) keepParent(container, key string, del func() error) error {
	dir := path.Dir(key)
	if dir == "." {
		return del()
	}
	_, herr := f.objects.Head(f.readCtx(), container, dir+"/")
	if err := del(); err != nil {
		return err
	}
	if herr != nil {
		return nil
	}
	if _, err := f.objects.Head(f.readCtx(), container, dir+"/"); errors.Is(err, objectstore.ErrNoSuchKey) {
		return f.putMarker(container, dir)
	}
	return nil
}

// s3Remove deletes an object.
func (f *FS) s3Remove(n node) error {
	if err := f.bucket(n.container, false); err != nil {
		return err
	}
	st, err := f.s3Stat(n)
	if err != nil {
		return err
	}
	if st.IsDir() {
		return ErrIsDir
	}
	return f.keepParent(n.container, n.key, func() error {
		return s3Err(f.objects.Delete(f.ctx, n.container, n.key))
	})
}

// s3Rmdir deletes a folder's marker when nothing else lies below it.
func (f *FS) s3Rmdir(n node) error {
	if err := f.bucket(n.container, false); err != nil {
		return err
	}
	if n.fileOnly {
		return ErrNotDir
	}
	st, err := f.s3Stat(n)
	if err != nil {
		return err
	}
	if !st.IsDir() {
		return ErrNotDir
	}
	prefix := n.key + "/"
	res, err := f.objects.List(f.readCtx(), n.container, objectstore.ListQuery{Prefix: prefix, Limit: 2})
	if err != nil {
		return s3Err(err)
	}
	for _, o := range res.Objects {
		if o.Key != prefix {
			return ErrNotEmpty
		}
	}
	return f.keepParent(n.container, n.key, func() error {
		return s3Err(f.objects.Delete(f.ctx, n.container, prefix))
	})
}

// s3Rename moves an object: a copy and a delete (S3 has no rename). A
// folder is not renamed (ErrFolderRename).
func (f *FS) s3Rename(src, dst node, overwrite bool) error {
	if err := f.bucket(src.container, false); err != nil {
		return err
	}
	st, err := f.s3Stat(src)
	if err != nil {
		return err
	}
	if st.IsDir() {
		return ErrFolderRename
	}
	if !f.allow("s3:GetObject", arnS3+src.container+"/"+src.key, nil) ||
		!f.allow("s3:DeleteObject", arnS3+src.container+"/"+src.key, nil) ||
		!f.allow("s3:PutObject", arnS3+dst.container+"/"+dst.key, nil) {
		return ErrDenied
	}
	if err := f.bucket(dst.container, true); err != nil {
		return err
	}
	if dt, err := f.s3Stat(dst); err == nil {
		if !overwrite || dt.IsDir() {
			return ErrExists
		}
	} else if !errors.Is(err, ErrNotFound) {
		return err
	}
	op := FileOp{Op: OpRename, Path: src.virtual, To: dst.virtual}
	if src.container == dst.container && src.key == dst.key {
		return f.done(op, nil)
	}
	if _, err := f.objects.Copy(f.ctx, src.container, src.key, dst.container, dst.key, nil); err != nil {
		return s3Err(err)
	}
	return f.done(op, f.keepParent(src.container, src.key, func() error {
		return s3Err(f.objects.Delete(f.ctx, src.container, src.key))
	}))
}

// s3Setstat truncates an object to a size (a new object of that size);
// mode and times cannot be set on S3.
func (f *FS) s3Setstat(n node, st SetStat) error {
	if err := f.bucket(n.container, false); err != nil {
		return err
	}
	info, err := f.s3Stat(n)
	if err != nil {
		return err
	}
	if st.Size != nil {
		if !f.allowObject("s3:PutObject", n) {
			return ErrDenied
		}
		if info.IsDir() {
			return ErrIsDir
		}
		if *st.Size < 0 {
			return ErrBadPath
		}
		spool, err := f.spool()
		if err != nil {
			return err
		}
		if err := f.fill(spool, n); err != nil {
			discard(spool)
			return err
		}
		if err := spool.Truncate(*st.Size); err != nil {
			discard(spool)
			return mapErr(err)
		}
		if err := f.s3Store(n, spool); err != nil {
			return err
		}
	}
	if st.Mode == nil && st.Mtime == nil && st.Atime == nil {
		return nil
	}
	return ErrNoSetStat
}
