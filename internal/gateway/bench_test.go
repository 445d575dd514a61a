package gateway_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/transferapi"
	"github.com/ersatz-dev/ersatz/internal/gateway"
)

// BenchmarkDecodeValidateEncode measures the protocol cost of one request
// through the whole chain (route, decode, validate, dispatch to a handler that
// does nothing, encode), without the network: the overhead Ersatz adds to
// every operation.
func BenchmarkDecodeValidateEncode(b *testing.B) {
	gw := echoGateway()
	cases := []struct {
		name, method, path, target, instance string
		body                                 []byte
	}{
		{"awsjson/UpdateAccess", "POST", "/", "TransferService.UpdateAccess", "", []byte(`{"ServerId":"s-0123456789abcdef0","ExternalId":"S-1-1-12-1234567890-123456789-1234567890-1234","HomeDirectoryType":"LOGICAL","HomeDirectoryMappings":[{"Entry":"/","Target":"/bucket/home"},{"Entry":"/shared","Target":"/bucket/shared"}],"PosixProfile":{"Uid":1000,"Gid":1000,"SecondaryGids":[2000,2001]},"Policy":"{}","Role":"arn:aws:iam::000000000000:role/transfer"}`)},
		{"awsjson/DescribeAccess", "POST", "/", "TransferService.DescribeAccess", "", []byte(`{"ServerId":"s-0123456789abcdef0","ExternalId":"S-1-1-12-1234567890-123456789-1234567890-1234"}`)},
		{"restjson/UpdateBackendStorage", "POST", "/backend/app1/storage/dev", "", "", []byte(`{"resourceName":"files","resourceConfig":{"serviceName":"S3","permissions":{"authenticated":["READ","CREATE_AND_UPDATE"],"unAuthenticated":["READ"]}}}`)},
		{"restjson/UpdateQAppPermissions", "POST", "/apps.updateQAppPermissions", "", "inst-1", []byte(`{"appId":"3f5a2b8c-1d4e-4f6a-9b7c-0d1e2f3a4b5c","grantPermissions":[{"action":"read","principal":"user-2"}],"revokePermissions":[{"action":"write","principal":"user-3"}]}`)},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(c.method, c.path, bytes.NewReader(c.body))
				if c.target != "" {
					req.Header.Set("X-Amz-Target", c.target)
					req.Header.Set("Content-Type", "application/x-amz-json-1.1")
				}
				if c.instance != "" {
					req.Header.Set("instance-id", c.instance)
				}
				rec := httptest.NewRecorder()
				gw.ServeHTTP(rec, req)
				if rec.Code != 200 {
					b.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
			}
		})
	}
}

const updateAccessBody = `{"ServerId":"s-0123456789abcdef0","ExternalId":"S-1-1-12-1234567890-123456789-1234567890-1234","HomeDirectoryType":"LOGICAL","HomeDirectoryMappings":[{"Entry":"/","Target":"/bucket/home"},{"Entry":"/shared","Target":"/bucket/shared"}],"PosixProfile":{"Uid":1000,"Gid":1000,"SecondaryGids":[2000,2001]},"Policy":"{}","Role":"arn:aws:iam::000000000000:role/transfer"}`

// signedShapeHeaders are those of a SigV4-signed UpdateAccess (the gateway
// without an authenticator reads the credential scope, not the signature).
var signedShapeHeaders = map[string]string{
	"X-Amz-Target":  "TransferService.UpdateAccess",
	"Content-Type":  "application/x-amz-json-1.1",
	"Authorization": "AWS4-HMAC-SHA256 Credential=111111111111/20260101/us-east-1/transfer/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=0000000000000000000000000000000000000000000000000000000000000000",
	"X-Amz-Date":    "20260101T000000Z",
}

// reusableBody is a request body read again from the start each iteration.
type reusableBody struct{ bytes.Reader }

func (*reusableBody) Close() error { return nil }

// discardWriter is a ResponseWriter that keeps only the status.
type discardWriter struct {
	h      http.Header
	status int
}

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(code int)        { d.status = code }

// BenchmarkGatewayUpdateAccess measures what the gateway itself allocates
// for one UpdateAccess (detect, route, decode, validate, a typed handler,
// encode): the request and the response writer are reused, so neither the
// test harness's request parsing nor a recorder is counted.
func BenchmarkGatewayUpdateAccess(b *testing.B) {
	tr := &transferapi.Handlers{
		UpdateAccess: func(ctx context.Context, in *transferapi.UpdateAccessRequest) (*transferapi.UpdateAccessResponse, error) {
			return &transferapi.UpdateAccessResponse{ServerId: in.ServerId, ExternalId: in.ExternalId}, nil
		},
	}
	gw := gateway.New(gateway.Options{Services: []*api.Service{tr.Service()}, Logger: slog.New(slog.DiscardHandler)})
	body := []byte(updateAccessBody)
	rb := &reusableBody{}
	req := httptest.NewRequest("POST", "/", rb)
	for k, v := range signedShapeHeaders {
		req.Header.Set(k, v)
	}
	req.ContentLength = int64(len(body))
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		rb.Reset(body)
		req.Body = rb
		clear(w.h)
		w.status = 0
		gw.ServeHTTP(w, req)
		if w.status != 200 {
			b.Fatalf("status %d", w.status)
		}
	}
}
