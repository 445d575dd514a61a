package main

import (
	"context"
	"errors"
	"io"
)

func runFuzz(ctx context.Context, o options, stdout io.Writer) error {
	return errors.New("-fuzz: not built yet")
}
