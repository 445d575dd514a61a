package s3api

import (
	"context"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/johannesboyne/gofakes3"

	"github.com/ersatz-dev/ersatz/internal/objectstore"
)

// backend is gofakes3's view of the object store for one request: its
// context, its account, and the last error it returned (statusWriter
// answers that error's status).
type backend struct {
	ctx     context.Context
	store   objectstore.Store
	account string
	log     *slog.Logger
	last    *s3Error
	etag    string // the ETag of the object a GET or HEAD answers
}

var (
	_ gofakes3.Backend          = (*backend)(nil)
	_ gofakes3.MultipartBackend = (*backend)(nil)
)

// fail records err as the request's S3 error and returns it as gofakes3
// writes errors.
func (b *backend) fail(err error) error {
	se := toS3(b.log, err)
	b.last = se
	return &gofakes3.ErrorResponse{Code: gofakes3.ErrorCode(se.Code), Message: se.Message}
}

// putOptions reads what gofakes3 collected of a request's headers.
func putOptions(meta map[string]string, size int64) (objectstore.PutOptions, error) {
	opts := objectstore.PutOptions{Size: size, ContentType: meta["Content-Type"]}
	for k, v := range meta {
		if name, ok := strings.CutPrefix(k, "X-Amz-Meta-"); ok {
			if opts.Metadata == nil {
				opts.Metadata = map[string]string{}
			}
			opts.Metadata[strings.ToLower(name)] = v
		}
	}
	if t, ok := meta["X-Amz-Tagging"]; ok {
		tags, err := ParseTagging(t)
		if err != nil {
			return opts, err
		}
		opts.Tags = tags
	}
	return opts, nil
}

// ParseTagging reads the x-amz-tagging header: a URL-encoded query string
// of tag keys and values ("a=1&b=2"), each key once, checked against S3's
// tag rules.
func ParseTagging(v string) (map[string]string, error) {
	q, err := url.ParseQuery(v)
	if err != nil {
		return nil, newError(http.StatusBadRequest, "InvalidArgument", "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.")
	}
	tags := make(map[string]string, len(q))
	for k, vs := range q {
		if len(vs) != 1 {
			return nil, newError(http.StatusBadRequest, "InvalidArgument", "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.")
		}
		tags[k] = vs[0]
	}
	if err := objectstore.ValidTags(tags); err != nil {
		return nil, newError(http.StatusBadRequest, "InvalidTag", err.Error())
	}
	return tags, nil
}

func headersOf(info objectstore.ObjectInfo) map[string]string {
	h := map[string]string{"Last-Modified": info.LastModified.UTC().Format(http.TimeFormat)}
	h["Content-Type"] = info.ContentType
	if info.ContentType == "" {
		h["Content-Type"] = "binary/octet-stream"
	}
	for k, v := range info.Metadata {
		h["X-Amz-Meta-"+k] = v
	}
	return h
}

func hashOf(etag string) []byte {
	b, _ := hex.DecodeString(strings.Trim(etag, `"`))
	return b
}

func (b *backend) ListBuckets() ([]gofakes3.BucketInfo, error) {
	buckets, err := b.store.ListBuckets(b.ctx)
	if err != nil {
		return nil, b.fail(err)
	}
	var out []gofakes3.BucketInfo
	for _, bk := range buckets {
		if bk.Owner == "" || bk.Owner == b.account {
			out = append(out, gofakes3.BucketInfo{Name: bk.Name, CreationDate: gofakes3.NewContentTime(bk.Created)})
		}
	}
	return out, nil
}

