package s3api

import (
	"net"
	"net/http"
	"strings"

	"github.com/ersatz-dev/ersatz/internal/sigv4"
)

// Service is the credential scope's service of S3 requests.
const Service = "s3"

// IsS3 tells whether r is an S3 request: signed (in its Authorization
// header or, presigned, in its query) for the service s3, or addressed to
// a bucket by its host name (virtual-host style, see HostBucket). A request
// with an X-Amz-Target header is never S3's (S3 sends none): it is an
// awsJson service's, which refuses a signature scoped to another service;
// nor is a request to Ersatz's own endpoints (/_ersatz/...).
func IsS3(r *http.Request) bool {
	if r.Header.Get("X-Amz-Target") != "" || strings.HasPrefix(r.URL.Path, "/_ersatz/") {
		return false // an awsJson service's, or Ersatz's own endpoints (no bucket name starts with "_")
	}
	if scope, err := sigv4.RequestScope(r); err == nil {
		return scope.Service == Service
	}
	_, ok := HostBucket(r.Host)
	return ok
}

// HostBucket finds the bucket of a virtual-host-style request: a host
// "<bucket>.localhost", or "<bucket>.s3.<anything>" / "<bucket>.s3-<anything>"
// (as the SDKs build them from an endpoint "s3.<domain>"), port ignored.
// Other hosts (an IP address, "localhost", a name the operator chose)
// carry no bucket: the request is path-style.
func HostBucket(host string) (string, bool) {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if first, _, ok := strings.Cut(host, "."); !ok || first == "" || net.ParseIP(host) != nil {
		return "", false
	}
	// A bucket name may hold dots: the base is the first "s3." or
	// "s3-" label, or a final "localhost".
	if b, ok := strings.CutSuffix(host, ".localhost"); ok && b != "" {
		return b, true
	}
	labels := strings.Split(host, ".")
	for i := 1; i < len(labels); i++ {
		if labels[i] == "s3" || strings.HasPrefix(labels[i], "s3-") {
			return strings.Join(labels[:i], "."), true
		}
	}
	return "", false
}

// Target is the bucket and key a request names ("" for none).
type Target struct {
	Bucket, Key string
}

// ParseTarget reads the bucket and key of r: from the host (virtual-host
// style) and the path, or from the path alone ("/bucket/key...").
func ParseTarget(host, path string) Target {
	p := strings.TrimPrefix(path, "/")
	if b, ok := HostBucket(host); ok {
		return Target{Bucket: b, Key: p}
	}
	bucket, key, _ := strings.Cut(p, "/")
	return Target{Bucket: bucket, Key: key}
}
