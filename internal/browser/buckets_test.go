package browser

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ersatz-dev/ersatz/internal/objectstore"
	"github.com/ersatz-dev/ersatz/internal/objectstore/localfs"
)

const (
	ownerAcct = "111111111111"
	otherAcct = "222222222222"
)

// bucketBrowser is a browser over a local object store holding bucket
// "mine" of ownerAcct with a/b.txt and top.txt, and a file beside the
// store's folder that no request may reach.
func bucketBrowser(t testing.TB) (*http.ServeMux, objectstore.Store) {
	t.Helper()
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "secret.txt"), []byte("outside"), 0o600); err != nil {
		t.Fatal(err)
	}
	st := localfs.New(filepath.Join(root, "files"))
	ctx := context.Background()
	if err := st.CreateBucket(ctx, "mine", ownerAcct); err != nil {
		t.Fatal(err)
	}
	for key, body := range map[string]string{"a/b.txt": "bee", "top.txt": "top level"} {
		if _, err := st.Put(ctx, "mine", key, strings.NewReader(body), objectstore.PutOptions{Size: int64(len(body)),
			Tags: map[string]string{"kind": "test"}}); err != nil {
			t.Fatal(err)
		}
	}
	b, err := New(Config{Objects: st, Authorize: func(*http.Request) error { return nil },
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	for p, h := range b.Routes() {
		mux.Handle(p, h)
	}
	return mux, st
}

func serve(mux *http.ServeMux, target string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, httptest.NewRequest(http.MethodGet, target, nil))
	return w
}

func TestBucketPages(t *testing.T) {
	mux, _ := bucketBrowser(t)
	dl := "/_ersatz/ui/s3/" + ownerAcct + "/mine/object?key="
	for _, c := range []struct {
		target string
		status int
		want   string
	}{
		{"/_ersatz/ui/s3/" + ownerAcct + "/", 200, `href="/_ersatz/ui/s3/111111111111/mine/"`},
		{"/_ersatz/ui/s3/" + otherAcct + "/", 200, "No bucket."},
		{"/_ersatz/ui/s3/12345/", 400, "12 digits"},
		{"/_ersatz/ui/s3/" + ownerAcct + "/mine/", 200, "kind=test"},
		{"/_ersatz/ui/s3/" + ownerAcct + "/mine/?prefix=a/", 200, "<code>b.txt</code>"},
		{"/_ersatz/ui/s3/" + ownerAcct + "/mine/?prefix=a", 400, "prefix must be a folder"},
		{"/_ersatz/ui/s3/" + ownerAcct + "/mine/?prefix=a/&prefix=b/", 400, "prefix is given 2 times"},
		{"/_ersatz/ui/s3/" + ownerAcct + "/mine/?bogus=1", 400, "unknown parameter"},
		{"/_ersatz/ui/s3/" + otherAcct + "/mine/", 404, "has no bucket mine"},
		{"/_ersatz/ui/s3/" + ownerAcct + "/Bad_Name/", 400, "bucket name is not valid"},
		{"/_ersatz/ui/s3/" + ownerAcct + "/nothere/", 404, "has no bucket nothere"},
		{dl + "a/b.txt", 200, "bee"},
		{dl + url.QueryEscape("../../secret.txt"), 404, "has no object"},
		{dl + url.QueryEscape("../secret.txt"), 404, "has no object"},
		{dl + "missing", 404, "has no object"},
		{dl, 400, "key must not be empty"},
		{"/_ersatz/ui/s3/" + ownerAcct + "/mine/object", 400, "parameter key must be given once"},
		{"/_ersatz/ui/s3/" + otherAcct + "/mine/object?key=top.txt", 404, "has no bucket mine"},
	} {
		w := serve(mux, c.target)
		if w.Code != c.status || !strings.Contains(w.Body.String(), c.want) {
			t.Errorf("GET %s: %d, want %d with %q:\n%s", c.target, w.Code, c.status, c.want, w.Body.String())
		}
		if strings.Contains(w.Body.String(), "outside") {
			t.Errorf("GET %s reached a file outside the store", c.target)
		}
	}
	w := serve(mux, dl+"a/b.txt")
	h := w.Header()
	if h.Get("Content-Disposition") != `attachment; filename=b.txt` || h.Get("Content-Type") != "application/octet-stream" ||
		h.Get("Content-Length") != "3" || !strings.HasPrefix(h.Get("ETag"), `"`) {
		t.Errorf("download headers: %v", h)
	}
}

func TestAttachment(t *testing.T) {
	for key, want := range map[string]string{
		"a/b.txt": "attachment; filename=b.txt", "dir/": "attachment; filename=dir", "/": "attachment; filename=object",
		"rapport é.pdf": "attachment; filename*=utf-8''rapport%20%C3%A9.pdf", `q"uote.txt`: `attachment; filename="q\"uote.txt"`,
	} {
		if got := attachment(key); got != want {
			t.Errorf("attachment(%q) = %q, want %q", key, got, want)
		}
	}
}

// FuzzBucketPages: any query string of a listing or download answers 200,
// 400 or 404 and never shows the file beside the store.
func FuzzBucketPages(f *testing.F) {
	for _, s := range []string{"prefix=a/", "after=a/", "key=a/b.txt", "key=../secret.txt", "prefix=%ff/", "key=%00", "key=a&key=b", ""} {
		f.Add("mine", s)
		f.Add("other-bucket", s)
	}
	mux, _ := bucketBrowser(f)
	f.Fuzz(func(t *testing.T, bucket, query string) {
		for _, page := range []string{"/", "/object"} {
			u := &url.URL{Path: "/_ersatz/ui/s3/" + ownerAcct + "/" + bucket + page, RawQuery: query}
			req, err := http.NewRequest(http.MethodGet, u.String(), nil)
			if err != nil {
				return
			}
			w := httptest.NewRecorder()
			mux.ServeHTTP(w, req)
			switch w.Code {
			case 200, 301, 307, 308, 400, 404:
			default:
				t.Fatalf("GET %s: %d\n%s", u, w.Code, w.Body.String())
			}
			if strings.Contains(w.Body.String(), "outside") {
				t.Fatalf("GET %s reached a file outside the store", u)
			}
		}
	})
}
