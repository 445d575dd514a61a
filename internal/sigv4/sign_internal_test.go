package sigv4

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
)

// splitAuthorizationMap is how splitAuthorization worked before it kept
// its names in an array: the reference its answers must equal.
func splitAuthorizationMap(h string) (alg string, params map[string]string, dup string) {
	alg, rest, _ := strings.Cut(strings.TrimSpace(h), " ")
	params = map[string]string{}
	for _, part := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		if _, seen := params[k]; seen && dup == "" {
			dup = k
		}
		params[k] = v
	}
	return alg, params, dup
}

func FuzzSplitAuthorization(f *testing.F) {
	for _, s := range []string{
		"",
		"AWS4-HMAC-SHA256 Credential=k/20260101/us-east-1/transfer/aws4_request, SignedHeaders=host;x-amz-date, Signature=00",
		"AWS4-HMAC-SHA256 Credential=a, Credential=b",
		"AWS4-HMAC-SHA256 Credential=",
		"AWS4-HMAC-SHA256 a=1,b=2,c=3,d=4,e=5,f=6,g=7,h=8,i=9,a=10",
		"AWS4-HMAC-SHA256 a=1,b=2,c=3,d=4,e=5,f=6,g=7,h=8,i=9,i=10,Signature=x",
		"AWS4-HMAC-SHA256 ,,,=,x,Signature==",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		alg, p, dup := splitAuthorization(h)
		walg, wp, wdup := splitAuthorizationMap(h)
		if alg != walg || dup != wdup {
			t.Fatalf("%q: alg %q dup %q, want %q %q", h, alg, dup, walg, wdup)
		}
		wc, hasC := wp["Credential"]
		if p.Credential != wc || p.hasCredential != hasC || p.Signature != wp["Signature"] || p.SignedHeaders != wp["SignedHeaders"] {
			t.Fatalf("%q: params %+v, want %v", h, p, wp)
		}
	})
}

func FuzzDecodeHex(f *testing.F) {
	for _, s := range []string{"", "00", "0g", "ABCDEFabcdef0123456789", strings.Repeat("f", 64), strings.Repeat("F", 63) + "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := hex.DecodeString(s)
		dst := make([]byte, len(s)/2)
		ok := decodeHex(dst, s)
		if ok != (err == nil) {
			t.Fatalf("%q: ok %v, hex.DecodeString: %v", s, ok, err)
		}
		if ok && !bytes.Equal(dst, want) {
			t.Fatalf("%q: %x, want %x", s, dst, want)
		}
	})
}

func TestHMACSumMatchesCryptoHMAC(t *testing.T) {
	for _, keyLen := range []int{0, 1, 32, 63, 64, 65, 200} {
		for _, msgLen := range []int{0, 1, 55, 56, 64, 200, 5000} {
			key := bytes.Repeat([]byte{byte(keyLen + 1)}, keyLen)
			msg := bytes.Repeat([]byte{byte(msgLen + 7)}, msgLen)
			m := hmac.New(sha256.New, key)
			m.Write(msg)
			want := m.Sum(nil)
			buf := append(make([]byte, sha256.BlockSize), msg...)
			if got := hmacSum(key, buf); !bytes.Equal(got[:], want) {
				t.Errorf("key %d, message %d bytes: %x, want %x", keyLen, msgLen, got, want)
			}
		}
	}
}

func FuzzHeaderValues(f *testing.F) {
	for _, s := range []string{"x-amz-date", "content-type", "X-AMZ-TARGET", "x amz", "ü-x", "", "a-", "-a", strings.Repeat("x", 70)} {
		f.Add(s, "value")
	}
	f.Fuzz(func(t *testing.T, name, value string) {
		h := http.Header{}
		h.Add(name, value)
		h.Add("X-Amz-Date", "d")
		got, want := headerValues(h, name), h.Values(name)
		if strings.Join(got, "\x00") != strings.Join(want, "\x00") || len(got) != len(want) {
			t.Fatalf("%q: %q, want %q", name, got, want)
		}
	})
}

func FuzzSplitScope(f *testing.F) {
	for _, s := range []string{"", "a/b/c/d/aws4_request", "a/b/c/d/e/f", "////", "/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, c string) {
		parts, n := splitScope(c)
		want := strings.Split(c, "/")
		if n != len(want) {
			t.Fatalf("%q: %d parts, want %d", c, n, len(want))
		}
		for i := range min(n, len(parts)) {
			if parts[i] != want[i] {
				t.Fatalf("%q: part %d %q, want %q", c, i, parts[i], want[i])
			}
		}
	})
}

func FuzzSplitSignedHeaders(f *testing.F) {
	for _, s := range []string{"", "host;x-amz-date", " Host ; ;X-Amz-Date;", ";;"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		var want []string
		for _, h := range strings.Split(v, ";") {
			if h = strings.ToLower(strings.TrimSpace(h)); h != "" {
				want = append(want, h)
			}
		}
		got := splitSignedHeaders(v)
		if (got == nil) != (want == nil) || strings.Join(got, ";") != strings.Join(want, ";") || len(got) != len(want) {
			t.Fatalf("%q: %q, want %q", v, got, want)
		}
	})
}

func FuzzValidRegion(f *testing.F) {
	for _, s := range []string{"us-east-1", "us-gov-west-1", "eu-central-2", "us-1", "useast-1", "us-east-", "us-east-1a", "US-east-1", "us--east-1", "us-east-12", "", "u", "us-", "us-east"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := ValidRegion(s), regionPattern.MatchString(s); got != want {
			t.Fatalf("ValidRegion(%q) = %v, regionPattern says %v", s, got, want)
		}
	})
}
