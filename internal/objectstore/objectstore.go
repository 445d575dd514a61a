// Package objectstore is the contract of the S3 domain's buckets and
// objects: what the S3 API serves and what the Transfer data plane's files
// are. A backend (localfs: folders under the data directory) implements
// Store; callers never see how it keeps objects.
//
// Every method takes the caller's context first. Errors the caller must
// tell apart wrap the sentinel errors below (errors.Is); anything else is
// the backend failing (an S3 InternalError).
package objectstore

import (
	"context"
	"errors"
	"io"
	"time"
)

// Limits of S3 itself that every backend enforces.
const (
	MaxKeyLen        = 1024    // bytes of a key
	MaxPutSize       = 5 << 30 // bytes of one PutObject (5 GiB)
	MinPartSize      = 5 << 20 // bytes of every part but the last (5 MiB)
	MaxPartSize      = 5 << 30 // bytes of one part (5 GiB)
	MaxPartNumber    = 10000   // parts of one upload are numbered 1..10000
	MaxObjectSize    = 5 << 40 // bytes of one object (5 TiB)
	MaxTags          = 10      // tags of one object
	MaxTagKeyLen     = 128     // characters of a tag key
	MaxTagValueLen   = 256     // characters of a tag value
	DefaultListLimit = 1000    // keys of one list page
)

// Errors a backend returns (wrapped with context).
var (
	ErrNoSuchBucket      = errors.New("the specified bucket does not exist")
	ErrBucketExists      = errors.New("the requested bucket name is not available")
	ErrBucketOwnedByYou  = errors.New("the bucket you tried to create already exists, and you own it")
	ErrBucketNotEmpty    = errors.New("the bucket you tried to delete is not empty")
	ErrInvalidBucketName = errors.New("the specified bucket is not valid")
	ErrNoSuchKey         = errors.New("the specified key does not exist")
	ErrKeyTooLong        = errors.New("your key is too long")
	ErrInvalidKey        = errors.New("the key cannot be stored")
	ErrInvalidRange      = errors.New("the requested range is not satisfiable")
	ErrBadDigest         = errors.New("the Content-MD5 or checksum you specified did not match what we received")
	ErrTooLarge          = errors.New("your proposed upload exceeds the maximum allowed size")
	ErrTooSmall          = errors.New("your proposed upload is smaller than the minimum allowed size")
	ErrNoSuchUpload      = errors.New("the specified multipart upload does not exist")
	ErrInvalidPart       = errors.New("one or more of the specified parts could not be found or its entity tag did not match")
	ErrInvalidPartOrder  = errors.New("the list of parts was not in ascending order")
	ErrInvalidTag        = errors.New("the tag set is not valid")
	ErrIncompleteBody    = errors.New("you did not provide the number of bytes specified by the Content-Length")
)

// Bucket is one bucket.
type Bucket struct {
	Name    string
	Created time.Time
	// Owner is the account that created the bucket through the S3 API; ""
	// for a bucket whose folder something else made (a Transfer home
	// directory, an older data directory), which every account may use.
	Owner string
}

// ObjectInfo describes one object.
type ObjectInfo struct {
	Key          string
	Size         int64
	LastModified time.Time
	// ETag is the quoted entity tag: the hex MD5 of the content, or for a
	// multipart upload the MD5 of the parts' MD5s, "-" and the part count.
	ETag        string
	ContentType string
	// Metadata is the user metadata (x-amz-meta-*), names lower-case and
	// without the prefix.
	Metadata map[string]string
}

// Object is an object being read: its description and its content (the
// requested range only). The caller closes Body.
type Object struct {
	ObjectInfo
	// Range is the part of the object Body holds; nil for all of it.
	Range *Range
	Body  io.ReadCloser
}

// Range is a resolved byte range: Length bytes from Start.
type Range struct {
	Start, Length int64
}

// RangeRequest asks for part of an object as an HTTP Range does: bytes
// Start..End (End < 0: to the end), or with Suffix the last Suffix bytes.
type RangeRequest struct {
	Start, End int64
	Suffix     int64
	IsSuffix   bool
}

// Resolve turns r into a Range of an object of size bytes; a range that
// starts at or after the end is ErrInvalidRange, one that ends after it is
// cut short (as S3 does).
func (r *RangeRequest) Resolve(size int64) (*Range, error) {
	if r == nil {
		return nil, nil
	}
	if r.IsSuffix {
		if r.Suffix <= 0 || size == 0 {
			return nil, ErrInvalidRange
		}
		n := min(r.Suffix, size)
		return &Range{Start: size - n, Length: n}, nil
	}
	if r.Start < 0 || r.Start >= size || (r.End >= 0 && r.End < r.Start) {
		return nil, ErrInvalidRange
	}
	end := size - 1
	if r.End >= 0 && r.End < end {
		end = r.End
	}
	return &Range{Start: r.Start, Length: end - r.Start + 1}, nil
}

