// Package localfs is the object store over folders of the data directory:
// the layout the Transfer data plane has always used, so an existing data
// directory and the SFTP/FTP servers see exactly the objects the S3 API
// serves.
//
//	<files>/s3/<bucket>/<key...>                  an object's content (a key "a/b/" is an empty folder)
//	<files>/s3meta/<bucket>/bucket.json           the bucket's owner and creation time
//	<files>/s3meta/<bucket>/obj/<sha256(key)>.json an object's ETag, content type, user metadata, tags
//	<files>/s3meta/<bucket>/mpu/<upload-id>/      a multipart upload's parts
//	<files>/s3meta/<bucket>/tmp/                  content being written
//
// The data plane shows only <files>/s3, so the sidecar folder is never
// seen over SFTP or FTP. A sidecar record is trusted only while the
// content's size and modification time are those it recorded: a file
// written over SFTP gets a fresh record (ETag = its MD5, no metadata, no
// tags), as a new PUT would in S3. Every path is opened beneath <files>
// without following a link at any component (package beneath).
package localfs

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ersatz-dev/ersatz/internal/files/beneath"
	"github.com/ersatz-dev/ersatz/internal/objectstore"
)

// Store keeps objects under one folder (the data directory's "files").
type Store struct {
	dir string
	// mu orders read-modify-writes of sidecar records (tags).
	mu sync.Mutex
}

var _ objectstore.Store = (*Store)(nil)

// New returns the store over filesDir (<data-dir>/files).
func New(filesDir string) *Store { return &Store{dir: filesDir} }

const (
	dataDir = "s3"
	metaDir = "s3meta"
)

// bucketRecord is <files>/s3meta/<bucket>/bucket.json.
type bucketRecord struct {
	Owner   string    `json:"owner"`
	Created time.Time `json:"created"`
}

