package localfs_test

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ersatz-dev/ersatz/internal/objectstore"
	"github.com/ersatz-dev/ersatz/internal/objectstore/localfs"
)

func newStore(t testing.TB) (*localfs.Store, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "files")
	st := localfs.New(dir)
	if err := st.CreateBucket(context.Background(), "bkt", "111111111111"); err != nil {
		t.Fatal(err)
	}
	return st, dir
}

func put(t testing.TB, st *localfs.Store, key, body string, opts objectstore.PutOptions) objectstore.ObjectInfo {
	t.Helper()
	opts.Size = int64(len(body))
	info, err := st.Put(context.Background(), "bkt", key, strings.NewReader(body), opts)
	if err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
	return info
}

func read(t testing.TB, st *localfs.Store, key string) string {
	t.Helper()
	obj, err := st.Get(context.Background(), "bkt", key, nil)
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	defer obj.Body.Close()
	b, _ := io.ReadAll(obj.Body)
	return string(b)
}

// Objects are the files of the data plane's layout, and files written
// there (as SFTP does) are objects.
func TestLayoutIsTheDataPlanes(t *testing.T) {
	st, dir := newStore(t)
	ctx := context.Background()
	info := put(t, st, "home/alice/a.txt", "hello", objectstore.PutOptions{ContentType: "text/plain", Tags: map[string]string{"k": "v"}})
	sum := md5.Sum([]byte("hello"))
	if info.ETag != `"`+hex.EncodeToString(sum[:])+`"` {
		t.Fatalf("etag %s", info.ETag)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "s3", "bkt", "home", "alice", "a.txt")); err != nil || string(b) != "hello" {
		t.Fatalf("the object is not the file: %q %v", b, err)
	}
	// A file written beside the store (SFTP) is an object with its MD5 as ETag.
	if err := os.WriteFile(filepath.Join(dir, "s3", "bkt", "home", "alice", "sftp.txt"), []byte("from sftp"), 0o644); err != nil {
		t.Fatal(err)
	}
	h, err := st.Head(ctx, "bkt", "home/alice/sftp.txt")
	sum = md5.Sum([]byte("from sftp"))
	if err != nil || h.ETag != `"`+hex.EncodeToString(sum[:])+`"` || h.Size != 9 {
		t.Fatalf("head of an SFTP file: %+v %v", h, err)
	}
	// Rewriting an object's file makes it a new object: no tags, no type.
	time.Sleep(10 * time.Millisecond)
	if err := os.WriteFile(filepath.Join(dir, "s3", "bkt", "home", "alice", "a.txt"), []byte("rewritten"), 0o644); err != nil {
		t.Fatal(err)
	}
	if tags, err := st.Tags(ctx, "bkt", "home/alice/a.txt"); err != nil || len(tags) != 0 {
		t.Fatalf("tags of a rewritten file: %v %v", tags, err)
	}
	if got := read(t, st, "home/alice/a.txt"); got != "rewritten" {
		t.Fatalf("read %q", got)
	}
	// A bucket made by the data plane (a folder) is a bucket nobody owns.
	if err := os.MkdirAll(filepath.Join(dir, "s3", "transfer-made"), 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := st.HeadBucket(ctx, "transfer-made")
	if err != nil || b.Owner != "" {
		t.Fatalf("folder bucket: %+v %v", b, err)
	}
	if err := st.CreateBucket(ctx, "transfer-made", "222222222222"); err != nil {
		t.Fatalf("adopting an unowned bucket: %v", err)
	}
	if b, _ := st.HeadBucket(ctx, "transfer-made"); b.Owner != "222222222222" {
		t.Fatalf("adopted bucket owner %q", b.Owner)
	}
	if err := st.CreateBucket(ctx, "bkt", "222222222222"); !errors.Is(err, objectstore.ErrBucketExists) {
		t.Fatalf("another account's bucket: %v", err)
	}
	// The sidecar records are not in the bucket's folder.
	entries, _ := os.ReadDir(filepath.Join(dir, "s3", "bkt"))
	if len(entries) != 1 || entries[0].Name() != "home" {
		t.Fatalf("bucket folder holds %v", entries)
	}
}

