package restjson_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/amplifybackendapi"
	"github.com/ersatz-dev/ersatz/internal/api/qappsapi"
	"github.com/ersatz-dev/ersatz/internal/protocol/restjson"
)

func TestRouter(t *testing.T) {
	amp := restjson.NewRouter((&amplifybackendapi.Handlers{}).Service())
	qa := restjson.NewRouter((&qappsapi.Handlers{}).Service())
	tests := []struct {
		router *restjson.Router
		method string
		path   string
		want   string
		labels map[string]string
	}{
		{amp, "POST", "/backend/app1/environments/dev/clone", "CloneBackend", map[string]string{"appId": "app1", "backendEnvironmentName": "dev"}},
		{amp, "POST", "/backend/app1/environments/dev/remove", "DeleteBackend", nil},
		{amp, "POST", "/backend/app1/details", "GetBackend", map[string]string{"appId": "app1"}},
		{amp, "GET", "/backend/app1/job/dev/job%2F1", "GetBackendJob", map[string]string{"jobId": "job/1"}},
		{amp, "POST", "/backend", "CreateBackend", map[string]string{}},
		{amp, "POST", "/backend/app1/storage/dev", "UpdateBackendStorage", nil},
		{amp, "POST", "/backend/app1/storage", "CreateBackendStorage", nil},
		{amp, "POST", "/backend/app1/config/update", "UpdateBackendConfig", nil},
		{amp, "POST", "/backend/app1/storage/dev/details", "GetBackendStorage", nil},
		{qa, "POST", "/apps.create", "CreateQApp", nil},
		{qa, "GET", "/apps.get", "GetQApp", nil},
		{qa, "POST", "/runtime.deleteMiniAppRun", "StopQAppSession", nil},
		{qa, "DELETE", "/tags/arn%3Aaws%3Aqapps%3Aus-east-1%3A1%3Aapplication%2Fi%2Fa", "UntagResource", map[string]string{"resourceARN": "arn:aws:qapps:us-east-1:1:application/i/a"}},
		{qa, "GET", "/tags/arn", "ListTagsForResource", nil},
		{qa, "GET", "/apps.create", "", nil},
		{qa, "POST", "/apps.create/extra", "", nil},
		{amp, "POST", "/backend//details", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			m, ok := tt.router.Route(httptest.NewRequest(tt.method, tt.path, nil))
			if tt.want == "" {
				if ok {
					t.Fatalf("routed to %s, want no route", m.Op.Name)
				}
				return
			}
			if !ok || m.Op.Name != tt.want {
				t.Fatalf("routed to %v, want %s", m, tt.want)
			}
			for k, v := range tt.labels {
				if m.Labels[k] != v {
					t.Errorf("label %s = %q, want %q", k, m.Labels[k], v)
				}
			}
		})
	}
}

// Every operation's own URI template routes back to it.
func TestEveryTemplateRoutesToItsOperation(t *testing.T) {
	for _, svc := range []*api.Service{(&amplifybackendapi.Handlers{}).Service(), (&qappsapi.Handlers{}).Service()} {
		rt := restjson.NewRouter(svc)
		for _, op := range svc.Operations {
			path := fill(op.URI)
			m, ok := rt.Route(httptest.NewRequest(op.Method, path, nil))
			if !ok || m.Op != op {
				t.Errorf("%s %s (%s) did not route to %s", op.Method, path, op.URI, op.Name)
			}
		}
	}
}

func fill(uri string) string {
	out := []byte{}
	in := false
	for i := 0; i < len(uri); i++ {
		switch {
		case uri[i] == '{':
			in = true
			out = append(out, 'v')
		case uri[i] == '}':
			in = false
		case !in:
			out = append(out, uri[i])
		}
	}
	return string(out)
}

func FuzzRouter(f *testing.F) {
	rt := restjson.NewRouter((&amplifybackendapi.Handlers{}).Service())
	f.Add("POST", "/backend/a/environments/b/clone")
	f.Add("GET", "/backend/%zz/job/b/c")
	f.Add("GET", "//////")
	f.Fuzz(func(t *testing.T, method, path string) {
		r, err := http.NewRequest(method, "http://h/"+path, nil)
		if err != nil {
			return
		}
		rt.Route(r)
		rt.Knows(r)
	})
}
