// Package sigv4 reads AWS Signature Version 4 credentials from requests.
package sigv4

import (
	"errors"
	"net/http"
	"strings"
)

// Scope is the credential scope of a signed request.
type Scope struct {
	AccessKeyID string
	Date        string // yyyymmdd
	Region      string
	Service     string
}

// ErrNoCredential means the request carries no SigV4 credential.
var ErrNoCredential = errors.New("sigv4: no credential in the request")

// RequestScope returns the credential scope from the Authorization header or,
// for presigned requests, the X-Amz-Credential query parameter.
func RequestScope(r *http.Request) (Scope, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		return parseAuthorization(h)
	}
	if c := r.URL.Query().Get("X-Amz-Credential"); c != "" {
		return parseCredential(c)
	}
	return Scope{}, ErrNoCredential
}

func parseAuthorization(h string) (Scope, error) {
	alg, rest, ok := strings.Cut(h, " ")
	if !ok || alg != "AWS4-HMAC-SHA256" {
		return Scope{}, errors.New("sigv4: unsupported authorization scheme")
	}
	for _, part := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		if k == "Credential" {
			return parseCredential(v)
		}
	}
	return Scope{}, errors.New("sigv4: authorization header has no Credential")
}

func parseCredential(c string) (Scope, error) {
	parts := strings.Split(c, "/")
	if len(parts) != 5 || parts[4] != "aws4_request" || parts[0] == "" {
		return Scope{}, errors.New("sigv4: malformed credential scope")
	}
	return Scope{AccessKeyID: parts[0], Date: parts[1], Region: parts[2], Service: parts[3]}, nil
}
