package s3remote

import (
	"context"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/ersatz-dev/ersatz/internal/objectstore"
)

// CreateMultipart starts an upload on the remote; its id is the remote's.
func (s *Store) CreateMultipart(ctx context.Context, bucket, key string, opts objectstore.PutOptions) (string, error) {
	opts.Size = -1
	if err := checkPut(bucket, key, opts, objectstore.MaxObjectSize); err != nil {
		return "", err
	}
	out, err := s.c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key),
		ContentType: emptyToNil(opts.ContentType), Metadata: opts.Metadata, Tagging: tagging(opts.Tags)})
	if err != nil {
		return "", fail("create upload "+bucket+"/"+key, err)
	}
	return aws.ToString(out.UploadId), nil
}

// UploadPart streams part n of an upload to the remote.
func (s *Store) UploadPart(ctx context.Context, bucket, key, uploadID string, n int, body io.Reader, opts objectstore.PutOptions) (string, error) {
	if n < 1 || n > objectstore.MaxPartNumber {
		return "", fmt.Errorf("%w: part number must be an integer between 1 and %d, inclusive", objectstore.ErrInvalidPart, objectstore.MaxPartNumber)
	}
	opts.Tags = nil
	if err := checkPut(bucket, key, opts, objectstore.MaxPartSize); err != nil {
		return "", err
	}
	if uploadID == "" {
		return "", fmt.Errorf("upload %q: %w", uploadID, objectstore.ErrNoSuchUpload)
	}
	r, size, sum, done, err := s.body(ctx, body, opts, objectstore.MaxPartSize)
	if err != nil {
		return "", err
	}
	defer done()
	out, err := s.c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(uploadID),
		PartNumber: aws.Int32(int32(n)), Body: r, ContentLength: aws.Int64(size), ContentMD5: md5Header(sum)}, once)
	if err != nil {
		return "", s.readerErr(r, fail(fmt.Sprintf("upload part %d of %s", n, uploadID), err))
	}
	return aws.ToString(out.ETag), nil
}

// ListParts lists an upload's parts, every page of them.
func (s *Store) ListParts(ctx context.Context, bucket, key, uploadID string) ([]objectstore.UploadedPart, error) {
	if err := bucketPath(bucket); err != nil {
		return nil, err
	}
	if uploadID == "" || validKey(key) != nil {
		return nil, fmt.Errorf("upload %q: %w", uploadID, objectstore.ErrNoSuchUpload)
	}
	var out []objectstore.UploadedPart
	p := s3.NewListPartsPaginator(s.c, &s3.ListPartsInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(uploadID)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fail("list parts of "+uploadID, err)
		}
		for _, pt := range page.Parts {
			out = append(out, objectstore.UploadedPart{Number: int(aws.ToInt32(pt.PartNumber)), ETag: aws.ToString(pt.ETag),
				Size: aws.ToInt64(pt.Size), LastModified: aws.ToTime(pt.LastModified).UTC()})
		}
	}
	return out, nil
}

// CompleteMultipart joins the named parts on the remote.
func (s *Store) CompleteMultipart(ctx context.Context, bucket, key, uploadID string, parts []objectstore.Part) (objectstore.ObjectInfo, error) {
	if err := bucketPath(bucket); err != nil {
		return objectstore.ObjectInfo{}, err
	}
	if uploadID == "" || validKey(key) != nil {
		return objectstore.ObjectInfo{}, fmt.Errorf("upload %q: %w", uploadID, objectstore.ErrNoSuchUpload)
	}
	if len(parts) == 0 {
		return objectstore.ObjectInfo{}, fmt.Errorf("%w: you must specify at least one part", objectstore.ErrInvalidPart)
	}
	done := make([]types.CompletedPart, len(parts))
	for i, p := range parts {
		if i > 0 && p.Number <= parts[i-1].Number {
			return objectstore.ObjectInfo{}, objectstore.ErrInvalidPartOrder
		}
		if p.Number < 1 || p.Number > objectstore.MaxPartNumber {
			return objectstore.ObjectInfo{}, fmt.Errorf("%w: part %d", objectstore.ErrInvalidPart, p.Number)
		}
		done[i] = types.CompletedPart{PartNumber: aws.Int32(int32(p.Number)), ETag: aws.String(p.ETag)}
	}
	_, err := s.c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key),
		UploadId: aws.String(uploadID), MultipartUpload: &types.CompletedMultipartUpload{Parts: done}})
	if err != nil {
		return objectstore.ObjectInfo{}, fail("complete upload "+uploadID, err)
	}
	return s.Head(ctx, bucket, key)
}

// AbortMultipart discards an upload and its parts.
func (s *Store) AbortMultipart(ctx context.Context, bucket, key, uploadID string) error {
	if err := bucketPath(bucket); err != nil {
		return err
	}
	if uploadID == "" || validKey(key) != nil {
		return fmt.Errorf("upload %q: %w", uploadID, objectstore.ErrNoSuchUpload)
	}
	_, err := s.c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(uploadID)})
	return fail("abort upload "+uploadID, err)
}
