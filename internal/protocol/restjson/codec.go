package restjson

import (
	"net/http"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/awserr"
	"github.com/ersatz-dev/ersatz/internal/protocol"
)

// Codec is restJson1 for one service, with the service's compiled routes.
type Codec struct {
	svc    *api.Service
	router *Router
}

var _ protocol.Codec = (*Codec)(nil)

// NewCodec compiles svc's URI templates.
func NewCodec(svc *api.Service) *Codec { return &Codec{svc: svc, router: NewRouter(svc)} }

// Claims names the service when one of its templates matches the path,
// whatever the method.
func (c *Codec) Claims(r *http.Request) protocol.Claim {
	if c.router.Knows(r) {
		return protocol.ClaimByPath
	}
	return protocol.ClaimNone
}

// Route finds the operation by method and path.
func (c *Codec) Route(r *http.Request) (*protocol.Route, error) {
	m, ok := c.router.Route(r)
	if !ok {
		return nil, awserr.New(http.StatusNotFound, "UnknownOperationException",
			"No operation of %s matches %s %s", c.svc.Name, r.Method, r.URL.Path)
	}
	return m, nil
}

// Decode reads the body, labels, headers and query string into in.
func (c *Codec) Decode(r *http.Request, rt *protocol.Route, in api.Input) error {
	return Decode(r, rt, in)
}

// Encode writes a successful answer with the operation's status.
func (c *Codec) Encode(w http.ResponseWriter, op *api.Operation, out any) { Encode(w, op, out) }

// EncodeError writes err.
func (c *Codec) EncodeError(w http.ResponseWriter, err error) { EncodeError(w, err) }
