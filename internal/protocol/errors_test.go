package protocol_test

import (
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"testing"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/amplifybackendapi"
	"github.com/ersatz-dev/ersatz/internal/api/qappsapi"
	"github.com/ersatz-dev/ersatz/internal/api/transferapi"
	"github.com/ersatz-dev/ersatz/internal/awserr"
	"github.com/ersatz-dev/ersatz/internal/protocol"
)

// TestServiceErrors reads generated error shapes and awserr.Error through
// api.ServiceError (ErrorCode, ErrorMessage, ErrorFault, HTTPStatus), and
// ErrorBody, which the protocols write, through the same interface.
func TestServiceErrors(t *testing.T) {
	tests := []struct {
		name    string
		err     api.ServiceError
		code    string
		message string
		fault   awserr.ErrorFault
		status  int
		body    map[string]any
	}{
		{"transfer not found", &transferapi.ResourceNotFoundException{Message: api.Ptr("no user"), Resource: api.Ptr("bob"), ResourceType: api.Ptr("User")},
			"ResourceNotFoundException", "no user", awserr.FaultClient, 404,
			map[string]any{"Message": "no user", "Resource": "bob", "ResourceType": "User"}},
		{"transfer unavailable", &transferapi.ServiceUnavailableException{},
			"ServiceUnavailableException", "", awserr.FaultServer, 503, map[string]any{}},
		{"qapps internal, header member left out of the body", &qappsapi.InternalServerException{Message: api.Ptr("boom"), RetryAfterSeconds: api.Ptr(int32(3))},
			"InternalServerException", "boom", awserr.FaultServer, 500, map[string]any{"message": "boom"}},
		{"amplify not found", &amplifybackendapi.NotFoundException{Message: api.Ptr("gone")},
			"NotFoundException", "gone", awserr.FaultClient, 404, map[string]any{"message": "gone"}},
		{"awserr", awserr.New(http.StatusConflict, "ConflictException", "busy"),
			"ConflictException", "busy", awserr.FaultClient, 409, map[string]any{"msgKey": "busy"}},
		{"awserr internal", awserr.Internal(errors.New("disk")),
			"InternalFailure", awserr.InternalMessage, awserr.FaultServer, 500, map[string]any{"msgKey": awserr.InternalMessage}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := tt.err
			if e.ErrorCode() != tt.code || e.ErrorMessage() != tt.message || e.ErrorFault() != tt.fault || e.HTTPStatus() != tt.status {
				t.Fatalf("got code %q message %q fault %v status %d", e.ErrorCode(), e.ErrorMessage(), e.ErrorFault(), e.HTTPStatus())
			}
			fields, code, status := protocol.ErrorBody(fmt.Errorf("wrapped: %w", e), "msgKey")
			if code != tt.code || status != tt.status || !reflect.DeepEqual(fields, tt.body) {
				t.Fatalf("ErrorBody = %v, %q, %d; want %v, %q, %d", fields, code, status, tt.body, tt.code, tt.status)
			}
		})
	}
}

// TestErrorFaultNames checks the fault's values and names are the SDK's
// (smithy.FaultUnknown, FaultServer, FaultClient).
func TestErrorFaultNames(t *testing.T) {
	for f, want := range map[awserr.ErrorFault]string{0: "unknown", 1: "server", 2: "client"} {
		if f.String() != want {
			t.Errorf("ErrorFault(%d) = %q, want %q", int(f), f, want)
		}
	}
	if awserr.FaultUnknown != 0 || awserr.FaultServer != 1 || awserr.FaultClient != 2 {
		t.Fatal("the fault values differ from the SDK's")
	}
}
