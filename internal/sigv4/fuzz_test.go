package sigv4_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/ersatz-dev/ersatz/internal/sigv4"
)

// wireRequest builds the request a server would see from the given parts, or
// nil when net/http itself would refuse them.
func wireRequest(method, target string, hdr map[string]string, body []byte) *http.Request {
	var b bytes.Buffer
	b.WriteString(method + " " + target + " HTTP/1.1\r\nHost: example.amazonaws.com\r\n")
	for k, v := range hdr {
		if v != "" {
			b.WriteString(k + ": " + v + "\r\n")
		}
	}
	b.WriteString("Content-Length: " + itoa(len(body)) + "\r\n\r\n")
	b.Write(body)
	r, err := http.ReadRequest(bufio.NewReader(&b))
	if err != nil {
		return nil
	}
	return r
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		if n /= 10; n == 0 {
			return string(b[i:])
		}
	}
}

// FuzzRequestScope feeds arbitrary Authorization headers, credential query
// parameters and signing dates to RequestScope and Parse. Neither may panic;
// whatever Parse accepts, RequestScope (which the gateway uses to find the
// service and the caller) must read as the same scope; a failed Parse is
// always a *sigv4.Error.
func FuzzRequestScope(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260304/us-west-2/qapps/aws4_request, SignedHeaders=host;x-amz-date, Signature=00", "", "20260304T050607Z")
	f.Add("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260304/us-west-2/qapps/aws4_request", "", "")
	f.Add("AWS4-HMAC-SHA256 Credential=A/20260304/us-west-2/qapps/aws4_request, Credential=B/20260304/us-east-1/transfer/aws4_request, SignedHeaders=host, Signature=00", "", "20260304T050607Z")
	f.Add("", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20260304%2Fus-west-2%2Fqapps%2Faws4_request&X-Amz-Date=20260304T050607Z&X-Amz-SignedHeaders=host&X-Amz-Signature=00&X-Amz-Expires=300", "")
	f.Add("", "X-Amz-Credential=%2F%2F%2F%2F", "")
	f.Add("AWS4-HMAC-SHA256", "X-Amz-Signature=1", "garbage")
	f.Add("Basic dXNlcjpwYXNz", "", "")
	f.Add("AWS4-HMAC-SHA256 Credential=////aws4_request,SignedHeaders=;;,Signature=", "", "Mon, 02 Jan 2006 15:04:05 GMT")
	f.Fuzz(func(t *testing.T, authz, query, date string) {
		r := &http.Request{Method: "GET", URL: &url.URL{Path: "/", RawQuery: query}, Header: http.Header{}, Host: "example.amazonaws.com"}
		if authz != "" {
			r.Header.Set("Authorization", authz)
		}
		if date != "" {
			r.Header.Set("X-Amz-Date", date)
			r.Header.Set("Date", date)
		}
		scope, scopeErr := sigv4.RequestScope(r)
		if scopeErr == nil {
			if scope.AccessKeyID == "" {
				t.Fatalf("RequestScope accepted an empty access key id: %+v", scope)
			}
			for _, p := range []string{scope.AccessKeyID, scope.Date, scope.Region, scope.Service} {
				if strings.Contains(p, "/") {
					t.Fatalf("a scope element holds a slash: %+v", scope)
				}
			}
		}
		sig, err := sigv4.Parse(r)
		if err != nil {
			var se *sigv4.Error
			if !errors.As(err, &se) || se.Kind == 0 {
				t.Fatalf("Parse failed without a *sigv4.Error: %#v", err)
			}
			return
		}
		if scopeErr != nil {
			t.Fatalf("Parse accepted %+v but RequestScope refused it: %v", sig.Scope, scopeErr)
		}
		if scope != sig.Scope {
			t.Fatalf("RequestScope read %+v, Parse verifies %+v", scope, sig.Scope)
		}
		_ = sig.CheckScope()
		_ = sig.CheckTime(signedAt)
	})
}

// FuzzVerify checks arbitrary requests (method, path and query, signed
// headers, content hash, body) against a secret: verification may only
// fail with a *sigv4.Error, never panic.
func FuzzVerify(f *testing.F) {
	const authz = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260304/us-west-2/qapps/aws4_request, SignedHeaders=host;x-amz-date;content-length;instance-id, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
	f.Add("POST", "/apps.create?b=2&a=1", authz, "20260304T050607Z", "", "i-1", []byte(`{"a":1}`))
	f.Add("GET", "/a/../b//c/?x=%2F&y", authz, "20260304T050607Z", sigv4.UnsignedPayload, "  two  spaces ", []byte{})
	f.Add("GET", "/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20260304%2Fus-west-2%2Fqapps%2Faws4_request&X-Amz-Date=20260304T050607Z&X-Amz-SignedHeaders=host&X-Amz-Signature=zz", "", "", "", "", []byte("x"))
	f.Add("PUT", "/%zz%2", authz, "20260304T050607Z", hashOf("x"), "", []byte("x"))
	f.Add("DELETE", "*", "AWS4-HMAC-SHA256 Credential=a/b/c/d/aws4_request,SignedHeaders=,Signature=", "x", "nothex", "", []byte(nil))
	f.Fuzz(func(t *testing.T, method, target, authz, date, contentHash, instance string, body []byte) {
		r := wireRequest(method, target, map[string]string{
			"Authorization": authz, "X-Amz-Date": date, "X-Amz-Content-Sha256": contentHash, "Instance-Id": instance,
		}, body)
		if r == nil {
			return
		}
		sig, err := sigv4.Parse(r)
		if err != nil {
			if kindOf(err) == 0 {
				t.Fatalf("Parse failed without a *sigv4.Error: %#v", err)
			}
			return
		}
		_ = sig.CheckScope()
		_ = sig.CheckTime(signedAt)
		if err := sig.Verify(r, body, creds.SecretAccessKey); err != nil && kindOf(err) == 0 {
			t.Fatalf("Verify failed without a *sigv4.Error: %#v", err)
		}
	})
}

// FuzzVerifySigned signs requests of arbitrary path, query, header value and
// body with aws-sdk-go-v2's signer, sends them through net/http's wire form,
// and checks Ersatz accepts the signature: every request a real client can
// sign must verify.
func FuzzVerifySigned(f *testing.F) {
	f.Add("/apps.create", "b=2&a=1", "i-1", []byte(`{"a":1}`))
	f.Add("/a/b%20c/", "x=%2F&y=&y=a", "  two  spaces ", []byte{})
	f.Add("/users/%E2%82%AC/x", "k=v+w&k=a%20b", "€", []byte("body"))
	f.Add("/", "", "", []byte(nil))
	f.Fuzz(func(t *testing.T, path, query, instance string, body []byte) {
		u := &url.URL{Scheme: "http", Host: "example.amazonaws.com", Path: path, RawQuery: query}
		cr, err := http.NewRequest("POST", u.String(), bytes.NewReader(body))
		if err != nil || cr.URL.Path == "" || cr.URL.Path[0] != '/' || strings.ContainsAny(instance, "\r\n\x00") {
			return
		}
		if instance != "" {
			cr.Header.Set("Instance-Id", instance)
		}
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, cr, hashOf(string(body)), "qapps", "us-west-2", signedAt); err != nil {
			return
		}
		var wire bytes.Buffer
		if err := cr.Write(&wire); err != nil {
			return
		}
		r, err := http.ReadRequest(bufio.NewReader(&wire))
		if err != nil {
			return
		}
		got, err := io.ReadAll(r.Body)
		if err != nil {
			t.Fatal(err)
		}
		if err := verify(r, string(got), creds.SecretAccessKey, signedAt); err != nil {
			t.Fatalf("a request signed by aws-sdk-go-v2 was refused (%s %s): %v", r.Method, r.RequestURI, err)
		}
	})
}
