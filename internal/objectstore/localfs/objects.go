package localfs

import (
	"bytes"
	"context"
	"crypto/md5"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/ersatz-dev/ersatz/internal/files/beneath"
	"github.com/ersatz-dev/ersatz/internal/objectstore"
)

// emptyETag is the ETag of an object of no bytes (a folder key).
var emptyETag = func() string { s := md5.Sum(nil); return etagOf(s[:]) }()

// receive copies body into a new temporary file, checking the limits of
// opts (and limit, the most bytes allowed), and returns its name, size and
// MD5. On error nothing is left behind.
func receive(ctx context.Context, meta *beneath.Dir, body io.Reader, opts objectstore.PutOptions, limit int64) (string, int64, []byte, error) {
	if opts.Size > limit {
		return "", 0, nil, fmt.Errorf("%w: %d bytes, at most %d", objectstore.ErrTooLarge, opts.Size, limit)
	}
	if opts.Size >= 0 {
		limit = opts.Size
	}
	tmp, f, err := tempFile(meta)
	if err != nil {
		return "", 0, nil, err
	}
	h := md5.New()
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(objectstore.ContextReader{Ctx: ctx, R: body}, limit+1))
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("localfs: write: %w", cerr)
	}
	sum := h.Sum(nil)
	switch {
	case err != nil:
	case n > limit && opts.Size >= 0:
		err = fmt.Errorf("%w: the body goes on after the announced %d bytes", objectstore.ErrIncompleteBody, opts.Size)
	case n > limit:
		err = fmt.Errorf("%w: at most %d bytes", objectstore.ErrTooLarge, limit)
	case opts.Size >= 0 && n < opts.Size:
		err = fmt.Errorf("%w: %d of %d bytes", objectstore.ErrIncompleteBody, n, opts.Size)
	case opts.MD5 != nil && !bytes.Equal(sum, opts.MD5):
		err = objectstore.ErrBadDigest
	}
	if err != nil {
		_ = meta.Remove(tmp)
		return "", 0, nil, err
	}
	return tmp, n, sum, nil
}

// commit moves the temporary file tmp to key's path and records rec.
func (s *Store) commit(data, meta *beneath.Dir, tmp, key, p string, rec objectRecord) (objectstore.ObjectInfo, error) {
	if dir := path.Dir(p); dir != "." {
		if err := data.MkdirAll(dir, 0o755); err != nil {
			_ = meta.Remove(tmp)
			return objectstore.ObjectInfo{}, fmt.Errorf("%w: %q: a file is in the way of its folders (%v)", objectstore.ErrInvalidKey, key, err)
		}
	}
	if err := replaceable(data, key, p); err != nil {
		_ = meta.Remove(tmp)
		return objectstore.ObjectInfo{}, err
	}
	// The record describes this content: the temporary file is stat'ed
	// before it moves (a rename keeps size and time), so a concurrent put
	// of the same key cannot lend it its own.
	info, err := meta.Lstat(tmp)
	if err != nil {
		_ = meta.Remove(tmp)
		return objectstore.ObjectInfo{}, fmt.Errorf("localfs: store %s: %w", key, err)
	}
	if err := meta.Rename(tmp, data, p); err != nil {
		_ = meta.Remove(tmp)
		return objectstore.ObjectInfo{}, fmt.Errorf("localfs: store %s: %w", key, err)
	}
	rec.Key, rec.Size, rec.ModTime = key, info.Size(), info.ModTime().UnixNano()
	if err := writeJSON(meta, recordName(key), rec); err != nil {
		return objectstore.ObjectInfo{}, err
	}
	return rec.info(info.ModTime()), nil
}

// replaceable refuses to store key over what is no object: a folder
// holding other keys, or a link or special file planted on the host (left
// alone, as every read leaves it unseen).
func replaceable(data *beneath.Dir, key, p string) error {
	info, err := data.Lstat(p)
	switch {
	case err != nil:
		return nil
	case info.IsDir():
		return fmt.Errorf("%w: %q is a folder holding other keys", objectstore.ErrInvalidKey, key)
	case !info.Mode().IsRegular():
		return fmt.Errorf("%w: %q: a link or special file is in the way", objectstore.ErrInvalidKey, key)
	}
	return nil
}

