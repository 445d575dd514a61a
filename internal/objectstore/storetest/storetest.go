// Package storetest is the conformance suite of objectstore.Store: Run
// checks a backend against the whole contract (buckets and their owners;
// put, get with ranges, head; list with prefix, delimiter and pages; copy;
// delete; tags; multipart; digests and sizes), so every backend answers
// alike.
package storetest

import (
	"bytes"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/ersatz-dev/ersatz/internal/objectstore"
)

// Owners of the suite's buckets.
const (
	OwnerA = "111111111111"
	OwnerB = "222222222222"
)

// Run checks the contract on stores newStore makes (one per subtest; two
// stores of one test may share their buckets: every bucket name is new).
func Run(t *testing.T, newStore func(t *testing.T) objectstore.Store) {
	for _, c := range []struct {
		name string
		run  func(t *testing.T, st objectstore.Store)
	}{
		{"Buckets", testBuckets},
		{"PutGetHead", testPutGetHead},
		{"Ranges", testRanges},
		{"List", testList},
		{"Copy", testCopy},
		{"Delete", testDelete},
		{"Tags", testTags},
		{"Multipart", testMultipart},
		{"MultipartRefusals", testMultipartRefusals},
		{"Integrity", testIntegrity},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.run(t, newStore(t))
		})
	}
}

// BucketName is a bucket name no other test uses.
func BucketName(t testing.TB) string {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "st-" + hex.EncodeToString(b[:])
}

func newBucket(t *testing.T, st objectstore.Store) string {
	t.Helper()
	name := BucketName(t)
	if err := st.CreateBucket(t.Context(), name, OwnerA); err != nil {
		t.Fatalf("create bucket %s: %v", name, err)
	}
	return name
}

func etagOf(b []byte) string {
	s := md5.Sum(b)
	return `"` + hex.EncodeToString(s[:]) + `"`
}

func put(t *testing.T, st objectstore.Store, bucket, key, body string, opts objectstore.PutOptions) objectstore.ObjectInfo {
	t.Helper()
	opts.Size = int64(len(body))
	info, err := st.Put(t.Context(), bucket, key, strings.NewReader(body), opts)
	if err != nil {
		t.Fatalf("put %s/%s: %v", bucket, key, err)
	}
	return info
}

func read(t *testing.T, st objectstore.Store, bucket, key string, rng *objectstore.RangeRequest) (string, *objectstore.Object) {
	t.Helper()
	obj, err := st.Get(t.Context(), bucket, key, rng)
	if err != nil {
		t.Fatalf("get %s/%s: %v", bucket, key, err)
	}
	defer obj.Body.Close()
	b, err := io.ReadAll(obj.Body)
	if err != nil {
		t.Fatalf("read %s/%s: %v", bucket, key, err)
	}
	return string(b), obj
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: %v, want %v", what, err, want)
	}
}

func absent(t *testing.T, st objectstore.Store, bucket, key string) {
	t.Helper()
	_, err := st.Head(t.Context(), bucket, key)
	wantErr(t, "head of "+key+" (nothing may be stored)", err, objectstore.ErrNoSuchKey)
}

