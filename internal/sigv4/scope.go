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
	alg, params, dup := splitAuthorization(h)
	if alg != Algorithm {
		return Scope{}, errors.New("sigv4: unsupported authorization scheme")
	}
	if dup != "" {
		return Scope{}, errors.New("sigv4: authorization header repeats " + dup)
	}
	c, ok := params["Credential"]
	if !ok {
		return Scope{}, errors.New("sigv4: authorization header has no Credential")
	}
	return parseCredential(c)
}

// splitAuthorization splits an Authorization header into its algorithm and
// its comma-separated name=value parameters. dup names a parameter given
// more than once: Parse refuses the header, and RequestScope with it, so the
// scope the gateway routes by is always the scope that was verified.
func splitAuthorization(h string) (alg string, params map[string]string, dup string) {
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

func parseCredential(c string) (Scope, error) {
	parts := strings.Split(c, "/")
	if len(parts) != 5 || parts[4] != "aws4_request" || parts[0] == "" {
		return Scope{}, errors.New("sigv4: malformed credential scope")
	}
	return Scope{AccessKeyID: parts[0], Date: parts[1], Region: parts[2], Service: parts[3]}, nil
}
