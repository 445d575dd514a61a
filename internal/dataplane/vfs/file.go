package vfs

import (
	"io"
	"os"
	"sync"
	"sync/atomic"
)

// fileBody is what a File reads and writes: an *os.File on EFS, the spool
// file of an S3 upload, or an object being read (objectReader).
type fileBody interface {
	io.Reader
	io.ReaderAt
	io.Writer
	io.WriterAt
	io.Seeker
	io.Closer
	Stat() (os.FileInfo, error)
	Truncate(size int64) error
	Sync() error
}

// File is an open file of a session.
type File struct {
	body  fileBody
	fs    *FS
	n     node
	name  string
	write bool
	// upload is an S3 upload: body is its spool file, stored on Close.
	upload   bool
	failed   atomic.Bool
	once     sync.Once
	closeErr error
	// read and written count the bytes moved through the file.
	read, written atomic.Int64
}

// Name is the file's virtual path.
func (h *File) Name() string { return h.name }

// Stat reports the open file with the session's owner.
func (h *File) Stat() (os.FileInfo, error) {
	fi, err := h.body.Stat()
	if err != nil {
		return nil, mapErr(err)
	}
	return h.fs.info(baseName(h.n.virtual), fi), nil
}

// Seek sets the offset of the next Read or Write.
func (h *File) Seek(offset int64, whence int) (int64, error) { return h.body.Seek(offset, whence) }

// Truncate changes the file's size.
func (h *File) Truncate(size int64) error { return mapErr(h.body.Truncate(size)) }

// Sync flushes the file (an S3 upload is stored only when closed).
func (h *File) Sync() error { return mapErr(h.body.Sync()) }

// WriteString writes s.
func (h *File) WriteString(s string) (int, error) { return h.Write([]byte(s)) }

// Readdir is refused: a File is never a folder.
func (h *File) Readdir(int) ([]os.FileInfo, error) { return nil, ErrNotDir }

// Readdirnames is refused: a File is never a folder.
func (h *File) Readdirnames(int) ([]string, error) { return nil, ErrNotDir }

// TransferError marks the transfer as interrupted (the SFTP and FTP servers
// call it when a session ends mid-transfer): Close then reports a partial
// upload.
func (h *File) TransferError(error) { h.failed.Store(true) }

// Close closes the file; a file opened for writing reports an upload. An
// S3 upload is stored now, whole (a partial upload too, as what was
// received): until then the object is not changed.
func (h *File) Close() error {
	h.once.Do(func() {
		var size int64 = -1
		if h.write {
			if st, err := h.body.Stat(); err == nil {
				size = st.Size()
			}
		}
		if h.upload {
			h.closeErr = h.fs.s3Store(h.n, h.body.(*os.File))
		} else {
			h.closeErr = h.body.Close()
		}
		if h.fs.cfg.OnOp != nil {
			op := FileOp{Op: OpRead, Path: h.n.virtual, Bytes: h.read.Load()}
			if h.write {
				op.Op, op.Bytes = OpWrite, h.written.Load()
			}
			h.fs.cfg.OnOp(op)
		}
		if h.write && h.closeErr == nil && h.fs.cfg.OnUpload != nil {
			h.fs.cfg.OnUpload(Upload{Path: h.n.virtual, Container: h.n.container, Key: h.n.key, Size: size, Partial: h.failed.Load()})
		}
	})
	return h.closeErr
}
