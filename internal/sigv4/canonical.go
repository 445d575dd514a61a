package sigv4

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// The canonical request and the string to sign, as the SDKs build them.

// CanonicalURIs returns the canonical URI of r as aws-sdk-go-v2 builds it for
// services other than S3 (the escaped path as sent, escaped once more), and,
// when different, as botocore builds it (the same after removing "." and ".."
// segments and empty segments).
func CanonicalURIs(r *http.Request) []string {
	raw := r.URL.EscapedPath()
	if rp, _, _ := strings.Cut(r.RequestURI, "?"); strings.HasPrefix(rp, "/") {
		raw = rp
	}
	if raw == "" || raw == "/" {
		return []string{"/"}
	}
	out := []string{escapePath(raw)}
	if n := escapePath(normalizePath(raw)); n != out[0] {
		out = append(out, n)
	}
	return out
}

// normalizePath removes empty, "." and ".." segments, keeping a trailing slash.
func normalizePath(p string) string {
	var segs []string
	for _, s := range strings.Split(p, "/") {
		switch s {
		case "", ".":
		case "..":
			if len(segs) > 0 {
				segs = segs[:len(segs)-1]
			}
		default:
			segs = append(segs, s)
		}
	}
	out := "/" + strings.Join(segs, "/")
	if strings.HasSuffix(p, "/") && len(segs) > 0 {
		out += "/"
	}
	return out
}

// escapePath escapes every byte but the unreserved ones and '/', in upper-case hex.
func escapePath(p string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(p))
	for i := 0; i < len(p); i++ {
		c := p[i]
		if unreserved(c) || c == '/' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}

func escapeQuery(s string) string { return strings.ReplaceAll(escapePath(s), "/", "%2F") }

// CanonicalQuery is the canonical query string of r: every parameter but
// X-Amz-Signature (for presigned requests), decoded, re-encoded with AWS's
// rules and sorted by key then value.
func CanonicalQuery(r *http.Request, presigned bool) string {
	if r.URL.RawQuery == "" {
		return ""
	}
	type param struct{ k, v string }
	var params []param
	for _, pair := range strings.Split(r.URL.RawQuery, "&") {
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		k, v = unescapeQuery(k), unescapeQuery(v)
		if presigned && k == "X-Amz-Signature" {
			continue
		}
		params = append(params, param{escapeQuery(k), escapeQuery(v)})
	}
	sort.Slice(params, func(i, j int) bool {
		if params[i].k != params[j].k {
			return params[i].k < params[j].k
		}
		return params[i].v < params[j].v
	})
	var b strings.Builder
	for i, p := range params {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(p.v)
	}
	return b.String()
}

func unescapeQuery(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '+':
			b.WriteByte(' ')
		case c == '%' && i+2 < len(s) && isHex(s[i+1:i+3]):
			n, _ := strconv.ParseUint(s[i+1:i+3], 16, 8)
			b.WriteByte(byte(n))
			i += 2
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// CanonicalHeaders is the canonical header block (one "name:value\n" per
// signed header) and the signed-headers line of r.
func (s *Signature) CanonicalHeaders(r *http.Request) (block, signed string) {
	b := s.appendCanonicalHeaders(nil, r)
	block = string(b)
	return block, strings.Join(s.SignedHeaders, ";")
}

// appendCanonicalHeaders appends the canonical header block to b.
func (s *Signature) appendCanonicalHeaders(b []byte, r *http.Request) []byte {
	for _, name := range s.SignedHeaders {
		b = append(b, name...)
		b = append(b, ':')
		switch name {
		case "host", ":authority":
			b = append(b, strings.TrimSpace(stripExcessSpaces(r.Host))...)
		default:
			vals := headerValues(r.Header, name)
			if len(vals) == 0 && name == "content-length" && r.ContentLength >= 0 {
				b = strconv.AppendInt(b, r.ContentLength, 10)
			}
			for i, v := range vals {
				if i > 0 {
					b = append(b, ',')
				}
				b = append(b, strings.TrimSpace(stripExcessSpaces(v))...)
			}
		}
		b = append(b, '\n')
	}
	return b
}

// headerValues is h.Values(name) without the allocation of the canonical
// form of a lower-case name: it is built on the stack.
func headerValues(h http.Header, name string) []string {
	var buf [64]byte
	if len(name) > len(buf) {
		return h.Values(name)
	}
	upper := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !tokenByte(c) {
			return h.Values(name) // textproto leaves such a name as it is
		}
		switch {
		case upper && 'a' <= c && c <= 'z':
			c -= 'a' - 'A'
		case !upper && 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		buf[i] = c
		upper = c == '-'
	}
	return h[string(buf[:len(name)])]
}

// tokenByte reports a byte of an HTTP token (RFC 7230), the bytes
// textproto.CanonicalMIMEHeaderKey canonicalizes.
func tokenByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// stripExcessSpaces trims spaces and turns runs of spaces into one, as the
// SDKs do to header values.
func stripExcessSpaces(v string) string {
	v = strings.Trim(v, " ")
	if !strings.Contains(v, "  ") {
		return v
	}
	var b strings.Builder
	space := false
	for i := 0; i < len(v); i++ {
		if v[i] == ' ' {
			if space {
				continue
			}
			space = true
		} else {
			space = false
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// CanonicalRequest joins the parts of the canonical request.
func CanonicalRequest(method, uri, query, headerBlock, signedHeaders, payloadHash string) string {
	return method + "\n" + uri + "\n" + query + "\n" + headerBlock + "\n" + signedHeaders + "\n" + payloadHash
}

// StringToSign is what the signing key signs.
func StringToSign(amzDate string, scope Scope, canonicalRequest string) string {
	h := sha256.Sum256([]byte(canonicalRequest))
	return Algorithm + "\n" + amzDate + "\n" + scope.Date + "/" + scope.Region + "/" + scope.Service + "/aws4_request\n" +
		hex.EncodeToString(h[:])
}
