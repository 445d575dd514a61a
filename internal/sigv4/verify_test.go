package sigv4_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/ersatz-dev/ersatz/internal/sigv4"
)

var (
	creds    = aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}
	signedAt = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
)

func hashOf(b string) string {
	h := sha256.Sum256([]byte(b))
	return hex.EncodeToString(h[:])
}

// received turns a client request into the request a server sees: the
// request line parsed again, Host in r.Host.
func received(t *testing.T, cr *http.Request, body string) *http.Request {
	t.Helper()
	sr := httptest.NewRequest(cr.Method, cr.URL.RequestURI(), strings.NewReader(body))
	sr.Host = cr.URL.Host
	if cr.Host != "" {
		sr.Host = cr.Host
	}
	for k, vs := range cr.Header {
		sr.Header[k] = append([]string(nil), vs...)
	}
	return sr
}

func sign(t *testing.T, method, rawURL, body string, hdr http.Header) *http.Request {
	t.Helper()
	cr, err := http.NewRequest(method, rawURL, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range hdr {
		cr.Header[k] = vs
	}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, cr, hashOf(body), "qapps", "us-west-2", signedAt); err != nil {
		t.Fatal(err)
	}
	return received(t, cr, body)
}

func verify(r *http.Request, body, secret string, now time.Time) error {
	s, err := sigv4.Parse(r)
	if err != nil {
		return err
	}
	if err := s.CheckScope(); err != nil {
		return err
	}
	if err := s.CheckTime(now); err != nil {
		return err
	}
	return s.Verify(r, []byte(body), secret)
}

// TestVerifyMatchesTheGoSigner signs requests of every shape with
// aws-sdk-go-v2's signer and checks Ersatz computes the same signature.
func TestVerifyMatchesTheGoSigner(t *testing.T) {
	tests := []struct {
		name, method, url, body string
		hdr                     http.Header
	}{
		{"post json", "POST", "http://127.0.0.1:4566/", `{"ServerId":"s-0123456789abcdef0"}`,
			http.Header{"X-Amz-Target": {"TransferService.DescribeServer"}, "Content-Type": {"application/x-amz-json-1.1"}}},
		{"rest path with labels", "POST", "http://localhost:4566/backend/app-1/storage/dev", `{"a":1}`, nil},
		{"escaped ARN label", "DELETE", "http://localhost:4566/tags/arn%3Aaws%3Aqapps%3Aus-west-2%3A111111111111%3Aapplication%2Fi%2Fa?tagKeys=a&tagKeys=b%20c", "", nil},
		{"query needing escapes", "GET", "http://localhost/apps.get?appId=x&z=%2F%2B%7E&a=1&a=0&empty=", "",
			http.Header{"Instance-Id": {"inst-1"}}},
		{"header with runs of spaces", "GET", "http://localhost/apps.list", "",
			http.Header{"X-Custom": {"  a   b  c "}, "Instance-Id": {"i"}}},
		{"repeated header", "GET", "http://localhost/apps.list", "", http.Header{"X-Multi": {"one", "two"}}},
		{"unicode path", "GET", "http://localhost/backend/%C3%A9t%C3%A9/job/x", "", nil},
		{"default port stripped", "GET", "http://localhost:80/apps.list", "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := sign(t, tc.method, tc.url, tc.body, tc.hdr)
			if err := verify(r, tc.body, creds.SecretAccessKey, signedAt.Add(time.Minute)); err != nil {
				t.Fatalf("a request the Go SDK signed was refused: %v", err)
			}
			if err := verify(r, tc.body, "other-secret", signedAt); err == nil {
				t.Fatal("the wrong secret was accepted")
			}
		})
	}
}

// TestAWSTestSuiteGetVanilla is the get-vanilla case of AWS's SigV4 test suite.
func TestAWSTestSuiteGetVanilla(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	r.Host = "example.amazonaws.com"
	r.Header.Set("X-Amz-Date", "20150830T123600Z")
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "+
		"SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
	s, err := sigv4.Parse(r)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Verify(r, nil, creds.SecretAccessKey); err != nil {
		t.Fatal(err)
	}
}

