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
	if err.HTTPStatus() != 500 || err.ErrorCode() != "InternalFailure" || err.Message != "internal error: update: context canceled" {
		t.Fatalf("got %+v", err)
	}
}
