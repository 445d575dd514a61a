// Package api is the contract between the generated service APIs, the
// hand-written service behaviour and the protocol layer: operations, inputs,
// handlers, timestamps and the request's identity.
package api

import (
	"context"
	"net/http"
	"sync"

	"github.com/ersatz-dev/ersatz/internal/awserr"
	"github.com/ersatz-dev/ersatz/internal/validate"
)

// Protocol names a wire protocol, as botocore's metadata names it.
type Protocol string

// The protocols of the emulated services.
const (
	JSON     Protocol = "json"      // awsJson1_1
	RESTJSON Protocol = "rest-json" // restJson1
)

// Service is one emulated AWS service: its model facts and its operations.
type Service struct {
	Name         string // our name and the SigV4 signing name, e.g. "transfer"
	FullName     string // e.g. "AWS Transfer Family"
	Protocol     Protocol
	APIVersion   string
	TargetPrefix string // awsJson: the X-Amz-Target prefix, e.g. "TransferService"
	// ValidationCode is the error code of a request that fails the model's
	// constraints: "ValidationException", or a service's modelled 400.
	ValidationCode string
	// Operations may have their fields changed in place, but the slice is
	// not changed once Operation has been called.
	Operations []*Operation

	index  sync.Once
	byName map[string]*Operation
	// Busy returns the service's modelled throttling error: the answer to a
	// request the state store could not run within its retry budget
	// (store.ErrBusy). Nil answers 400 ThrottlingException.
	Busy func() error
}

// Operation finds an operation by name, or nil: a map lookup (the map is
// built on the first call).
func (s *Service) Operation(name string) *Operation {
	s.index.Do(func() {
		s.byName = make(map[string]*Operation, len(s.Operations))
		for _, op := range s.Operations {
			s.byName[op.Name] = op
		}
	})
	return s.byName[name]
}

// Implemented counts the operations that have behaviour.
func (s *Service) Implemented() int {
	n := 0
	for _, op := range s.Operations {
		if op.Handler != nil {
			n++
		}
	}
	return n
}

// Paginator describes how an operation pages, from the model's paginators.
type Paginator struct {
	InputToken  string
	OutputToken string
	LimitKey    string
}

// Operation is one operation of a service model.
type Operation struct {
	Name        string
	Method      string // HTTP method of the REST binding
	URI         string // request URI template of the REST binding
	SuccessCode int    // HTTP status of a successful response
	Paginator   *Paginator
	// NewInput returns a zero input value to decode the request into.
	NewInput func() Input
	// Handler runs the operation; nil when the operation has no behaviour yet.
	Handler Handler
}

// Handler runs an operation on a decoded, validated input. It returns the
// output (a pointer to the generated output struct, or nil for operations
// without output) or an error (an awserr.Error or a generated error shape).
type Handler func(ctx context.Context, in Input) (any, error)

// Input is a generated input structure.
type Input interface {
	// Validate checks the model's constraints, reporting failures under path.
	Validate(r *validate.Report, path string)
}

// Bindings gives a REST input the parts of the request bound outside the body.
type Bindings interface {
	Label(name string) (string, bool)
	Header(name string) (string, bool)
	Query(name string) (string, bool)
	QueryAll(name string) []string
}

// BoundInput is implemented by REST inputs with members bound to the URI,
// headers or query string.
type BoundInput interface {
	Bind(b Bindings) error
}

// ServiceError is implemented by generated error shapes and awserr.Error.
// ErrorCode, ErrorMessage and ErrorFault are those of the SDK's
// smithy.APIError; HTTPStatus is the response status.
type ServiceError interface {
	error
	ErrorCode() string
	ErrorMessage() string
	ErrorFault() awserr.ErrorFault
	HTTPStatus() int
}

// RequiredFiller is implemented by generated structures that hold required
// lists or maps (directly or nested): FillRequired sets the nil ones to empty
// ones, so they are encoded as [] or {}, never null, as AWS sends them.
type RequiredFiller interface {
	FillRequired()
}

// HeaderError is an error with members bound to response headers.
type HeaderError interface {
	ResponseHeaders() http.Header
}

// Ptr returns a pointer to v.
func Ptr[T any](v T) *T { return &v }

// Val returns *p, or the zero value when p is nil.
func Val[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}

// Typed adapts a generated operation's typed function to a Handler; a nil
// function gives a nil Handler (the operation is not implemented).
func Typed[I any, PI interface {
	*I
	Input
}, O any](fn func(context.Context, PI) (*O, error)) Handler {
	if fn == nil {
		return nil
	}
	return func(ctx context.Context, in Input) (any, error) {
		out, err := fn(ctx, in.(PI))
		if err != nil {
			return nil, err
		}
		if out == nil {
			return nil, nil
		}
		return out, nil
	}
}

// TypedNoOutput adapts an operation without output to a Handler.
func TypedNoOutput[I any, PI interface {
	*I
	Input
}](fn func(context.Context, PI) error) Handler {
	if fn == nil {
		return nil
	}
	return func(ctx context.Context, in Input) (any, error) {
		return nil, fn(ctx, in.(PI))
	}
}
