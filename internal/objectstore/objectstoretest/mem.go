// Package objectstoretest holds a small in-memory objectstore.Store for the
// tests of code that works through the store: what such a test finds in it
// can only have come through the Store interface.
//
// It keeps objects in maps and checks what every backend must (bucket
// names, keys, tags, announced sizes: Size -1 is unknown); it has no multipart uploads (those
// methods answer errors.ErrUnsupported) and no list pagination beyond
// Limit. It is not a backend.
package objectstoretest

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ersatz-dev/ersatz/internal/objectstore"
)

type object struct {
	info objectstore.ObjectInfo
	data []byte
	tags map[string]string
}

type bucket struct {
	b       objectstore.Bucket
	objects map[string]*object
}

// Mem is an in-memory objectstore.Store.
type Mem struct {
	mu      sync.Mutex
	buckets map[string]*bucket
	// Calls counts the calls of each method by name ("Put", "Copy", ...).
	Calls map[string]int
}

var _ objectstore.Store = (*Mem)(nil)

// NewMem returns an empty store.
func NewMem() *Mem { return &Mem{buckets: map[string]*bucket{}, Calls: map[string]int{}} }

// Count returns how often method was called.
func (m *Mem) Count(method string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.Calls[method]
}

func (m *Mem) call(method string) { m.Calls[method]++ }

func (m *Mem) bucket(name string) (*bucket, error) {
	b, ok := m.buckets[name]
	if !ok {
		return nil, fmt.Errorf("bucket %s: %w", name, objectstore.ErrNoSuchBucket)
	}
	return b, nil
}

func (m *Mem) object(bucketName, key string) (*object, error) {
	b, err := m.bucket(bucketName)
	if err != nil {
		return nil, err
	}
	o, ok := b.objects[key]
	if !ok {
		return nil, fmt.Errorf("key %s: %w", key, objectstore.ErrNoSuchKey)
	}
	return o, nil
}

// ListBuckets lists the buckets by name.
func (m *Mem) ListBuckets(context.Context) ([]objectstore.Bucket, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.call("ListBuckets")
	var out []objectstore.Bucket
	for _, n := range slices.Sorted(maps.Keys(m.buckets)) {
		out = append(out, m.buckets[n].b)
	}
	return out, nil
}

// CreateBucket makes a bucket (see objectstore.Store).
func (m *Mem) CreateBucket(_ context.Context, name, owner string) error {
	if err := objectstore.ValidBucketName(name); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.call("CreateBucket")
	if b, ok := m.buckets[name]; ok {
		switch b.b.Owner {
		case owner:
			return fmt.Errorf("bucket %s: %w", name, objectstore.ErrBucketOwnedByYou)
		case "":
			b.b.Owner = owner
			return nil
		default:
			return fmt.Errorf("bucket %s: %w", name, objectstore.ErrBucketExists)
		}
	}
	m.buckets[name] = &bucket{b: objectstore.Bucket{Name: name, Owner: owner, Created: time.Now().UTC()}, objects: map[string]*object{}}
	return nil
}

// HeadBucket describes a bucket.
func (m *Mem) HeadBucket(_ context.Context, name string) (objectstore.Bucket, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.call("HeadBucket")
	b, err := m.bucket(name)
	if err != nil {
		return objectstore.Bucket{}, err
	}
	return b.b, nil
}

// DeleteBucket removes an empty bucket.
func (m *Mem) DeleteBucket(_ context.Context, name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.call("DeleteBucket")
	b, err := m.bucket(name)
	if err != nil {
		return err
	}
	if len(b.objects) > 0 {
		return fmt.Errorf("bucket %s: %w", name, objectstore.ErrBucketNotEmpty)
	}
	delete(m.buckets, name)
	return nil
}