func (r objectRecord) info(mtime time.Time) objectstore.ObjectInfo {
	return objectstore.ObjectInfo{
		Key: r.Key, Size: r.Size, LastModified: mtime.UTC(), ETag: r.ETag,
		ContentType: r.ContentType, Metadata: r.Metadata,
	}
}

// Put stores body as key (see objectstore.Store).
func (s *Store) Put(ctx context.Context, bucket, key string, body io.Reader, opts objectstore.PutOptions) (objectstore.ObjectInfo, error) {
	p, folder, err := keyPath(key)
	if err != nil {
		return objectstore.ObjectInfo{}, err
	}
	if err := objectstore.ValidTags(opts.Tags); err != nil {
		return objectstore.ObjectInfo{}, err
	}
	data, meta, err := s.openBucket(bucket)
	if err != nil {
		return objectstore.ObjectInfo{}, err
	}
	defer data.Close()
	defer meta.Close()
	tmp, n, sum, err := receive(ctx, meta, body, opts, objectstore.MaxPutSize)
	if err != nil {
		return objectstore.ObjectInfo{}, err
	}
	if folder {
		if n != 0 {
			_ = meta.Remove(tmp)
			return objectstore.ObjectInfo{}, fmt.Errorf("%w: a key ending in \"/\" is a folder here and holds no bytes", objectstore.ErrInvalidKey)
		}
		_ = meta.Remove(tmp)
		if err := data.MkdirAll(p, 0o755); err != nil {
			return objectstore.ObjectInfo{}, fmt.Errorf("%w: %q: a file is in the way (%v)", objectstore.ErrInvalidKey, key, err)
		}
		return s.Head(ctx, bucket, key)
	}
	return s.commit(data, meta, tmp, key, p, objectRecord{
		ETag: etagOf(sum), ContentType: opts.ContentType, Metadata: opts.Metadata, Tags: opts.Tags,
	})
}

// describe returns key's record, made afresh when the content changed
// since it was written (or has none). With lazy (the caller needs no
// ETag: objectstore.WithoutETag) a record without a current ETag is
// returned with none rather than by reading the whole content.
func (s *Store) describe(data, meta *beneath.Dir, key, p string, folder bool, f *os.File, lazy bool) (objectRecord, time.Time, error) {
	var size int64
	var mtime time.Time
	if f != nil {
		fi, err := f.Stat()
		if err != nil {
			return objectRecord{}, time.Time{}, fmt.Errorf("localfs: stat %s: %w", key, err)
		}
		size, mtime = fi.Size(), fi.ModTime()
	} else {
		info, err := data.Lstat(p)
		if err != nil || info.IsDir() != folder || (!folder && !info.Mode().IsRegular()) {
			return objectRecord{}, time.Time{}, fmt.Errorf("key %s: %w", key, objectstore.ErrNoSuchKey)
		}
		size, mtime = info.Size(), info.ModTime()
	}
	if folder {
		return objectRecord{Key: key, ETag: emptyETag}, mtime, nil
	}
	var rec objectRecord
	fresh := readJSON(meta, recordName(key), &rec) == nil && rec.Key == key && rec.Size == size && rec.ModTime == mtime.UnixNano()
	if fresh && (rec.ETag != "" || lazy) {
		return rec, mtime, nil
	}
	if !fresh {
		rec = objectRecord{Key: key, Size: size, ModTime: mtime.UnixNano()}
		if lazy {
			return rec, mtime, nil
		}
	}
	if f == nil {
		g, err := data.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0)
		if err != nil {
			return objectRecord{}, time.Time{}, fmt.Errorf("key %s: %w", key, objectstore.ErrNoSuchKey)
		}
		defer g.Close()
		f = g
	}
	etag, err := md5File(f)
	if err != nil {
		return objectRecord{}, time.Time{}, fmt.Errorf("localfs: read %s: %w", key, err)
	}
	rec.ETag = etag
	_ = writeJSON(meta, recordName(key), rec) // a cache: failing to keep it costs a rehash
	return rec, mtime, nil
}

