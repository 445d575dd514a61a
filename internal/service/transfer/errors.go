package transfer

import (
	"fmt"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/transferapi"
)

// The ResourceType strings of ResourceNotFoundException and
// ResourceExistsException. "Server" and "User" are what AWS sends (e.g.
// ImportSshPublicKey on a missing user answers Message "Unknown user",
// Resource "<name>", ResourceType "User"); the others follow the same shape.
const (
	rtServer       = "Server"
	rtUser         = "User"
	rtAccess       = "Access"
	rtHostKey      = "HostKey"
	rtPublicKey    = "PublicKey"
	rtPolicy       = "SecurityPolicy"
	rtResourceARN  = "Resource"
	msgUnknownSrv  = "Unknown server"
	msgUnknownUser = "Unknown user"
)

// invalid is a 400 InvalidRequestException with a formatted message.
func invalid(format string, args ...any) error {
	return &transferapi.InvalidRequestException{Message: api.Ptr(fmt.Sprintf(format, args...))}
}

// notFound is a 400 ResourceNotFoundException naming the resource.
func notFound(message, resource, resourceType string) error {
	return &transferapi.ResourceNotFoundException{
		Message: api.Ptr(message), Resource: api.Ptr(resource), ResourceType: api.Ptr(resourceType),
	}
}

// exists is a 409 ResourceExistsException naming the resource.
func exists(message, resource, resourceType string) error {
	return &transferapi.ResourceExistsException{
		Message: api.Ptr(message), Resource: api.Ptr(resource), ResourceType: api.Ptr(resourceType),
	}
}

func serverNotFound(serverID string) error { return notFound(msgUnknownSrv, serverID, rtServer) }

// throttled is the answer to a request the state store was too busy to run:
// the modelled ThrottlingException (HTTP 429; its only member is
// RetryAfterSeconds), which the SDKs retry.
func throttled() error {
	return &transferapi.ThrottlingException{RetryAfterSeconds: api.Ptr("1")}
}
