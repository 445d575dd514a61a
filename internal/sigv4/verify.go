package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Algorithm is the only signing algorithm Ersatz verifies.
const Algorithm = "AWS4-HMAC-SHA256"

// UnsignedPayload is the payload hash of a request whose body is not signed.
const UnsignedPayload = "UNSIGNED-PAYLOAD"

// TimeFormat is the ISO-8601 basic format of X-Amz-Date.
const TimeFormat = "20060102T150405Z"

// MaxSkew is how far a request's signing time may be from the server's clock.
const MaxSkew = 15 * time.Minute

// MaxExpires is the longest X-Amz-Expires of a presigned request: 7 days.
const MaxExpires = 7 * 24 * time.Hour

// Kind classifies a verification failure; the caller maps it to the error
// code of the service's protocol.
type Kind int

// The kinds of failure.
const (
	// Missing: the request carries no signature at all
	// (MissingAuthenticationTokenException).
	Missing Kind = iota + 1
	// Incomplete: the signature is malformed (IncompleteSignatureException).
	Incomplete
	// UnknownKey: the access key or the session token is not known
	// (UnrecognizedClientException).
	UnknownKey
	// Invalid: the signature, its scope or its time is wrong
	// (InvalidSignatureException).
	Invalid
)

// Error is a verification failure with AWS's wording.
type Error struct {
	Kind    Kind
	Message string
}

func (e *Error) Error() string { return "sigv4: " + e.Message }

func fail(k Kind, format string, args ...any) *Error {
	return &Error{Kind: k, Message: fmt.Sprintf(format, args...)}
}

