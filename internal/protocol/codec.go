package protocol

import (
	"net/http"

	"github.com/ersatz-dev/ersatz/internal/api"
)

// Codec is a wire protocol bound to one service: how a request is
// recognized as the service's and routed to an operation, how its input is
// decoded, and how outputs and errors go back. The gateway picks one per
// service when it is built (awsjson.NewCodec, restjson.NewCodec) and never
// asks which protocol a service speaks again.
type Codec interface {
	// Claims says whether the request names the service, without trusting
	// its credential scope: by X-Amz-Target (awsJson) or by a URI template
	// that matches the path whatever the method (restJson).
	Claims(r *http.Request) Claim
	// Route finds the operation of a request of the service.
	Route(r *http.Request) (*Route, error)
	// Decode reads the request into in.
	Decode(r *http.Request, rt *Route, in api.Input) error
	// Encode writes a successful answer; out may be nil.
	Encode(w http.ResponseWriter, op *api.Operation, out any)
	// EncodeError writes err as the protocol's error answer.
	EncodeError(w http.ResponseWriter, err error)
}

// Claim is how strongly a request names a service.
type Claim int

// Claims, weakest first. A target names one service for certain; a path can
// match the templates of several.
const (
	ClaimNone Claim = iota
	ClaimByPath
	ClaimByTarget
)

// Route is a routed request: its operation and, for REST, the values of its
// URI labels.
type Route struct {
	Op     *api.Operation
	Labels map[string]string
}
