package s3remote_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/ersatz-dev/ersatz/internal/objectstore"
	"github.com/ersatz-dev/ersatz/internal/objectstore/s3remote"
	"github.com/ersatz-dev/ersatz/internal/objectstore/storetest"
	"github.com/ersatz-dev/ersatz/internal/testkit/s3test"
)

func newStore(t testing.TB, srv *s3test.Server) *s3remote.Store {
	t.Helper()
	st, err := s3remote.New(s3remote.Config{Endpoint: srv.URL, Region: srv.Region, AccessKeyID: srv.AccessKeyID,
		SecretAccessKey: srv.SecretAccessKey, TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// The external backend keeps the object store's whole contract, on a
// real S3 server.
func TestConformance(t *testing.T) {
	t.Parallel()
	srv := s3test.Start(t)
	storetest.Run(t, func(t *testing.T) objectstore.Store { return newStore(t, srv) })
}

// recorder keeps the bodies of the requests it sends.
type recorder struct {
	mu     sync.Mutex
	bodies []string
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil && req.Method == http.MethodPut && strings.Count(strings.Trim(req.URL.Path, "/"), "/") == 0 && req.URL.RawQuery == "" {
		b, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		req.Body = io.NopCloser(bytes.NewReader(b))
		r.mu.Lock()
		r.bodies = append(r.bodies, string(b))
		r.mu.Unlock()
	}
	return http.DefaultTransport.RoundTrip(req)
}

// A store of another region than us-east-1 asks for its buckets there (S3
// refuses a CreateBucket without the region's LocationConstraint).
func TestRegion(t *testing.T) {
	t.Parallel()
	srv := s3test.StartOwnIn(t, "eu-west-1")
	rec := &recorder{}
	st, err := s3remote.New(s3remote.Config{Endpoint: srv.URL, Region: "eu-west-1", AccessKeyID: srv.AccessKeyID,
		SecretAccessKey: srv.SecretAccessKey, HTTPClient: &http.Client{Transport: rec}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	name := storetest.BucketName(t)
	if err := st.CreateBucket(ctx, name, storetest.OwnerA); err != nil {
		t.Fatalf("create a bucket in eu-west-1: %v", err)
	}
	rec.mu.Lock()
	bodies := rec.bodies
	rec.mu.Unlock()
	if len(bodies) != 1 || !strings.Contains(bodies[0], "<LocationConstraint>eu-west-1</LocationConstraint>") {
		t.Fatalf("CreateBucket sent %q, want the region's LocationConstraint", bodies)
	}
	if b, err := st.HeadBucket(ctx, name); err != nil || b.Owner != storetest.OwnerA {
		t.Fatalf("head: %+v %v", b, err)
	}
}
