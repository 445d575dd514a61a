package gateway_test

import (
	"bytes"
	"net/http/httptest"
	"testing"
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
