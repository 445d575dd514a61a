package localfs

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ersatz-dev/ersatz/internal/files/beneath"
	"github.com/ersatz-dev/ersatz/internal/objectstore"
)

// uploadRecord is <files>/s3meta/<bucket>/mpu/<id>/upload.json.
type uploadRecord struct {
	Key         string            `json:"key"`
	ContentType string            `json:"contentType,omitempty"`
	Metadata    map[string]string `json:"metadata,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
	Created     time.Time         `json:"created"`
}

// partRecord is <files>/s3meta/<bucket>/mpu/<id>/<n>.json beside the part <n>.
type partRecord struct {
	ETag    string    `json:"etag"`
	Size    int64     `json:"size"`
	Written time.Time `json:"written"`
}

func validUploadID(id string) bool {
	if len(id) != 32 {
		return false
	}
	_, err := hex.DecodeString(id)
	return err == nil
}

// openUpload opens a bucket and checks that upload id is one of key's.
func (s *Store) openUpload(bucket, key, id string) (data, meta *beneath.Dir, up uploadRecord, err error) {
	data, meta, err = s.openBucket(bucket)
	if err != nil {
		return nil, nil, up, err
	}
	if !validUploadID(id) || readJSON(meta, "mpu/"+id+"/upload.json", &up) != nil || up.Key != key {
		data.Close()
		meta.Close()
		return nil, nil, up, fmt.Errorf("upload %s: %w", id, objectstore.ErrNoSuchUpload)
	}
	return data, meta, up, nil
}

// CreateMultipart starts an upload.
func (s *Store) CreateMultipart(ctx context.Context, bucket, key string, opts objectstore.PutOptions) (string, error) {
	if _, folder, err := keyPath(key); err != nil {
		return "", err
	} else if folder {
		return "", fmt.Errorf("%w: a key ending in \"/\" is a folder here and holds no bytes", objectstore.ErrInvalidKey)
	}
	if err := objectstore.ValidTags(opts.Tags); err != nil {
		return "", err
	}
	data, meta, err := s.openBucket(bucket)
	if err != nil {
		return "", err
	}
	defer data.Close()
	defer meta.Close()
	id := randomID()
	rec := uploadRecord{Key: key, ContentType: opts.ContentType, Metadata: opts.Metadata, Tags: opts.Tags, Created: time.Now().UTC()}
	if err := writeJSON(meta, "mpu/"+id+"/upload.json", rec); err != nil {
		return "", err
	}
	return id, nil
}

// UploadPart stores part n of an upload.
func (s *Store) UploadPart(ctx context.Context, bucket, key, id string, n int, body io.Reader, opts objectstore.PutOptions) (string, error) {
	if n < 1 || n > objectstore.MaxPartNumber {
		return "", fmt.Errorf("%w: part number must be an integer between 1 and %d, inclusive", objectstore.ErrInvalidPart, objectstore.MaxPartNumber)
	}
	data, meta, _, err := s.openUpload(bucket, key, id)
	if err != nil {
		return "", err
	}
	defer data.Close()
	defer meta.Close()
	tmp, size, sum, err := receive(ctx, meta, body, opts, objectstore.MaxPartSize)
	if err != nil {
		return "", err
	}
	name := "mpu/" + id + "/" + strconv.Itoa(n)
	if err := meta.Rename(tmp, meta, name); err != nil {
		_ = meta.Remove(tmp)
		if errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("upload %s: %w", id, objectstore.ErrNoSuchUpload)
		}
		return "", fmt.Errorf("localfs: store part %d: %w", n, err)
	}
	etag := etagOf(sum)
	if err := writeJSON(meta, name+".json", partRecord{ETag: etag, Size: size, Written: time.Now().UTC()}); err != nil {
		return "", err
	}
	return etag, nil
}

// ListParts lists an upload's parts.
func (s *Store) ListParts(ctx context.Context, bucket, key, id string) ([]objectstore.UploadedPart, error) {
	data, meta, _, err := s.openUpload(bucket, key, id)
	if err != nil {
		return nil, err
	}
	defer data.Close()
	defer meta.Close()
	entries, err := meta.ReadDir("mpu/" + id)
	if err != nil {
		return nil, fmt.Errorf("localfs: list parts of %s: %w", id, err)
	}
	var out []objectstore.UploadedPart
	for _, e := range entries {
		num, ok := strings.CutSuffix(e.Name(), ".json")
		n, err := strconv.Atoi(num)
		if !ok || err != nil {
			continue
		}
		var pr partRecord
		if readJSON(meta, "mpu/"+id+"/"+e.Name(), &pr) != nil {
			continue
		}
		out = append(out, objectstore.UploadedPart{Number: n, ETag: pr.ETag, Size: pr.Size, LastModified: pr.Written})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Number < out[j].Number })
	return out, nil
}

func unquote(etag string) string { return strings.Trim(etag, `"`) }

// CompleteMultipart joins parts into key.
func (s *Store) CompleteMultipart(ctx context.Context, bucket, key, id string, parts []objectstore.Part) (objectstore.ObjectInfo, error) {
	p, _, err := keyPath(key)
	if err != nil {
		return objectstore.ObjectInfo{}, err
	}
	data, meta, up, err := s.openUpload(bucket, key, id)
	if err != nil {
		return objectstore.ObjectInfo{}, err
	}
	defer data.Close()
	defer meta.Close()
	if len(parts) == 0 {
		return objectstore.ObjectInfo{}, fmt.Errorf("%w: you must specify at least one part", objectstore.ErrInvalidPart)
	}
	recs := make([]partRecord, len(parts))
	for i, part := range parts {
		if i > 0 && part.Number <= parts[i-1].Number {
			return objectstore.ObjectInfo{}, objectstore.ErrInvalidPartOrder
		}
		name := "mpu/" + id + "/" + strconv.Itoa(part.Number)
		if readJSON(meta, name+".json", &recs[i]) != nil || unquote(recs[i].ETag) != unquote(part.ETag) {
			return objectstore.ObjectInfo{}, fmt.Errorf("%w: part %d", objectstore.ErrInvalidPart, part.Number)
		}
	}
	for i, r := range recs[:len(recs)-1] {
		if r.Size < objectstore.MinPartSize {
			return objectstore.ObjectInfo{}, fmt.Errorf("%w: part %d is %d bytes; every part but the last must be at least %d bytes",
				objectstore.ErrTooSmall, parts[i].Number, r.Size, objectstore.MinPartSize)
		}
	}
	tmp, f, err := tempFile(meta)
	if err != nil {
		return objectstore.ObjectInfo{}, err
	}
	sums := md5.New()
	var total int64
	for i, part := range parts {
		if err = appendPart(ctx, meta, f, "mpu/"+id+"/"+strconv.Itoa(part.Number), recs[i].Size); err != nil {
			break
		}
		b, _ := hex.DecodeString(unquote(recs[i].ETag))
		sums.Write(b)
		total += recs[i].Size
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = meta.Remove(tmp)
		return objectstore.ObjectInfo{}, fmt.Errorf("localfs: join parts of %s: %w", id, err)
	}
	etag := `"` + hex.EncodeToString(sums.Sum(nil)) + "-" + strconv.Itoa(len(parts)) + `"`
	info, err := s.commit(data, meta, tmp, key, p, objectRecord{ETag: etag, ContentType: up.ContentType, Metadata: up.Metadata, Tags: up.Tags})
	if err != nil {
		return objectstore.ObjectInfo{}, err
	}
	_ = removeAll(meta, "mpu/"+id)
	return info, nil
}

func appendPart(ctx context.Context, meta *beneath.Dir, f *os.File, name string, size int64) error {
	pf, err := meta.OpenFile(name, os.O_RDONLY, 0)
	if err != nil {
		return err
	}
	defer pf.Close()
	if err := ctx.Err(); err != nil {
		return err
	}
	// File to file: the kernel copies (copy_file_range on Linux).
	n, err := io.Copy(f, pf)
	if err == nil && n != size {
		err = fmt.Errorf("part %s changed: %d bytes, %d recorded", name, n, size)
	}
	return err
}

// AbortMultipart discards an upload.
func (s *Store) AbortMultipart(ctx context.Context, bucket, key, id string) error {
	data, meta, _, err := s.openUpload(bucket, key, id)
	if err != nil {
		return err
	}
	defer data.Close()
	defer meta.Close()
	if err := removeAll(meta, "mpu/"+id); err != nil {
		return fmt.Errorf("localfs: abort %s: %w", id, err)
	}
	return nil
}
