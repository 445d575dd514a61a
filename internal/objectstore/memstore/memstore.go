// Package memstore is an object store held in memory, for tests: every
// key is an object of its own (a key ending in "/" is a zero-byte object
// like any other; there are no folders), as in S3. It is safe for
// concurrent use and keeps S3's limits.
package memstore

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ersatz-dev/ersatz/internal/objectstore"
)

// Store is an in-memory objectstore.Store.
type Store struct {
	mu      sync.Mutex
	buckets map[string]*bucket
	now     func() time.Time
}

var _ objectstore.Store = (*Store)(nil)

type bucket struct {
	info    objectstore.Bucket
	objects map[string]*object
	uploads map[string]*upload
}

type object struct {
	info objectstore.ObjectInfo
	data []byte
	tags map[string]string
}

type upload struct {
	key   string
	opts  objectstore.PutOptions
	parts map[int]*part
}

type part struct {
	etag string
	data []byte
	at   time.Time
}

// New returns an empty store.
func New() *Store {
	return &Store{buckets: map[string]*bucket{}, now: func() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }}
}

func (s *Store) bucket(name string) (*bucket, error) {
	b, ok := s.buckets[name]
	if !ok {
		return nil, fmt.Errorf("bucket %s: %w", name, objectstore.ErrNoSuchBucket)
	}
	return b, nil
}

