package connector

import (
	"context"
	"io"

	"github.com/ersatz-dev/ersatz/internal/objectstore"
)

// put streams opts.Size bytes of body into a local object (a multipart
// upload above S3's limit of one PutObject), creating its bucket when
// missing. Nothing is stored unless body holds exactly that many bytes.
func (r *Runner) put(ctx context.Context, bucket, key string, body io.Reader, opts objectstore.PutOptions) error {
	if err := objectstore.EnsureBucket(ctx, r.cfg.Objects, bucket); err != nil {
		return err
	}
	_, err := objectstore.PutSized(ctx, r.cfg.Objects, bucket, key, body, opts, r.cfg.limits)
	return err
}
