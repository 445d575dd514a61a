package idp

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// seen is the last request a test provider received.
type seen struct {
	mu   sync.Mutex
	reqs []*http.Request
	body []string
}

func (s *seen) add(r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs = append(s.reqs, r)
	s.body = append(s.body, string(b))
}

func (s *seen) last(t *testing.T) (*http.Request, string) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.reqs) == 0 {
		t.Fatal("the provider was not called")
	}
	return s.reqs[len(s.reqs)-1], s.body[len(s.body)-1]
}

func newClient(t *testing.T, o Options) *Client {
	t.Helper()
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func ptr(s string) *string { return &s }

func TestGatewayRequest(t *testing.T) {
	t.Parallel()
	var got seen
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.add(r)
		_, _ = io.WriteString(w, `{"Role": "`+role+`", "HomeDirectory": "/bucket/home"}`)
	}))
	t.Cleanup(hs.Close)
	c := newClient(t, Options{Timeout: 5 * time.Second})
	p := Provider{Type: TypeAPIGateway, URL: hs.URL + "/prod/"}
	tests := []struct {
		name         string
		req          Request
		wantPassword string // "" with wantHeader false: no Password header
		wantHeader   bool
		wantBase64   bool
	}{
		{"password", Request{ServerID: "s-0123456789abcdef0", UserName: "alice", Password: ptr("p@ss wörd"), Protocol: "FTPS", SourceIP: "192.0.2.7"}, "p@ss wörd", true, true},
		{"public key", Request{ServerID: "s-0123456789abcdef0", UserName: "alice", Protocol: "SFTP", SourceIP: "192.0.2.7"}, "", false, false},
		{"password with a newline", Request{ServerID: "s-0123456789abcdef0", UserName: "alice", Password: ptr("a\nb"), Protocol: "SFTP", SourceIP: "::1"}, "", false, true},
		{"user name with an at sign", Request{ServerID: "s-0123456789abcdef0", UserName: "bob@example.com", Password: ptr("x"), Protocol: "SFTP", SourceIP: "127.0.0.1"}, "x", true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u, res, err := c.Authenticate(context.Background(), p, tc.req)
			if err != nil || u.Role != role || u.HomeDirectory != "/bucket/home" || res.StatusCode != 200 {
				t.Fatalf("Authenticate = %+v %+v %v", u, res, err)
			}
			r, _ := got.last(t)
			wantPath := "/prod/servers/s-0123456789abcdef0/users/" + tc.req.UserName + "/config"
			if r.Method != http.MethodGet || r.URL.Path != wantPath {
				t.Fatalf("request %s %s, want GET %s", r.Method, r.URL.Path, wantPath)
			}
			if q := r.URL.Query(); q.Get("protocol") != tc.req.Protocol || q.Get("sourceIp") != tc.req.SourceIP {
				t.Fatalf("query %v", q)
			}
			if res.URL != hs.URL+r.URL.RequestURI() {
				t.Fatalf("Result.URL %q, called %q", res.URL, r.URL.RequestURI())
			}
			_, hasPassword := r.Header["Password"]
			if hasPassword != tc.wantHeader || r.Header.Get("Password") != tc.wantPassword {
				t.Fatalf("Password header %q (present %v)", r.Header.Get("Password"), hasPassword)
			}
			b64 := r.Header.Get("PasswordBase64")
			if tc.wantBase64 {
				dec, err := base64.StdEncoding.DecodeString(b64)
				if err != nil || string(dec) != *tc.req.Password {
					t.Fatalf("PasswordBase64 %q decodes to %q", b64, dec)
				}
			} else if b64 != "" {
				t.Fatalf("a key request sent PasswordBase64 %q", b64)
			}
		})
	}
}

