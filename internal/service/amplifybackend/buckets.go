package amplifybackend

import (
	"context"
	"errors"
	"fmt"

	"github.com/ersatz-dev/ersatz/internal/objectstore"
)

// buckets is the object store side of storage resources: the S3 buckets a
// storage job creates, adopts or removes. Without an object store (the
// package used alone) buckets are names only and every method is a no-op.
//
// The methods run inside a job's store transaction, which may be retried,
// so each one is idempotent: creating a bucket the account already owns and
// removing one that is gone both succeed. A job makes its bucket changes
// only once every check of its change has passed, and writes its records
// right after, so a job that fails has changed no bucket.
type buckets struct {
	store objectstore.Store
}

// usable reports whether account may use bucket: it exists and belongs to
// the account or to nobody (a bucket whose folder the data plane made).
func (b buckets) usable(ctx context.Context, account, name string) (bool, error) {
	if b.store == nil {
		return true, nil
	}
	bk, ok, err := b.head(ctx, name)
	return ok && (bk.Owner == "" || bk.Owner == account), err
}

// exists reports whether a bucket of that name exists, whoever owns it.
func (b buckets) exists(ctx context.Context, name string) (bool, error) {
	if b.store == nil {
		return false, nil
	}
	_, ok, err := b.head(ctx, name)
	return ok, err
}

// owns reports whether bucket name exists and belongs to account.
func (b buckets) owns(ctx context.Context, account, name string) (bool, error) {
	bk, ok, err := b.head(ctx, name)
	return ok && bk.Owner == account, err
}

// head describes bucket name, or found=false when there is none.
func (b buckets) head(ctx context.Context, name string) (bk objectstore.Bucket, found bool, err error) {
	bk, err = b.store.HeadBucket(ctx, name)
	switch {
	case errors.Is(err, objectstore.ErrNoSuchBucket), errors.Is(err, objectstore.ErrInvalidBucketName):
		return bk, false, nil
	case err != nil:
		return bk, false, fmt.Errorf("head bucket %s: %w", name, err)
	}
	return bk, true, nil
}

// create makes bucket name for account. A bucket the account already owns
// is accepted (a retried transaction made it, or the account did since the
// request); a bucket of another account is a failure message.
func (b buckets) create(ctx context.Context, account, name string) (string, error) {
	if b.store == nil {
		return "", nil
	}
	err := b.store.CreateBucket(ctx, name, account)
	switch {
	case err == nil, errors.Is(err, objectstore.ErrBucketOwnedByYou):
		return "", nil
	case errors.Is(err, objectstore.ErrBucketExists):
		return fmt.Sprintf("Bucket %s already exists and belongs to another account", name), nil
	case errors.Is(err, objectstore.ErrInvalidBucketName):
		return fmt.Sprintf("Bucket name %s is not valid: %v", name, err), nil
	}
	return "", fmt.Errorf("create bucket %s: %w", name, err)
}

// removable checks that every bucket of names that account owns is empty,
// so that remove can delete them all; a bucket holding objects is a failure
// message (as S3 refuses to delete it). Buckets that are gone or not the
// account's are skipped: remove leaves them.
func (b buckets) removable(ctx context.Context, account string, names []string) (string, error) {
	if b.store == nil {
		return "", nil
	}
	for _, name := range names {
		mine, err := b.owns(ctx, account, name)
		if err != nil || !mine {
			return "", err
		}
		page, err := b.store.List(ctx, name, objectstore.ListQuery{Limit: 1})
		if errors.Is(err, objectstore.ErrNoSuchBucket) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("list bucket %s: %w", name, err)
		}
		if len(page.Objects) > 0 || len(page.CommonPrefixes) > 0 {
			return fmt.Sprintf("Bucket %s is not empty: delete its objects (aws s3 rm s3://%s --recursive), then retry", name, name), nil
		}
	}
	return "", nil
}

// remove deletes the buckets of names that account owns (removable checked
// them); a bucket that is gone is not an error.
func (b buckets) remove(ctx context.Context, account string, names []string) (string, error) {
	if b.store == nil {
		return "", nil
	}
	for _, name := range names {
		mine, err := b.owns(ctx, account, name)
		if err != nil {
			return "", err
		}
		if !mine {
			continue
		}
		err = b.store.DeleteBucket(ctx, name)
		switch {
		case err == nil, errors.Is(err, objectstore.ErrNoSuchBucket):
		case errors.Is(err, objectstore.ErrBucketNotEmpty):
			return fmt.Sprintf("Bucket %s is not empty: delete its objects, then retry", name), nil
		default:
			return "", fmt.Errorf("delete bucket %s: %w", name, err)
		}
	}
	return "", nil
}

// visible lists the buckets account can see, by name: its own and those
// nobody owns.
func (b buckets) visible(ctx context.Context, account string) ([]objectstore.Bucket, error) {
	all, err := b.store.ListBuckets(ctx)
	if err != nil {
		return nil, fmt.Errorf("list buckets: %w", err)
	}
	out := all[:0:0]
	for _, bk := range all {
		if bk.Owner == "" || bk.Owner == account {
			out = append(out, bk)
		}
	}
	return out, nil // in name order, as every backend lists them
}
