package objectstore_test

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ersatz-dev/ersatz/internal/objectstore"
	"github.com/ersatz-dev/ersatz/internal/objectstore/localfs"
)

// TestPutAllOrNothing: an object above the threshold is a multipart
// upload with the options' tags and metadata; a body that is not the
// announced size stores nothing and leaves no upload behind.
func TestPutAllOrNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	st := localfs.New(dir)
	if err := st.CreateBucket(ctx, "sized", ""); err != nil {
		t.Fatal(err)
	}
	lim := objectstore.PutLimits{MultipartAbove: objectstore.MinPartSize, PartSize: objectstore.MinPartSize}
	const size = 2*objectstore.MinPartSize + 10
	tests := []struct {
		name  string
		body  int64 // bytes the body holds
		size  int64 // bytes announced
		ok    bool
		parts string // the ETag's suffix
	}{
		{"exact", size, size, true, `-3"`},
		{"short", size - 1, size, false, ""},
		{"long", size + 1, size, false, ""},
		{"small exact", 10, 10, true, `"`},
		{"small long", 11, 10, false, ""},
		{"too large for S3", 1, objectstore.MaxObjectSize + 1, false, ""},
		{"unknown size", 1, -1, false, ""},
	}
	tags := map[string]string{"origin": "test"}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			key := strings.ReplaceAll(tc.name, " ", "-")
			opts := objectstore.PutOptions{Size: tc.size, ContentType: "application/x-test", Tags: tags}
			_, err := objectstore.PutSized(ctx, st, "sized", key, io.LimitReader(rand.Reader, tc.body), opts, lim)
			if (err == nil) != tc.ok {
				t.Fatalf("Put = %v, want ok=%v", err, tc.ok)
			}
			info, herr := st.Head(ctx, "sized", key)
			if tc.ok {
				got, terr := st.Tags(ctx, "sized", key)
				if herr != nil || info.Size != tc.size || info.ContentType != "application/x-test" ||
					!strings.HasSuffix(info.ETag, tc.parts) || terr != nil || !maps.Equal(got, tags) {
					t.Fatalf("stored %+v (%v), tags %v (%v)", info, herr, got, terr)
				}
			} else if !errors.Is(herr, objectstore.ErrNoSuchKey) {
				t.Fatalf("a failed put left %+v (%v)", info, herr)
			}
			// localfs keeps uploads in s3meta/<bucket>/mpu/.
			if ups, _ := os.ReadDir(filepath.Join(dir, "s3meta", "sized", "mpu")); len(ups) != 0 {
				t.Fatalf("uploads left: %v", ups)
			}
		})
	}
}
