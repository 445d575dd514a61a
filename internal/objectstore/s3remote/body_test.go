package s3remote

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"github.com/ersatz-dev/ersatz/internal/objectstore"
)

// FuzzExactReader: a body hands on all of itself when it is exactly the
// announced size, and otherwise fails before its last announced byte.
func FuzzExactReader(f *testing.F) {
	for _, c := range []struct {
		data string
		size int64
	}{{"", 0}, {"a", 1}, {"abc", 3}, {"abc", 2}, {"abc", 4}, {"", 1}, {"a", 0}} {
		f.Add([]byte(c.data), c.size, false)
		f.Add([]byte(c.data), c.size, true)
	}
	f.Fuzz(func(t *testing.T, data []byte, size int64, oneByte bool) {
		if size < 0 || size > 1<<20 {
			return
		}
		var src io.Reader = bytes.NewReader(data)
		if oneByte {
			src = iotest.OneByteReader(src)
		}
		got, err := io.ReadAll(newExactReader(context.Background(), src, size))
		if int64(len(data)) == size {
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("exact body: %q %v", got, err)
			}
			return
		}
		if !errors.Is(err, objectstore.ErrIncompleteBody) {
			t.Fatalf("%d bytes announced as %d: %v", len(data), size, err)
		}
		if int64(len(got)) >= size && size > 0 {
			t.Fatalf("%d bytes announced as %d: all %d handed on", len(data), size, len(got))
		}
	})
}

// FuzzContentRange: whatever a remote sends as Content-Range, the range
// taken from it lies inside the object.
func FuzzContentRange(f *testing.F) {
	for _, s := range []string{"bytes 0-9/10", "bytes 2-5/10", "bytes 5-2/10", "bytes 0-10/10", "bytes */10", "", "bytes -1-3/4", "bytes 1-2/x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, total, err := contentRange(s)
		if err != nil {
			return
		}
		if r.Start < 0 || r.Length < 1 || r.Start+r.Length > total {
			t.Fatalf("%q: range %+v of %d", s, r, total)
		}
	})
}
