package objectstore

// PutSized stores a stream of known size as one object: with one Put up to
// S3's limit of a PutObject (5 GiB), with a multipart upload above it, so
// that SFTP uploads, the connectors' retrieves and the workflows' COPY
// steps are not bound by the single-request limit. The stream must hold
// exactly the size announced; otherwise nothing is stored (the multipart
// upload is aborted).

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// DefaultPartSize is PutSized's part size of a multipart upload, unless the object
// needs larger parts to fit in MaxPartNumber of them.
const DefaultPartSize = 64 << 20

// abortTimeout bounds the abort of a failed multipart upload.
const abortTimeout = 30 * time.Second

// PutLimits choose how PutSized stores an object; zero values keep the
// defaults.
type PutLimits struct {
	// MultipartAbove is the largest object stored with one Put
	// (MaxPutSize by default).
	MultipartAbove int64
	// PartSize is the part size above it (DefaultPartSize by default, or
	// larger when the object needs it).
	PartSize int64
}

// PutSized stores opts.Size bytes of body as key of bucket (which must
// exist); opts' content type, metadata and tags go with it.
func PutSized(ctx context.Context, st Store, bucket, key string, body io.Reader, opts PutOptions, lim PutLimits) (ObjectInfo, error) {
	size := opts.Size
	if size < 0 {
		return ObjectInfo{}, fmt.Errorf("put sized: the size of %s/%s is unknown", bucket, key)
	}
	limit := lim.MultipartAbove
	if limit <= 0 {
		limit = MaxPutSize
	}
	if size <= limit {
		return st.Put(ctx, bucket, key, body, opts)
	}
	if size > MaxObjectSize {
		return ObjectInfo{}, fmt.Errorf("%w: %d bytes, an object holds at most %d", ErrTooLarge, size, int64(MaxObjectSize))
	}
	partSize := lim.PartSize
	if partSize <= 0 {
		partSize = DefaultPartSize
	}
	partSize = max(partSize, (size+MaxPartNumber-1)/MaxPartNumber)
	mopts := opts
	mopts.Size, mopts.MD5 = -1, nil
	id, err := st.CreateMultipart(ctx, bucket, key, mopts)
	if err != nil {
		return ObjectInfo{}, fmt.Errorf("start a multipart upload: %w", err)
	}
	info, err := uploadParts(ctx, st, bucket, key, id, body, size, partSize)
	if err != nil {
		// Abort on a context of its own: the caller's may be what ended.
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), abortTimeout)
		defer cancel()
		if aerr := st.AbortMultipart(actx, bucket, key, id); aerr != nil && !errors.Is(aerr, ErrNoSuchUpload) {
			err = errors.Join(err, fmt.Errorf("abort the multipart upload: %w", aerr))
		}
		return ObjectInfo{}, err
	}
	return info, nil
}

func uploadParts(ctx context.Context, st Store, bucket, key, id string, body io.Reader, size, partSize int64) (ObjectInfo, error) {
	var parts []Part
	for n, left := 1, size; left > 0; n++ {
		chunk := min(partSize, left)
		etag, err := st.UploadPart(ctx, bucket, key, id, n, io.LimitReader(body, chunk), PutOptions{Size: chunk})
		if err != nil {
			return ObjectInfo{}, fmt.Errorf("part %d: %w", n, err)
		}
		parts = append(parts, Part{Number: n, ETag: etag})
		left -= chunk
	}
	var one [1]byte
	if k, _ := io.ReadFull(body, one[:]); k > 0 {
		return ObjectInfo{}, fmt.Errorf("%w: the body goes on after the %d bytes announced", ErrIncompleteBody, size)
	}
	return st.CompleteMultipart(ctx, bucket, key, id, parts)
}