// PutOptions describe an object being written.
type PutOptions struct {
	ContentType string
	Metadata    map[string]string
	Tags        map[string]string
	// Size is the length the client announced (-1: unknown). A body that
	// ends before or goes on after it is ErrIncompleteBody / ErrTooLarge
	// and nothing is stored.
	Size int64
	// MD5, when set, is the Content-MD5 the client sent: content with
	// another digest is ErrBadDigest and nothing is stored.
	MD5 []byte
}

// ListQuery selects the keys of a list page.
type ListQuery struct {
	Prefix    string
	Delimiter string
	// After is the key (or common prefix) the page starts after: the
	// marker, start-after or continuation token.
	After string
	Limit int // 0: DefaultListLimit
}

// ListResult is one page of keys in ascending byte order.
type ListResult struct {
	Objects        []ObjectInfo
	CommonPrefixes []string
	// Truncated tells that more keys follow Next (the last key or common
	// prefix of this page).
	Truncated bool
	Next      string
}

// Part is a part named by CompleteMultipart.
type Part struct {
	Number int
	ETag   string
}

// UploadedPart is a part an upload holds.
type UploadedPart struct {
	Number       int
	ETag         string
	Size         int64
	LastModified time.Time
}

// Store is a set of buckets holding objects.
type Store interface {
	// ListBuckets lists every bucket in ascending name order.
	ListBuckets(ctx context.Context) ([]Bucket, error)
	// CreateBucket makes an empty bucket owned by owner. An existing bucket
	// of owner is ErrBucketOwnedByYou, of another account ErrBucketExists;
	// an existing bucket nobody owns is adopted by owner.
	CreateBucket(ctx context.Context, name, owner string) error
	// HeadBucket describes a bucket, or ErrNoSuchBucket.
	HeadBucket(ctx context.Context, name string) (Bucket, error)
	// DeleteBucket removes an empty bucket (ErrBucketNotEmpty otherwise).
	DeleteBucket(ctx context.Context, name string) error

	// Put stores the whole of body as key, replacing any object there,
	// streaming it (never holding it in memory). Nothing is stored unless
	// the body is read to its end and passes opts' checks; a reader error
	// is returned as it is, so a caller's checksum error comes back.
	Put(ctx context.Context, bucket, key string, body io.Reader, opts PutOptions) (ObjectInfo, error)
	// Get opens key (ErrNoSuchKey), all of it or the range rng asks for.
	Get(ctx context.Context, bucket, key string, rng *RangeRequest) (*Object, error)
	// Head describes key (ErrNoSuchKey).
	Head(ctx context.Context, bucket, key string) (ObjectInfo, error)
	// List lists keys as ListObjectsV2 does: those starting with Prefix, in
	// byte order, after After; with a Delimiter, the keys with the
	// delimiter after the prefix are rolled up into common prefixes.
	List(ctx context.Context, bucket string, q ListQuery) (ListResult, error)
	// Copy copies an object; with meta nil the source's metadata and
	// content type go with it, otherwise meta's replace them. Tags are
	// copied.
	Copy(ctx context.Context, srcBucket, srcKey, dstBucket, dstKey string, meta *PutOptions) (ObjectInfo, error)
	// Delete removes key; a missing key is not an error (as in S3).
	Delete(ctx context.Context, bucket, key string) error

	// Tags returns the tags of key (ErrNoSuchKey).
	Tags(ctx context.Context, bucket, key string) (map[string]string, error)
	// SetTags replaces the tags of key (nil or empty removes them).
	SetTags(ctx context.Context, bucket, key string, tags map[string]string) error

	// CreateMultipart starts an upload to key and returns its id.
	CreateMultipart(ctx context.Context, bucket, key string, opts PutOptions) (string, error)
	// UploadPart stores part n (1..MaxPartNumber) of an upload, replacing
	// an earlier one of that number, and returns its quoted ETag.
	UploadPart(ctx context.Context, bucket, key, uploadID string, n int, body io.Reader, opts PutOptions) (string, error)
	// ListParts lists an upload's parts in ascending number order.
	ListParts(ctx context.Context, bucket, key, uploadID string) ([]UploadedPart, error)
	// CompleteMultipart joins the named parts (ascending numbers, ETags
	// matching; every part but the last at least MinPartSize) into key.
	CompleteMultipart(ctx context.Context, bucket, key, uploadID string, parts []Part) (ObjectInfo, error)
	// AbortMultipart discards an upload and its parts.
	AbortMultipart(ctx context.Context, bucket, key, uploadID string) error
}
