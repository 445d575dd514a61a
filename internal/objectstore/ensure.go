package objectstore

import (
	"context"
	"errors"
	"fmt"
)

// EnsureBucket makes bucket exist in st, on first use: the bucket a
// Transfer home directory or mapping names, a COPY step's destination, a
// connector's retrieve or listing directory. Ersatz has no IAM, so such a
// bucket that does not exist yet is made, owned by no account, rather than
// failing as S3 would. An invalid bucket name is ErrInvalidBucketName.
func EnsureBucket(ctx context.Context, st Store, bucket string) error {
	_, err := st.HeadBucket(ctx, bucket)
	if err == nil {
		return nil
	}
	if !errors.Is(err, ErrNoSuchBucket) {
		return fmt.Errorf("bucket %s: %w", bucket, err)
	}
	err = st.CreateBucket(ctx, bucket, "")
	if err == nil {
		return nil
	}
	if errors.Is(err, ErrBucketOwnedByYou) || errors.Is(err, ErrBucketExists) {
		// Made meanwhile by someone else, or something in the way that is
		// no bucket (a link where the local backend keeps its folder).
		if _, herr := st.HeadBucket(ctx, bucket); herr == nil {
			return nil
		}
	}
	return fmt.Errorf("create bucket %s: %w", bucket, err)
}
