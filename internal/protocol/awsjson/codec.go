package awsjson

import (
	"net/http"
	"strings"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/protocol"
)

// Codec is awsJson1_1 for one service.
type Codec struct {
	svc    *api.Service
	routes map[*api.Operation]*protocol.Route // one per operation, made once: they carry no labels
}

var _ protocol.Codec = (*Codec)(nil)

// NewCodec binds the protocol to svc.
func NewCodec(svc *api.Service) *Codec {
	c := &Codec{svc: svc, routes: make(map[*api.Operation]*protocol.Route, len(svc.Operations))}
	for _, op := range svc.Operations {
		c.routes[op] = &protocol.Route{Op: op}
	}
	return c
}

// Claims names the service when the X-Amz-Target prefix is its own.
func (c *Codec) Claims(r *http.Request) protocol.Claim {
	t := r.Header.Get("X-Amz-Target")
	if t == "" || c.svc.TargetPrefix == "" {
		return protocol.ClaimNone
	}
	if prefix, _, _ := strings.Cut(t, "."); prefix == c.svc.TargetPrefix {
		return protocol.ClaimByTarget
	}
	return protocol.ClaimNone
}

// Route finds the operation named by X-Amz-Target.
func (c *Codec) Route(r *http.Request) (*protocol.Route, error) {
	op, err := Route(c.svc, r)
	if err != nil {
		return nil, err
	}
	if rt, ok := c.routes[op]; ok {
		return rt, nil
	}
	return &protocol.Route{Op: op}, nil
}

// Decode checks the Content-Type and reads the body into in.
func (c *Codec) Decode(r *http.Request, _ *protocol.Route, in api.Input) error {
	return Decode(r, in)
}

// Encode writes a successful answer.
func (c *Codec) Encode(w http.ResponseWriter, _ *api.Operation, out any) { Encode(w, out) }

// EncodeError writes err with __type.
func (c *Codec) EncodeError(w http.ResponseWriter, err error) { EncodeError(w, err) }
