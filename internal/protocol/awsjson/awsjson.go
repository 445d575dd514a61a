// Package awsjson speaks the awsJson1_1 protocol: POST / with the operation in
// X-Amz-Target, JSON bodies keyed by member name, errors as __type.
package awsjson

import (
	"mime"
	"net/http"
	"strings"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/awserr"
	"github.com/ersatz-dev/ersatz/internal/protocol"
)

// ContentType is the protocol's media type.
const ContentType = "application/x-amz-json-1.1"

// Route finds the operation named by the request's X-Amz-Target header.
func Route(svc *api.Service, r *http.Request) (*api.Operation, error) {
	target := r.Header.Get("X-Amz-Target")
	prefix, name, ok := strings.Cut(target, ".")
	if target == "" {
		return nil, awserr.UnknownOperation("Missing X-Amz-Target header for service %s", svc.Name)
	}
	if !ok || prefix != svc.TargetPrefix {
		return nil, awserr.UnknownOperation("Unknown target %q for service %s", target, svc.Name)
	}
	op := svc.Operation(name)
	if op == nil {
		return nil, awserr.UnknownOperation("Unknown operation %s", name)
	}
	if r.Method != http.MethodPost {
		return nil, awserr.UnknownOperation("Operation %s must be called with POST", name)
	}
	return op, nil
}

// CheckContentType refuses a request whose Content-Type is not the
// protocol's (application/x-amz-json-1.1, or 1.0 which AWS's JSON front ends
// also read; parameters such as charset are allowed): a missing type, or
// text/plain, which a browser's form or fetch sends cross-site without asking,
// is a 415 UnsupportedMediaTypeException.
func CheckContentType(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if ct == ContentType {
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil && (mt == ContentType || mt == "application/x-amz-json-1.0") {
		return nil
	}
	if ct == "" {
		return awserr.New(http.StatusUnsupportedMediaType, "UnsupportedMediaTypeException",
			"The request has no Content-Type; it must be %s", ContentType)
	}
	return awserr.New(http.StatusUnsupportedMediaType, "UnsupportedMediaTypeException",
		"Content-Type %q is not supported; it must be %s", ct, ContentType)
}

// Decode checks the request's Content-Type and reads its body into in.
func Decode(r *http.Request, in api.Input) error {
	if err := CheckContentType(r); err != nil {
		return err
	}
	body, err := protocol.ReadBody(r)
	if err != nil {
		return err
	}
	return protocol.DecodeJSON(body, in)
}

// Encode writes a successful response; out may be nil.
func Encode(w http.ResponseWriter, out any) {
	protocol.WriteOutput(w, http.StatusOK, ContentType, out)
}

// EncodeError writes err as the protocol's error response, with __type.
func EncodeError(w http.ResponseWriter, err error) {
	protocol.WriteError(w, err, ContentType, "Message", true)
}
