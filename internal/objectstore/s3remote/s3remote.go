// Package s3remote is the object store over an S3-compatible endpoint (AWS
// S3, versitygw, MinIO, ...), through aws-sdk-go-v2's S3 client, path-style
// and with static credentials. Several Ersatz processes given the same
// endpoint share its buckets and objects.
//
// What the remote keeps for Ersatz:
//
//   - a bucket's owner (the account that created it through Ersatz) and
//     creation time are two tags of the bucket, ersatz:owner and
//     ersatz:created (PutBucketTagging); a bucket without them (made
//     outside Ersatz) belongs to no account, as a folder of the local
//     backend does;
//   - an object's tags are its S3 object tags, its user metadata its
//     x-amz-meta-* headers, its content type its Content-Type.
//
// Bodies are streamed: a Put or UploadPart of a known size goes to the
// remote as it is read, its last byte held back until the body is seen to
// end, so a body longer or shorter than announced aborts the request and
// stores nothing. A body of unknown size is first written to a temporary
// file (Config.TempDir), then sent with its length and MD5.
package s3remote

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"

	"github.com/ersatz-dev/ersatz/internal/objectstore"
)

// Tags of a bucket that hold what Ersatz knows of it.
const (
	OwnerTag   = "ersatz:owner"
	CreatedTag = "ersatz:created"
)

// Config names the remote endpoint.
type Config struct {
	// Endpoint is the URL of the S3 API, e.g. http://127.0.0.1:7070.
	Endpoint string
	// Region signs the requests (default us-east-1).
	Region string
	// AccessKeyID and SecretAccessKey are the remote's static credentials.
	AccessKeyID     string
	SecretAccessKey string
	// TempDir holds bodies of unknown size while they are received ("":
	// the system's temporary folder).
	TempDir string
	// HTTPClient sends the requests (nil: the SDK's default).
	HTTPClient *http.Client
}

// Store is a set of buckets on a remote S3 endpoint.
type Store struct {
	c       *s3.Client
	region  string
	tempDir string
}

var _ objectstore.Store = (*Store)(nil)

// New returns the store over cfg's endpoint. It sends no request: Check
// tells whether the endpoint answers.
func New(cfg Config) (*Store, error) {
	u, err := url.Parse(cfg.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("s3remote: the endpoint %q is not an http:// or https:// URL", cfg.Endpoint)
	}
	if cfg.AccessKeyID == "" || cfg.SecretAccessKey == "" {
		return nil, errors.New("s3remote: an access key id and a secret access key are needed")
	}
	region := cfg.Region
	if region == "" {
		region = "us-east-1"
	}
	opts := s3.Options{
		Region:       region,
		BaseEndpoint: aws.String(strings.TrimRight(cfg.Endpoint, "/")),
		Credentials:  credentials.NewStaticCredentialsProvider(cfg.AccessKeyID, cfg.SecretAccessKey, ""),
		UsePathStyle: true,
		// Content-MD5 is sent when the caller has one; no other checksum
		// is computed, so a body streams without being read twice.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
		// The payload is not hashed before it is sent (it streams):
		// UNSIGNED-PAYLOAD, over HTTP as over HTTPS.
		APIOptions: []func(*middleware.Stack) error{v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware},
	}
	if cfg.HTTPClient != nil {
		opts.HTTPClient = cfg.HTTPClient
	}
	return &Store{c: s3.New(opts), region: region, tempDir: cfg.TempDir}, nil
}

// Check lists the remote's buckets: an error says the endpoint does not
// answer or refuses the credentials.
func (s *Store) Check(ctx context.Context) error {
	if _, err := s.c.ListBuckets(ctx, &s3.ListBucketsInput{}); err != nil {
		return fmt.Errorf("s3remote: list buckets: %w", err)
	}
	return nil
}

// sentinels maps the remote's error codes onto the store's errors.
var sentinels = map[string]error{
	"NoSuchBucket":            objectstore.ErrNoSuchBucket,
	"NoSuchKey":               objectstore.ErrNoSuchKey,
	"BucketAlreadyExists":     objectstore.ErrBucketExists,
	"BucketAlreadyOwnedByYou": objectstore.ErrBucketOwnedByYou,
	"BucketNotEmpty":          objectstore.ErrBucketNotEmpty,
	"InvalidBucketName":       objectstore.ErrInvalidBucketName,
	"KeyTooLongError":         objectstore.ErrKeyTooLong,
	"InvalidRange":            objectstore.ErrInvalidRange,
	"BadDigest":               objectstore.ErrBadDigest,
	"InvalidDigest":           objectstore.ErrBadDigest,
	"EntityTooLarge":          objectstore.ErrTooLarge,
	"EntityTooSmall":          objectstore.ErrTooSmall,
	"NoSuchUpload":            objectstore.ErrNoSuchUpload,
	"InvalidPart":             objectstore.ErrInvalidPart,
	"InvalidPartOrder":        objectstore.ErrInvalidPartOrder,
	"InvalidTag":              objectstore.ErrInvalidTag,
	"IncompleteBody":          objectstore.ErrIncompleteBody,
}

// fail wraps an error of the remote for what (an operation and its
// bucket/key): a known S3 error code becomes its sentinel (the remote's
// message stays out of what a client sees); anything else, the reader's
// own errors included, is wrapped as it is.
func fail(what string, err error) error {
	if err == nil {
		return nil
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		if s, ok := sentinels[ae.ErrorCode()]; ok {
			return fmt.Errorf("%s: %w", what, s)
		}
	}
	return fmt.Errorf("s3remote: %s: %w", what, err)
}