func (b *backend) ListBucket(name string, prefix *gofakes3.Prefix, page gofakes3.ListBucketPage) (*gofakes3.ObjectList, error) {
	q := objectstore.ListQuery{After: page.Marker, Limit: int(page.MaxKeys)}
	if prefix != nil {
		q.Prefix = prefix.Prefix
		if prefix.HasDelimiter {
			q.Delimiter = prefix.Delimiter
		}
	}
	if page.MaxKeys == 0 && page.HasMarker {
		q.Limit = objectstore.DefaultListLimit
	}
	res, err := b.store.List(b.ctx, name, q)
	if err != nil {
		return nil, b.fail(err)
	}
	out := gofakes3.NewObjectList()
	for _, o := range res.Objects {
		out.Add(&gofakes3.Content{
			Key: o.Key, LastModified: gofakes3.NewContentTime(o.LastModified), ETag: o.ETag, Size: o.Size,
			StorageClass: gofakes3.StorageStandard,
		})
	}
	for _, p := range res.CommonPrefixes {
		out.AddPrefix(p)
	}
	out.IsTruncated = res.Truncated
	if res.Truncated {
		out.NextMarker = res.Next
	}
	return out, nil
}

func (b *backend) CreateBucket(name string) error {
	if err := b.store.CreateBucket(b.ctx, name, b.account); err != nil {
		return b.fail(err)
	}
	return nil
}

func (b *backend) BucketExists(name string) (bool, error) {
	if _, err := b.store.HeadBucket(b.ctx, name); err != nil {
		return false, nil
	}
	return true, nil
}

func (b *backend) DeleteBucket(name string) error {
	if err := b.store.DeleteBucket(b.ctx, name); err != nil {
		return b.fail(err)
	}
	return nil
}

func (b *backend) ForceDeleteBucket(name string) error {
	return b.DeleteBucket(name)
}

func (b *backend) object(info objectstore.ObjectInfo) *gofakes3.Object {
	b.etag = info.ETag
	return &gofakes3.Object{Name: info.Key, Metadata: headersOf(info), Size: info.Size, Hash: hashOf(info.ETag)}
}

func (b *backend) GetObject(bucket, key string, rng *gofakes3.ObjectRangeRequest) (*gofakes3.Object, error) {
	var rr *objectstore.RangeRequest
	if rng != nil {
		rr = &objectstore.RangeRequest{Start: rng.Start, End: rng.End}
		if rng.FromEnd {
			rr = &objectstore.RangeRequest{IsSuffix: true, Suffix: rng.End}
		}
	}
	obj, err := b.store.Get(b.ctx, bucket, key, rr)
	if err != nil {
		return nil, b.fail(err)
	}
	out := b.object(obj.ObjectInfo)
	out.Contents = obj.Body
	if obj.Range != nil {
		out.Range = &gofakes3.ObjectRange{Start: obj.Range.Start, Length: obj.Range.Length}
	}
	return out, nil
}

func (b *backend) HeadObject(bucket, key string) (*gofakes3.Object, error) {
	info, err := b.store.Head(b.ctx, bucket, key)
	if err != nil {
		return nil, b.fail(err)
	}
	out := b.object(info)
	out.Contents = io.NopCloser(strings.NewReader(""))
	return out, nil
}

func (b *backend) DeleteObject(bucket, key string) (gofakes3.ObjectDeleteResult, error) {
	if err := b.store.Delete(b.ctx, bucket, key); err != nil {
		return gofakes3.ObjectDeleteResult{}, b.fail(err)
	}
	return gofakes3.ObjectDeleteResult{}, nil
}

func (b *backend) PutObject(bucket, key string, meta map[string]string, body io.Reader, size int64, _ *gofakes3.PutConditions) (gofakes3.PutObjectResult, error) {
	opts, err := putOptions(meta, size)
	if err != nil {
		return gofakes3.PutObjectResult{}, b.fail(err)
	}
	if _, err := b.store.Put(b.ctx, bucket, key, body, opts); err != nil {
		return gofakes3.PutObjectResult{}, b.fail(err)
	}
	return gofakes3.PutObjectResult{}, nil
}

func (b *backend) DeleteMulti(bucket string, keys ...string) (gofakes3.MultiDeleteResult, error) {
	var res gofakes3.MultiDeleteResult
	for _, k := range keys {
		if err := b.store.Delete(b.ctx, bucket, k); err != nil {
			se := toS3(b.log, err)
			res.Error = append(res.Error, gofakes3.ErrorResult{Key: k, Code: gofakes3.ErrorCode(se.Code), Message: se.Message})
			continue
		}
		res.Deleted = append(res.Deleted, gofakes3.ObjectID{Key: k})
	}
	return res, nil
}

