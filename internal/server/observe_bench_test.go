package server_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ersatz-dev/ersatz/internal/server"
	"github.com/ersatz-dev/ersatz/internal/store/memory"
)

// describer serves DescribeServer (a store read) through a whole server,
// with metrics and the request log on or off.
type describer struct {
	h    http.Handler
	body string
}

func newDescriber(b *testing.B, metrics bool, requestLog int) *describer {
	st := memory.New()
	b.Cleanup(func() { _ = st.Close() })
	srv := server.New(server.Config{Store: st, DefaultRegion: "us-east-1", Metrics: metrics, RequestLog: requestLog,
		Logger: slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	b.Cleanup(func() { _ = srv.Close() })
	d := &describer{h: srv.Handler()}
	rec := d.call("CreateServer", "{}")
	var out struct{ ServerId string }
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || out.ServerId == "" {
		b.Fatalf("CreateServer: %d %s", rec.Code, rec.Body)
	}
	d.body = `{"ServerId":"` + out.ServerId + `"}`
	return d
}

func (d *describer) call(op, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "TransferService."+op)
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=111111111111/20260101/us-east-1/transfer/aws4_request, SignedHeaders=host, Signature=00")
	rec := httptest.NewRecorder()
	d.h.ServeHTTP(rec, req)
	return rec
}

func (d *describer) describe(b *testing.B) {
	if rec := d.call("DescribeServer", d.body); rec.Code != http.StatusOK {
		b.Fatalf("DescribeServer: %d", rec.Code)
	}
}

// BenchmarkObservedOverhead calls DescribeServer on two servers in turn,
// one with metrics and the request log, one without, and reports the time
// of the first over the second ("on/off"): taken request by request, the
// ratio holds on a machine whose speed drifts.
//
//	go test -run '^$' -bench ObservedOverhead -count 5 ./internal/server
func BenchmarkObservedOverhead(b *testing.B) {
	off, on := newDescriber(b, false, 0), newDescriber(b, true, 1000)
	var tOff, tOn time.Duration
	for b.Loop() {
		t0 := time.Now()
		off.describe(b)
		t1 := time.Now()
		on.describe(b)
		tOn += time.Since(t1)
		tOff += t1.Sub(t0)
	}
	b.ReportMetric(float64(tOn)/float64(tOff), "on/off")
	b.ReportMetric(float64(tOn-tOff)/float64(b.N), "extra-ns/op")
}
