package s3remote_test

import (
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
