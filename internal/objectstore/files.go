package objectstore

import (
	"context"
	"os"
)

// FilePutter is implemented by a backend that keeps each object as a file
// on this machine (localfs). The Transfer data plane spools an upload to a
// local file (SFTP clients write at offsets, in any order) and hands the
// finished file over with PutFile instead of copying it through Put.
type FilePutter interface {
	// PutFile stores the content of f (a regular file the caller wrote,
	// from its start to its current size) as key, replacing any object
	// there; nothing is visible before it returns. When f lies on the
	// backend's own file system it is moved into place (no copy) and the
	// caller must neither write nor remove it afterwards; otherwise its
	// content is copied. The caller closes f either way. The ETag of a
	// moved file may be computed when it is first asked for (see
	// WithoutETag).
	PutFile(ctx context.Context, bucket, key string, f *os.File, opts PutOptions) (ObjectInfo, error)
}

type noETagKey struct{}

// WithoutETag returns a context telling the backend that the caller does
// not need the ETags of what it reads, heads or lists: a backend whose ETag
// costs a read of the whole content (localfs, for a file written in place
// or moved there by PutFile) may then leave ETag empty rather than
// compute it. Other backends ignore it.
func WithoutETag(ctx context.Context) context.Context {
	return context.WithValue(ctx, noETagKey{}, true)
}

// ETagNotNeeded reports whether ctx comes from WithoutETag.
func ETagNotNeeded(ctx context.Context) bool {
	v, _ := ctx.Value(noETagKey{}).(bool)
	return v
}
