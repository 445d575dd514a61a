// Package testkit starts Ersatz for tests and builds the real AWS clients
// that drive it: aws-sdk-go-v2 where the Go SDK has the service, boto3 (the
// installed botocore) where it has not.
package testkit

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/smithy-go/middleware"

	"github.com/ersatz-dev/ersatz/ersatztest"
	"github.com/ersatz-dev/ersatz/internal/inprocess"
	"github.com/ersatz-dev/ersatz/internal/store"
	"github.com/ersatz-dev/ersatz/internal/store/memory"
)

// Server is a running Ersatz.
type Server struct {
	URL   string
	Store store.Store
}

// Start runs Ersatz over an in-memory store until the test ends, without
// the Transfer data plane, through the public package ersatztest.
func Start(t testing.TB) *Server {
	t.Helper()
	return StartWith(t, memory.New())
}

// StartWith runs Ersatz over st until the test ends (then closes st), with
// ersatztest.Start and without the Transfer data plane; opts add to that.
func StartWith(t testing.TB, st store.Store, opts ...ersatztest.Option) *Server {
	t.Helper()
	t.Cleanup(func() { _ = st.Close() }) // after the server's own cleanup
	opts = append([]ersatztest.Option{ersatztest.WithDataPlane(false), inprocess.WithBackend(st)}, opts...)
	srv := ersatztest.Start(t, opts...)
	return &Server{URL: srv.URL, Store: st}
}

// AWSConfig is an SDK config aimed at the server, with static credentials
// whose access key id is account (12 digits) or any other key.
func (s *Server) AWSConfig(accessKey, region string) aws.Config {
	return aws.Config{
		Region:           region,
		Credentials:      credentials.NewStaticCredentialsProvider(accessKey, "secret", ""),
		BaseEndpoint:     aws.String(s.URL),
		RetryMaxAttempts: 1,
	}
}

// Transfer is a Transfer client for the default account and region.
func (s *Server) Transfer() *transfer.Client {
	return s.TransferAs("AKIDEXAMPLE", "us-east-1")
}

// TransferAs is a Transfer client signing with accessKey in region.
func (s *Server) TransferAs(accessKey, region string, opts ...func(*transfer.Options)) *transfer.Client {
	return transfer.NewFromConfig(s.AWSConfig(accessKey, region), opts...)
}

// NoClientValidation removes the SDK's own check of required members, so a
// test can send what the SDK would refuse and see what the server says.
func NoClientValidation(stack *middleware.Stack) error {
	// Operations without required members have no validation step to remove.
	_, _ = stack.Initialize.Remove("OperationInputValidation")
	return nil
}

// StartHandler serves h (for tests of the chain with handlers of their own).
func StartHandler(t testing.TB, h http.Handler) *Server {
	t.Helper()
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	return &Server{URL: hs.URL}
}
