package vfs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"sync"

	"github.com/ersatz-dev/ersatz/internal/objectstore"
)

// --- uploads: a spool file stored on Close ------------------------------

// SpoolPrefix starts the name of every spool file.
const SpoolPrefix = "upload-"

// spool creates an empty spool file: SFTP clients write at offsets, in
// any order and from several requests at once, which a local file takes
// as it comes.
func (f *FS) spool() (*os.File, error) {
	if err := os.MkdirAll(f.cfg.SpoolDir, 0o700); err != nil {
		return nil, mapErr(err)
	}
	file, err := os.CreateTemp(f.cfg.SpoolDir, SpoolPrefix+"*")
	if err != nil {
		return nil, mapErr(err)
	}
	return file, nil
}

// discard closes and removes a spool file.
func discard(spool *os.File) {
	_ = spool.Close()
	_ = os.Remove(spool.Name())
}

// fill copies an object's content into a spool file (an upload that
// starts from it: no truncate, an append, a resume, a size change).
func (f *FS) fill(spool *os.File, n node) error {
	obj, err := f.objects.Get(f.readCtx(), n.container, n.key, nil)
	if err != nil {
		return s3Err(err)
	}
	defer obj.Body.Close()
	if _, err := io.Copy(spool, obj.Body); err != nil {
		return fmt.Errorf("read %s: %w", n.virtual, errors.New("operation failed"))
	}
	return nil
}

// s3Store stores a spool file as n's object and removes it: moved into
// place by a store that keeps local files (objectstore.FilePutter),
// otherwise copied with its size announced, in one PutObject or, above
// MultipartAbove bytes, a multipart upload of MinPartSize parts (or larger
// ones when that would make over MaxPartNumber parts).
func (f *FS) s3Store(n node, spool *os.File) error {
	defer discard(spool)
	if fp, ok := f.objects.(objectstore.FilePutter); ok {
		_, err := fp.PutFile(f.ctx, n.container, n.key, spool, objectstore.PutOptions{Size: -1})
		return s3Err(err)
	}
	st, err := spool.Stat()
	if err != nil {
		return mapErr(err)
	}
	_, err = objectstore.PutSized(f.ctx, f.objects, n.container, n.key, io.NewSectionReader(spool, 0, st.Size()),
		objectstore.PutOptions{Size: st.Size()},
		objectstore.PutLimits{MultipartAbove: f.cfg.MultipartAbove, PartSize: objectstore.MinPartSize})
	return s3Err(err)
}

// --- downloads: ranged reads of the object ------------------------------

// errReadOnly is a write to a file opened for reading.
var errReadOnly = fmt.Errorf("file not open for writing: %w", os.ErrPermission)

// SFTP clients keep many reads in flight (OpenSSH: 64 of 32 KiB), which
// reach the file a little out of order. Over an open body, reads are served
// from a window of the bytes last received: a read up to readBehind bytes
// behind the body's position is answered from it, one up to readAhead
// bytes ahead continues the body (keeping what it passes), and only a read
// farther away reopens the body with a ranged Get. A file holds at most
// 2*readBehind + readAhead bytes.
const (
	readBehind = 2 << 20
	readAhead  = 2 << 20
)

// objectReader reads an object: through the body's ReadAt when it has one
// (the local backend's files), otherwise through one open body continued
// while reads follow each other, and reopened at a new offset (a ranged
// Get) when they do not.
type objectReader struct {
	fs   *FS
	n    node
	info objectstore.ObjectInfo

	mu   sync.Mutex
	at   io.ReaderAt   // the whole object, when the body reads at offsets (set once)
	body io.ReadCloser // the open body, at winStart+len(win)
	// win holds the bytes of the object from winStart that the body has
	// given last.
	win      []byte
	winStart int64
	off      int64 // the offset of Read and Seek
}