func TestGatewayFailures(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("protocol") {
		case "hang":
			select {
			case <-release:
			case <-r.Context().Done():
			}
		case "403":
			w.WriteHeader(http.StatusForbidden)
			_, _ = io.WriteString(w, `{"message": "Missing Authentication Token"}`)
		case "redirect":
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
		case "huge":
			_, _ = io.WriteString(w, `{"Role": "`+role+`", "Policy": "`+strings.Repeat("x", MaxAnswer)+`"}`)
		case "refuse":
			_, _ = io.WriteString(w, `{}`)
		case "malformed":
			_, _ = io.WriteString(w, `{"Role": "`+role+`", "HomeDirectoryType": "LOGICAL"}`)
		}
	}))
	t.Cleanup(func() { close(release); hs.Close() })
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadURL := "http://" + closed.Addr().String()
	_ = closed.Close()

	c := newClient(t, Options{Timeout: 3 * time.Second}) // room for a loaded machine; the hang case waits it out
	gw := Provider{Type: TypeAPIGateway, URL: hs.URL}
	req := func(protocol string) Request {
		return Request{ServerID: "s-0123456789abcdef0", UserName: "alice", Password: ptr("pw"), Protocol: protocol, SourceIP: "127.0.0.1"}
	}
	var callErr *CallError
	var statusErr *StatusError
	var malformedErr *MalformedError
	tests := []struct {
		name    string
		p       Provider
		r       Request
		want    any // the error's type, or the sentinel
		mention string
	}{
		{"hangs", gw, req("hang"), &callErr, "no answer within 3s"},
		{"unreachable", Provider{Type: TypeAPIGateway, URL: deadURL}, req("SFTP"), &callErr, "unable to call identity provider"},
		{"not an http URL", Provider{Type: TypeAPIGateway, URL: "ftp://127.0.0.1/x"}, req("SFTP"), &callErr, "http"},
		{"answers 403", gw, req("403"), &statusErr, "HTTP 403"},
		{"redirects", gw, req("redirect"), &statusErr, "HTTP 302"},
		{"answers too much", gw, req("huge"), &callErr, "larger than"},
		{"refuses", gw, req("refuse"), ErrNoRole, "no Role"},
		{"malformed", gw, req("malformed"), &malformedErr, "HomeDirectoryDetails"},
		{"bad user name", gw, Request{ServerID: "s-0123456789abcdef0", UserName: "../x", Protocol: "SFTP"}, ErrUserName, "user name"},
		{"long password", gw, Request{ServerID: "s-0123456789abcdef0", UserName: "alice", Password: ptr(strings.Repeat("p", MaxPassword+1)), Protocol: "SFTP"}, ErrPassword, "1024"},
		{"not custom", Provider{Type: "SERVICE_MANAGED"}, req("SFTP"), &callErr, "not a custom identity provider"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := c.Authenticate(context.Background(), tc.p, tc.r)
			ok := false
			switch w := tc.want.(type) {
			case error:
				ok = errors.Is(err, w)
			default:
				ok = errors.As(err, w)
			}
			if !ok || !strings.Contains(err.Error(), tc.mention) {
				t.Fatalf("Authenticate error %T %v; want %T naming %q", err, err, tc.want, tc.mention)
			}
		})
	}
}

// lambdaAPI is a Lambda Invoke API answering per event.
func lambdaAPI(t *testing.T, got *seen, answer func(ev map[string]any, w http.ResponseWriter)) *httptest.Server {
	t.Helper()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(strings.NewReader(string(b)))
		got.add(r)
		if r.Method != http.MethodPost || !strings.HasPrefix(r.URL.Path, "/2015-03-31/functions/") || !strings.HasSuffix(r.URL.Path, "/invocations") {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		var ev map[string]any
		if err := json.Unmarshal(b, &ev); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		answer(ev, w)
	}))
	t.Cleanup(hs.Close)
	return hs
}

