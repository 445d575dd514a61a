// Package sizedput stores a stream of known size as one object of an
// objectstore.Store: with one Put up to S3's limit of a PutObject (5 GiB),
// with a multipart upload above it, so that the connectors' retrieves and
// the workflows' COPY steps are not bound by the single-request limit. The
// stream must hold exactly the size announced; otherwise nothing is stored
// (the multipart upload is aborted).
package sizedput

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/ersatz-dev/ersatz/internal/objectstore"
)

// DefaultPartSize is the part size of a multipart upload, unless the object
// needs larger parts to fit in objectstore.MaxPartNumber of them.
const DefaultPartSize = 64 << 20

// abortTimeout bounds the abort of a failed multipart upload.
const abortTimeout = 30 * time.Second

// Limits choose how an object is stored; zero values keep the defaults.
type Limits struct {
	// MultipartAbove is the largest object stored with one Put
	// (objectstore.MaxPutSize by default).
	MultipartAbove int64
	// PartSize is the part size above it (DefaultPartSize by default, or
	// larger when the object needs it).
	PartSize int64
}

// Put stores opts.Size bytes of body as key of bucket (which must exist);
// opts' content type, metadata and tags go with it.
func Put(ctx context.Context, st objectstore.Store, bucket, key string, body io.Reader, opts objectstore.PutOptions, lim Limits) (objectstore.ObjectInfo, error) {
	size := opts.Size
	if size < 0 {
		return objectstore.ObjectInfo{}, fmt.Errorf("sizedput: the size of %s/%s is unknown", bucket, key)
	}
	limit := lim.MultipartAbove
	if limit <= 0 {
		limit = objectstore.MaxPutSize
	}
	if size <= limit {
		return st.Put(ctx, bucket, key, body, opts)
	}
	if size > objectstore.MaxObjectSize {
		return objectstore.ObjectInfo{}, fmt.Errorf("%w: %d bytes, an object holds at most %d", objectstore.ErrTooLarge, size, int64(objectstore.MaxObjectSize))
	}
	partSize := lim.PartSize
	if partSize <= 0 {
		partSize = DefaultPartSize
	}
	partSize = max(partSize, (size+objectstore.MaxPartNumber-1)/objectstore.MaxPartNumber)
	mopts := opts
	mopts.Size, mopts.MD5 = -1, nil
	id, err := st.CreateMultipart(ctx, bucket, key, mopts)
	if err != nil {
		return objectstore.ObjectInfo{}, fmt.Errorf("start a multipart upload: %w", err)
	}
	info, err := uploadParts(ctx, st, bucket, key, id, body, size, partSize)
	if err != nil {
		// Abort on a context of its own: the caller's may be what ended.
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), abortTimeout)
		defer cancel()
		if aerr := st.AbortMultipart(actx, bucket, key, id); aerr != nil && !errors.Is(aerr, objectstore.ErrNoSuchUpload) {
			err = errors.Join(err, fmt.Errorf("abort the multipart upload: %w", aerr))
		}
		return objectstore.ObjectInfo{}, err
	}
	return info, nil
}

func uploadParts(ctx context.Context, st objectstore.Store, bucket, key, id string, body io.Reader, size, partSize int64) (objectstore.ObjectInfo, error) {
	var parts []objectstore.Part
	for n, left := 1, size; left > 0; n++ {
		chunk := min(partSize, left)
		etag, err := st.UploadPart(ctx, bucket, key, id, n, io.LimitReader(body, chunk), objectstore.PutOptions{Size: chunk})
		if err != nil {
			return objectstore.ObjectInfo{}, fmt.Errorf("part %d: %w", n, err)
		}
		parts = append(parts, objectstore.Part{Number: n, ETag: etag})
		left -= chunk
	}
	var one [1]byte
	if k, _ := io.ReadFull(body, one[:]); k > 0 {
		return objectstore.ObjectInfo{}, fmt.Errorf("%w: the body goes on after the %d bytes announced", objectstore.ErrIncompleteBody, size)
	}
	return st.CompleteMultipart(ctx, bucket, key, id, parts)
}