func testBuckets(t *testing.T, st objectstore.Store) {
	ctx := t.Context()
	name := newBucket(t, st)
	b, err := st.HeadBucket(ctx, name)
	if err != nil || b.Name != name || b.Owner != OwnerA {
		t.Fatalf("head bucket: %+v %v", b, err)
	}
	wantErr(t, "create again by its owner", st.CreateBucket(ctx, name, OwnerA), objectstore.ErrBucketOwnedByYou)
	wantErr(t, "create again by another account", st.CreateBucket(ctx, name, OwnerB), objectstore.ErrBucketExists)
	for _, bad := range []string{"Bad_Bucket", "ab", "192.168.1.1", "a..b", "-dash"} {
		wantErr(t, "create "+bad, st.CreateBucket(ctx, bad, OwnerA), objectstore.ErrInvalidBucketName)
	}
	list, err := st.ListBuckets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(list, func(b objectstore.Bucket) bool { return b.Name == name })
	if i < 0 || list[i].Owner != OwnerA || list[i].Created.IsZero() {
		t.Fatalf("list buckets: %+v", list)
	}
	if !slices.IsSortedFunc(list, func(a, b objectstore.Bucket) int { return strings.Compare(a.Name, b.Name) }) {
		t.Fatalf("buckets not in name order: %+v", list)
	}

	// A bucket nobody owns is adopted by the first account creating it.
	free := BucketName(t)
	if err := st.CreateBucket(ctx, free, ""); err != nil {
		t.Fatal(err)
	}
	if b, err := st.HeadBucket(ctx, free); err != nil || b.Owner != "" {
		t.Fatalf("unowned bucket: %+v %v", b, err)
	}
	if err := st.CreateBucket(ctx, free, OwnerB); err != nil {
		t.Fatalf("adopt: %v", err)
	}
	if b, err := st.HeadBucket(ctx, free); err != nil || b.Owner != OwnerB {
		t.Fatalf("adopted bucket: %+v %v", b, err)
	}
	// Several buckets come back in name order, whatever order they were
	// made in.
	for range 3 {
		if err := st.CreateBucket(ctx, BucketName(t), OwnerA); err != nil {
			t.Fatal(err)
		}
	}
	if list, err = st.ListBuckets(ctx); err != nil || len(list) < 5 {
		t.Fatalf("list buckets: %d %v", len(list), err)
	}
	if !slices.IsSortedFunc(list, func(a, b objectstore.Bucket) int { return strings.Compare(a.Name, b.Name) }) {
		t.Fatalf("buckets not in name order: %+v", list)
	}

	put(t, st, name, "k", "v", objectstore.PutOptions{})
	wantErr(t, "delete a bucket with objects", st.DeleteBucket(ctx, name), objectstore.ErrBucketNotEmpty)
	if err := st.Delete(ctx, name, "k"); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteBucket(ctx, name); err != nil {
		t.Fatalf("delete an empty bucket: %v", err)
	}
	_, err = st.HeadBucket(ctx, name)
	wantErr(t, "head a deleted bucket", err, objectstore.ErrNoSuchBucket)
	wantErr(t, "delete a deleted bucket", st.DeleteBucket(ctx, name), objectstore.ErrNoSuchBucket)
	_, err = st.HeadBucket(ctx, BucketName(t))
	wantErr(t, "head a bucket never made", err, objectstore.ErrNoSuchBucket)
}

