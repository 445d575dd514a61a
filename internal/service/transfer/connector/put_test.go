package connector

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ersatz-dev/ersatz/internal/api/transferapi"
	"github.com/ersatz-dev/ersatz/internal/objectstore"
	"github.com/ersatz-dev/ersatz/internal/objectstore/localfs"
)

// TestRetrieveAboveOnePutIsMultipart: a retrieved file larger than one Put
// may hold is stored with a multipart upload (here the threshold is made
// small), byte for byte.
func TestRetrieveAboveOnePutIsMultipart(t *testing.T) {
	t.Parallel()
	objs := localfs.New(t.TempDir())
	f := newRunnerWith(t, func(c *Config) {
		c.Objects = objs
		c.multipartAbove, c.partSize = objectstore.MinPartSize, objectstore.MinPartSize
	})
	payload := make([]byte, 2*objectstore.MinPartSize+123)
	if _, err := rand.Read(payload); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(f.remote, "big.bin"), payload, 0o644); err != nil {
		t.Fatal(err)
	}
	f.start(t, Op{OpID: "big", ConnectorID: "c-1", Kind: KindTransfer, Direction: DirRetrieve, LocalDir: "/multi/in",
		Files: []FileResult{{Source: "/big.bin", Path: "/big.bin"}}})
	if op := f.wait(t, "c-1", "big"); op.Files[0].Status != transferapi.TransferTableStatusCompleted {
		t.Fatalf("retrieve results %+v", op.Files)
	}
	obj, err := objs.Get(f.ctx, "multi", "in/big.bin", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Body.Close()
	got, err := io.ReadAll(obj.Body)
	if err != nil || !bytes.Equal(got, payload) || !strings.HasSuffix(obj.ETag, `-3"`) {
		t.Fatalf("object of %d bytes (%v), ETag %s; want %d bytes in 3 parts", len(got), err, obj.ETag, len(payload))
	}
}

// TestPutSizedStoresAllOrNothing: a body that is not the announced size
// stores nothing, below and above the multipart threshold.
func TestPutSizedStoresAllOrNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	objs := localfs.New(dir)
	r := New(Config{Objects: objs, multipartAbove: objectstore.MinPartSize, partSize: objectstore.MinPartSize})
	t.Cleanup(func() { _ = r.Close() })
	const size = objectstore.MinPartSize + 10
	tests := []struct {
		name string
		body int64 // bytes the body holds
		size int64 // bytes announced
		ok   bool
	}{
		{"exact", size, size, true},
		{"short", size - 1, size, false},
		{"long", size + 1, size, false},
		{"small exact", 10, 10, true},
		{"small long", 11, 10, false},
		{"too large for S3", 1, objectstore.MaxObjectSize + 1, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			key := strings.ReplaceAll(tc.name, " ", "-")
			err := r.putSized(ctx, "sized", key, io.LimitReader(rand.Reader, tc.body), tc.size)
			if (err == nil) != tc.ok {
				t.Fatalf("putSized = %v, want ok=%v", err, tc.ok)
			}
			info, herr := objs.Head(ctx, "sized", key)
			if tc.ok && (herr != nil || info.Size != tc.size) {
				t.Fatalf("stored %+v, %v", info, herr)
			}
			if !tc.ok && !errors.Is(herr, objectstore.ErrNoSuchKey) {
				t.Fatalf("a failed put left %+v (%v)", info, herr)
			}
			// No multipart upload is left behind (localfs keeps them in
			// s3meta/<bucket>/mpu/).
			if ups, _ := os.ReadDir(filepath.Join(dir, "s3meta", "sized", "mpu")); len(ups) != 0 {
				t.Fatalf("uploads left: %v", ups)
			}
		})
	}
}
