package connector

import (
	"bytes"
	"crypto/rand"
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
		c.limits = objectstore.PutLimits{MultipartAbove: objectstore.MinPartSize, PartSize: objectstore.MinPartSize}
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