func testPutGetHead(t *testing.T, st objectstore.Store) {
	ctx := t.Context()
	b := newBucket(t, st)
	info := put(t, st, b, "dir/a.txt", "hello, world", objectstore.PutOptions{
		ContentType: "text/plain", Metadata: map[string]string{"color": "blue"}, Tags: map[string]string{"k": "v"}})
	if info.ETag != etagOf([]byte("hello, world")) || info.Size != 12 {
		t.Fatalf("put: %+v", info)
	}
	h, err := st.Head(ctx, b, "dir/a.txt")
	if err != nil || h.Size != 12 || h.ETag != info.ETag || h.ContentType != "text/plain" || h.Metadata["color"] != "blue" || h.LastModified.IsZero() {
		t.Fatalf("head: %+v %v", h, err)
	}
	body, obj := read(t, st, b, "dir/a.txt", nil)
	if body != "hello, world" || obj.Range != nil || obj.ETag != info.ETag || obj.Size != 12 || obj.Metadata["color"] != "blue" {
		t.Fatalf("get: %q %+v", body, obj.ObjectInfo)
	}
	// Replacing: the new content, metadata and tags only.
	put(t, st, b, "dir/a.txt", "second", objectstore.PutOptions{})
	if body, obj := read(t, st, b, "dir/a.txt", nil); body != "second" || len(obj.Metadata) != 0 {
		t.Fatalf("replaced: %q %+v", body, obj.ObjectInfo)
	}
	if tags, err := st.Tags(ctx, b, "dir/a.txt"); err != nil || len(tags) != 0 {
		t.Fatalf("tags of a replaced object: %v %v", tags, err)
	}
	// Empty objects, and a body of unknown size.
	put(t, st, b, "empty", "", objectstore.PutOptions{})
	if body, _ := read(t, st, b, "empty", nil); body != "" {
		t.Fatalf("empty: %q", body)
	}
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	info, err = st.Put(ctx, b, "unknown-size", io.MultiReader(bytes.NewReader(big)), objectstore.PutOptions{Size: -1})
	if err != nil || info.Size != int64(len(big)) || info.ETag != etagOf(big) {
		t.Fatalf("put of unknown size: %+v %v", info, err)
	}
	if body, _ := read(t, st, b, "unknown-size", nil); body != string(big) {
		t.Fatal("unknown-size content differs")
	}

	for _, c := range []struct {
		name        string
		bucket, key string
		want        error
	}{
		{"missing key", b, "nope", objectstore.ErrNoSuchKey},
		{"missing bucket", BucketName(t), "dir/a.txt", objectstore.ErrNoSuchBucket},
	} {
		_, err := st.Get(ctx, c.bucket, c.key, nil)
		wantErr(t, "get, "+c.name, err, c.want)
		_, err = st.Head(ctx, c.bucket, c.key)
		wantErr(t, "head, "+c.name, err, c.want)
	}
	_, err = st.Put(ctx, BucketName(t), "k", strings.NewReader("x"), objectstore.PutOptions{Size: 1})
	wantErr(t, "put into a missing bucket", err, objectstore.ErrNoSuchBucket)
	_, err = st.Put(ctx, b, strings.Repeat("k", objectstore.MaxKeyLen+1), strings.NewReader("x"), objectstore.PutOptions{Size: 1})
	wantErr(t, "put of a key over 1024 bytes", err, objectstore.ErrKeyTooLong)

	// Keys that climb out of their bucket are refused, and nothing lands
	// in this bucket or another.
	victim := newBucket(t, st)
	for _, key := range []string{"../" + victim + "/planted", "a/../../" + victim + "/planted", "./x", "a/./b"} {
		_, err := st.Put(ctx, b, key, strings.NewReader("x"), objectstore.PutOptions{Size: 1})
		wantErr(t, "put of "+key, err, objectstore.ErrInvalidKey)
		_, err = st.CreateMultipart(ctx, b, key, objectstore.PutOptions{})
		wantErr(t, "upload to "+key, err, objectstore.ErrInvalidKey)
	}
	if res, err := st.List(ctx, victim, objectstore.ListQuery{}); err != nil || len(res.Objects) != 0 {
		t.Fatalf("a key of another bucket reached %s: %+v %v", victim, res, err)
	}
}

func testRanges(t *testing.T, st objectstore.Store) {
	b := newBucket(t, st)
	const content = "0123456789"
	put(t, st, b, "r", content, objectstore.PutOptions{})
	for _, c := range []struct {
		name  string
		rng   objectstore.RangeRequest
		want  string
		start int64
	}{
		{"start-end", objectstore.RangeRequest{Start: 2, End: 5}, "2345", 2},
		{"start-", objectstore.RangeRequest{Start: 7, End: -1}, "789", 7},
		{"end past the end", objectstore.RangeRequest{Start: 8, End: 100}, "89", 8},
		{"suffix", objectstore.RangeRequest{IsSuffix: true, Suffix: 3}, "789", 7},
		{"suffix longer than the object", objectstore.RangeRequest{IsSuffix: true, Suffix: 30}, content, 0},
		{"one byte", objectstore.RangeRequest{Start: 0, End: 0}, "0", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			body, obj := read(t, st, b, "r", &c.rng)
			if body != c.want || obj.Range == nil || obj.Range.Start != c.start || obj.Range.Length != int64(len(c.want)) || obj.Size != 10 {
				t.Fatalf("%q, range %+v, size %d", body, obj.Range, obj.Size)
			}
		})
	}
	for _, rng := range []objectstore.RangeRequest{{Start: 10, End: -1}, {Start: 50, End: 60}} {
		_, err := st.Get(t.Context(), b, "r", &rng)
		wantErr(t, "a range past the end", err, objectstore.ErrInvalidRange)
	}
}

