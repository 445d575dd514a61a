// Package awserr is the error every layer of Ersatz speaks when the error is
// not one of a service's modelled error shapes: a code, an HTTP status and a
// message, serialized by the protocol layer.
package awserr

import (
	"fmt"
	"net/http"
)

// Error is an AWS-shaped error.
type Error struct {
	Code    string
	Status  int
	Message string
	// Fields are further members to send in the body, by JSON key.
	Fields map[string]any
	// Cause is the error behind an internal failure, for errors.Is and logs.
	Cause error
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Cause }

// New returns an error with a formatted message.
func New(status int, code, format string, args ...any) *Error {
	return &Error{Code: code, Status: status, Message: fmt.Sprintf(format, args...)}
}

// Error is the code and message, and the cause of an internal failure (for
// logs: the cause is never sent to the client).
func (e *Error) Error() string {
	if e.Cause != nil {
		return e.Code + ": " + e.Message + ": " + e.Cause.Error()
	}
	return e.Code + ": " + e.Message
}

// ErrorCode is the error's code, e.g. "ValidationException".
func (e *Error) ErrorCode() string { return e.Code }

// HTTPStatus is the response status.
func (e *Error) HTTPStatus() int { return e.Status }

// ErrorMessage is the message.
func (e *Error) ErrorMessage() string { return e.Message }

// ErrorFault is the server's for a 5xx status, the client's otherwise.
func (e *Error) ErrorFault() ErrorFault {
	if e.Status >= http.StatusInternalServerError {
		return FaultServer
	}
	return FaultClient
}

// Errors the protocol layer itself raises.

// Serialization is a body that is not the JSON the operation expects.
func Serialization(format string, args ...any) *Error {
	return New(http.StatusBadRequest, "SerializationException", format, args...)
}

// NotImplemented answers an operation that has no behaviour yet.
func NotImplemented(service, operation string) *Error {
	return New(http.StatusNotImplemented, "NotImplemented",
		"The operation %s of service %s is not implemented by Ersatz yet", operation, service)
}

// UnknownOperation is a request naming no operation of the service.
func UnknownOperation(format string, args ...any) *Error {
	return New(http.StatusBadRequest, "UnknownOperationException", format, args...)
}

// InternalMessage is the message of every internal failure: AWS's words for
// InternalFailure. The cause is logged, never sent (it may name a database,
// a file or a driver's error).
const InternalMessage = "The request processing has failed because of an unknown error, exception or failure."

// Internal is an unexpected failure inside Ersatz. Its message is
// InternalMessage; err is kept as the cause for errors.Is and logs.
func Internal(err error) *Error {
	e := New(http.StatusInternalServerError, "InternalFailure", "%s", InternalMessage)
	e.Cause = err
	return e
}

// ErrorFault says who is at fault for an error, as the SDK's
// smithy.ErrorFault does (with the same values and names).
type ErrorFault int

// The faults.
const (
	FaultUnknown ErrorFault = iota
	FaultServer
	FaultClient
)

// String is "server", "client" or "unknown".
func (f ErrorFault) String() string {
	switch f {
	case FaultServer:
		return "server"
	case FaultClient:
		return "client"
	}
	return "unknown"
}
