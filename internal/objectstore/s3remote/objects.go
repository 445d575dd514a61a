package s3remote

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/ersatz-dev/ersatz/internal/objectstore"
)

// once sends a request without retrying it: its body streams and cannot
// be sent again.
func once(o *s3.Options) { o.RetryMaxAttempts = 1 }

// tagging is the x-amz-tagging form of tags ("" for none).
func tagging(tags map[string]string) *string {
	if len(tags) == 0 {
		return nil
	}
	v := url.Values{}
	for k, val := range tags {
		v.Set(k, val)
	}
	return aws.String(v.Encode())
}

func md5Header(sum []byte) *string {
	if sum == nil {
		return nil
	}
	return aws.String(base64.StdEncoding.EncodeToString(sum))
}

func emptyToNil(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

// checkPut refuses what S3 refuses before any byte is sent.
func checkPut(bucket, key string, opts objectstore.PutOptions, limit int64) error {
	if err := bucketPath(bucket); err != nil {
		return err
	}
	if err := validKey(key); err != nil {
		return err
	}
	if err := objectstore.ValidTags(opts.Tags); err != nil {
		return err
	}
	if opts.Size > limit {
		return fmt.Errorf("%w: %d bytes, at most %d", objectstore.ErrTooLarge, opts.Size, limit)
	}
	return nil
}

// body is what a put sends: the caller's reader checked for its announced
// size, or a spooled copy of a body of unknown size.
func (s *Store) body(ctx context.Context, r io.Reader, opts objectstore.PutOptions, limit int64) (io.Reader, int64, []byte, func(), error) {
	if opts.Size >= 0 {
		return newExactReader(ctx, r, opts.Size), opts.Size, opts.MD5, func() {}, nil
	}
	sp, err := spool(ctx, s.tempDir, r, opts, limit)
	if err != nil {
		return nil, 0, nil, nil, err
	}
	return sp.f, sp.size, sp.md5, func() { _ = sp.Close() }, nil
}

// Put streams body to the remote as key.
func (s *Store) Put(ctx context.Context, bucket, key string, body io.Reader, opts objectstore.PutOptions) (objectstore.ObjectInfo, error) {
	if err := checkPut(bucket, key, opts, objectstore.MaxPutSize); err != nil {
		return objectstore.ObjectInfo{}, err
	}
	r, size, sum, done, err := s.body(ctx, body, opts, objectstore.MaxPutSize)
	if err != nil {
		return objectstore.ObjectInfo{}, err
	}
	defer done()
	_, err = s.c.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key), Body: r, ContentLength: aws.Int64(size),
		ContentMD5: md5Header(sum), ContentType: emptyToNil(opts.ContentType), Metadata: opts.Metadata, Tagging: tagging(opts.Tags),
	}, once)
	if err != nil {
		return objectstore.ObjectInfo{}, s.readerErr(r, fail("put "+bucket+"/"+key, err))
	}
	return s.Head(ctx, bucket, key)
}

// readerErr prefers the reader's own error (a short body, a checksum the
// caller checks) to the transport's wrapping of it.
func (s *Store) readerErr(r io.Reader, err error) error {
	if e, ok := r.(*exactReader); ok && e.err != nil && !errors.Is(err, e.err) {
		return e.err
	}
	return err
}

// Head describes key.
func (s *Store) Head(ctx context.Context, bucket, key string) (objectstore.ObjectInfo, error) {
	if err := bucketPath(bucket); err != nil {
		return objectstore.ObjectInfo{}, err
	}
	if validKey(key) != nil {
		return objectstore.ObjectInfo{}, fmt.Errorf("key %s: %w", key, objectstore.ErrNoSuchKey)
	}
	out, err := s.c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return objectstore.ObjectInfo{}, s.missing(ctx, bucket, key, err)
	}
	return objectstore.ObjectInfo{
		Key: key, Size: aws.ToInt64(out.ContentLength), LastModified: aws.ToTime(out.LastModified).UTC(),
		ETag: aws.ToString(out.ETag), ContentType: aws.ToString(out.ContentType), Metadata: lower(out.Metadata),
	}, nil
}

// missing tells NoSuchBucket from NoSuchKey after a 404 without a body.
func (s *Store) missing(ctx context.Context, bucket, key string, err error) error {
	if !notFound(err) {
		return fail("head "+bucket+"/"+key, err)
	}
	if _, berr := s.HeadBucket(ctx, bucket); berr != nil {
		return berr
	}
	return fmt.Errorf("key %s: %w", key, objectstore.ErrNoSuchKey)
}

// lower makes metadata names lower-case, as S3 stores them.
func lower(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[strings.ToLower(k)] = v
	}
	return out
}

