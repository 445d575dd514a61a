package e2e_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/ersatz-dev/ersatz/internal/bench"
	"github.com/ersatz-dev/ersatz/internal/store/memory"
)

func newServerFuzzer(t testing.TB, src bench.Source) *bench.Fuzzer {
	t.Helper()
	wd, _ := os.Getwd()
	dir, err := bench.FindModels(wd)
	if err != nil {
		t.Skip(err)
	}
	st := memory.New()
	t.Cleanup(func() { _ = st.Close() })
	f, err := bench.NewFuzzer(st, dir, src)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// FuzzServer drives the whole server (gateway, protocols, the three services
// and the store) with requests built from the botocore models for random
// operations, then mutated: no request may answer an unmodelled 5xx, panic,
// refuse without an error code, or change state while refusing. Each input
// is a short sequence of requests on an empty store.
func FuzzServer(f *testing.F) {
	fz := newServerFuzzer(f, bench.RandSource(1))
	for _, seed := range []string{"", "\x00\x00", "ersatz", "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a", strings.Repeat("\xff", 64)} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ctx := context.Background()
		if err := fz.Reset(ctx); err != nil {
			t.Fatal(err)
		}
		fz.SetSource(bench.BytesSource(data))
		fz.ResetViolations()
		if v := fz.Run(ctx, 8); len(v) > 0 {
			t.Fatalf("%d violations:\n%s", len(v), strings.Join(v, "\n"))
		}
	})
}

// TestFuzzServerSeeded runs the same fuzzer for a fixed number of requests
// from fixed seeds, so every `go test` explores a few thousand requests.
func TestFuzzServerSeeded(t *testing.T) {
	t.Parallel()
	n := 1500
	if testing.Short() {
		n = 300
	}
	for _, seed := range []uint64{1, 2} {
		fz := newServerFuzzer(t, bench.RandSource(seed))
		fz.ResetEvery = 250
		v := fz.Run(context.Background(), n)
		t.Logf("seed %d: %s", seed, fz.Stats.Summary())
		if len(v) > 0 {
			t.Errorf("seed %d: %d violations:\n%s", seed, len(v), strings.Join(v, "\n"))
		}
		if fz.Stats.ByClass["2xx"] == 0 || fz.Stats.ByClass["4xx"] == 0 {
			t.Errorf("seed %d: the fuzzer reached no success or no refusal: %s", seed, fz.Stats.Summary())
		}
	}
}
