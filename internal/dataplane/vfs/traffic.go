package vfs

import (
	"io"
	"sync/atomic"
)

// Traffic counts the bytes sessions move through their files: In is what
// clients wrote (uploads), Out what they read (downloads).
type Traffic struct {
	In, Out atomic.Int64
}

// Operations of FileOp.
const (
	OpRead   = "read"
	OpWrite  = "write"
	OpRemove = "remove"
	OpMkdir  = "mkdir"
	OpRmdir  = "rmdir"
	OpRename = "rename"
)

// FileOp is one operation of a session on its files.
type FileOp struct {
	Op   string // OpRead, OpWrite, ...
	Path string // the virtual path
	To   string // OpRename's new path
	// Bytes are the bytes read or written through an opened file.
	Bytes int64
}

// done tells OnOp of op when err is nil, and returns err.
func (f *FS) done(op FileOp, err error) error {
	if err == nil && f.cfg.OnOp != nil {
		f.cfg.OnOp(op)
	}
	return err
}

func (h *File) countRead(n int) {
	if n > 0 {
		h.read.Add(int64(n))
		if t := h.fs.cfg.Traffic; t != nil {
			t.Out.Add(int64(n))
		}
	}
}

func (h *File) countWrite(n int) {
	if n > 0 {
		h.written.Add(int64(n))
		if t := h.fs.cfg.Traffic; t != nil {
			t.In.Add(int64(n))
		}
	}
}

// Read reads from the file, counting the bytes.
func (h *File) Read(p []byte) (int, error) {
	n, err := h.body.Read(p)
	h.countRead(n)
	return n, err
}

// ReadAt reads from the file at off, counting the bytes.
func (h *File) ReadAt(p []byte, off int64) (int, error) {
	n, err := h.body.ReadAt(p, off)
	h.countRead(n)
	return n, err
}

// Write writes to the file, counting the bytes.
func (h *File) Write(p []byte) (int, error) {
	n, err := h.body.Write(p)
	h.countWrite(n)
	return n, err
}

// WriteAt writes to the file at off, counting the bytes.
func (h *File) WriteAt(p []byte, off int64) (int, error) {
	n, err := h.body.WriteAt(p, off)
	h.countWrite(n)
	return n, err
}

// ReadFrom copies r into the file through Write (so the bytes are
// counted; os.File's own ReadFrom would bypass it).
func (h *File) ReadFrom(r io.Reader) (int64, error) {
	return io.Copy(writerOnly{h}, r)
}

// WriteTo copies the file to w through Read.
func (h *File) WriteTo(w io.Writer) (int64, error) {
	return io.Copy(w, readerOnly{h})
}

type writerOnly struct{ io.Writer }

type readerOnly struct{ io.Reader }
