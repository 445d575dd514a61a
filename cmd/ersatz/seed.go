package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/ersatz-dev/ersatz/internal/seed"
	"github.com/ersatz-dev/ersatz/internal/server"
	"github.com/ersatz-dev/ersatz/internal/store"
)

// maxSeed is the largest seed file read.
const maxSeed = 256 << 20

// loadSeed loads --seed FILE into st when st holds no resource: a state
// snapshot (a document with "format") is imported as it is; a seed file's
// entries are created through the services' operations. A store that
// already holds resources (a sqlite data dir seeded by an earlier start) is
// left as it is. An entry that fails stops the start-up and leaves the
// store empty again.
func loadSeed(ctx context.Context, path string, st store.Store, srv *server.Server, region string, log *slog.Logger) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("--seed: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxSeed+1))
	if err != nil {
		return fmt.Errorf("--seed %s: %w", path, err)
	}
	if len(data) > maxSeed {
		return fmt.Errorf("--seed %s: larger than %d MiB", path, maxSeed>>20)
	}
	existing, err := store.Export(ctx, st)
	if err != nil {
		return fmt.Errorf("--seed %s: %w", path, err)
	}
	if n := len(existing.Resources); n > 0 {
		log.Info("seed skipped: the store already holds resources", "seed", path, "resources", n)
		return nil
	}
	var head struct {
		Format *string `json:"format"`
	}
	if json.Unmarshal(data, &head) == nil && head.Format != nil {
		snap, err := store.ReadSnapshot(bytes.NewReader(data))
		if err == nil {
			err = store.Import(ctx, st, snap)
		}
		if err != nil {
			return fmt.Errorf("--seed %s: %w", path, err)
		}
		log.Info("seed loaded", "seed", path, "kind", "snapshot", "resources", len(snap.Resources))
		return nil
	}
	file, err := seed.Parse(data)
	if err != nil {
		return fmt.Errorf("--seed %s: %w", path, err)
	}
	n, err := seed.Apply(ctx, file, srv.Services(), region)
	if err != nil {
		if rerr := st.Reset(ctx); rerr != nil {
			err = errors.Join(err, fmt.Errorf("undo the seed: %w", rerr))
		}
		return fmt.Errorf("--seed %s: %w (nothing of it was kept)", path, err)
	}
	log.Info("seed loaded", "seed", path, "kind", "seed", "resources", n)
	return nil
}
