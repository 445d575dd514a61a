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

// maxUpdateAccessAllocs bounds what one UpdateAccess allocates in the
// gateway (BenchmarkGatewayUpdateAccess measures it): 158 before the hot
// path was first trimmed, 49 before the second trim, 40 after; the bound
// leaves a little room for a Go release.
const maxUpdateAccessAllocs = 44

// maxChainUpdateAccessAllocs bounds one UpdateAccess through the whole
// chain as BenchmarkDecodeValidateEncode/awsjson/UpdateAccess runs it (a
// fresh httptest request and recorder each time, an echoing handler): 74
// before the second trim, 65 after.
const maxChainUpdateAccessAllocs = 66

func TestGatewayUpdateAccessAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not stable under the race detector")
	}
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
	n := testing.AllocsPerRun(200, func() {
		rb.Reset(body)
		req.Body = rb
		clear(w.h)
		w.status = 0
		gw.ServeHTTP(w, req)
	})
	if w.status != 200 {
		t.Fatalf("status %d", w.status)
	}
	if n > maxUpdateAccessAllocs {
		t.Fatalf("UpdateAccess allocates %.0f times in the gateway, want at most %d", n, maxUpdateAccessAllocs)
	}
}

func TestChainUpdateAccessAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not stable under the race detector")
	}
	gw := echoGateway()
	body := []byte(updateAccessBody)
	status := 0
	n := testing.AllocsPerRun(200, func() {
		req := httptest.NewRequest("POST", "/", bytes.NewReader(body))
		req.Header.Set("X-Amz-Target", "TransferService.UpdateAccess")
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		rec := httptest.NewRecorder()
		gw.ServeHTTP(rec, req)
		status = rec.Code
	})
	if status != 200 {
		t.Fatalf("status %d", status)
	}
	if n > maxChainUpdateAccessAllocs {
		t.Fatalf("UpdateAccess allocates %.0f times through the chain, want at most %d", n, maxChainUpdateAccessAllocs)
	}
}
