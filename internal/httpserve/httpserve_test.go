package httpserve

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// start serves h on a loopback port until the test ends.
func start(t *testing.T, cfg Config) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	s := New(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Connection", "close")
		_, _ = io.WriteString(w, "handled")
	}), cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return ln.Addr().String()
}

// raw sends bytes on a new connection and reads the answer.
func raw(t *testing.T, addr string, req []byte) *http.Response {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	go func() { _, _ = c.Write(req) }()
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("reading the answer to %.60q: %v", req, err)
	}
	t.Cleanup(func() { _ = resp.Body.Close() })
	return resp
}

// TestUnreadableRequestsGetAWSErrors: what net/http answers itself, before
// any handler, is an AWS-shaped JSON 4xx with a request id.
func TestUnreadableRequestsGetAWSErrors(t *testing.T) {
	t.Parallel()
	addr := start(t, Config{})
	big := "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 2<<20) + "\r\n\r\n"
	cases := []struct {
		name, req string
		status    int
		code      string
		msg       string
	}{
		{"NUL in a header", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n", 400, "BadRequestException", "not valid HTTP/1.1"},
		{"2 MB header", big, 431, "RequestHeaderFieldsTooLargeException", "larger than"},
		{"HTTP/3.0", "GET / HTTP/3.0\r\nHost: x\r\n\r\n", 400, "BadRequestException", "HTTP version"},
		{"no Host", "GET / HTTP/1.1\r\n\r\n", 400, "BadRequestException", "missing required Host header"},
		{"bad request line", "NONSENSE\r\n\r\n", 400, "BadRequestException", "not valid HTTP/1.1"},
		{"unknown transfer coding", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: rot13\r\n\r\n", 400, "BadRequestException", "Transfer-Encoding"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := raw(t, addr, []byte(c.req))
			body, _ := io.ReadAll(resp.Body)
			var doc map[string]string
			if resp.StatusCode != c.status || resp.Header.Get("X-Amzn-ErrorType") != c.code ||
				resp.Header.Get("Content-Type") != "application/json" || resp.Header.Get("X-Amzn-RequestId") == "" ||
				json.Unmarshal(body, &doc) != nil || doc["__type"] != c.code || !strings.Contains(doc["message"], c.msg) {
				t.Fatalf("got %d %v %s", resp.StatusCode, resp.Header, body)
			}
		})
	}
	// A handler's own text/plain answer is left alone.
	resp := raw(t, addr, []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(body) != "handled" {
		t.Fatalf("handler answer: %d %s", resp.StatusCode, body)
	}
}

// FuzzRewriteCanned: never panics; what it rewrites is a readable HTTP
// answer with a 4xx status and a JSON error body.
func FuzzRewriteCanned(f *testing.F) {
	f.Add([]byte("HTTP/1.1 400 Bad Request" + cannedHeaders + "400 Bad Request"))
	f.Add([]byte("HTTP/1.1 505 HTTP Version Not Supported: unsupported protocol version" + cannedHeaders + "505 x"))
	f.Add([]byte("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nhi"))
	f.Add([]byte("HTTP/1.1 " + cannedHeaders))
	f.Fuzz(func(t *testing.T, p []byte) {
		out, ok := rewriteCanned(p)
		if !ok {
			return
		}
		resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(out)), nil)
		if err != nil {
			t.Fatalf("unreadable rewrite of %q: %v", p, err)
		}
		body, _ := io.ReadAll(resp.Body)
		var doc map[string]string
		if resp.StatusCode < 400 || resp.StatusCode > 499 || json.Unmarshal(body, &doc) != nil || doc["__type"] == "" {
			t.Fatalf("rewrite of %q: %d %s", p, resp.StatusCode, body)
		}
	})
}

// TestConnectionCapEvictsTheLongestIdle: at the cap, a new client is served
// and the connection idle the longest is closed.
func TestConnectionCapEvictsTheLongestIdle(t *testing.T) {
	t.Parallel()
	addr := start(t, Config{MaxConns: 4})
	var idle []net.Conn
	for range 4 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		idle = append(idle, c)
		time.Sleep(20 * time.Millisecond) // distinct ages
	}
	for range 3 {
		resp := raw(t, addr, []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
		if resp.StatusCode != 200 {
			t.Fatalf("new client: %d", resp.StatusCode)
		}
	}
	// The oldest idle connection was closed by the server.
	_ = idle[0].SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := idle[0].Read(make([]byte, 1)); err == nil || n != 0 {
		t.Fatalf("the longest idle connection is still open (%d, %v)", n, err)
	}
}

func TestDefaultMaxConns(t *testing.T) {
	for limit, want := range map[int]int{0: 4096, 256: 192, 1024: 768, 80: 16, 100000: 75000} {
		if got := defaultMaxConns(limit); got != want {
			t.Errorf("defaultMaxConns(%d) = %d, want %d", limit, got, want)
		}
	}
}
