package connector

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/ersatz-dev/ersatz/internal/objectstore"
	"github.com/ersatz-dev/ersatz/internal/service/transfer/autobucket"
)

// defaultPartSize is the part size of a retrieved file stored with a
// multipart upload, unless the file needs larger parts to fit in
// objectstore.MaxPartNumber of them.
const defaultPartSize = 64 << 20

// put streams body into a local object, creating its bucket when missing.
func (r *Runner) put(ctx context.Context, bucket, key string, body io.Reader, opts objectstore.PutOptions) error {
	if err := autobucket.Ensure(ctx, r.cfg.Objects, bucket); err != nil {
		return err
	}
	_, err := r.cfg.Objects.Put(ctx, bucket, key, body, opts)
	return err
}

// putSized streams size bytes of body into a local object: with one Put up
// to objectstore.MaxPutSize (S3's limit of one PutObject), with a multipart
// upload above it. Body must hold exactly size bytes; otherwise nothing is
// stored.
func (r *Runner) putSized(ctx context.Context, bucket, key string, body io.Reader, size int64) error {
	limit := r.cfg.multipartAbove
	if limit <= 0 {
		limit = objectstore.MaxPutSize
	}
	if size <= limit {
		return r.put(ctx, bucket, key, body, objectstore.PutOptions{Size: size})
	}
	if size > objectstore.MaxObjectSize {
		return fmt.Errorf("%w: %d bytes, an object holds at most %d", objectstore.ErrTooLarge, size, int64(objectstore.MaxObjectSize))
	}
	if err := autobucket.Ensure(ctx, r.cfg.Objects, bucket); err != nil {
		return err
	}
	partSize := r.cfg.partSize
	if partSize <= 0 {
		partSize = max(defaultPartSize, (size+objectstore.MaxPartNumber-1)/objectstore.MaxPartNumber)
	}
	st := r.cfg.Objects
	id, err := st.CreateMultipart(ctx, bucket, key, objectstore.PutOptions{Size: -1})
	if err != nil {
		return fmt.Errorf("start a multipart upload: %w", err)
	}
	err = func() error {
		var parts []objectstore.Part
		for n, left := 1, size; left > 0; n++ {
			chunk := min(partSize, left)
			etag, err := st.UploadPart(ctx, bucket, key, id, n, io.LimitReader(body, chunk), objectstore.PutOptions{Size: chunk})
			if err != nil {
				return fmt.Errorf("part %d: %w", n, err)
			}
			parts = append(parts, objectstore.Part{Number: n, ETag: etag})
			left -= chunk
		}
		var one [1]byte
		if k, _ := io.ReadFull(body, one[:]); k > 0 {
			return fmt.Errorf("%w: the file goes on after the %d bytes it had", objectstore.ErrIncompleteBody, size)
		}
		_, err := st.CompleteMultipart(ctx, bucket, key, id, parts)
		return err
	}()
	if err != nil {
		// Abort on a context of its own: the operation's may be what ended.
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.cfg.DialTimeout)
		defer cancel()
		if aerr := st.AbortMultipart(actx, bucket, key, id); aerr != nil && !errors.Is(aerr, objectstore.ErrNoSuchUpload) {
			err = errors.Join(err, fmt.Errorf("abort the multipart upload: %w", aerr))
		}
		return err
	}
	return nil
}
