package restjson

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/ersatz-dev/ersatz/internal/api"
)

// FuzzMatches: the label-free check that routing and detection use agrees
// with the full match on every path.
func FuzzMatches(f *testing.F) {
	svc := &api.Service{Name: "x", Operations: []*api.Operation{
		{Name: "Get", Method: "GET", URI: "/backend/{appId}/job/{env}/{jobId}"},
		{Name: "Put", Method: "PUT", URI: "/files/{key+}"},
		{Name: "List", Method: "GET", URI: "/apps.list"},
		{Name: "Tags", Method: "GET", URI: "/tags/{arn}?x=1"},
	}}
	rt := NewRouter(svc)
	for _, p := range []string{"/backend/a/job/b/c", "/files/a/b%2Fc", "/files/", "/apps.list", "/tags/%zz", "/tags/", "/backend/%41/job/b/c/d", "//"} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, path string) {
		u, err := url.Parse("http://h" + path)
		if err != nil {
			return
		}
		segs := splitPath(u.EscapedPath())
		for _, rs := range rt.routes {
			for _, rr := range rs {
				_, full := rr.match(segs)
				if quick := rr.matches(segs); quick != full {
					t.Fatalf("%s on %q: matches = %v, match = %v", rr.op.URI, path, quick, full)
				}
			}
		}
		r := &http.Request{Method: "GET", URL: u}
		if m, ok := rt.Route(r); ok && m.Op.Method != "GET" {
			t.Fatalf("GET %q routed to %s", path, m.Op.Name)
		}
	})
}
