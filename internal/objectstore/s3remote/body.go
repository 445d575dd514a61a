package s3remote

import (
	"bytes"
	"context"
	"crypto/md5"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/ersatz-dev/ersatz/internal/objectstore"
)

// exactReader hands on exactly size bytes of r. It
// keeps the last byte back until it has seen r end right after it, so the
// remote never receives a whole body (and never stores it) when r turns
// out shorter or longer than announced, or fails.
type exactReader struct {
	ctx    context.Context
	r      io.Reader
	remain int64 // bytes still to hand on
	size   int64
	err    error // sticky
}

func newExactReader(ctx context.Context, r io.Reader, size int64) *exactReader {
	return &exactReader{ctx: ctx, r: r, remain: size, size: size}
}

func (e *exactReader) Read(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	if err := e.ctx.Err(); err != nil {
		e.err = err
		return 0, err
	}
	if len(p) == 0 {
		return 0, nil
	}
	switch {
	case e.remain == 0:
		if err := e.expectEnd(); err != nil {
			return 0, err
		}
		return 0, io.EOF
	case e.remain == 1:
		var b [1]byte
		if _, err := io.ReadFull(e.r, b[:]); err != nil {
			return 0, e.short(err)
		}
		if err := e.expectEnd(); err != nil {
			return 0, err
		}
		p[0] = b[0]
		e.remain = 0
		return 1, nil
	}
	n, err := e.r.Read(p[:min(int64(len(p)), e.remain-1)])
	e.remain -= int64(n)
	if err != nil {
		return n, e.short(err)
	}
	return n, nil
}

// short is the error of a body that stopped before its end.
func (e *exactReader) short(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		err = fmt.Errorf("%w: %d of %d bytes", objectstore.ErrIncompleteBody, e.size-e.remain, e.size)
	}
	e.err = err
	return err
}

// expectEnd checks that r has nothing after the announced size.
func (e *exactReader) expectEnd() error {
	var b [1]byte
	for {
		n, err := e.r.Read(b[:])
		if n > 0 {
			e.err = fmt.Errorf("%w: the body goes on after the announced %d bytes", objectstore.ErrIncompleteBody, e.size)
			return e.err
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			e.err = err
			return err
		}
	}
}

// spooled is a body of unknown size written to a temporary file.
type spooled struct {
	f    *os.File
	size int64
	md5  []byte
}

// spool copies body (at most limit bytes) into a temporary file of dir,
// checking opts.MD5; the caller closes the result, which removes the file.
func spool(ctx context.Context, dir string, body io.Reader, opts objectstore.PutOptions, limit int64) (*spooled, error) {
	f, err := os.CreateTemp(dir, "ersatz-s3remote-*")
	if err != nil {
		return nil, fmt.Errorf("s3remote: spool a body of unknown size: %w", err)
	}
	// Unlinked at once: nothing is left behind whatever happens next.
	_ = os.Remove(f.Name())
	h := md5.New()
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(objectstore.ContextReader{Ctx: ctx, R: body}, limit+1))
	sp := &spooled{f: f, size: n, md5: h.Sum(nil)}
	switch {
	case err != nil:
	case n > limit:
		err = fmt.Errorf("%w: at most %d bytes", objectstore.ErrTooLarge, limit)
	case opts.MD5 != nil && !bytes.Equal(sp.md5, opts.MD5):
		err = objectstore.ErrBadDigest
	}
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return sp, nil
}

func (s *spooled) Close() error { return s.f.Close() }
