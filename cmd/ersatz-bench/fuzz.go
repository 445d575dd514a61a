package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/ersatz-dev/ersatz/internal/bench"
	"github.com/ersatz-dev/ersatz/internal/store/memory"
)

// runFuzz runs the model-driven whole-server fuzzer in process for o.duration
// (at most o.maxRequests requests) and fails when it finds a violation.
func runFuzz(ctx context.Context, o options, stdout io.Writer) error {
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	dir, err := bench.FindModels(wd)
	if err != nil {
		return err
	}
	st := memory.New()
	defer st.Close()
	fz, err := bench.NewFuzzer(st, dir, bench.RandSource(o.seed))
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, o.duration)
	defer cancel()
	start, last := time.Now(), time.Now()
	for ctx.Err() == nil && fz.Stats.Requests < o.maxRequests {
		fz.Run(ctx, 500)
		if time.Since(last) > 30*time.Second {
			fmt.Fprintf(stdout, "%s: %s\n", time.Since(start).Round(time.Second), fz.Stats.Summary())
			last = time.Now()
		}
	}
	fmt.Fprintf(stdout, "fuzz seed %d, %s: %s\n", o.seed, time.Since(start).Round(time.Second), fz.Stats.Summary())
	if v := fz.Stats.Violations; len(v) > 0 {
		return fmt.Errorf("%d violations:\n%s", len(v), strings.Join(v, "\n"))
	}
	return nil
}