func testList(t *testing.T, st objectstore.Store) {
	ctx := t.Context()
	b := newBucket(t, st)
	keys := []string{"a/1", "a/2", "b", "c/d/e", "c/f", "g", "h/i"}
	for _, k := range keys {
		put(t, st, b, k, k, objectstore.PutOptions{})
	}
	for _, c := range []struct {
		name           string
		q              objectstore.ListQuery
		keys, prefixes []string
	}{
		{"all", objectstore.ListQuery{}, keys, nil},
		{"delimiter", objectstore.ListQuery{Delimiter: "/"}, []string{"b", "g"}, []string{"a/", "c/", "h/"}},
		{"prefix", objectstore.ListQuery{Prefix: "c/"}, []string{"c/d/e", "c/f"}, nil},
		{"prefix and delimiter", objectstore.ListQuery{Prefix: "c/", Delimiter: "/"}, []string{"c/f"}, []string{"c/d/"}},
		{"partial prefix", objectstore.ListQuery{Prefix: "c/d"}, []string{"c/d/e"}, nil},
		{"after a key", objectstore.ListQuery{After: "b"}, []string{"c/d/e", "c/f", "g", "h/i"}, nil},
		{"after a common prefix", objectstore.ListQuery{Delimiter: "/", After: "a/"}, []string{"b", "g"}, []string{"c/", "h/"}},
		{"no match", objectstore.ListQuery{Prefix: "zzz"}, nil, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, err := st.List(ctx, b, c.q)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, o := range res.Objects {
				got = append(got, o.Key)
				if o.Size != int64(len(o.Key)) || o.ETag != etagOf([]byte(o.Key)) {
					t.Fatalf("listed %+v", o)
				}
			}
			if !slices.Equal(got, c.keys) || !slices.Equal(res.CommonPrefixes, c.prefixes) || res.Truncated {
				t.Fatalf("keys %q prefixes %q truncated %v; want %q %q", got, res.CommonPrefixes, res.Truncated, c.keys, c.prefixes)
			}
		})
	}
	// Pages of two, with and without a delimiter: every entry once, in order.
	for _, c := range []struct {
		delim string
		want  []string
	}{
		{"", keys},
		{"/", []string{"a/", "b", "c/", "g", "h/"}},
	} {
		var seen []string
		after := ""
		for page := 0; ; page++ {
			if page > len(keys) {
				t.Fatalf("delimiter %q: no end of pages", c.delim)
			}
			res, err := st.List(ctx, b, objectstore.ListQuery{Delimiter: c.delim, After: after, Limit: 2})
			if err != nil {
				t.Fatal(err)
			}
			var entries []string
			for _, o := range res.Objects {
				entries = append(entries, o.Key)
			}
			entries = append(entries, res.CommonPrefixes...)
			slices.Sort(entries)
			if len(entries) > 2 {
				t.Fatalf("a page of %d entries with limit 2: %q", len(entries), entries)
			}
			seen = append(seen, entries...)
			if !res.Truncated {
				break
			}
			if res.Next != entries[len(entries)-1] {
				t.Fatalf("next %q, last entry %q", res.Next, entries[len(entries)-1])
			}
			after = res.Next
		}
		if !slices.Equal(seen, c.want) {
			t.Fatalf("pages with delimiter %q: %q, want %q", c.delim, seen, c.want)
		}
	}
	_, err := st.List(ctx, BucketName(t), objectstore.ListQuery{})
	wantErr(t, "list a missing bucket", err, objectstore.ErrNoSuchBucket)
}