func (b *backend) CopyObject(srcBucket, srcKey, dstBucket, dstKey string, meta map[string]string) (gofakes3.CopyObjectResult, error) {
	var opts *objectstore.PutOptions
	if strings.EqualFold(meta["X-Amz-Metadata-Directive"], "REPLACE") {
		o, err := putOptions(meta, -1)
		if err != nil {
			return gofakes3.CopyObjectResult{}, b.fail(err)
		}
		opts = &o
	}
	info, err := b.store.Copy(b.ctx, srcBucket, srcKey, dstBucket, dstKey, opts)
	if err != nil {
		return gofakes3.CopyObjectResult{}, b.fail(err)
	}
	return gofakes3.CopyObjectResult{ETag: info.ETag, LastModified: gofakes3.NewContentTime(info.LastModified)}, nil
}

func (b *backend) CreateMultipartUpload(bucket, key string, meta map[string]string) (gofakes3.UploadID, error) {
	opts, err := putOptions(meta, -1)
	if err != nil {
		return "", b.fail(err)
	}
	id, err := b.store.CreateMultipart(b.ctx, bucket, key, opts)
	if err != nil {
		return "", b.fail(err)
	}
	return gofakes3.UploadID(id), nil
}

func (b *backend) UploadPart(bucket, key string, id gofakes3.UploadID, n int, size int64, body io.Reader) (string, error) {
	etag, err := b.store.UploadPart(b.ctx, bucket, key, string(id), n, body, objectstore.PutOptions{Size: size})
	if err != nil {
		return "", b.fail(err)
	}
	return etag, nil
}

func (b *backend) ListMultipartUploads(bucket string, _ *gofakes3.UploadListMarker, _ gofakes3.Prefix, _ int64) (*gofakes3.ListMultipartUploadsResult, error) {
	return nil, b.fail(newError(http.StatusNotImplemented, "NotImplemented", "ListMultipartUploads is not implemented by Ersatz"))
}

func (b *backend) ListParts(bucket, key string, id gofakes3.UploadID, marker int, limit int64) (*gofakes3.ListMultipartUploadPartsResult, error) {
	parts, err := b.store.ListParts(b.ctx, bucket, key, string(id))
	if err != nil {
		return nil, b.fail(err)
	}
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	res := &gofakes3.ListMultipartUploadPartsResult{Bucket: bucket, Key: key, UploadID: id, PartNumberMarker: marker, MaxParts: limit}
	i := sort.Search(len(parts), func(i int) bool { return parts[i].Number > marker })
	for ; i < len(parts); i++ {
		if int64(len(res.Parts)) == limit {
			res.IsTruncated = true
			break
		}
		p := parts[i]
		res.Parts = append(res.Parts, gofakes3.ListMultipartUploadPartItem{
			PartNumber: p.Number, ETag: p.ETag, Size: p.Size, LastModified: gofakes3.NewContentTime(p.LastModified),
		})
		res.NextPartNumberMarker = p.Number
	}
	return res, nil
}

func (b *backend) AbortMultipartUpload(bucket, key string, id gofakes3.UploadID) error {
	if err := b.store.AbortMultipart(b.ctx, bucket, key, string(id)); err != nil {
		return b.fail(err)
	}
	return nil
}

func (b *backend) CompleteMultipartUpload(bucket, key string, id gofakes3.UploadID, in *gofakes3.CompleteMultipartUploadRequest) (gofakes3.VersionID, string, error) {
	parts := make([]objectstore.Part, len(in.Parts))
	for i, p := range in.Parts {
		parts[i] = objectstore.Part{Number: p.PartNumber, ETag: p.ETag}
	}
	info, err := b.store.CompleteMultipart(b.ctx, bucket, key, string(id), parts)
	if err != nil {
		return "", "", b.fail(err)
	}
	return "", info.ETag, nil
}