func TestPresigned(t *testing.T) {
	presign := func(t *testing.T, expires string) *http.Request {
		t.Helper()
		u := "http://localhost/apps.list?limit=3"
		if expires != "" {
			u += "&X-Amz-Expires=" + expires
		}
		cr, _ := http.NewRequest("GET", u, nil)
		signed, hdr, err := v4.NewSigner().PresignHTTP(context.Background(), creds, cr, sigv4.UnsignedPayload, "qapps", "us-west-2", signedAt)
		if err != nil {
			t.Fatal(err)
		}
		pu, _ := url.Parse(signed)
		cr2, _ := http.NewRequest("GET", pu.String(), nil)
		for k, vs := range hdr {
			cr2.Header[k] = vs
		}
		return received(t, cr2, "")
	}
	tests := []struct {
		name, expires string
		now           time.Time
		want          string // "" for success
	}{
		{"fresh", "300", signedAt.Add(4 * time.Minute), ""},
		{"expired", "300", signedAt.Add(6 * time.Minute), "Signature expired: 20260304T050607Z is now earlier than"},
		{"no expiry within skew", "", signedAt.Add(14 * time.Minute), ""},
		{"no expiry past skew", "", signedAt.Add(16 * time.Minute), "Signature expired"},
		{"seven days", "604800", signedAt.Add(6 * 24 * time.Hour), ""},
		{"over seven days", "604801", signedAt, "X-Amz-Expires must be less than a week"},
		{"not a number", "soon", signedAt, "X-Amz-Expires should be a number"},
		{"from the future", "300", signedAt.Add(-16 * time.Minute), "Signature not yet current"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := verify(presign(t, tc.expires), "", creds.SecretAccessKey, tc.now)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
	t.Run("tampered query", func(t *testing.T) {
		r := presign(t, "300")
		r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "limit=3", "limit=4", 1)
		r.RequestURI = r.URL.RequestURI()
		err := verify(r, "", creds.SecretAccessKey, signedAt)
		if err == nil || !strings.Contains(err.Error(), "does not match") {
			t.Fatalf("got %v", err)
		}
	})
}

func kindOf(err error) sigv4.Kind {
	var se *sigv4.Error
	if errors.As(err, &se) {
		return se.Kind
	}
	return 0
}

// TestRefusals forges every malformed or wrong signature.
func TestRefusals(t *testing.T) {
	const body = `{"a":1}`
	base := func(t *testing.T) *http.Request {
		return sign(t, "POST", "http://localhost/apps.create", body, http.Header{"Instance-Id": {"i"}})
	}
	tests := []struct {
		name   string
		forge  func(r *http.Request)
		body   string
		now    time.Time
		kind   sigv4.Kind
		prefix string
	}{
		{"no signature", func(r *http.Request) { r.Header.Del("Authorization") }, body, signedAt, sigv4.Missing, "Missing Authentication Token"},
		{"other algorithm", func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256", 1))
		}, body, signedAt, sigv4.Incomplete, "Unsupported AWS 'algorithm'"},
		{"no signature parameter", func(r *http.Request) {
			a := r.Header.Get("Authorization")
			r.Header.Set("Authorization", a[:strings.Index(a, ", Signature=")])
		}, body, signedAt, sigv4.Incomplete, "Authorization header requires 'Signature' parameter."},
		{"no date", func(r *http.Request) { r.Header.Del("X-Amz-Date") }, body, signedAt, sigv4.Incomplete, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."},
		{"bad date", func(r *http.Request) { r.Header.Set("X-Amz-Date", "2026-03-04") }, body, signedAt, sigv4.Incomplete, "Date must be in ISO-8601 'basic format'"},
		{"short credential", func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/qapps/aws4_request", "/aws4_request", 1))
		}, body, signedAt, sigv4.Incomplete, "Credential must have exactly 5 slash-delimited elements"},
		{"bad terminator", func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "aws4_request", "aws5_request", 1))
		}, body, signedAt, sigv4.Invalid, "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'."},
		{"scope date differs", func(r *http.Request) { r.Header.Set("X-Amz-Date", "20260305T050607Z") }, body, signedAt.Add(24 * time.Hour),
			sigv4.Invalid, "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20260304' != '20260305'"},
		{"host not signed", func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "host;", "", 1))
		}, body, signedAt, sigv4.Invalid, "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."},
		{"expired", func(*http.Request) {}, body, signedAt.Add(16 * time.Minute), sigv4.Invalid,
			"Signature expired: 20260304T050607Z is now earlier than 20260304T050707Z (20260304T052207Z - 15 min.)"},
		{"not yet current", func(*http.Request) {}, body, signedAt.Add(-16 * time.Minute), sigv4.Invalid,
			"Signature not yet current: 20260304T050607Z is still later than 20260304T050507Z (20260304T045007Z + 15 min.)"},
		{"changed body", func(*http.Request) {}, `{"a":2}`, signedAt, sigv4.Invalid, sigv4.MsgBadSignature},
		{"changed signed header", func(r *http.Request) { r.Header.Set("Instance-Id", "j") }, body, signedAt, sigv4.Invalid, sigv4.MsgBadSignature},
		{"changed host", func(r *http.Request) { r.Host = "evil" }, body, signedAt, sigv4.Invalid, sigv4.MsgBadSignature},
		{"changed method", func(r *http.Request) { r.Method = "PUT" }, body, signedAt, sigv4.Invalid, sigv4.MsgBadSignature},
		{"changed path", func(r *http.Request) { r.RequestURI = "/apps.delete"; r.URL.Path = "/apps.delete" }, body, signedAt, sigv4.Invalid, sigv4.MsgBadSignature},
		{"garbage signature", func(r *http.Request) {
			a := r.Header.Get("Authorization")
			r.Header.Set("Authorization", a[:strings.Index(a, "Signature=")]+"Signature=zz")
		}, body, signedAt, sigv4.Invalid, sigv4.MsgBadSignature},
		{"content hash mismatch", func(r *http.Request) { r.Header.Set("X-Amz-Content-Sha256", hashOf("other")) }, body, signedAt,
			sigv4.Invalid, "The provided 'x-amz-content-sha256' header does not match what was computed."},
		{"unsigned payload not signed", func(r *http.Request) { r.Header.Set("X-Amz-Content-Sha256", sigv4.UnsignedPayload) }, body, signedAt,
			sigv4.Invalid, sigv4.MsgBadSignature},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := base(t)
			tc.forge(r)
			err := verify(r, tc.body, creds.SecretAccessKey, tc.now)
			if kindOf(err) != tc.kind {
				t.Fatalf("got %v (kind %d), want kind %d", err, kindOf(err), tc.kind)
			}
			var se *sigv4.Error
			errors.As(err, &se)
			if !strings.HasPrefix(se.Message, tc.prefix) {
				t.Fatalf("message %q, want prefix %q", se.Message, tc.prefix)
			}
		})
	}
}