// Messages AWS sends for the common failures.
const (
	MsgMissing      = "Missing Authentication Token"
	MsgUnknownKey   = "The security token included in the request is invalid."
	MsgBadSignature = "The request signature we calculated does not match the signature you provided. " +
		"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)

// Signature is the parsed SigV4 signature of a request.
type Signature struct {
	Presigned     bool
	Scope         Scope
	SignedHeaders []string // as listed by the client, lower-cased
	Signature     string   // hex
	Time          time.Time
	AmzDate       string        // the timestamp as sent
	Expires       time.Duration // presigned requests only
	HasExpires    bool          // the presigned request names X-Amz-Expires
	SecurityToken string
}

// Parse reads the signature of r from its Authorization header or, for
// presigned requests, its X-Amz-* query parameters.
func Parse(r *http.Request) (*Signature, error) {
	authz := r.Header.Get("Authorization")
	presign := false
	if r.URL.RawQuery != "" {
		q := r.URL.Query()
		presign = q.Has("X-Amz-Algorithm") || q.Has("X-Amz-Credential") || q.Has("X-Amz-Signature")
	}
	switch {
	case authz == "" && !presign:
		return nil, fail(Missing, MsgMissing)
	case authz != "" && presign:
		return nil, fail(Incomplete, "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter "+
			"or the Authorization header should be specified")
	case authz != "":
		return parseHeader(r, authz)
	}
	return parseQuery(r)
}

func parseHeader(r *http.Request, authz string) (*Signature, error) {
	alg, params, dup := splitAuthorization(authz)
	if alg != Algorithm {
		return nil, fail(Incomplete, "Unsupported AWS 'algorithm': '%s'. Ersatz verifies %s only", alg, Algorithm)
	}
	if dup != "" {
		return nil, fail(Incomplete, "Authorization header has the '%s' parameter more than once. Authorization=%s", dup, authz)
	}
	var missing []string
	for _, p := range [...]struct{ name, value string }{
		{"Credential", params.Credential}, {"Signature", params.Signature}, {"SignedHeaders", params.SignedHeaders},
	} {
		if p.value == "" {
			missing = append(missing, fmt.Sprintf("Authorization header requires '%s' parameter.", p.name))
		}
	}
	date := r.Header.Get("X-Amz-Date")
	if date == "" && r.Header.Get("Date") == "" {
		missing = append(missing, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
	}
	if len(missing) > 0 {
		return nil, fail(Incomplete, "%s Authorization=%s", strings.Join(missing, " "), authz)
	}
	s := &Signature{Signature: params.Signature, SecurityToken: r.Header.Get("X-Amz-Security-Token")}
	var err error
	if s.Scope, err = credentialScope(params.Credential); err != nil {
		return nil, err
	}
	s.SignedHeaders = splitSignedHeaders(params.SignedHeaders)
	if date != "" {
		s.AmzDate = date
		if s.Time, err = time.Parse(TimeFormat, date); err != nil {
			return nil, fail(Incomplete, "Date must be in ISO-8601 'basic format'. Got '%s'. See http://en.wikipedia.org/wiki/ISO_8601", date)
		}
	} else {
		hd := r.Header.Get("Date")
		t, err := http.ParseTime(hd)
		if err != nil {
			return nil, fail(Incomplete, "Date must be in RFC 1123 format. Got '%s'", hd)
		}
		s.Time = t.UTC()
		s.AmzDate = s.Time.Format(TimeFormat)
	}
	return s, nil
}

func parseQuery(r *http.Request) (*Signature, error) {
	q := r.URL.Query()
	for _, name := range []string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders", "X-Amz-Date"} {
		if q.Get(name) == "" {
			return nil, fail(Incomplete, "AWS query-string parameters must include 'X-Amz-Algorithm', 'X-Amz-Credential', "+
				"'X-Amz-Signature', 'X-Amz-SignedHeaders', 'X-Amz-Date'. Re-examine the query-string parameters.")
		}
	}
	if alg := q.Get("X-Amz-Algorithm"); alg != Algorithm {
		return nil, fail(Incomplete, "Unsupported AWS 'algorithm': '%s'. Ersatz verifies %s only", alg, Algorithm)
	}
	s := &Signature{Presigned: true, Signature: q.Get("X-Amz-Signature"), SecurityToken: q.Get("X-Amz-Security-Token")}
	var err error
	if s.Scope, err = credentialScope(q.Get("X-Amz-Credential")); err != nil {
		return nil, err
	}
	s.SignedHeaders = splitSignedHeaders(q.Get("X-Amz-SignedHeaders"))
	s.AmzDate = q.Get("X-Amz-Date")
	if s.Time, err = time.Parse(TimeFormat, s.AmzDate); err != nil {
		return nil, fail(Incomplete, "Date must be in ISO-8601 'basic format'. Got '%s'. See http://en.wikipedia.org/wiki/ISO_8601", s.AmzDate)
	}
	if exp := q.Get("X-Amz-Expires"); exp != "" {
		n, err := strconv.ParseInt(exp, 10, 64)
		if err != nil || n < 0 {
			return nil, fail(Incomplete, "X-Amz-Expires should be a number of seconds, not '%s'", exp)
		}
		if n > int64(MaxExpires/time.Second) {
			return nil, fail(Incomplete, "X-Amz-Expires must be less than a week (in seconds) that is 604800")
		}
		s.Expires = time.Duration(n) * time.Second
		s.HasExpires = true
	}
	return s, nil
}

func splitSignedHeaders(v string) []string {
	out := make([]string, 0, strings.Count(v, ";")+1)
	for more := true; more; {
		var h string
		h, v, more = strings.Cut(v, ";")
		if h = strings.ToLower(strings.TrimSpace(h)); h != "" {
			out = append(out, h)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// splitScope splits a credential scope into its slash-separated parts
// (all of them in n; the first five in parts).
func splitScope(c string) (parts [5]string, n int) {
	for more := true; more; n++ {
		var p string
		p, c, more = strings.Cut(c, "/")
		if n < len(parts) {
			parts[n] = p
		}
	}
	return parts, n
}

func credentialScope(c string) (Scope, error) {
	parts, n := splitScope(c)
	if n != 5 {
		return Scope{}, fail(Incomplete, "Credential must have exactly 5 slash-delimited elements, "+
			"e.g. keyid/date/region/service/term, got '%s'", c)
	}
	if parts[4] != "aws4_request" {
		return Scope{}, fail(Invalid, "Credential should be scoped with a valid terminator: 'aws4_request', not '%s'.", parts[4])
	}
	if parts[0] == "" {
		return Scope{}, fail(Incomplete, "Credential must name an access key id, got '%s'", c)
	}
	return Scope{AccessKeyID: parts[0], Date: parts[1], Region: parts[2], Service: parts[3]}, nil
}

var regionPattern = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)

// ValidRegion reports whether name has the shape of an AWS region (us-east-1,
// eu-central-2, us-gov-west-1, ...): regionPattern, matched by hand (it is
// checked on every signed request).
func ValidRegion(name string) bool {
	// Two letters, then one or more "-letters", then "-digits".
	if len(name) < 2 || !lower(name[0]) || !lower(name[1]) {
		return false
	}
	rest := name[2:]
	words := 0
	for {
		if len(rest) == 0 || rest[0] != '-' {
			return false
		}
		rest = rest[1:]
		n := 0
		for n < len(rest) && lower(rest[n]) {
			n++
		}
		if n == 0 {
			break
		}
		rest = rest[n:]
		words++
	}
	if words == 0 || len(rest) == 0 {
		return false
	}
	for i := 0; i < len(rest); i++ {
		if rest[i] < '0' || rest[i] > '9' {
			return false
		}
	}
	return true
}

func lower(c byte) bool { return 'a' <= c && c <= 'z' }

// CheckScope checks what the credential scope must agree with: the signing
// date and a well-formed region, and that host is signed.
func (s *Signature) CheckScope() error {
	var dayBuf [16]byte
	if day := s.Time.UTC().AppendFormat(dayBuf[:0], "20060102"); s.Scope.Date != string(day) {
		return fail(Invalid, "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "+
			"'%s' != '%s', from '%s'.", s.Scope.Date, string(day), s.AmzDate)
	}
	if !ValidRegion(s.Scope.Region) {
		return fail(Invalid, "Credential should be scoped to a valid region, not '%s'.", s.Scope.Region)
	}
	for _, h := range s.SignedHeaders {
		if h == "host" || h == ":authority" {
			return nil
		}
	}
	return fail(Invalid, "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
}

// CheckTime checks the signing time against now: within MaxSkew for signed
// headers; for presigned requests not in the future by more than MaxSkew and
// not past X-Amz-Expires (or MaxSkew when the request names no expiry).
func (s *Signature) CheckTime(now time.Time) error {
	now = now.UTC()
	t := s.Time.UTC()
	if t.After(now.Add(MaxSkew)) {
		return fail(Invalid, "Signature not yet current: %s is still later than %s (%s + 15 min.)",
			t.Format(TimeFormat), now.Add(MaxSkew).Format(TimeFormat), now.Format(TimeFormat))
	}
	if s.Presigned && s.HasExpires {
		if now.After(t.Add(s.Expires)) {
			return fail(Invalid, "Signature expired: %s is now earlier than %s (%s - %d sec.)",
				t.Format(TimeFormat), now.Add(-s.Expires).Format(TimeFormat), now.Format(TimeFormat), int64(s.Expires/time.Second))
		}
		return nil
	}
	if t.Before(now.Add(-MaxSkew)) {
		return fail(Invalid, "Signature expired: %s is now earlier than %s (%s - 15 min.)",
			t.Format(TimeFormat), now.Add(-MaxSkew).Format(TimeFormat), now.Format(TimeFormat))
	}
	return nil
}

// PayloadHashes returns the payload hashes the signature may have used, in
// the order to try them: the X-Amz-Content-Sha256 value when the request
// carries one (UNSIGNED-PAYLOAD, or a hex SHA-256 that must match the body),
// else the SHA-256 of the body, and for presigned requests also
// UNSIGNED-PAYLOAD (a presigned URL cannot sign a body it does not know).
func (s *Signature) PayloadHashes(r *http.Request, body []byte) ([]string, error) {
	sum := sha256.Sum256(body)
	actual := hex.EncodeToString(sum[:])
	declared := r.Header.Get("X-Amz-Content-Sha256")
	if declared == "" && s.Presigned {
		declared = r.URL.Query().Get("X-Amz-Content-Sha256")
	}
	switch {
	case declared == "":
		if s.Presigned {
			return []string{actual, UnsignedPayload}, nil
		}
		return []string{actual}, nil
	case declared == UnsignedPayload:
		return []string{UnsignedPayload}, nil
	case len(declared) == 64 && isHex(declared):
		if !strings.EqualFold(declared, actual) {
			return nil, fail(Invalid, "The provided 'x-amz-content-sha256' header does not match what was computed.")
		}
		return []string{declared}, nil
	}
	return nil, fail(Invalid, "x-amz-content-sha256 must be UNSIGNED-PAYLOAD or the SHA-256 of the body, not '%s'", declared)
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// SigningKey derives the key of a secret for one day, region and service.
func SigningKey(secret, date, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	return hmacSHA256(k, "aws4_request")
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// Verify checks the signature against every canonical form r may have been
// signed in (see CanonicalURIs and PayloadHashes) with secret, comparing in
// constant time. It does not check time, scope or keys: see CheckTime and
// CheckScope.
func (s *Signature) Verify(r *http.Request, body []byte, secret string) error {
	return s.VerifyWithKey(r, body, SigningKey(secret, s.Scope.Date, s.Scope.Region, s.Scope.Service))
}

// VerifyWithKey is Verify with the signing key of the signature's scope
// already derived (SigningKey), for a verifier that keeps derived keys.
func (s *Signature) VerifyWithKey(r *http.Request, body []byte, key []byte) error {
	hashes, err := s.PayloadHashes(r, body)
	if err != nil {
		return err
	}
	return s.verifyHashes(r, CanonicalURIs(r), hashes, key)
}

// VerifyS3 checks the signature of an S3 request: its canonical URI is the
// path exactly as sent (S3's rule: no second encoding, no removal of
// segments), and its payload hash the one the request declares (its
// X-Amz-Content-Sha256, UNSIGNED-PAYLOAD for a presigned URL) instead of
// one computed from a body read whole: a hex hash must then be checked
// against the body while it streams (the caller's part).
func (s *Signature) VerifyS3(r *http.Request, payloadHash, secret string) error {
	raw := r.URL.EscapedPath()
	if rp, _, _ := strings.Cut(r.RequestURI, "?"); strings.HasPrefix(rp, "/") {
		raw = rp
	}
	if raw == "" {
		raw = "/"
	}
	return s.verifyHashes(r, []string{raw}, []string{payloadHash}, SigningKey(secret, s.Scope.Date, s.Scope.Region, s.Scope.Service))
}
