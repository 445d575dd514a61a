// Package autobucket creates on first use the buckets that Transfer's
// workflows and connectors write into: a COPY step's destination, a
// connector's retrieve or listing directory. Ersatz has no IAM, so such a
// bucket that does not exist yet is made (owned by no account, as a bucket
// a Transfer home directory names) rather than failing as S3 would.
package autobucket

import (
	"context"
	"errors"
	"fmt"

	"github.com/ersatz-dev/ersatz/internal/objectstore"
)

// Ensure makes bucket exist in st. An invalid bucket name is
// objectstore.ErrInvalidBucketName.
func Ensure(ctx context.Context, st objectstore.Store, bucket string) error {
	_, err := st.HeadBucket(ctx, bucket)
	if err == nil {
		return nil
	}
	if !errors.Is(err, objectstore.ErrNoSuchBucket) {
		return fmt.Errorf("bucket %s: %w", bucket, err)
	}
	err = st.CreateBucket(ctx, bucket, "")
	if err == nil || errors.Is(err, objectstore.ErrBucketOwnedByYou) || errors.Is(err, objectstore.ErrBucketExists) {
		return nil // made, or made meanwhile by someone else
	}
	return fmt.Errorf("create bucket %s: %w", bucket, err)
}