// Get opens key, or the range of it rng asks for.
func (s *Store) Get(ctx context.Context, bucket, key string, rng *objectstore.RangeRequest) (*objectstore.Object, error) {
	if err := bucketPath(bucket); err != nil {
		return nil, err
	}
	if validKey(key) != nil {
		return nil, fmt.Errorf("key %s: %w", key, objectstore.ErrNoSuchKey)
	}
	in := &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}
	if rng != nil {
		switch {
		case rng.IsSuffix && rng.Suffix <= 0, !rng.IsSuffix && (rng.Start < 0 || rng.End >= 0 && rng.End < rng.Start):
			return nil, objectstore.ErrInvalidRange
		case rng.IsSuffix:
			in.Range = aws.String("bytes=-" + strconv.FormatInt(rng.Suffix, 10))
		case rng.End < 0:
			in.Range = aws.String("bytes=" + strconv.FormatInt(rng.Start, 10) + "-")
		default:
			in.Range = aws.String("bytes=" + strconv.FormatInt(rng.Start, 10) + "-" + strconv.FormatInt(rng.End, 10))
		}
	}
	out, err := s.c.GetObject(ctx, in)
	if err != nil {
		return nil, fail("get "+bucket+"/"+key, err)
	}
	obj := &objectstore.Object{
		ObjectInfo: objectstore.ObjectInfo{
			Key: key, Size: aws.ToInt64(out.ContentLength), LastModified: aws.ToTime(out.LastModified).UTC(),
			ETag: aws.ToString(out.ETag), ContentType: aws.ToString(out.ContentType), Metadata: lower(out.Metadata),
		},
		Body: out.Body,
	}
	if rng != nil {
		r, total, err := contentRange(aws.ToString(out.ContentRange))
		if err != nil {
			// A remote that ignored the range sent all of it: resolve
			// the range here and skip to it.
			r, err = rng.Resolve(obj.Size)
			if err != nil {
				out.Body.Close()
				return nil, err
			}
			if _, err := io.CopyN(io.Discard, out.Body, r.Start); err != nil {
				out.Body.Close()
				return nil, fail("get "+bucket+"/"+key, err)
			}
			obj.Body = readCloser{io.LimitReader(out.Body, r.Length), out.Body}
			total = obj.Size
		}
		obj.Range, obj.Size = r, total
	}
	return obj, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

// contentRange parses "bytes START-END/TOTAL".
func contentRange(v string) (*objectstore.Range, int64, error) {
	rest, ok := strings.CutPrefix(v, "bytes ")
	span, totalS, ok2 := strings.Cut(rest, "/")
	startS, endS, ok3 := strings.Cut(span, "-")
	if !ok || !ok2 || !ok3 {
		return nil, 0, fmt.Errorf("no Content-Range in %q", v)
	}
	start, err1 := strconv.ParseInt(startS, 10, 64)
	end, err2 := strconv.ParseInt(endS, 10, 64)
	total, err3 := strconv.ParseInt(totalS, 10, 64)
	if err := errors.Join(err1, err2, err3); err != nil || end < start || end >= total {
		return nil, 0, fmt.Errorf("a Content-Range %q that does not parse", v)
	}
	return &objectstore.Range{Start: start, Length: end - start + 1}, total, nil
}

// maxRune sorts after every other character of a key.
const maxRune = string(utf8.MaxRune)

// List lists keys as ListObjectsV2 does. A page may start after a common
// prefix: the remote is then asked for the keys after every key of that
// prefix.
func (s *Store) List(ctx context.Context, bucket string, q objectstore.ListQuery) (objectstore.ListResult, error) {
	if err := bucketPath(bucket); err != nil {
		return objectstore.ListResult{}, err
	}
	limit := q.Limit
	if limit <= 0 {
		limit = objectstore.DefaultListLimit
	}
	after := q.After
	if q.Delimiter != "" && strings.HasPrefix(after, q.Prefix) && strings.HasSuffix(after, q.Delimiter) &&
		strings.Contains(after[len(q.Prefix):], q.Delimiter) {
		after += maxRune // past every key rolled up into that prefix
	}
	in := &s3.ListObjectsV2Input{Bucket: aws.String(bucket), MaxKeys: aws.Int32(int32(min(limit, objectstore.DefaultListLimit)))}
	if q.Prefix != "" {
		in.Prefix = aws.String(q.Prefix)
	}
	if q.Delimiter != "" {
		in.Delimiter = aws.String(q.Delimiter)
	}
	if after != "" {
		in.StartAfter = aws.String(after)
	}
	out, err := s.c.ListObjectsV2(ctx, in)
	if err != nil {
		return objectstore.ListResult{}, fail("list "+bucket, err)
	}
	var res objectstore.ListResult
	for _, o := range out.Contents {
		k := aws.ToString(o.Key)
		if k <= q.After {
			continue
		}
		res.Objects = append(res.Objects, objectstore.ObjectInfo{
			Key: k, Size: aws.ToInt64(o.Size), LastModified: aws.ToTime(o.LastModified).UTC(), ETag: aws.ToString(o.ETag),
		})
	}
	for _, p := range out.CommonPrefixes {
		if v := aws.ToString(p.Prefix); v > q.After && !strings.HasPrefix(q.After, v) {
			res.CommonPrefixes = append(res.CommonPrefixes, v)
		}
	}
	sort.Strings(res.CommonPrefixes)
	res.Truncated = aws.ToBool(out.IsTruncated)
	if res.Truncated {
		if n := len(res.Objects); n > 0 {
			res.Next = res.Objects[n-1].Key
		}
		if n := len(res.CommonPrefixes); n > 0 && res.CommonPrefixes[n-1] > res.Next {
			res.Next = res.CommonPrefixes[n-1]
		}
		if res.Next == "" { // nothing new on this page: go on from where it ended
			res.Next = aws.ToString(out.StartAfter)
			if res.Next == "" {
				res.Truncated = false
			}
		}
	}
	return res, nil
}

