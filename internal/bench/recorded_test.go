package bench

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// What Export writes, ImportRecorder reads back: the bare handler of
// another process answers the same status, type and bytes.
func TestRecorderExportImport(t *testing.T) {
	key := func(r *http.Request) string { return r.Header.Get("X-Amz-Target") }
	rec := NewRecorder(key)
	rec.bodies["T.Op"] = recorded{status: 200, contentType: "application/x-amz-json-1.1", body: []byte(`{"a":"\u00e9"}`)}
	data, err := rec.Export()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ImportRecorder(data, key)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		target string
		status int
		body   string
	}{
		{"T.Op", 200, `{"a":"\u00e9"}`},
		{"T.Other", 404, `{"message":"not recorded"}` + "\n"},
	} {
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(nil))
		req.Header.Set("X-Amz-Target", tc.target)
		w := httptest.NewRecorder()
		back.Handler().ServeHTTP(w, req)
		body, _ := io.ReadAll(w.Result().Body)
		if w.Code != tc.status || string(body) != tc.body {
			t.Fatalf("%s: %d %q, want %d %q", tc.target, w.Code, body, tc.status, tc.body)
		}
	}
	for _, bad := range []string{`[]`, `{"x":{"status":0}}`, `{`} {
		if _, err := ImportRecorder([]byte(bad), key); err == nil {
			t.Fatalf("%s: imported", bad)
		}
	}
}

// FuzzImportRecorder: any file is read or refused, never a panic.
func FuzzImportRecorder(f *testing.F) {
	for _, s := range []string{`{}`, `{"T.Op":{"status":200,"contentType":"x","body":"e30="}}`, `{"a":{"status":99}}`, `null`} {
		f.Add([]byte(s))
	}
	key := func(r *http.Request) string { return r.Header.Get("X-Amz-Target") }
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ImportRecorder(data, key)
		if err == nil && r == nil {
			t.Fatal("no recorder and no error")
		}
	})
}