// Head describes key.
func (s *Store) Head(ctx context.Context, bucket, key string) (objectstore.ObjectInfo, error) {
	p, folder, err := keyPath(key)
	if err != nil {
		return objectstore.ObjectInfo{}, fmt.Errorf("key %s: %w", key, objectstore.ErrNoSuchKey)
	}
	data, meta, err := s.openBucket(bucket)
	if err != nil {
		return objectstore.ObjectInfo{}, err
	}
	defer data.Close()
	defer meta.Close()
	rec, mtime, err := s.describe(data, meta, key, p, folder, nil, objectstore.ETagNotNeeded(ctx))
	if err != nil {
		return objectstore.ObjectInfo{}, err
	}
	return rec.info(mtime), nil
}

// fileBody is the body Get returns: a section of the file, which is an
// io.ReaderAt too (offsets from the section's start: for a whole object,
// the object's own), so a reader at offsets needs no second open.
type fileBody struct {
	*io.SectionReader
	f *os.File
}

func (b fileBody) Close() error { return b.f.Close() }

// Get opens key, or the range of it rng asks for.
func (s *Store) Get(ctx context.Context, bucket, key string, rng *objectstore.RangeRequest) (*objectstore.Object, error) {
	p, folder, err := keyPath(key)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", key, objectstore.ErrNoSuchKey)
	}
	data, meta, err := s.openBucket(bucket)
	if err != nil {
		return nil, err
	}
	defer data.Close()
	defer meta.Close()
	if folder {
		rec, mtime, err := s.describe(data, meta, key, p, true, nil, false)
		if err != nil {
			return nil, err
		}
		if rng != nil {
			return nil, objectstore.ErrInvalidRange
		}
		return &objectstore.Object{ObjectInfo: rec.info(mtime), Body: io.NopCloser(strings.NewReader(""))}, nil
	}
	f, err := data.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", key, objectstore.ErrNoSuchKey)
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("key %s: %w", key, objectstore.ErrNoSuchKey)
	}
	rec, mtime, err := s.describe(data, meta, key, p, false, f, objectstore.ETagNotNeeded(ctx))
	if err != nil {
		f.Close()
		return nil, err
	}
	r, err := rng.Resolve(rec.Size)
	if err != nil {
		f.Close()
		return nil, err
	}
	obj := &objectstore.Object{ObjectInfo: rec.info(mtime), Range: r}
	if r == nil {
		obj.Body = fileBody{io.NewSectionReader(f, 0, rec.Size), f}
	} else {
		obj.Body = fileBody{io.NewSectionReader(f, r.Start, r.Length), f}
	}
	return obj, nil
}

// Delete removes key and the folders it leaves empty (S3 has no folders:
// a prefix goes with its last key).
func (s *Store) Delete(ctx context.Context, bucket, key string) error {
	p, folder, err := keyPath(key)
	if err != nil {
		return nil // no such key can exist
	}
	data, meta, err := s.openBucket(bucket)
	if err != nil {
		return err
	}
	defer data.Close()
	defer meta.Close()
	info, err := data.Lstat(p)
	if err != nil || info.IsDir() != folder || (!folder && !info.Mode().IsRegular()) {
		return nil
	}
	if err := data.Remove(p); err != nil {
		if folder && (errors.Is(err, syscall.ENOTEMPTY) || errors.Is(err, syscall.EEXIST)) {
			return nil // the folder key goes; the keys below it stay
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("localfs: delete %s: %w", key, err)
		}
	}
	if !folder {
		_ = meta.Remove(recordName(key))
	}
	for dir := path.Dir(p); dir != "."; dir = path.Dir(dir) {
		if data.Remove(dir) != nil {
			break
		}
	}
	return nil
}

// Copy copies srcKey to dstKey (see objectstore.Store).
func (s *Store) Copy(ctx context.Context, srcBucket, srcKey, dstBucket, dstKey string, meta *objectstore.PutOptions) (objectstore.ObjectInfo, error) {
	src, err := s.Get(ctx, srcBucket, srcKey, nil)
	if err != nil {
		return objectstore.ObjectInfo{}, err
	}
	defer src.Body.Close()
	tags, err := s.Tags(ctx, srcBucket, srcKey)
	if err != nil {
		return objectstore.ObjectInfo{}, err
	}
	opts := objectstore.PutOptions{ContentType: src.ContentType, Metadata: src.Metadata, Tags: tags, Size: src.Size}
	if meta != nil {
		opts.ContentType, opts.Metadata = meta.ContentType, meta.Metadata
		if meta.Tags != nil {
			opts.Tags = meta.Tags
		}
	}
	return s.Put(ctx, dstBucket, dstKey, src.Body, opts)
}