// objectRecord is an object's sidecar record.
type objectRecord struct {
	Key         string            `json:"key"`
	Size        int64             `json:"size"`
	ModTime     int64             `json:"modTime"` // UnixNano of the content file
	ETag        string            `json:"etag"`
	ContentType string            `json:"contentType,omitempty"`
	Metadata    map[string]string `json:"metadata,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
}

func (s *Store) root() (*beneath.Dir, error) {
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return nil, fmt.Errorf("localfs: create %s: %w", s.dir, err)
	}
	r, err := beneath.OpenRoot(s.dir)
	if err != nil {
		return nil, fmt.Errorf("localfs: open %s: %w", s.dir, err)
	}
	return r, nil
}

// folderName refuses a bucket name that cannot be one folder.
func folderName(name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\\\x00") {
		return fmt.Errorf("%w: %q", objectstore.ErrNoSuchBucket, name)
	}
	return nil
}

// openBucket opens a bucket's content folder and its sidecar folder
// (created when missing).
func (s *Store) openBucket(name string) (data, meta *beneath.Dir, err error) {
	if err := folderName(name); err != nil {
		return nil, nil, err
	}
	root, err := s.root()
	if err != nil {
		return nil, nil, err
	}
	defer root.Close()
	data, err = root.OpenDir(dataDir+"/"+name, false)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, beneath.ErrLink) || errors.Is(err, syscall.ENOTDIR) {
			return nil, nil, fmt.Errorf("bucket %s: %w", name, objectstore.ErrNoSuchBucket)
		}
		return nil, nil, fmt.Errorf("localfs: open bucket %s: %w", name, err)
	}
	meta, err = root.OpenDir(metaDir+"/"+name, true)
	if err != nil {
		data.Close()
		return nil, nil, fmt.Errorf("localfs: open bucket %s records: %w", name, err)
	}
	return data, meta, nil
}

// keyPath is the path of key beneath its bucket's folder; folder tells a
// key ending in "/" (an empty folder). Keys that are no path (an empty,
// "." or ".." component) cannot be stored in this layout.
func keyPath(key string) (p string, folder bool, err error) {
	if err := objectstore.ValidKey(key); err != nil {
		return "", false, err
	}
	folder = strings.HasSuffix(key, "/")
	p = strings.TrimSuffix(key, "/")
	for _, c := range strings.Split(p, "/") {
		if c == "" || c == "." || c == ".." || strings.ContainsRune(c, 0) || len(c) > 255 {
			return "", false, fmt.Errorf("%w: the local store keeps keys as paths, and %q has an empty, \".\" or \"..\" segment, a NUL byte or a segment over 255 bytes", objectstore.ErrInvalidKey, key)
		}
	}
	return p, folder, nil
}

func recordName(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "obj/" + hex.EncodeToString(sum[:]) + ".json"
}

func readJSON(d *beneath.Dir, name string, v any) error {
	f, err := d.OpenFile(name, os.O_RDONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := json.NewDecoder(io.LimitReader(f, 1<<20)).Decode(v); err != nil {
		return fmt.Errorf("localfs: read %s: %w", name, err)
	}
	return nil
}

// writeJSON replaces name atomically (a temporary file renamed over it).
func writeJSON(d *beneath.Dir, name string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("localfs: encode %s: %w", name, err)
	}
	if i := strings.LastIndexByte(name, '/'); i > 0 {
		if err := d.MkdirAll(name[:i], 0o755); err != nil {
			return fmt.Errorf("localfs: %w", err)
		}
	}
	tmp, f, err := tempFile(d)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = d.Rename(tmp, d, name)
	}
	if err != nil {
		_ = d.Remove(tmp)
		return fmt.Errorf("localfs: write %s: %w", name, err)
	}
	return nil
}

// tempFile creates a new file in the sidecar folder's tmp/.
func tempFile(meta *beneath.Dir) (string, *os.File, error) {
	if err := meta.MkdirAll("tmp", 0o755); err != nil {
		return "", nil, fmt.Errorf("localfs: %w", err)
	}
	name := "tmp/" + randomID()
	f, err := meta.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return "", nil, fmt.Errorf("localfs: %w", err)
	}
	return name, f, nil
}

func randomID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// removeAll removes name beneath d and everything in it (no link is
// followed: a link is removed, not its target).
func removeAll(d *beneath.Dir, name string) error {
	info, err := d.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if info.IsDir() {
		entries, err := d.ReadDir(name)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if err := removeAll(d, name+"/"+e.Name()); err != nil {
				return err
			}
		}
	}
	if err := d.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// ListBuckets lists the folders of <files>/s3 (a link is not a bucket).
func (s *Store) ListBuckets(ctx context.Context) ([]objectstore.Bucket, error) {
	root, err := s.root()
	if err != nil {
		return nil, err
	}
	defer root.Close()
	entries, err := root.ReadDir(dataDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("localfs: list buckets: %w", err)
	}
	var out []objectstore.Bucket
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		out = append(out, s.bucketOf(root, e.Name(), e.ModTime()))
	}
	slices.SortFunc(out, func(a, b objectstore.Bucket) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

func (s *Store) bucketOf(root *beneath.Dir, name string, mtime time.Time) objectstore.Bucket {
	b := objectstore.Bucket{Name: name, Created: mtime.UTC()}
	var rec bucketRecord
	if err := readJSON(root, metaDir+"/"+name+"/bucket.json", &rec); err == nil {
		b.Owner = rec.Owner
		if !rec.Created.IsZero() {
			b.Created = rec.Created
		}
	}
	return b
}

// CreateBucket makes <files>/s3/<name> and records its owner.
func (s *Store) CreateBucket(ctx context.Context, name, owner string) error {
	if err := objectstore.ValidBucketName(name); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	root, err := s.root()
	if err != nil {
		return err
	}
	defer root.Close()
	if info, err := root.Lstat(dataDir + "/" + name); err == nil {
		if !info.IsDir() {
			return fmt.Errorf("bucket %s: %w", name, objectstore.ErrBucketExists)
		}
		b := s.bucketOf(root, name, info.ModTime())
		if err := objectstore.CreateConflict(b, owner); err != nil {
			return err
		} // nobody's: adopted below
	}
	data, err := root.OpenDir(dataDir+"/"+name, true)
	if err != nil {
		return fmt.Errorf("localfs: create bucket %s: %w", name, err)
	}
	data.Close()
	meta, err := root.OpenDir(metaDir+"/"+name, true)
	if err != nil {
		return fmt.Errorf("localfs: create bucket %s: %w", name, err)
	}
	defer meta.Close()
	return writeJSON(meta, "bucket.json", bucketRecord{Owner: owner, Created: time.Now().UTC().Truncate(time.Second)})
}

// HeadBucket describes a bucket.
func (s *Store) HeadBucket(ctx context.Context, name string) (objectstore.Bucket, error) {
	if err := folderName(name); err != nil {
		return objectstore.Bucket{}, err
	}
	root, err := s.root()
	if err != nil {
		return objectstore.Bucket{}, err
	}
	defer root.Close()
	info, err := root.Lstat(dataDir + "/" + name)
	if err != nil || !info.IsDir() {
		return objectstore.Bucket{}, fmt.Errorf("bucket %s: %w", name, objectstore.ErrNoSuchBucket)
	}
	return s.bucketOf(root, name, info.ModTime()), nil
}

// DeleteBucket removes an empty bucket and its records.
func (s *Store) DeleteBucket(ctx context.Context, name string) error {
	data, meta, err := s.openBucket(name)
	if err != nil {
		return err
	}
	entries, err := data.ReadDir(".")
	data.Close()
	meta.Close()
	if err != nil {
		return fmt.Errorf("localfs: delete bucket %s: %w", name, err)
	}
	if len(entries) > 0 {
		return fmt.Errorf("bucket %s: %w", name, objectstore.ErrBucketNotEmpty)
	}
	root, err := s.root()
	if err != nil {
		return err
	}
	defer root.Close()
	if err := root.Remove(dataDir + "/" + name); err != nil {
		if errors.Is(err, syscall.ENOTEMPTY) || errors.Is(err, syscall.EEXIST) {
			return fmt.Errorf("bucket %s: %w", name, objectstore.ErrBucketNotEmpty)
		}
		return fmt.Errorf("localfs: delete bucket %s: %w", name, err)
	}
	if err := removeAll(root, metaDir+"/"+name); err != nil {
		return fmt.Errorf("localfs: delete bucket %s records: %w", name, err)
	}
	return nil
}

// etagOf is the quoted hex ETag of a digest.
func etagOf(sum []byte) string { return `"` + hex.EncodeToString(sum) + `"` }

// md5File hashes an open file from its start.
func md5File(f *os.File) (string, error) {
	h := md5.New()
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, 1<<62)); err != nil {
		return "", err
	}
	return etagOf(h.Sum(nil)), nil
}