// openObject opens n's object; a folder is ErrIsDir.
func (f *FS) openObject(n node) (*objectReader, error) {
	obj, err := f.objects.Get(f.readCtx(), n.container, n.key, nil)
	if errors.Is(err, objectstore.ErrNoSuchKey) {
		if st, serr := f.s3Stat(n); serr == nil && st.IsDir() {
			return nil, ErrIsDir
		}
	}
	if err != nil {
		return nil, s3Err(err)
	}
	r := &objectReader{fs: f, n: n, info: obj.ObjectInfo, body: obj.Body}
	if at, ok := obj.Body.(io.ReaderAt); ok && obj.Range == nil {
		r.at = at
	}
	return r, nil
}

func (r *objectReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, ErrBadPath
	}
	if r.at != nil {
		n, err := r.at.ReadAt(p, off)
		if err != nil && err != io.EOF {
			err = errors.New("read failed")
		}
		return n, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.readAt(p, off)
}

func (r *objectReader) readAt(p []byte, off int64) (int, error) {
	size := r.info.Size
	if off >= size {
		return 0, io.EOF
	}
	want := int64(len(p))
	if want > size-off {
		want = size - off
	}
	pos := r.winStart + int64(len(r.win))
	if r.body == nil || off < r.winStart || off > pos+readAhead {
		r.drop()
		obj, err := r.fs.objects.Get(r.fs.readCtx(), r.n.container, r.n.key, &objectstore.RangeRequest{Start: off, End: -1})
		if err != nil {
			return 0, s3Err(err)
		}
		r.body, r.win, r.winStart, pos = obj.Body, r.win[:0], off, off
	}
	if end := off + want; end > pos {
		have := len(r.win)
		r.win = slices.Grow(r.win, int(end-pos))[:have+int(end-pos)]
		if _, err := io.ReadFull(r.body, r.win[have:]); err != nil {
			r.drop()
			return 0, errors.New("read failed: the object changed while it was read")
		}
	}
	n := copy(p[:want], r.win[off-r.winStart:])
	// Forget what lies more than readBehind behind the position, in steps
	// of readBehind, so each byte is moved at most once.
	if len(r.win) > 2*readBehind {
		cut := len(r.win) - readBehind
		r.win = r.win[:copy(r.win, r.win[cut:])]
		r.winStart += int64(cut)
	}
	if want < int64(len(p)) {
		return n, io.EOF
	}
	return n, nil
}

func (r *objectReader) drop() {
	if r.body != nil {
		_ = r.body.Close()
		r.body = nil
	}
	r.win, r.winStart = r.win[:0], 0
}

func (r *objectReader) Read(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var n int
	var err error
	if r.at != nil {
		if r.off >= r.info.Size {
			return 0, io.EOF
		}
		n, err = r.at.ReadAt(p, r.off)
		if err == io.EOF && n > 0 {
			err = nil
		}
	} else {
		n, err = r.readAt(p, r.off)
		if err == io.EOF && n > 0 {
			err = nil
		}
	}
	r.off += int64(n)
	return n, err
}

func (r *objectReader) Seek(offset int64, whence int) (int64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch whence {
	case io.SeekCurrent:
		offset += r.off
	case io.SeekEnd:
		offset += r.info.Size
	}
	if offset < 0 {
		return 0, ErrBadPath
	}
	r.off = offset
	return offset, nil
}

// Close closes the open body (with a ReaderAt body, the one it reads: a
// read still in flight then fails, and at is never changed, so reads at
// offsets need no lock).
func (r *objectReader) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.drop()
	return nil
}

func (r *objectReader) Stat() (os.FileInfo, error) {
	return &FileInfo{name: baseName(r.n.virtual), size: r.info.Size, mode: 0o644, modTime: r.info.LastModified}, nil
}

func (r *objectReader) Write([]byte) (int, error)          { return 0, errReadOnly }
func (r *objectReader) WriteAt([]byte, int64) (int, error) { return 0, errReadOnly }
func (r *objectReader) Truncate(int64) error               { return errReadOnly }
func (r *objectReader) Sync() error                        { return nil }

var _ fs.FileInfo = (*FileInfo)(nil)
