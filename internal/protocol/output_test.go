package protocol_test

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/transferapi"
	"github.com/ersatz-dev/ersatz/internal/protocol"
)

// TestWriteOutputIsMarshal: the body WriteOutput writes from its reused
// buffers is exactly json.Marshal's (no trailing newline, HTML escaped),
// one response after another, large and small.
func TestWriteOutputIsMarshal(t *testing.T) {
	outs := []any{
		&transferapi.DescribeUserResponse{ServerId: api.Ptr("s-1"), User: &transferapi.DescribedUser{
			Arn: api.Ptr("arn:aws:transfer:us-east-1:111111111111:user/s-1/alice"), UserName: api.Ptr("alice"),
			Policy: api.Ptr(`{"a":"<b>&\u2028"}`)}},
		map[string]any{"big": strings.Repeat("x", 100<<10)},
		&transferapi.ListUsersResponse{ServerId: api.Ptr("s-2")}, // required Users filled as []
		map[string]string{"k": "é\u2029<>"},
	}
	for i, out := range outs {
		rec := httptest.NewRecorder()
		protocol.WriteOutput(rec, 200, "application/x-amz-json-1.1", out)
		want, err := json.Marshal(out)
		if err != nil {
			t.Fatal(err)
		}
		if got := rec.Body.String(); got != string(want) {
			t.Errorf("output %d: body %.200q, want %.200q", i, got, want)
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/x-amz-json-1.1" {
			t.Errorf("output %d: Content-Type %q", i, ct)
		}
	}
}

// TestWriteOutputContentTypeNotShared: adding to one response's
// Content-Type does not reach the next response's.
func TestWriteOutputContentTypeNotShared(t *testing.T) {
	for _, ct := range []string{"application/x-amz-json-1.1", "application/json", "application/x-other"} {
		first := httptest.NewRecorder()
		protocol.WriteOutput(first, 200, ct, nil)
		first.Header().Add("Content-Type", "text/plain")
		second := httptest.NewRecorder()
		protocol.WriteOutput(second, 200, ct, nil)
		if got := second.Header().Values("Content-Type"); len(got) != 1 || got[0] != ct {
			t.Errorf("%s: second response's Content-Type %q", ct, got)
		}
		if second.Body.String() != "{}" {
			t.Errorf("%s: body %q", ct, second.Body)
		}
	}
}

// TestKeepBody: after KeepBody, ReadBody answers the same bytes once (the
// body is then read); a kept body partly read by someone else gives the
// rest; a body over MaxBody is refused by both.
func TestKeepBody(t *testing.T) {
	const body = `{"ServerId":"s-1"}`
	tests := []struct {
		name     string
		peek     int // bytes read from the kept body before ReadBody
		want     string
		wantNext string // a second ReadBody
	}{
		{"unread", 0, body, ""},
		{"partly read", 5, body[5:], ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/", strings.NewReader(body))
			kept, err := protocol.KeepBody(r)
			if err != nil || string(kept) != body {
				t.Fatalf("KeepBody: %q, %v", kept, err)
			}
			if tc.peek > 0 {
				if _, err := r.Body.Read(make([]byte, tc.peek)); err != nil {
					t.Fatal(err)
				}
			}
			got, err := protocol.ReadBody(r)
			if err != nil || string(got) != tc.want {
				t.Fatalf("ReadBody: %q, %v; want %q", got, err, tc.want)
			}
			next, err := protocol.ReadBody(r)
			if err != nil || string(next) != tc.wantNext {
				t.Fatalf("second ReadBody: %q, %v; want %q", next, err, tc.wantNext)
			}
		})
	}
	t.Run("too large", func(t *testing.T) {
		r := httptest.NewRequest("POST", "/", strings.NewReader(strings.Repeat(" ", protocol.MaxBody+1)))
		if _, err := protocol.KeepBody(r); err == nil {
			t.Fatal("a body over MaxBody was kept")
		}
	})
}
