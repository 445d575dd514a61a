package localfs

import (
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/ersatz-dev/ersatz/internal/objectstore"
)

var _ objectstore.FilePutter = (*Store)(nil)

// SpoolDir is the folder beneath the store's folder where a caller of
// PutFile should write its files, so that they are moved into place rather
// than copied: files.Store.SpoolDir, which no bucket and no List shows.
func (s *Store) SpoolDir() string { return filepath.Join(s.dir, "spool") }

// PutFile stores f's content as key (see objectstore.FilePutter). A file
// beneath the store's folder (SpoolDir) is renamed into place, its ETag
// left to be computed when first asked for; any other file is copied
// through Put.
func (s *Store) PutFile(ctx context.Context, bucket, key string, f *os.File, opts objectstore.PutOptions) (objectstore.ObjectInfo, error) {
	fi, err := f.Stat()
	if err != nil {
		return objectstore.ObjectInfo{}, fmt.Errorf("localfs: put %s: %w", key, err)
	}
	rel, ok := s.beneath(f.Name())
	p, folder, err := keyPath(key)
	if err != nil {
		return objectstore.ObjectInfo{}, err
	}
	if !ok || folder || !fi.Mode().IsRegular() || opts.MD5 != nil {
		opts.Size = fi.Size()
		return s.Put(ctx, bucket, key, io.NewSectionReader(f, 0, fi.Size()), opts)
	}
	if err := objectstore.ValidTags(opts.Tags); err != nil {
		return objectstore.ObjectInfo{}, err
	}
	if fi.Size() > objectstore.MaxObjectSize {
		return objectstore.ObjectInfo{}, fmt.Errorf("%w: %d bytes, at most %d", objectstore.ErrTooLarge, fi.Size(), int64(objectstore.MaxObjectSize))
	}
	if err := ctx.Err(); err != nil {
		return objectstore.ObjectInfo{}, err
	}
	data, meta, err := s.openBucket(bucket)
	if err != nil {
		return objectstore.ObjectInfo{}, err
	}
	defer data.Close()
	defer meta.Close()
	root, err := s.root()
	if err != nil {
		return objectstore.ObjectInfo{}, err
	}
	defer root.Close()
	if dir := path.Dir(p); dir != "." {
		if err := data.MkdirAll(dir, 0o755); err != nil {
			return objectstore.ObjectInfo{}, fmt.Errorf("%w: %q: a file is in the way of its folders (%v)", objectstore.ErrInvalidKey, key, err)
		}
	}
	if err := replaceable(data, key, p); err != nil {
		return objectstore.ObjectInfo{}, err
	}
	// Stat'ed before the move (a rename keeps size and time): the record
	// describes this content, whatever a concurrent put does.
	info, err := root.Lstat(rel)
	if err != nil {
		return objectstore.ObjectInfo{}, fmt.Errorf("localfs: put %s: %w", key, err)
	}
	if err := root.Rename(rel, data, p); err != nil {
		return objectstore.ObjectInfo{}, fmt.Errorf("localfs: put %s: %w", key, err)
	}
	// No ETag yet: describe computes it when the S3 API first asks.
	rec := objectRecord{Key: key, Size: info.Size(), ModTime: info.ModTime().UnixNano(),
		ContentType: opts.ContentType, Metadata: opts.Metadata, Tags: opts.Tags}
	if rec.ContentType == "" && len(rec.Metadata) == 0 && len(rec.Tags) == 0 {
		_ = meta.Remove(recordName(key))
	} else if err := writeJSON(meta, recordName(key), rec); err != nil {
		return objectstore.ObjectInfo{}, err
	}
	return rec.info(info.ModTime()), nil
}

// beneath returns name relative to the store's folder when it lies below
// it (and not in a bucket's own folder).
func (s *Store) beneath(name string) (string, bool) {
	abs, err := filepath.Abs(name)
	if err != nil {
		return "", false
	}
	dir, err := filepath.Abs(s.dir)
	if err != nil {
		return "", false
	}
	rel, err := filepath.Rel(dir, abs)
	if err != nil || !filepath.IsLocal(rel) {
		return "", false
	}
	rel = filepath.ToSlash(rel)
	if rel == dataDir || strings.HasPrefix(rel, dataDir+"/") {
		return "", false
	}
	return rel, true
}
