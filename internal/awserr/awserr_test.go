package awserr

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

func TestInternalKeepsItsCause(t *testing.T) {
	err := Internal(fmt.Errorf("update: %w", context.Canceled))
	if !errors.Is(err, context.Canceled) {
		t.Fatal("the cause is lost")
	}
	if err.HTTPStatus() != 500 || err.ErrorCode() != "InternalFailure" || err.Message != InternalMessage {
		t.Fatalf("got %+v", err)
	}
	if got := err.Error(); got != "InternalFailure: "+InternalMessage+": update: context canceled" {
		t.Fatalf("Error() = %q, want the cause for the log", got)
	}
}
