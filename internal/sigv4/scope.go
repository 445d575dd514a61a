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
	if r.URL.RawQuery == "" {
		return Scope{}, ErrNoCredential
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
	if !params.hasCredential {
		return Scope{}, errors.New("sigv4: authorization header has no Credential")
	}
	return parseCredential(params.Credential)
}

// authParams are the parameters of an Authorization header that SigV4 reads.
type authParams struct {
	Credential, Signature, SignedHeaders string
	hasCredential                        bool
}

// maxListedParams is how many parameter names splitAuthorization compares
// one by one before it indexes them in a map (a signed request has three).
const maxListedParams = 8

// splitAuthorization splits an Authorization header into its algorithm and
// its comma-separated name=value parameters. dup names a parameter given
// more than once: Parse refuses the header, and RequestScope with it, so the
// scope the gateway routes by is always the scope that was verified.
func splitAuthorization(h string) (alg string, params authParams, dup string) {
	alg, rest, _ := strings.Cut(strings.TrimSpace(h), " ")
	var listed [maxListedParams]string
	n := 0
	var many map[string]bool // the names, once there are more than maxListedParams
	for more := true; more; {
		var part string
		part, rest, more = strings.Cut(rest, ",")
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		seen := false
		if many != nil {
			seen = many[k]
			many[k] = true
		} else {
			for _, l := range listed[:n] {
				if l == k {
					seen = true
					break
				}
			}
			if n < maxListedParams {
				listed[n] = k
				n++
			} else {
				many = make(map[string]bool, 2*maxListedParams)
				for _, l := range listed {
					many[l] = true
				}
				many[k] = true
			}
		}
		if seen && dup == "" {
			dup = k
		}
		switch k {
		case "Credential":
			params.Credential, params.hasCredential = v, true
		case "Signature":
			params.Signature = v
		case "SignedHeaders":
			params.SignedHeaders = v
		}
	}
	return alg, params, dup
}

func parseCredential(c string) (Scope, error) {
	parts, n := splitScope(c)
	if n != 5 || parts[4] != "aws4_request" || parts[0] == "" {
		return Scope{}, errors.New("sigv4: malformed credential scope")
	}
	return Scope{AccessKeyID: parts[0], Date: parts[1], Region: parts[2], Service: parts[3]}, nil
}
