package memstore

import (
	"bytes"
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/ersatz-dev/ersatz/internal/objectstore"
)

func TestObjectsAndLists(t *testing.T) {
	ctx := context.Background()
	s := New()
	if err := s.CreateBucket(ctx, "b", ""); !errors.Is(err, objectstore.ErrInvalidBucketName) {
		t.Fatalf("short name: %v", err)
	}
	if err := s.CreateBucket(ctx, "bkt", "111"); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateBucket(ctx, "bkt", "222"); !errors.Is(err, objectstore.ErrBucketExists) {
		t.Fatalf("another owner: %v", err)
	}
	for _, k := range []string{"a/1", "a/2", "a/", "b", "c/d/e"} {
		if _, err := s.Put(ctx, "bkt", k, strings.NewReader(k), objectstore.PutOptions{Size: int64(len(k)), Tags: map[string]string{"k": k}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Put(ctx, "bkt", "x", strings.NewReader("abc"), objectstore.PutOptions{Size: 4}); !errors.Is(err, objectstore.ErrIncompleteBody) {
		t.Fatalf("short body: %v", err)
	}
	if _, err := s.Head(ctx, "bkt", "x"); !errors.Is(err, objectstore.ErrNoSuchKey) {
		t.Fatalf("a failed put stored: %v", err)
	}
	res, err := s.List(ctx, "bkt", objectstore.ListQuery{Delimiter: "/"})
	if err != nil || !slices.Equal(res.CommonPrefixes, []string{"a/", "c/"}) || len(res.Objects) != 1 || res.Objects[0].Key != "b" {
		t.Fatalf("delimited list %+v %v", res, err)
	}
	var keys []string
	q := objectstore.ListQuery{Prefix: "a/", Limit: 2}
	for {
		res, err := s.List(ctx, "bkt", q)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range res.Objects {
			keys = append(keys, o.Key)
		}
		if !res.Truncated {
			break
		}
		q.After = res.Next
	}
	if !slices.Equal(keys, []string{"a/", "a/1", "a/2"}) {
		t.Fatalf("paged keys %q", keys)
	}
	obj, err := s.Get(ctx, "bkt", "c/d/e", &objectstore.RangeRequest{Start: 2, End: -1})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(obj.Body)
	if string(b) != "d/e" {
		t.Fatalf("range read %q", b)
	}
	if _, err := s.Copy(ctx, "bkt", "b", "bkt", "b2", nil); err != nil {
		t.Fatal(err)
	}
	if tags, err := s.Tags(ctx, "bkt", "b2"); err != nil || tags["k"] != "b" {
		t.Fatalf("copied tags %v %v", tags, err)
	}
	if err := s.DeleteBucket(ctx, "bkt"); !errors.Is(err, objectstore.ErrBucketNotEmpty) {
		t.Fatalf("delete a full bucket: %v", err)
	}
}

func TestMultipart(t *testing.T) {
	ctx := context.Background()
	s := New()
	if err := s.CreateBucket(ctx, "bkt", ""); err != nil {
		t.Fatal(err)
	}
	id, err := s.CreateMultipart(ctx, "bkt", "big", objectstore.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	small, err := s.UploadPart(ctx, "bkt", "big", id, 1, strings.NewReader("tiny"), objectstore.PutOptions{Size: 4})
	if err != nil {
		t.Fatal(err)
	}
	last, err := s.UploadPart(ctx, "bkt", "big", id, 2, strings.NewReader("end"), objectstore.PutOptions{Size: 3})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CompleteMultipart(ctx, "bkt", "big", id, []objectstore.Part{{Number: 1, ETag: small}, {Number: 2, ETag: last}}); !errors.Is(err, objectstore.ErrTooSmall) {
		t.Fatalf("small first part: %v", err)
	}
	part := bytes.Repeat([]byte("p"), objectstore.MinPartSize)
	first, err := s.UploadPart(ctx, "bkt", "big", id, 1, bytes.NewReader(part), objectstore.PutOptions{Size: int64(len(part))})
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.CompleteMultipart(ctx, "bkt", "big", id, []objectstore.Part{{Number: 1, ETag: first}, {Number: 2, ETag: last}})
	if err != nil || info.Size != int64(len(part))+3 || !strings.HasSuffix(info.ETag, `-2"`) {
		t.Fatalf("complete %+v %v", info, err)
	}
	if _, err := s.ListParts(ctx, "bkt", "big", id); !errors.Is(err, objectstore.ErrNoSuchUpload) {
		t.Fatalf("upload after complete: %v", err)
	}
}