// copySource is the x-amz-copy-source of bucket/key.
func copySource(bucket, key string) string {
	return bucket + "/" + url.PathEscape(key)
}

// Copy copies an object on the remote (CopyObject: at most 5 GiB).
func (s *Store) Copy(ctx context.Context, srcBucket, srcKey, dstBucket, dstKey string, meta *objectstore.PutOptions) (objectstore.ObjectInfo, error) {
	if err := errors.Join(bucketPath(srcBucket), bucketPath(dstBucket)); err != nil {
		return objectstore.ObjectInfo{}, err
	}
	if validKey(srcKey) != nil {
		return objectstore.ObjectInfo{}, fmt.Errorf("key %s: %w", srcKey, objectstore.ErrNoSuchKey)
	}
	if err := validKey(dstKey); err != nil {
		return objectstore.ObjectInfo{}, err
	}
	in := &s3.CopyObjectInput{Bucket: aws.String(dstBucket), Key: aws.String(dstKey), CopySource: aws.String(copySource(srcBucket, srcKey)),
		MetadataDirective: types.MetadataDirectiveCopy, TaggingDirective: types.TaggingDirectiveCopy}
	if meta != nil {
		if err := objectstore.ValidTags(meta.Tags); err != nil {
			return objectstore.ObjectInfo{}, err
		}
		in.MetadataDirective, in.ContentType, in.Metadata = types.MetadataDirectiveReplace, emptyToNil(meta.ContentType), meta.Metadata
		if meta.Tags != nil {
			in.TaggingDirective, in.Tagging = types.TaggingDirectiveReplace, tagging(meta.Tags)
		}
	}
	if _, err := s.c.CopyObject(ctx, in); err != nil {
		return objectstore.ObjectInfo{}, fail("copy "+srcBucket+"/"+srcKey+" to "+dstBucket+"/"+dstKey, err)
	}
	return s.Head(ctx, dstBucket, dstKey)
}

// Delete removes key (a missing key is no error; a missing bucket is).
func (s *Store) Delete(ctx context.Context, bucket, key string) error {
	if err := bucketPath(bucket); err != nil {
		return err
	}
	if validKey(key) != nil {
		return nil // no such key can exist
	}
	_, err := s.c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	err = fail("delete "+bucket+"/"+key, err)
	if errors.Is(err, objectstore.ErrNoSuchKey) {
		return nil
	}
	return err
}

// Tags returns key's S3 object tags.
func (s *Store) Tags(ctx context.Context, bucket, key string) (map[string]string, error) {
	if err := bucketPath(bucket); err != nil {
		return nil, err
	}
	if validKey(key) != nil {
		return nil, fmt.Errorf("key %s: %w", key, objectstore.ErrNoSuchKey)
	}
	out, err := s.c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, fail("tags of "+bucket+"/"+key, err)
	}
	if len(out.TagSet) == 0 {
		return nil, nil
	}
	tags := make(map[string]string, len(out.TagSet))
	for _, t := range out.TagSet {
		tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return tags, nil
}

// SetTags replaces key's S3 object tags.
func (s *Store) SetTags(ctx context.Context, bucket, key string, tags map[string]string) error {
	if err := objectstore.ValidTags(tags); err != nil {
		return err
	}
	if err := bucketPath(bucket); err != nil {
		return err
	}
	if validKey(key) != nil {
		return fmt.Errorf("key %s: %w", key, objectstore.ErrNoSuchKey)
	}
	if len(tags) == 0 {
		_, err := s.c.DeleteObjectTagging(ctx, &s3.DeleteObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		return fail("untag "+bucket+"/"+key, err)
	}
	set := make([]types.Tag, 0, len(tags))
	for k, v := range tags {
		set = append(set, types.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	sort.Slice(set, func(i, j int) bool { return *set[i].Key < *set[j].Key })
	_, err := s.c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String(key), Tagging: &types.Tagging{TagSet: set}})
	return fail("tag "+bucket+"/"+key, err)
}