// Put reads body to its end, then stores it (see objectstore.Store).
func (m *Mem) Put(ctx context.Context, bucketName, key string, body io.Reader, opts objectstore.PutOptions) (objectstore.ObjectInfo, error) {
	if err := objectstore.ValidKey(key); err != nil {
		return objectstore.ObjectInfo{}, err
	}
	if err := objectstore.ValidTags(opts.Tags); err != nil {
		return objectstore.ObjectInfo{}, err
	}
	m.mu.Lock()
	m.call("Put")
	_, err := m.bucket(bucketName)
	m.mu.Unlock()
	if err != nil {
		return objectstore.ObjectInfo{}, err
	}
	limit := int64(objectstore.MaxPutSize)
	if opts.Size > limit {
		return objectstore.ObjectInfo{}, objectstore.ErrTooLarge
	}
	if opts.Size >= 0 {
		limit = opts.Size
	}
	data, err := io.ReadAll(io.LimitReader(body, limit+1))
	if err != nil {
		return objectstore.ObjectInfo{}, err
	}
	if err := ctx.Err(); err != nil {
		return objectstore.ObjectInfo{}, err
	}
	switch n := int64(len(data)); {
	case n > limit && opts.Size >= 0:
		return objectstore.ObjectInfo{}, objectstore.ErrIncompleteBody
	case n > limit:
		return objectstore.ObjectInfo{}, objectstore.ErrTooLarge
	case opts.Size >= 0 && n < opts.Size:
		return objectstore.ObjectInfo{}, objectstore.ErrIncompleteBody
	}
	sum := md5.Sum(data)
	if opts.MD5 != nil && !bytes.Equal(opts.MD5, sum[:]) {
		return objectstore.ObjectInfo{}, objectstore.ErrBadDigest
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	b, err := m.bucket(bucketName)
	if err != nil {
		return objectstore.ObjectInfo{}, err
	}
	o := &object{data: data, tags: maps.Clone(opts.Tags), info: objectstore.ObjectInfo{
		Key: key, Size: int64(len(data)), LastModified: time.Now().UTC(), ETag: `"` + hex.EncodeToString(sum[:]) + `"`,
		ContentType: opts.ContentType, Metadata: maps.Clone(opts.Metadata),
	}}
	b.objects[key] = o
	return o.info, nil
}

// Get opens key (ranges are honoured).
func (m *Mem) Get(_ context.Context, bucketName, key string, rng *objectstore.RangeRequest) (*objectstore.Object, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.call("Get")
	o, err := m.object(bucketName, key)
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
func (m *Mem) Head(_ context.Context, bucketName, key string) (objectstore.ObjectInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.call("Head")
	o, err := m.object(bucketName, key)
	if err != nil {
		return objectstore.ObjectInfo{}, err
	}
	return o.info, nil
}

// List lists keys with Prefix, Delimiter, After and Limit.
func (m *Mem) List(_ context.Context, bucketName string, q objectstore.ListQuery) (objectstore.ListResult, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.call("List")
	b, err := m.bucket(bucketName)
	if err != nil {
		return objectstore.ListResult{}, err
	}
	limit := q.Limit
	if limit <= 0 {
		limit = objectstore.DefaultListLimit
	}
	var out objectstore.ListResult
	seen := map[string]bool{}
	for _, k := range slices.Sorted(maps.Keys(b.objects)) {
		if !strings.HasPrefix(k, q.Prefix) || k <= q.After {
			continue
		}
		entry := k
		if q.Delimiter != "" {
			if i := strings.Index(k[len(q.Prefix):], q.Delimiter); i >= 0 {
				entry = k[:len(q.Prefix)+i+len(q.Delimiter)]
			}
		}
		if seen[entry] || entry <= q.After {
			continue
		}
		if len(out.Objects)+len(out.CommonPrefixes) == limit {
			out.Truncated = true
			break
		}
		seen[entry] = true
		if entry != k {
			out.CommonPrefixes = append(out.CommonPrefixes, entry)
		} else {
			out.Objects = append(out.Objects, b.objects[k].info)
		}
		out.Next = entry
	}
	return out, nil
}

// Copy copies an object with its tags.
func (m *Mem) Copy(ctx context.Context, srcBucket, srcKey, dstBucket, dstKey string, meta *objectstore.PutOptions) (objectstore.ObjectInfo, error) {
	m.mu.Lock()
	m.call("Copy")
	o, err := m.object(srcBucket, srcKey)
	var data []byte
	var opts objectstore.PutOptions
	if err == nil {
		data = o.data
		opts = objectstore.PutOptions{ContentType: o.info.ContentType, Metadata: o.info.Metadata, Tags: o.tags, Size: o.info.Size}
	}
	m.mu.Unlock()
	if err != nil {
		return objectstore.ObjectInfo{}, err
	}
	if meta != nil {
		opts.ContentType, opts.Metadata = meta.ContentType, meta.Metadata
		if meta.Tags != nil {
			opts.Tags = meta.Tags
		}
	}
	return m.Put(ctx, dstBucket, dstKey, bytes.NewReader(data), opts)
}

// Delete removes key (a missing key is no error).
func (m *Mem) Delete(_ context.Context, bucketName, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.call("Delete")
	b, err := m.bucket(bucketName)
	if err != nil {
		return err
	}
	delete(b.objects, key)
	return nil
}

// Tags returns key's tags.
func (m *Mem) Tags(_ context.Context, bucketName, key string) (map[string]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.call("Tags")
	o, err := m.object(bucketName, key)
	if err != nil {
		return nil, err
	}
	return maps.Clone(o.tags), nil
}

// SetTags replaces key's tags.
func (m *Mem) SetTags(_ context.Context, bucketName, key string, tags map[string]string) error {
	if err := objectstore.ValidTags(tags); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.call("SetTags")
	o, err := m.object(bucketName, key)
	if err != nil {
		return err
	}
	o.tags = maps.Clone(tags)
	return nil
}

// CreateMultipart is not supported.
func (m *Mem) CreateMultipart(context.Context, string, string, objectstore.PutOptions) (string, error) {
	return "", fmt.Errorf("objectstoretest: multipart uploads: %w", errors.ErrUnsupported)
}

// UploadPart is not supported.
func (m *Mem) UploadPart(context.Context, string, string, string, int, io.Reader, objectstore.PutOptions) (string, error) {
	return "", fmt.Errorf("objectstoretest: multipart uploads: %w", errors.ErrUnsupported)
}

// ListParts is not supported.
func (m *Mem) ListParts(context.Context, string, string, string) ([]objectstore.UploadedPart, error) {
	return nil, fmt.Errorf("objectstoretest: multipart uploads: %w", errors.ErrUnsupported)
}

// CompleteMultipart is not supported.
func (m *Mem) CompleteMultipart(context.Context, string, string, string, []objectstore.Part) (objectstore.ObjectInfo, error) {
	return objectstore.ObjectInfo{}, fmt.Errorf("objectstoretest: multipart uploads: %w", errors.ErrUnsupported)
}

// AbortMultipart is not supported.
func (m *Mem) AbortMultipart(context.Context, string, string, string) error {
	return fmt.Errorf("objectstoretest: multipart uploads: %w", errors.ErrUnsupported)
}