func TestListDelimiterAndPages(t *testing.T) {
	st, dir := newStore(t)
	ctx := context.Background()
	for _, k := range []string{"a/1", "a/2", "b", "c/d/e", "c/f", "g"} {
		put(t, st, k, k, objectstore.PutOptions{})
	}
	if err := os.Mkdir(filepath.Join(dir, "s3", "bkt", "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	res, err := st.List(ctx, "bkt", objectstore.ListQuery{Delimiter: "/"})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range res.Objects {
		keys = append(keys, o.Key)
	}
	if !slices.Equal(res.CommonPrefixes, []string{"a/", "c/", "empty/"}) || !slices.Equal(keys, []string{"b", "g"}) {
		t.Fatalf("delimiter: %q %q", res.CommonPrefixes, keys)
	}
	// Pages of 2, prefixes counting as one entry each.
	var seen []string
	after := ""
	for i := 0; ; i++ {
		res, err := st.List(ctx, "bkt", objectstore.ListQuery{Delimiter: "/", After: after, Limit: 2})
		if err != nil || i > 5 {
			t.Fatalf("page %d: %v", i, err)
		}
		seen = append(seen, res.CommonPrefixes...)
		for _, o := range res.Objects {
			seen = append(seen, o.Key)
		}
		if !res.Truncated {
			break
		}
		after = res.Next
	}
	slices.Sort(seen)
	if !slices.Equal(seen, []string{"a/", "b", "c/", "empty/", "g"}) {
		t.Fatalf("pages: %q", seen)
	}
	res, err = st.List(ctx, "bkt", objectstore.ListQuery{Prefix: "c/d"})
	if err != nil || len(res.Objects) != 1 || res.Objects[0].Key != "c/d/e" {
		t.Fatalf("prefix c/d: %+v %v", res, err)
	}
	// Deleting a prefix's last key removes the prefix.
	if err := st.Delete(ctx, "bkt", "c/d/e"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "s3", "bkt", "c", "d")); !os.IsNotExist(err) {
		t.Fatalf("emptied folder stays: %v", err)
	}
}

// Links planted in a bucket are neither listed, read nor written through.
func TestLinksAreNotObjects(t *testing.T) {
	st, dir := newStore(t)
	ctx := context.Background()
	outside := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(outside, []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "s3", "bkt", "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Dir(outside), filepath.Join(dir, "s3", "bkt", "dirlink")); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Get(ctx, "bkt", "link", nil); !errors.Is(err, objectstore.ErrNoSuchKey) {
		t.Fatalf("get through a link: %v", err)
	}
	if _, err := st.Get(ctx, "bkt", "dirlink/secret", nil); !errors.Is(err, objectstore.ErrNoSuchKey) {
		t.Fatalf("get through a folder link: %v", err)
	}
	if _, err := st.Put(ctx, "bkt", "dirlink/new", strings.NewReader("x"), objectstore.PutOptions{Size: 1}); err == nil {
		t.Fatal("put through a folder link")
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(outside), "new")); !os.IsNotExist(err) {
		t.Fatalf("a write went through a link: %v", err)
	}
	res, err := st.List(ctx, "bkt", objectstore.ListQuery{})
	if err != nil || len(res.Objects) != 0 {
		t.Fatalf("links listed: %+v %v", res, err)
	}
}

// FuzzPutKey: whatever the key, a put writes only beneath the bucket's
// folder (or is refused), and what it wrote reads back under that key.
func FuzzPutKey(f *testing.F) {
	for _, k := range []string{"a", "a/b/c", "../x", "a//b", "./a", "a/../../b", "/abs", "a/", "dir/.", "\x00", "é/ü", strings.Repeat("x", 1025)} {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, key string) {
		st, dir := newStore(t)
		ctx := context.Background()
		_, err := st.Put(ctx, "bkt", key, strings.NewReader(""), objectstore.PutOptions{Size: 0})
		// Nothing appears beside the store's two folders.
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if e.Name() != "s3" && e.Name() != "s3meta" {
				t.Fatalf("put %q wrote %s", key, e.Name())
			}
		}
		if s3, _ := os.ReadDir(filepath.Join(dir, "s3")); len(s3) != 1 {
			t.Fatalf("put %q made another bucket: %v", key, s3)
		}
		if err == nil {
			if _, herr := st.Head(ctx, "bkt", key); herr != nil {
				t.Fatalf("put %q succeeded, head: %v", key, herr)
			}
		}
	})
}

