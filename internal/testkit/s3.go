package testkit

import (
	"testing"

	"github.com/ersatz-dev/ersatz/ersatztest"
	"github.com/ersatz-dev/ersatz/internal/store/memory"
	"github.com/ersatz-dev/ersatz/internal/testkit/s3test"
)

// WithS3 keeps the server's buckets and objects in the S3 server srv (the
// external backend, --s3-endpoint).
func WithS3(srv *s3test.Server) ersatztest.Option {
	return ersatztest.WithS3Endpoint(srv.URL, srv.AccessKeyID, srv.SecretAccessKey)
}

// StartExternal runs Ersatz as Start does, its buckets and objects in a
// versitygw of its own (s3test.StartOwn: skipped without versitygw).
func StartExternal(t testing.TB, opts ...ersatztest.Option) *Server {
	t.Helper()
	return StartWith(t, memory.New(), append([]ersatztest.Option{WithS3(s3test.StartOwn(t))}, opts...)...)
}
