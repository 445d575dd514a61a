package storetest

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/ersatz-dev/ersatz/internal/objectstore"
)

// parts are the contents of a multipart upload: every part but the last
// MinPartSize bytes.
func partContents(n int, last int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		size := objectstore.MinPartSize
		if i == n-1 {
			size = last
		}
		out[i] = bytes.Repeat([]byte{byte('a' + i)}, size)
	}
	return out
}

func uploadParts(t *testing.T, st objectstore.Store, b, key, id string, contents [][]byte) []objectstore.Part {
	t.Helper()
	var parts []objectstore.Part
	for i, c := range contents {
		etag, err := st.UploadPart(t.Context(), b, key, id, i+1, bytes.NewReader(c), objectstore.PutOptions{Size: int64(len(c))})
		if err != nil {
			t.Fatalf("upload part %d: %v", i+1, err)
		}
		if etag != etagOf(c) {
			t.Fatalf("part %d: ETag %s, want %s", i+1, etag, etagOf(c))
		}
		parts = append(parts, objectstore.Part{Number: i + 1, ETag: etag})
	}
	return parts
}

func testMultipart(t *testing.T, st objectstore.Store) {
	ctx := t.Context()
	b := newBucket(t, st)
	id, err := st.CreateMultipart(ctx, b, "big", objectstore.PutOptions{ContentType: "application/x-big",
		Metadata: map[string]string{"m": "v"}, Tags: map[string]string{"t": "v"}})
	if err != nil {
		t.Fatal(err)
	}
	contents := partContents(2, 1000)
	parts := uploadParts(t, st, b, "big", id, contents)
	listed, err := st.ListParts(ctx, b, "big", id)
	if err != nil || len(listed) != 2 || listed[0].Number != 1 || listed[1].Size != 1000 || listed[1].ETag != parts[1].ETag {
		t.Fatalf("list parts: %+v %v", listed, err)
	}
	info, err := st.CompleteMultipart(ctx, b, "big", id, parts)
	if err != nil {
		t.Fatal(err)
	}
	sums := md5.New()
	for _, c := range contents {
		s := md5.Sum(c)
		sums.Write(s[:])
	}
	want := `"` + hex.EncodeToString(sums.Sum(nil)) + `-2"`
	if info.ETag != want || info.Size != objectstore.MinPartSize+1000 {
		t.Fatalf("completed: %+v, want ETag %s", info, want)
	}
	body, obj := read(t, st, b, "big", nil)
	if body != string(bytes.Join(contents, nil)) || obj.ContentType != "application/x-big" || obj.Metadata["m"] != "v" {
		t.Fatalf("the joined object differs (%d bytes) or lost its metadata: %+v", len(body), obj.ObjectInfo)
	}
	if tags, err := st.Tags(ctx, b, "big"); err != nil || tags["t"] != "v" {
		t.Fatalf("the joined object's tags: %v %v", tags, err)
	}
	_, err = st.ListParts(ctx, b, "big", id)
	wantErr(t, "list parts of a completed upload", err, objectstore.ErrNoSuchUpload)

	// Aborted uploads are gone.
	id, err = st.CreateMultipart(ctx, b, "aborted", objectstore.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	uploadParts(t, st, b, "aborted", id, [][]byte{[]byte("x")})
	if err := st.AbortMultipart(ctx, b, "aborted", id); err != nil {
		t.Fatal(err)
	}
	_, err = st.UploadPart(ctx, b, "aborted", id, 2, strings.NewReader("y"), objectstore.PutOptions{Size: 1})
	wantErr(t, "upload to an aborted upload", err, objectstore.ErrNoSuchUpload)
	_, err = st.CompleteMultipart(ctx, b, "aborted", id, []objectstore.Part{{Number: 1, ETag: etagOf([]byte("x"))}})
	wantErr(t, "complete an aborted upload", err, objectstore.ErrNoSuchUpload)
	absent(t, st, b, "aborted")
	_, err = st.CreateMultipart(ctx, BucketName(t), "k", objectstore.PutOptions{})
	wantErr(t, "start an upload in a missing bucket", err, objectstore.ErrNoSuchBucket)
}

func testMultipartRefusals(t *testing.T, st objectstore.Store) {
	ctx := t.Context()
	b := newBucket(t, st)
	small := [][]byte{[]byte("first part, too small"), []byte("last")}
	for _, c := range []struct {
		name     string
		contents [][]byte
		parts    func(real []objectstore.Part) []objectstore.Part
		want     error
	}{
		{"a part under 5 MiB that is not the last", small, func(p []objectstore.Part) []objectstore.Part { return p }, objectstore.ErrTooSmall},
		{"a wrong ETag", partContents(2, 10), func(p []objectstore.Part) []objectstore.Part {
			p[1].ETag = etagOf([]byte("something else"))
			return p
		}, objectstore.ErrInvalidPart},
		{"a part never uploaded", partContents(1, objectstore.MinPartSize), func(p []objectstore.Part) []objectstore.Part {
			return append(p, objectstore.Part{Number: 7, ETag: p[0].ETag})
		}, objectstore.ErrInvalidPart},
		{"descending parts", partContents(2, 10), func(p []objectstore.Part) []objectstore.Part {
			return []objectstore.Part{p[1], p[0]}
		}, objectstore.ErrInvalidPartOrder},
	} {
		t.Run(c.name, func(t *testing.T) {
			key := "refused-" + strings.ReplaceAll(c.name, " ", "-")
			id, err := st.CreateMultipart(ctx, b, key, objectstore.PutOptions{})
			if err != nil {
				t.Fatal(err)
			}
			parts := uploadParts(t, st, b, key, id, c.contents)
			_, err = st.CompleteMultipart(ctx, b, key, id, c.parts(parts))
			wantErr(t, "complete", err, c.want)
			absent(t, st, b, key)
			if err := st.AbortMultipart(ctx, b, key, id); err != nil {
				t.Fatalf("abort after a refused completion: %v", err)
			}
		})
	}
	id, err := st.CreateMultipart(ctx, b, "numbers", objectstore.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, objectstore.MaxPartNumber + 1} {
		_, err := st.UploadPart(ctx, b, "numbers", id, n, strings.NewReader("x"), objectstore.PutOptions{Size: 1})
		wantErr(t, "part number "+strconv.Itoa(n), err, objectstore.ErrInvalidPart)
	}
	_, err = st.UploadPart(ctx, b, "numbers", id, 1, strings.NewReader("x"), objectstore.PutOptions{Size: 1, MD5: md5Of("y")})
	wantErr(t, "a part with a wrong Content-MD5", err, objectstore.ErrBadDigest)
	if parts, err := st.ListParts(ctx, b, "numbers", id); err != nil || len(parts) != 0 {
		t.Fatalf("a refused part was kept: %+v %v", parts, err)
	}
	wantErr(t, "abort an upload never started", st.AbortMultipart(ctx, b, "numbers", "0123456789abcdef0123456789abcdef"), objectstore.ErrNoSuchUpload)
}

func md5Of(s string) []byte {
	sum := md5.Sum([]byte(s))
	return sum[:]
}

// failingReader gives some bytes, then fails.
type failingReader struct {
	data []byte
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

func testIntegrity(t *testing.T, st objectstore.Store) {
	ctx := t.Context()
	b := newBucket(t, st)
	errReader := errors.New("the client's checksum does not match")
	for _, c := range []struct {
		name string
		body io.Reader
		opts objectstore.PutOptions
		want error
	}{
		{"a wrong Content-MD5", strings.NewReader("content"), objectstore.PutOptions{Size: 7, MD5: md5Of("other")}, objectstore.ErrBadDigest},
		{"a wrong Content-MD5, unknown size", strings.NewReader("content"), objectstore.PutOptions{Size: -1, MD5: md5Of("other")}, objectstore.ErrBadDigest},
		{"a body shorter than announced", strings.NewReader("short"), objectstore.PutOptions{Size: 10}, objectstore.ErrIncompleteBody},
		{"a body longer than announced", strings.NewReader("longer than announced"), objectstore.PutOptions{Size: 6}, objectstore.ErrIncompleteBody},
		{"a body that fails", &failingReader{[]byte("some bytes"), errReader}, objectstore.PutOptions{Size: 100}, errReader},
		{"a body that fails at its last byte", &failingReader{[]byte("0123456789"), errReader}, objectstore.PutOptions{Size: 10}, errReader},
		{"an announced size over 5 GiB", strings.NewReader("x"), objectstore.PutOptions{Size: objectstore.MaxPutSize + 1}, objectstore.ErrTooLarge},
	} {
		t.Run(c.name, func(t *testing.T) {
			key := "refused-" + strings.ReplaceAll(c.name, " ", "-")
			_, err := st.Put(ctx, b, key, c.body, c.opts)
			wantErr(t, "put", err, c.want)
			absent(t, st, b, key)
		})
	}
	// A right Content-MD5 is accepted, with or without a size.
	for _, size := range []int64{7, -1} {
		key := "md5-" + strconv.FormatInt(size, 10)
		if _, err := st.Put(ctx, b, key, strings.NewReader("content"), objectstore.PutOptions{Size: size, MD5: md5Of("content")}); err != nil {
			t.Fatalf("put with a right Content-MD5 (size %d): %v", size, err)
		}
		if body, _ := read(t, st, b, key, nil); body != "content" {
			t.Fatalf("read %q", body)
		}
	}
	// A failed replacement leaves the object as it was.
	put(t, st, b, "kept", "original", objectstore.PutOptions{})
	_, err := st.Put(ctx, b, "kept", strings.NewReader("new"), objectstore.PutOptions{Size: 3, MD5: md5Of("x")})
	wantErr(t, "replace with a wrong digest", err, objectstore.ErrBadDigest)
	if body, _ := read(t, st, b, "kept", nil); body != "original" {
		t.Fatalf("a refused replacement changed the object: %q", body)
	}
}
