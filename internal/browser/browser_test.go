package browser

import (
	"math"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// luminance is the WCAG relative luminance of #rrggbb.
func luminance(t *testing.T, hex string) float64 {
	t.Helper()
	if len(hex) != 7 {
		t.Fatalf("colour %q is not #rrggbb", hex)
	}
	var l [3]float64
	for i := range l {
		v, err := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		if err != nil {
			t.Fatal(err)
		}
		c := float64(v) / 255
		if c <= 0.03928 {
			l[i] = c / 12.92
		} else {
			l[i] = math.Pow((c+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*l[0] + 0.7152*l[1] + 0.0722*l[2]
}

func contrast(t *testing.T, a, b string) float64 {
	la, lb := luminance(t, a), luminance(t, b)
	return (math.Max(la, lb) + 0.05) / (math.Min(la, lb) + 0.05)
}

// TestContrast: every text colour of the style sheet on each background it
// is used on reaches WCAG AA's 4.5:1.
func TestContrast(t *testing.T) {
	css, err := assets.ReadFile("assets/static/style.css")
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{}
	for _, m := range regexp.MustCompile(`--([a-z]+): (#[0-9a-f]{6})`).FindAllStringSubmatch(string(css), -1) {
		vars[m[1]] = m[2]
	}
	pairs := [][2]string{
		{vars["fg"], vars["bg"]}, {vars["fg"], vars["band"]}, {vars["fg"], vars["warn"]}, {vars["fg"], vars["bad"]},
		{vars["muted"], vars["bg"]}, {vars["muted"], vars["band"]}, {vars["link"], vars["bg"]}, {vars["link"], vars["warn"]},
		{vars["link"], vars["bad"]}, {"#ffffff", "#16202c"}, {"#c9d3de", "#16202c"}, {"#ffffff", "#0b57b0"}, {"#8a1111", vars["bg"]},
	}
	for _, p := range pairs {
		if p[0] == "" || p[1] == "" {
			t.Fatalf("a colour variable is missing: %v", vars)
		}
		if c := contrast(t, p[0], p[1]); c < 4.5 {
			t.Errorf("%s on %s: contrast %.2f, want at least 4.5", p[0], p[1], c)
		}
	}
}

func TestSessions(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	s := NewSessions(func(k, sec string) bool { return k == "AKIDADMIN" && sec == "s3cret" })
	s.now = func() time.Time { return now }
	slept := 0
	s.sleep = func(time.Duration) { slept++ }
	if _, ok := s.Login("AKIDADMIN", "wrong"); ok || slept != 1 {
		t.Fatalf("a wrong secret logged in (or did not wait)")
	}
	tok, ok := s.Login("AKIDADMIN", "s3cret")
	if !ok || len(tok) != 64 {
		t.Fatalf("login: %q %v", tok, ok)
	}
	req := func(tok string) error {
		r := httptest.NewRequest("GET", "/_ersatz/requests", nil)
		if tok != "" {
			r.AddCookie(cookie(r, tok, 1))
		}
		return s.ProveAdmin(r)
	}
	if err := req(tok); err != nil {
		t.Fatalf("an open session is refused: %v", err)
	}
	if err := req(""); err == nil || !strings.Contains(err.Error(), "no session cookie") {
		t.Fatalf("no cookie: %v", err)
	}
	if err := req("forged"); err == nil || !strings.Contains(err.Error(), "log in again") {
		t.Fatalf("a forged cookie: %v", err)
	}
	now = now.Add(SessionTTL)
	if err := req(tok); err == nil {
		t.Fatal("an expired session is accepted")
	}
	// At most MaxSessions: the oldest ends first.
	first, _ := s.Login("AKIDADMIN", "s3cret")
	for range MaxSessions {
		now = now.Add(time.Second)
		if _, ok := s.Login("AKIDADMIN", "s3cret"); !ok {
			t.Fatal("login refused")
		}
	}
	if err := req(first); err == nil {
		t.Fatal("the oldest session outlived MaxSessions newer ones")
	}
	if len(s.open) != MaxSessions {
		t.Fatalf("%d sessions kept, want %d", len(s.open), MaxSessions)
	}
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"/_ersatz/ui/requests": "/_ersatz/ui/requests", "https://evil.example/": "/_ersatz/", "//evil.example/_ersatz/": "/_ersatz/",
		"/_ersatz/\\evil": "/_ersatz/", "": "/_ersatz/", "/metrics": "/_ersatz/",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzKindsOf: any path from a URL maps to kinds whose path it has, and ids
// as many as its kinds, without panicking.
func FuzzKindsOf(f *testing.F) {
	for _, s := range []string{"server/s-1", "server/s-1/user/bob", "instance/i/app/a/session/s", "app/d1/env/dev/api/x", "", "/", "server"} {
		f.Add("transfer", s)
		f.Add("qapps", s)
	}
	f.Fuzz(func(t *testing.T, service, path string) {
		ks, ids := kindsOf(service, path)
		for _, k := range ks {
			if len(k.path) != len(ids) || k.service != service {
				t.Fatalf("%q: kind %s with %d ids", path, k.name, len(ids))
			}
		}
	})
}