// Tags returns key's tags.
func (s *Store) Tags(ctx context.Context, bucket, key string) (map[string]string, error) {
	p, folder, err := keyPath(key)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", key, objectstore.ErrNoSuchKey)
	}
	data, meta, err := s.openBucket(bucket)
	if err != nil {
		return nil, err
	}
	defer data.Close()
	defer meta.Close()
	rec, _, err := s.describe(data, meta, key, p, folder, nil, false)
	if err != nil {
		return nil, err
	}
	return rec.Tags, nil
}

// SetTags replaces key's tags.
func (s *Store) SetTags(ctx context.Context, bucket, key string, tags map[string]string) error {
	if err := objectstore.ValidTags(tags); err != nil {
		return err
	}
	p, folder, err := keyPath(key)
	if err != nil {
		return fmt.Errorf("key %s: %w", key, objectstore.ErrNoSuchKey)
	}
	if folder {
		return fmt.Errorf("%w: a folder key holds no tags in the local store", objectstore.ErrInvalidKey)
	}
	data, meta, err := s.openBucket(bucket)
	if err != nil {
		return err
	}
	defer data.Close()
	defer meta.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, _, err := s.describe(data, meta, key, p, false, nil, false)
	if err != nil {
		return err
	}
	rec.Tags = tags
	if len(tags) == 0 {
		rec.Tags = nil
	}
	return writeJSON(meta, recordName(key), rec)
}

type listed struct {
	key  string
	info *beneath.Info
}

// walk adds the keys below folder dir ("" for the bucket) that may start
// with prefix: files, and folders without entries as "folder/" keys.
func walk(data *beneath.Dir, dir, prefix string, out *[]listed) error {
	name := dir
	if name == "" {
		name = "."
	}
	entries, err := data.ReadDir(name)
	if err != nil {
		if dir == "" {
			return err
		}
		return nil // gone, or a link
	}
	for _, e := range entries {
		full := e.Name()
		if dir != "" {
			full = dir + "/" + e.Name()
		}
		switch {
		case e.IsDir():
			if !strings.HasPrefix(full+"/", prefix) && !strings.HasPrefix(prefix, full+"/") {
				continue
			}
			sub, err := data.ReadDir(full)
			if err != nil {
				continue
			}
			if len(sub) == 0 {
				*out = append(*out, listed{full + "/", e})
				continue
			}
			if err := walk(data, full, prefix, out); err != nil {
				return err
			}
		case e.Mode().IsRegular():
			if strings.HasPrefix(full, prefix) {
				*out = append(*out, listed{full, e})
			}
		}
	}
	return nil
}

// List lists keys as ListObjectsV2 does.
func (s *Store) List(ctx context.Context, bucket string, q objectstore.ListQuery) (objectstore.ListResult, error) {
	data, meta, err := s.openBucket(bucket)
	if err != nil {
		return objectstore.ListResult{}, err
	}
	defer data.Close()
	defer meta.Close()
	var all []listed
	if err := walk(data, "", q.Prefix, &all); err != nil {
		return objectstore.ListResult{}, fmt.Errorf("localfs: list %s: %w", bucket, err)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].key < all[j].key })
	keys := make([]string, len(all))
	for i, l := range all {
		keys[i] = l.key
	}
	lazy := objectstore.ETagNotNeeded(ctx)
	return objectstore.ListPage(ctx, keys, q, func(key string) (objectstore.ObjectInfo, bool) {
		p, folder, err := keyPath(key)
		if err != nil {
			return objectstore.ObjectInfo{}, false // a file name no key can reach
		}
		rec, mtime, err := s.describe(data, meta, key, p, folder, nil, lazy)
		if err != nil {
			return objectstore.ObjectInfo{}, false // gone meanwhile
		}
		return rec.info(mtime), true
	})
}
