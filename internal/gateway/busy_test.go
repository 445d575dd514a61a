package gateway_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/smithy-go"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/transferapi"
	"github.com/ersatz-dev/ersatz/internal/gateway"
	"github.com/ersatz-dev/ersatz/internal/store"
	"github.com/ersatz-dev/ersatz/internal/testkit"
)

// TestStoreBusyAnswersThrottling: a handler failing with (a wrapped)
// store.ErrBusy is answered with the service's Busy error, or a 400
// ThrottlingException when the service has none; never 500.
func TestStoreBusyAnswersThrottling(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		busy   func() error
		status int
		code   string
	}{
		{"service error", func() error { return &transferapi.ThrottlingException{RetryAfterSeconds: api.Ptr("1")} }, 429, "ThrottlingException"},
		{"default", nil, 400, "ThrottlingException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := &transferapi.Handlers{
				ListServers: func(context.Context, *transferapi.ListServersRequest) (*transferapi.ListServersResponse, error) {
					return nil, fmt.Errorf("transfer: list servers: %w", fmt.Errorf("postgres: %w: gave up", store.ErrBusy))
				},
			}
			svc := h.Service()
			svc.Busy = tc.busy
			srv := testkit.StartHandler(t, gateway.New(gateway.Options{Services: []*api.Service{svc}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}))
			c := srv.TransferAs("AKIDEXAMPLE", "us-east-1", func(o *transfer.Options) { o.RetryMaxAttempts = 1 })
			_, err := c.ListServers(t.Context(), &transfer.ListServersInput{MaxResults: aws.Int32(1)})
			var ae smithy.APIError
			var re *awshttp.ResponseError
			if !errors.As(err, &ae) || !errors.As(err, &re) || ae.ErrorCode() != tc.code || re.HTTPStatusCode() != tc.status {
				t.Fatalf("ListServers with the store busy: %v, want %d %s", err, tc.status, tc.code)
			}
		})
	}
}