func testCopy(t *testing.T, st objectstore.Store) {
	ctx := t.Context()
	b, other := newBucket(t, st), newBucket(t, st)
	src := put(t, st, b, "src", "copied content", objectstore.PutOptions{
		ContentType: "text/csv", Metadata: map[string]string{"m": "1"}, Tags: map[string]string{"t": "1"}})
	for _, c := range []struct {
		name      string
		dstBucket string
		meta      *objectstore.PutOptions
		ctype     string
		metadata  map[string]string
		tags      map[string]string
	}{
		{"keeps metadata", other, nil, "text/csv", map[string]string{"m": "1"}, map[string]string{"t": "1"}},
		{"replaces metadata", b, &objectstore.PutOptions{ContentType: "text/plain", Metadata: map[string]string{"n": "2"}},
			"text/plain", map[string]string{"n": "2"}, map[string]string{"t": "1"}},
		{"replaces tags", b, &objectstore.PutOptions{Metadata: map[string]string{"n": "3"}, Tags: map[string]string{"u": "2"}},
			"", map[string]string{"n": "3"}, map[string]string{"u": "2"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dst := "copy-" + strings.ReplaceAll(c.name, " ", "-")
			info, err := st.Copy(ctx, b, "src", c.dstBucket, dst, c.meta)
			if err != nil || info.ETag != src.ETag || info.Size != src.Size {
				t.Fatalf("copy: %+v %v", info, err)
			}
			body, obj := read(t, st, c.dstBucket, dst, nil)
			if body != "copied content" || (c.ctype != "" && obj.ContentType != c.ctype) || !mapsEqual(obj.Metadata, c.metadata) {
				t.Fatalf("copy: %q %+v", body, obj.ObjectInfo)
			}
			if tags, err := st.Tags(ctx, c.dstBucket, dst); err != nil || !mapsEqual(tags, c.tags) {
				t.Fatalf("copy's tags: %v %v", tags, err)
			}
		})
	}
	_, err := st.Copy(ctx, b, "nope", b, "x", nil)
	wantErr(t, "copy a missing key", err, objectstore.ErrNoSuchKey)
	absent(t, st, b, "x")
	_, err = st.Copy(ctx, b, "src", BucketName(t), "x", nil)
	wantErr(t, "copy into a missing bucket", err, objectstore.ErrNoSuchBucket)
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func testDelete(t *testing.T, st objectstore.Store) {
	ctx := t.Context()
	b := newBucket(t, st)
	put(t, st, b, "x/y", "1", objectstore.PutOptions{})
	put(t, st, b, "x/z", "2", objectstore.PutOptions{})
	if err := st.Delete(ctx, b, "x/y"); err != nil {
		t.Fatal(err)
	}
	absent(t, st, b, "x/y")
	if body, _ := read(t, st, b, "x/z", nil); body != "2" {
		t.Fatalf("a neighbour of a deleted key: %q", body)
	}
	if err := st.Delete(ctx, b, "never-there"); err != nil {
		t.Fatalf("delete of a missing key: %v", err)
	}
	wantErr(t, "delete in a missing bucket", st.Delete(ctx, BucketName(t), "k"), objectstore.ErrNoSuchBucket)
}

func testTags(t *testing.T, st objectstore.Store) {
	ctx := t.Context()
	b := newBucket(t, st)
	put(t, st, b, "k", "v", objectstore.PutOptions{})
	if tags, err := st.Tags(ctx, b, "k"); err != nil || len(tags) != 0 {
		t.Fatalf("new object's tags: %v %v", tags, err)
	}
	for _, tags := range []map[string]string{{"a": "1", "b": "two words"}, {"c": ""}, nil} {
		if err := st.SetTags(ctx, b, "k", tags); err != nil {
			t.Fatalf("set %v: %v", tags, err)
		}
		if got, err := st.Tags(ctx, b, "k"); err != nil || !mapsEqual(got, tags) {
			t.Fatalf("tags %v, want %v: %v", got, tags, err)
		}
	}
	eleven := map[string]string{}
	for i := range 11 {
		eleven[string(rune('a'+i))] = "x"
	}
	for name, tags := range map[string]map[string]string{
		"eleven tags":      eleven,
		"a key too long":   {strings.Repeat("k", objectstore.MaxTagKeyLen+1): "v"},
		"a value too long": {"k": strings.Repeat("v", objectstore.MaxTagValueLen+1)},
	} {
		wantErr(t, "set "+name, st.SetTags(ctx, b, "k", tags), objectstore.ErrInvalidTag)
		_, err := st.Put(ctx, b, "tagged", strings.NewReader("x"), objectstore.PutOptions{Size: 1, Tags: tags})
		wantErr(t, "put with "+name, err, objectstore.ErrInvalidTag)
		absent(t, st, b, "tagged")
	}
	_, err := st.Tags(ctx, b, "nope")
	wantErr(t, "tags of a missing key", err, objectstore.ErrNoSuchKey)
	wantErr(t, "tag a missing key", st.SetTags(ctx, b, "nope", map[string]string{"a": "b"}), objectstore.ErrNoSuchKey)
}
