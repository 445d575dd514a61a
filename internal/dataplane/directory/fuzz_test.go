package directory

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/ersatz-dev/ersatz/internal/store"
	"github.com/ersatz-dev/ersatz/internal/store/memory"
)

func exportText(t *testing.T, st store.Store) string {
	t.Helper()
	snap, err := store.Export(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := store.WriteSnapshot(&b, snap); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// FuzzLoad parses arbitrary directory files and loads them. A refused file is
// always ErrInvalid (a 400 on POST /_ersatz/directory) and writes nothing; an
// accepted one lets every user it lists log in with its password and groups.
func FuzzLoad(f *testing.F) {
	f.Add([]byte(`{"directories":[
	  {"directoryId":"` + dirID + `","groups":[{"name":"Engineers","sid":"` + sidEng + `"}],
	   "users":[{"name":"alice","password":"wonderland","groups":["engineers","` + sidOps + `"]}]},
	  {"directoryId":"*","users":[{"name":"carol","password":"c","groups":[]}]}]}`))
	f.Add([]byte(`{"directories":[{"directoryId":"d-0123456789","users":[{"name":"a","password":"p","groups":["not-a-sid"]}]}]}`))
	f.Add([]byte(`{"directories":[{"directoryId":"d-0123456789","users":[{"name":"Bob","password":"1"},{"name":"bob","password":"2"}]}]}`))
	f.Add([]byte(`{"directories":[{"directoryId":"d-0123456789","groups":[{"name":"g","sid":"S-1"}],"users":[]}]}`))
	f.Add([]byte(`{"directories":null}`))
	f.Add([]byte(`{"directories":[]} trailing`))
	f.Add([]byte(`{"unknown": 1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ctx := context.Background()
		st := memory.New()
		d := New(st)
		before := exportText(t, st)
		file, err := parse(data)
		var n int
		if err == nil {
			n, err = d.Load(ctx, file)
		}
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("refused with %v, not ErrInvalid (a 500)", err)
			}
			if after := exportText(t, st); after != before {
				t.Fatalf("a refused file (%v) wrote:\n%s", err, after)
			}
			return
		}
		users := 0
		for _, dir := range file.Directories {
			users += len(dir.Users)
		}
		if n != users {
			t.Fatalf("loaded %d of %d users", n, users)
		}
		for _, dir := range file.Directories {
			for _, u := range dir.Users {
				got, err := d.Authenticate(ctx, dir.DirectoryID, u.Name, u.Password)
				if err != nil {
					t.Fatalf("loaded user %q of %s cannot log in: %v", u.Name, dir.DirectoryID, err)
				}
				if len(got.Groups) != len(u.Groups) {
					t.Fatalf("user %q has groups %v, the file lists %v", u.Name, got.Groups, u.Groups)
				}
			}
		}
	})
}

// FuzzHTTP sends arbitrary directory ids, user names and bodies to the
// /_ersatz/directory endpoints: every answer is a 2xx or a 4xx.
func FuzzHTTP(f *testing.F) {
	f.Add(dirID, "dave", `{"password":"pw","groups":["`+sidEng+`"]}`)
	f.Add(dirID, "eve", `{"password":"pw","groups":["x"]}`)
	f.Add("*", "a%2Fb", `{"password":"pw"}`)
	f.Add("d-0123456789", "%FF", `{"password":"pw"}`)
	f.Add("x%2Fy", "%00", `{"password":""}`)
	f.Add(dirID, "frank", `{"password":"pw","extra":1}`)
	d := New(memory.New())
	mux := http.NewServeMux()
	for p, h := range d.Routes() {
		mux.HandleFunc(p, h)
	}
	f.Fuzz(func(t *testing.T, dir, name, body string) {
		for _, rq := range []struct{ method, path, body string }{
			{"PUT", "/_ersatz/directory/" + dir + "/users/" + name, body},
			{"GET", "/_ersatz/directory/" + dir + "/users", ""},
			{"GET", "/_ersatz/directory", ""},
			{"POST", "/_ersatz/directory", body},
			{"DELETE", "/_ersatz/directory/" + dir + "/users/" + name, ""},
		} {
			u, err := url.Parse(rq.path)
			if err != nil {
				return
			}
			req := &http.Request{Method: rq.method, URL: u, Header: http.Header{}, Body: http.NoBody}
			if rq.body != "" {
				req.Body = readCloser{strings.NewReader(rq.body)}
			}
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, req)
			if rec.Code >= 500 {
				t.Fatalf("%s %s %q: %d %s", rq.method, rq.path, rq.body, rec.Code, rec.Body)
			}
		}
	})
}

type readCloser struct{ *strings.Reader }

func (readCloser) Close() error { return nil }