func TestUnsignedPayloadHeader(t *testing.T) {
	const body = `{"x":1}`
	cr, _ := http.NewRequest("POST", "http://localhost/apps.create", strings.NewReader(body))
	cr.Header.Set("X-Amz-Content-Sha256", sigv4.UnsignedPayload)
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, cr, sigv4.UnsignedPayload, "qapps", "us-west-2", signedAt); err != nil {
		t.Fatal(err)
	}
	r := received(t, cr, body)
	if err := verify(r, `{"anything":"else"}`, creds.SecretAccessKey, signedAt); err != nil {
		t.Fatalf("UNSIGNED-PAYLOAD in a signed x-amz-content-sha256 header was refused: %v", err)
	}
}

func TestBadSignatureMessageShowsCanonicalRequest(t *testing.T) {
	r := sign(t, "GET", "http://localhost/apps.list?b=2&a=1", "", nil)
	err := verify(r, "", "wrong", signedAt)
	var se *sigv4.Error
	if !errors.As(err, &se) {
		t.Fatal(err)
	}
	want := "GET\n/apps.list\na=1&b=2\nhost:localhost\nx-amz-date:20260304T050607Z\n\nhost;x-amz-date\n" + hashOf("")
	if !strings.Contains(se.Message, want) {
		t.Fatalf("message does not show the canonical request %q:\n%s", want, se.Message)
	}
}

func TestValidRegion(t *testing.T) {
	for name, want := range map[string]bool{"us-east-1": true, "us-gov-west-1": true, "ap-southeast-5": true, "mars": false, "US-EAST-1": false, "": false} {
		if got := sigv4.ValidRegion(name); got != want {
			t.Errorf("ValidRegion(%q) = %v", name, got)
		}
	}
}

// TestVerifyWithKey: a derived signing key verifies as the secret does, and
// a refusal still shows the canonical string and string to sign it expected.
func TestVerifyWithKey(t *testing.T) {
	const body = `{"a":1}`
	r := sign(t, "POST", "http://localhost:4566/apps.create", body, http.Header{"Content-Type": {"application/json"}})
	sig, err := sigv4.Parse(r)
	if err != nil {
		t.Fatal(err)
	}
	key := sigv4.SigningKey(creds.SecretAccessKey, sig.Scope.Date, sig.Scope.Region, sig.Scope.Service)
	if err := sig.VerifyWithKey(r, []byte(body), key); err != nil {
		t.Fatalf("VerifyWithKey: %v", err)
	}
	wrong := sigv4.SigningKey("another secret", sig.Scope.Date, sig.Scope.Region, sig.Scope.Service)
	err = sig.VerifyWithKey(r, []byte(body), wrong)
	for _, want := range []string{sigv4.MsgBadSignature, "The Canonical String for this request should have been\n'POST\n/apps.create\n",
		"The String-to-Sign should have been\n'AWS4-HMAC-SHA256\n20260304T050607Z\n20260304/us-west-2/qapps/aws4_request\n"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("refusal %v, want it to contain %q", err, want)
		}
	}
}