// ListBuckets lists the buckets by name.
func (s *Store) ListBuckets(ctx context.Context) ([]objectstore.Bucket, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]objectstore.Bucket, 0, len(s.buckets))
	for _, b := range s.buckets {
		out = append(out, b.info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// CreateBucket makes an empty bucket (see objectstore.Store).
func (s *Store) CreateBucket(ctx context.Context, name, owner string) error {
	if err := objectstore.ValidBucketName(name); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if b, ok := s.buckets[name]; ok {
		if err := objectstore.CreateConflict(b.info, owner); err != nil {
			return err
		}
		b.info.Owner = owner
		return nil
	}
	s.buckets[name] = &bucket{
		info:    objectstore.Bucket{Name: name, Created: s.now(), Owner: owner},
		objects: map[string]*object{}, uploads: map[string]*upload{},
	}
	return nil
}

// HeadBucket describes a bucket.
func (s *Store) HeadBucket(ctx context.Context, name string) (objectstore.Bucket, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.bucket(name)
	if err != nil {
		return objectstore.Bucket{}, err
	}
	return b.info, nil
}

// DeleteBucket removes an empty bucket.
func (s *Store) DeleteBucket(ctx context.Context, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.bucket(name)
	if err != nil {
		return err
	}
	if len(b.objects) > 0 {
		return fmt.Errorf("bucket %s: %w", name, objectstore.ErrBucketNotEmpty)
	}
	delete(s.buckets, name)
	return nil
}

// receive reads body whole, checking opts' size and digest against limit.
func receive(ctx context.Context, body io.Reader, opts objectstore.PutOptions, limit int64) ([]byte, []byte, error) {
	if opts.Size > limit {
		return nil, nil, fmt.Errorf("%w: %d bytes, at most %d", objectstore.ErrTooLarge, opts.Size, limit)
	}
	if opts.Size >= 0 {
		limit = opts.Size
	}
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(body, limit+1))
	if err != nil {
		return nil, nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	switch {
	case n > limit && opts.Size >= 0:
		return nil, nil, fmt.Errorf("%w: the body goes on after the announced %d bytes", objectstore.ErrIncompleteBody, opts.Size)
	case n > limit:
		return nil, nil, fmt.Errorf("%w: at most %d bytes", objectstore.ErrTooLarge, limit)
	case opts.Size >= 0 && n < opts.Size:
		return nil, nil, fmt.Errorf("%w: %d of %d bytes", objectstore.ErrIncompleteBody, n, opts.Size)
	}
	sum := md5.Sum(buf.Bytes())
	if opts.MD5 != nil && !bytes.Equal(sum[:], opts.MD5) {
		return nil, nil, objectstore.ErrBadDigest
	}
	return buf.Bytes(), sum[:], nil
}

func etag(sum []byte) string { return `"` + hex.EncodeToString(sum) + `"` }

func (s *Store) store(b *bucket, key string, data []byte, tag string, opts objectstore.PutOptions) objectstore.ObjectInfo {
	o := &object{
		info: objectstore.ObjectInfo{Key: key, Size: int64(len(data)), LastModified: s.now(), ETag: tag,
			ContentType: opts.ContentType, Metadata: maps.Clone(opts.Metadata)},
		data: data, tags: maps.Clone(opts.Tags),
	}
	if len(o.tags) == 0 {
		o.tags = nil
	}
	b.objects[key] = o
	return o.info
}

// Put stores body as key.
func (s *Store) Put(ctx context.Context, bucket, key string, body io.Reader, opts objectstore.PutOptions) (objectstore.ObjectInfo, error) {
	if err := validKey(key); err != nil {
		return objectstore.ObjectInfo{}, err
	}
	if err := objectstore.ValidTags(opts.Tags); err != nil {
		return objectstore.ObjectInfo{}, err
	}
	data, sum, err := receive(ctx, body, opts, objectstore.MaxPutSize)
	if err != nil {
		return objectstore.ObjectInfo{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.bucket(bucket)
	if err != nil {
		return objectstore.ObjectInfo{}, err
	}
	return s.store(b, key, data, etag(sum), opts), nil
}

func (s *Store) object(bucket, key string) (*object, error) {
	b, err := s.bucket(bucket)
	if err != nil {
		return nil, err
	}
	o, ok := b.objects[key]
	if !ok {
		return nil, fmt.Errorf("key %s: %w", key, objectstore.ErrNoSuchKey)
	}
	return o, nil
}

// Get opens key or a range of it. The body reads a snapshot: a later put
// of the key does not change it.
func (s *Store) Get(ctx context.Context, bucket, key string, rng *objectstore.RangeRequest) (*objectstore.Object, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, err := s.object(bucket, key)
	if err != nil {
		return nil, err
	}
	r, err := rng.Resolve(o.info.Size)
	if err != nil {
		return nil, err
	}
	data := o.data
	if r != nil {
		data = data[r.Start : r.Start+r.Length]
	}
	return &objectstore.Object{ObjectInfo: o.info, Range: r, Body: io.NopCloser(bytes.NewReader(data))}, nil
}

// Head describes key.
func (s *Store) Head(ctx context.Context, bucket, key string) (objectstore.ObjectInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, err := s.object(bucket, key)
	if err != nil {
		return objectstore.ObjectInfo{}, err
	}
	return o.info, nil
}

// List lists keys as ListObjectsV2 does.
func (s *Store) List(ctx context.Context, bucket string, q objectstore.ListQuery) (objectstore.ListResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.bucket(bucket)
	if err != nil {
		return objectstore.ListResult{}, err
	}
	keys := slices.Sorted(maps.Keys(b.objects))
	return objectstore.ListPage(ctx, keys, q, func(key string) (objectstore.ObjectInfo, bool) {
		return b.objects[key].info, true
	})
}

// Copy copies an object with its tags.
func (s *Store) Copy(ctx context.Context, srcBucket, srcKey, dstBucket, dstKey string, meta *objectstore.PutOptions) (objectstore.ObjectInfo, error) {
	if err := validKey(dstKey); err != nil {
		return objectstore.ObjectInfo{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, err := s.object(srcBucket, srcKey)
	if err != nil {
		return objectstore.ObjectInfo{}, err
	}
	b, err := s.bucket(dstBucket)
	if err != nil {
		return objectstore.ObjectInfo{}, err
	}
	opts := objectstore.PutOptions{ContentType: o.info.ContentType, Metadata: o.info.Metadata, Tags: o.tags}
	if meta != nil {
		opts.ContentType, opts.Metadata = meta.ContentType, meta.Metadata
		if meta.Tags != nil {
			opts.Tags = meta.Tags
		}
	}
	return s.store(b, dstKey, o.data, o.info.ETag, opts), nil
}

// Delete removes key; a missing key is not an error.
func (s *Store) Delete(ctx context.Context, bucket, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.bucket(bucket)
	if err != nil {
		return err
	}
	delete(b.objects, key)
	return nil
}

// Tags returns key's tags.
func (s *Store) Tags(ctx context.Context, bucket, key string) (map[string]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, err := s.object(bucket, key)
	if err != nil {
		return nil, err
	}
	return maps.Clone(o.tags), nil
}

// SetTags replaces key's tags.
func (s *Store) SetTags(ctx context.Context, bucket, key string, tags map[string]string) error {
	if err := objectstore.ValidTags(tags); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, err := s.object(bucket, key)
	if err != nil {
		return err
	}
	o.tags = maps.Clone(tags)
	if len(o.tags) == 0 {
		o.tags = nil
	}
	return nil
}

// CreateMultipart starts an upload.
func (s *Store) CreateMultipart(ctx context.Context, bucket, key string, opts objectstore.PutOptions) (string, error) {
	if err := validKey(key); err != nil {
		return "", err
	}
	if err := objectstore.ValidTags(opts.Tags); err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.bucket(bucket)
	if err != nil {
		return "", err
	}
	var id [16]byte
	_, _ = rand.Read(id[:])
	u := hex.EncodeToString(id[:])
	b.uploads[u] = &upload{key: key, opts: opts, parts: map[int]*part{}}
	return u, nil
}

func (s *Store) upload(bucket, key, id string) (*bucket, *upload, error) {
	b, err := s.bucket(bucket)
	if err != nil {
		return nil, nil, err
	}
	u, ok := b.uploads[id]
	if !ok || u.key != key {
		return nil, nil, fmt.Errorf("upload %s: %w", id, objectstore.ErrNoSuchUpload)
	}
	return b, u, nil
}

// UploadPart stores part n of an upload.
func (s *Store) UploadPart(ctx context.Context, bucket, key, uploadID string, n int, body io.Reader, opts objectstore.PutOptions) (string, error) {
	if n < 1 || n > objectstore.MaxPartNumber {
		return "", fmt.Errorf("%w: part number %d is not in 1..%d", objectstore.ErrInvalidPart, n, objectstore.MaxPartNumber)
	}
	data, sum, err := receive(ctx, body, opts, objectstore.MaxPartSize)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, u, err := s.upload(bucket, key, uploadID)
	if err != nil {
		return "", err
	}
	u.parts[n] = &part{etag: etag(sum), data: data, at: s.now()}
	return u.parts[n].etag, nil
}

// ListParts lists an upload's parts.
func (s *Store) ListParts(ctx context.Context, bucket, key, uploadID string) ([]objectstore.UploadedPart, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, u, err := s.upload(bucket, key, uploadID)
	if err != nil {
		return nil, err
	}
	var out []objectstore.UploadedPart
	for _, n := range slices.Sorted(maps.Keys(u.parts)) {
		p := u.parts[n]
		out = append(out, objectstore.UploadedPart{Number: n, ETag: p.etag, Size: int64(len(p.data)), LastModified: p.at})
	}
	return out, nil
}

// CompleteMultipart joins the named parts into the key.
func (s *Store) CompleteMultipart(ctx context.Context, bucket, key, uploadID string, parts []objectstore.Part) (objectstore.ObjectInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, u, err := s.upload(bucket, key, uploadID)
	if err != nil {
		return objectstore.ObjectInfo{}, err
	}
	if len(parts) == 0 {
		return objectstore.ObjectInfo{}, fmt.Errorf("%w: no parts", objectstore.ErrInvalidPart)
	}
	var data []byte
	sums := md5.New()
	for i := 1; i < len(parts); i++ {
		if parts[i].Number <= parts[i-1].Number {
			return objectstore.ObjectInfo{}, objectstore.ErrInvalidPartOrder
		}
	}
	for i, p := range parts {
		got, ok := u.parts[p.Number]
		if !ok || strings.Trim(got.etag, `"`) != strings.Trim(p.ETag, `"`) {
			return objectstore.ObjectInfo{}, fmt.Errorf("%w: part %d", objectstore.ErrInvalidPart, p.Number)
		}
		if i < len(parts)-1 && len(got.data) < objectstore.MinPartSize {
			return objectstore.ObjectInfo{}, fmt.Errorf("%w: part %d is %d bytes", objectstore.ErrTooSmall, p.Number, len(got.data))
		}
		raw, _ := hex.DecodeString(strings.Trim(got.etag, `"`))
		sums.Write(raw)
		data = append(data, got.data...)
	}
	delete(b.uploads, uploadID)
	tag := fmt.Sprintf(`"%s-%d"`, hex.EncodeToString(sums.Sum(nil)), len(parts))
	return s.store(b, key, data, tag, u.opts), nil
}

// AbortMultipart discards an upload.
func (s *Store) AbortMultipart(ctx context.Context, bucket, key, uploadID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, _, err := s.upload(bucket, key, uploadID)
	if err != nil {
		return err
	}
	delete(b.uploads, uploadID)
	return nil
}

// validKey checks S3's rules for a key and, as every backend here does,
// refuses a key with a "." or ".." segment.
func validKey(key string) error {
	if err := objectstore.ValidKey(key); err != nil {
		return err
	}
	if objectstore.HasDotSegment(key) {
		return fmt.Errorf("%w: %q has a \".\" or \"..\" segment", objectstore.ErrInvalidKey, key)
	}
	return nil
}
