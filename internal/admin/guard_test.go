package admin

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ersatz-dev/ersatz/internal/awserr"
)

func TestCheckSameSite(t *testing.T) {
	cases := []struct {
		name, method, origin, site, ctype string
		status                            int // 0: allowed
	}{
		{"GET from anywhere", "GET", "http://evil.example", "cross-site", "", 0},
		{"POST JSON, no origin", "POST", "", "", "application/json", 0},
		{"POST JSON with charset", "POST", "", "", "application/json; charset=utf-8", 0},
		{"same origin", "POST", "http://127.0.0.1:4566", "same-origin", "application/json", 0},
		{"same origin, other case", "POST", "HTTP://127.0.0.1:4566", "", "application/json", 0},
		{"typed URL", "POST", "", "none", "application/json", 0},
		{"foreign origin", "POST", "http://evil.example", "", "application/json", 403},
		{"other port", "DELETE", "http://127.0.0.1:3000", "", "application/json", 403},
		{"https origin to http", "PUT", "https://127.0.0.1:4566", "", "application/json", 403},
		{"null origin", "POST", "null", "", "application/json", 403},
		{"same-site", "POST", "", "same-site", "application/json", 403},
		{"text/plain", "POST", "", "", "text/plain", 415},
		{"no type", "POST", "", "", "", 415},
		{"garbage type", "POST", "", "", ";;;", 415},
		{"json lookalike", "POST", "", "", "application/jsonp", 415},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(c.method, "http://127.0.0.1:4566/_ersatz/reset", nil)
			if c.origin != "" {
				r.Header.Set("Origin", c.origin)
			}
			if c.site != "" {
				r.Header.Set("Sec-Fetch-Site", c.site)
			}
			if c.ctype != "" {
				r.Header.Set("Content-Type", c.ctype)
			}
			err := checkSameSite(r)
			if c.status == 0 {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var ae *awserr.Error
			if !errors.As(err, &ae) || ae.Status != c.status {
				t.Fatalf("got %v, want a %d", err, c.status)
			}
		})
	}
}

func TestCheckBrowserHost(t *testing.T) {
	for _, c := range []struct {
		host    string
		browser bool
		ok      bool
	}{
		{"127.0.0.1:4566", true, true},
		{"[::1]:4566", true, true},
		{"localhost:4566", true, true},
		{"LOCALHOST.", true, true},
		{"app.localhost:4566", true, true},
		{"192.168.1.5", true, true},
		{"rebind.example:4566", true, false},
		{"ersatz:4566", true, false},
		{"rebind.example:4566", false, true},
		{"ersatz:4566", false, true},
	} {
		r := httptest.NewRequest("GET", "http://x/_ersatz/state", nil)
		r.Host = c.host
		if c.browser {
			r.Header.Set("Sec-Fetch-Mode", "cors")
		}
		if err := checkBrowserHost(r); (err == nil) != c.ok {
			t.Errorf("host %q browser %v: %v", c.host, c.browser, err)
		}
	}
}

// FuzzCheckSameSite: any Origin, Sec-Fetch-Site and Content-Type give an
// AWS-shaped 403 or 415 or nothing, and safe methods always pass.
func FuzzCheckSameSite(f *testing.F) {
	f.Add("POST", "http://evil.example", "cross-site", "text/plain")
	f.Add("GET", "", "", "")
	f.Add("PUT", "http://127.0.0.1:4566", "same-origin", "application/json")
	f.Add("DELETE", "http://[::1", "none", "application/json; x=\"")
	f.Fuzz(func(t *testing.T, method, origin, site, ctype string) {
		r := httptest.NewRequest("POST", "http://127.0.0.1:4566/_ersatz/state", nil)
		r.Method = method
		r.Header.Set("Origin", origin)
		r.Header.Set("Sec-Fetch-Site", site)
		r.Header.Set("Content-Type", ctype)
		err := checkSameSite(r)
		if err == nil {
			return
		}
		if !changesState(method) {
			t.Fatalf("%s refused: %v", method, err)
		}
		var ae *awserr.Error
		if !errors.As(err, &ae) || (ae.Status != http.StatusForbidden && ae.Status != http.StatusUnsupportedMediaType) {
			t.Fatalf("refused with %v", err)
		}
	})
}

// TestAuthorizeTriesEveryProver: the first prover that accepts wins; a
// failed proof is the refusal; no proof at all is a 403 missing token.
func TestAuthorizeTriesEveryProver(t *testing.T) {
	refuse := awserr.New(403, "AccessDeniedException", "no")
	none := ProverFunc(func(*http.Request) error { return ErrNoProof })
	yes := ProverFunc(func(*http.Request) error { return nil })
	no := ProverFunc(func(*http.Request) error { return refuse })
	for _, c := range []struct {
		name    string
		provers []Prover
		code    string
	}{
		{"open", nil, ""},
		{"none then yes", []Prover{none, yes}, ""},
		{"refused then yes", []Prover{no, yes}, ""},
		{"refused", []Prover{none, no}, "AccessDeniedException"},
		{"no proof", []Prover{none, none}, "MissingAuthenticationTokenException"},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := New(nil, nil, "", time.Time{}, nil, WithProvers(c.provers...))
			err := h.authorize(httptest.NewRequest("GET", "/_ersatz/state", nil))
			var ae *awserr.Error
			switch {
			case c.code == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.code != "" && (!errors.As(err, &ae) || ae.Code != c.code || ae.Status != 403):
				t.Fatalf("got %v, want 403 %s", err, c.code)
			}
		})
	}
}