// Concurrent puts of one key leave one of the contents, described by its
// own ETag.
func TestConcurrentPutsOfOneKey(t *testing.T) {
	st, _ := newStore(t)
	bodies := []string{"first body", "second one", "third body", "fourth bod"} // one size: only the times tell them apart
	done := make(chan error, len(bodies))
	for _, b := range bodies {
		go func() {
			_, err := st.Put(context.Background(), "bkt", "same", strings.NewReader(b), objectstore.PutOptions{Size: int64(len(b))})
			done <- err
		}()
	}
	for range bodies {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	got := read(t, st, "same")
	h, err := st.Head(context.Background(), "bkt", "same")
	sum := md5.Sum([]byte(got))
	if err != nil || h.ETag != `"`+hex.EncodeToString(sum[:])+`"` || !slices.Contains(bodies, got) {
		t.Fatalf("content %q, ETag %s (want %x): %v", got, h.ETag, sum, err)
	}
}

// PutFile moves a spool file into place (no copy), the ETag computed when
// first asked for; a file elsewhere is copied; a link in the way is left
// alone.
func TestPutFile(t *testing.T) {
	st, dir := newStore(t)
	ctx := context.Background()
	if err := os.MkdirAll(st.SpoolDir(), 0o700); err != nil {
		t.Fatal(err)
	}
	spool, err := os.CreateTemp(st.SpoolDir(), "up-*")
	if err != nil {
		t.Fatal(err)
	}
	defer spool.Close()
	if _, err := spool.WriteString("spooled"); err != nil {
		t.Fatal(err)
	}
	before, _ := spool.Stat()
	if _, err := st.PutFile(ctx, "bkt", "in/a.txt", spool, objectstore.PutOptions{Size: -1}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(spool.Name()); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("spool file still there: %v", err)
	}
	after, err := os.Stat(filepath.Join(dir, "s3", "bkt", "in", "a.txt"))
	if err != nil || !os.SameFile(before, after) {
		t.Fatalf("the object is not the spool file moved: %v", err)
	}
	if info, err := st.Head(objectstore.WithoutETag(ctx), "bkt", "in/a.txt"); err != nil || info.ETag != "" || info.Size != 7 {
		t.Fatalf("head without ETag: %+v %v", info, err)
	}
	sum := md5.Sum([]byte("spooled"))
	if info, err := st.Head(ctx, "bkt", "in/a.txt"); err != nil || info.ETag != `"`+hex.EncodeToString(sum[:])+`"` {
		t.Fatalf("head: %+v %v", info, err)
	}
	if got := read(t, st, "in/a.txt"); got != "spooled" {
		t.Fatalf("content %q", got)
	}

	elsewhere := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(elsewhere, []byte("copied"), 0o644); err != nil {
		t.Fatal(err)
	}
	g, err := os.Open(elsewhere)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if _, err := st.PutFile(ctx, "bkt", "in/b.txt", g, objectstore.PutOptions{Size: -1}); err != nil {
		t.Fatal(err)
	}
	if got := read(t, st, "in/b.txt"); got != "copied" {
		t.Fatalf("content %q", got)
	}
	if _, err := os.Stat(elsewhere); err != nil {
		t.Fatalf("a file outside the store was moved: %v", err)
	}

	if err := os.Symlink(elsewhere, filepath.Join(dir, "s3", "bkt", "in", "link")); err != nil {
		t.Fatal(err)
	}
	spool2, err := os.CreateTemp(st.SpoolDir(), "up-*")
	if err != nil {
		t.Fatal(err)
	}
	defer spool2.Close()
	if _, err := st.PutFile(ctx, "bkt", "in/link", spool2, objectstore.PutOptions{Size: -1}); !errors.Is(err, objectstore.ErrInvalidKey) {
		t.Fatalf("put over a link: %v", err)
	}
	if fi, err := os.Lstat(filepath.Join(dir, "s3", "bkt", "in", "link")); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was replaced: %v", err)
	}
	keys, err := st.List(ctx, "bkt", objectstore.ListQuery{})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range keys.Objects {
		if strings.HasPrefix(o.Key, "spool") {
			t.Fatalf("the spool folder is listed: %s", o.Key)
		}
	}
}