func TestLambda(t *testing.T) {
	t.Parallel()
	var got seen
	hs := lambdaAPI(t, &got, func(ev map[string]any, w http.ResponseWriter) {
		switch ev["username"] {
		case "crash":
			w.Header().Set("X-Amz-Function-Error", "Unhandled")
			_, _ = io.WriteString(w, `{"errorMessage": "boom", "errorType": "Error"}`)
		case "gone":
			w.Header().Set("X-Amzn-Errortype", "ResourceNotFoundException")
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"Type": "User", "Message": "Function not found"}`)
		default:
			_, _ = io.WriteString(w, `{"Role": "`+role+`", "HomeDirectory": "/bucket/`+ev["username"].(string)+`"}`)
		}
	})
	fn := "arn:aws:lambda:eu-west-1:222222222222:function:idp"
	c := newClient(t, Options{LambdaEndpoint: hs.URL, Timeout: 5 * time.Second})
	p := Provider{Type: TypeLambda, Function: fn}
	r := Request{ServerID: "s-0123456789abcdef0", UserName: "alice", Password: ptr("pw"), Protocol: "FTP", SourceIP: "192.0.2.1"}
	u, res, err := c.Authenticate(context.Background(), p, r)
	if err != nil || u.HomeDirectory != "/bucket/alice" || res.StatusCode != 200 || res.URL != "" {
		t.Fatalf("Authenticate = %+v %+v %v", u, res, err)
	}
	req, body := got.last(t)
	var ev map[string]any
	if err := json.Unmarshal([]byte(body), &ev); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"username": "alice", "password": "pw", "protocol": "FTP", "serverId": "s-0123456789abcdef0", "sourceIp": "192.0.2.1"}
	for k, v := range want {
		if ev[k] != v {
			t.Fatalf("event %v, want %v", ev, want)
		}
	}
	if len(ev) != len(want) {
		t.Fatalf("event has other members: %v", ev)
	}
	if !strings.Contains(req.URL.EscapedPath(), "function%3Aidp") && !strings.Contains(req.URL.Path, "function:idp") {
		t.Fatalf("invoked %s", req.URL.Path)
	}
	// The ARN's region and account sign the call.
	if a := req.Header.Get("Authorization"); !strings.Contains(a, "Credential=222222222222/") || !strings.Contains(a, "/eu-west-1/lambda/") {
		t.Fatalf("Authorization %q", a)
	}

	// A key login: no password in the event.
	r.Password = nil
	if _, _, err := c.Authenticate(context.Background(), p, r); err != nil {
		t.Fatal(err)
	}
	if _, body = got.last(t); strings.Contains(body, "password") {
		t.Fatalf("a key login's event %s", body)
	}

	var statusErr *StatusError
	r.UserName = "crash"
	_, res, err = c.Authenticate(context.Background(), p, r)
	if !errors.As(err, &statusErr) || statusErr.FunctionError != "Unhandled" || res.StatusCode != 500 || !strings.Contains(string(res.Body), "boom") {
		t.Fatalf("a failing function: %+v %v", res, err)
	}
	var callErr *CallError
	r.UserName = "gone"
	if _, _, err = c.Authenticate(context.Background(), p, r); !errors.As(err, &callErr) || !strings.Contains(err.Error(), "ResourceNotFoundException") {
		t.Fatalf("a missing function: %v", err)
	}
	if _, _, err = c.Authenticate(context.Background(), Provider{Type: TypeLambda, Function: "arn:aws:lambda:::"}, r); !errors.As(err, &callErr) || !strings.Contains(err.Error(), "Function") {
		t.Fatalf("a bad ARN: %v", err)
	}
	noEndpoint := newClient(t, Options{})
	if _, _, err = noEndpoint.Authenticate(context.Background(), p, r); !errors.Is(err, ErrNoLambdaEndpoint) || !strings.Contains(err.Error(), "--lambda-endpoint") {
		t.Fatalf("no endpoint: %v", err)
	}
}

func TestNewChecksEndpoint(t *testing.T) {
	t.Parallel()
	for _, e := range []string{"localhost:3001", "ftp://localhost", "http://"} {
		if _, err := New(Options{LambdaEndpoint: e}); err == nil {
			t.Errorf("%q accepted", e)
		}
	}
	c := newClient(t, Options{})
	if c.Timeout() != DefaultTimeout {
		t.Fatalf("default timeout %s", c.Timeout())
	}
}

// BenchmarkGatewayAuthenticate: one password authentication against an API
// Gateway-style provider on loopback (request, answer, parse).
func BenchmarkGatewayAuthenticate(b *testing.B) {
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"Role": "`+role+`", "HomeDirectoryType": "LOGICAL", "HomeDirectoryDetails": "[{\"Entry\": \"/\", \"Target\": \"/bucket/alice\"}]"}`)
	}))
	defer hs.Close()
	c, err := New(Options{Timeout: 5 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	p := Provider{Type: TypeAPIGateway, URL: hs.URL + "/prod"}
	r := Request{ServerID: "s-0123456789abcdef0", UserName: "alice", Password: ptr("pw"), Protocol: "SFTP", SourceIP: "127.0.0.1"}
	for b.Loop() {
		if _, _, err := c.Authenticate(context.Background(), p, r); err != nil {
			b.Fatal(err)
		}
	}
}