// notFound tells a 404 without a code (the answer to a HEAD).
func notFound(err error) bool {
	var nf *types.NotFound
	if errors.As(err, &nf) {
		return true
	}
	var re interface{ HTTPStatusCode() int }
	return errors.As(err, &re) && re.HTTPStatusCode() == http.StatusNotFound
}

// bucketPath refuses a bucket name that is not one segment of a path
// (path-style requests put it in the URL path).
func bucketPath(name string) error {
	if name == "" || name == "." || name == ".." {
		return fmt.Errorf("bucket %q: %w", name, objectstore.ErrNoSuchBucket)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
			return fmt.Errorf("bucket %q: %w", name, objectstore.ErrNoSuchBucket)
		}
	}
	return nil
}

// ListBuckets lists the remote's buckets, each with the owner its tags
// name.
func (s *Store) ListBuckets(ctx context.Context) ([]objectstore.Bucket, error) {
	var out []objectstore.Bucket
	p := s3.NewListBucketsPaginator(s.c, &s3.ListBucketsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fail("list buckets", err)
		}
		for _, b := range page.Buckets {
			name := aws.ToString(b.Name)
			bk, err := s.HeadBucket(ctx, name)
			if errors.Is(err, objectstore.ErrNoSuchBucket) {
				continue // deleted meanwhile
			}
			if err != nil {
				return nil, err
			}
			if bk.Created.IsZero() {
				bk.Created = aws.ToTime(b.CreationDate).UTC()
			}
			out = append(out, bk)
		}
	}
	slices.SortFunc(out, func(a, b objectstore.Bucket) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// CreateBucket makes the bucket on the remote and tags it with its owner;
// an existing bucket without an owner tag is adopted (see objectstore).
func (s *Store) CreateBucket(ctx context.Context, name, owner string) error {
	if err := objectstore.ValidBucketName(name); err != nil {
		return err
	}
	in := &s3.CreateBucketInput{Bucket: aws.String(name)}
	if s.region != "us-east-1" {
		// S3 makes a bucket of another region only when asked by name.
		in.CreateBucketConfiguration = &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraint(s.region)}
	}
	_, err := s.c.CreateBucket(ctx, in)
	if err = fail("create bucket "+name, err); err != nil {
		if !errors.Is(err, objectstore.ErrBucketOwnedByYou) {
			// Another credential's bucket (BucketAlreadyExists) is
			// another account's as far as Ersatz can tell.
			return err
		}
		// The remote's credentials made it: whose is it in Ersatz?
		b, herr := s.HeadBucket(ctx, name)
		if herr != nil {
			return herr
		}
		if err := objectstore.CreateConflict(b, owner); err != nil {
			return err
		} // nobody's: adopted below
	}
	if owner == "" {
		return nil
	}
	tags := []types.Tag{
		{Key: aws.String(OwnerTag), Value: aws.String(owner)},
		{Key: aws.String(CreatedTag), Value: aws.String(time.Now().UTC().Truncate(time.Second).Format(time.RFC3339))},
	}
	_, err = s.c.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: aws.String(name), Tagging: &types.Tagging{TagSet: tags}})
	return fail("tag bucket "+name, err)
}

// HeadBucket describes a bucket from its tags (one request).
func (s *Store) HeadBucket(ctx context.Context, name string) (objectstore.Bucket, error) {
	if err := bucketPath(name); err != nil {
		return objectstore.Bucket{}, err
	}
	b := objectstore.Bucket{Name: name}
	out, err := s.c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String(name)})
	if err != nil {
		var ae smithy.APIError
		if errors.As(err, &ae) {
			switch ae.ErrorCode() {
			case "NoSuchTagSet", "NoSuchTagSetError": // a bucket without tags: nobody's
				return b, nil
			case "NotFound":
				return b, fmt.Errorf("bucket %s: %w", name, objectstore.ErrNoSuchBucket)
			}
		}
		return b, fail("head bucket "+name, err)
	}
	for _, t := range out.TagSet {
		switch aws.ToString(t.Key) {
		case OwnerTag:
			b.Owner = aws.ToString(t.Value)
		case CreatedTag:
			if tm, err := time.Parse(time.RFC3339, aws.ToString(t.Value)); err == nil {
				b.Created = tm.UTC()
			}
		}
	}
	return b, nil
}

// DeleteBucket removes an empty bucket.
func (s *Store) DeleteBucket(ctx context.Context, name string) error {
	if err := bucketPath(name); err != nil {
		return err
	}
	_, err := s.c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(name)})
	return fail("delete bucket "+name, err)
}

// validKey checks S3's rules for a key, and refuses a key with a "." or
// ".." segment: in a path-style URL the remote (or a proxy before it) may
// resolve such a segment and address another key, or another bucket.
func validKey(key string) error {
	if err := objectstore.ValidKey(key); err != nil {
		return err
	}
	if objectstore.HasDotSegment(key) {
		return fmt.Errorf("%w: the external store cannot address %q: a \".\" or \"..\" segment of a URL path may be resolved by the endpoint", objectstore.ErrInvalidKey, key)
	}
	return nil
}
