// Package open picks a store backend from a spec string, the -store flag of
// ersatz. It lives apart from package store so that store does not import its
// backends.
package open

import (
	"context"
	"fmt"
	"strings"

	"github.com/ersatz-dev/ersatz/internal/store"
	"github.com/ersatz-dev/ersatz/internal/store/memory"
	"github.com/ersatz-dev/ersatz/internal/store/postgres"
	"github.com/ersatz-dev/ersatz/internal/store/sqlite"
)

// DefaultDataDir is where the sqlite backend keeps its file when dataDir is "".
const DefaultDataDir = ".ersatz"

// Open returns the store spec names:
//
//   - "memory": in-process, lost on exit;
//   - "sqlite": the file dataDir/ersatz.db (dataDir, by default ./.ersatz,
//     and the file are created if missing), with the read cache: one process
//     per data directory;
//   - "postgres://..." or "postgresql://...": a PostgreSQL DSN.
//
// Any other spec is an error.
func Open(ctx context.Context, spec, dataDir string) (store.Store, error) {
	switch {
	case spec == "memory":
		return memory.New(), nil
	case spec == "sqlite":
		if dataDir == "" {
			dataDir = DefaultDataDir
		}
		// The serving process is the file's one writer (one process per data
		// directory), so its Views may answer from the read cache.
		s, err := sqlite.Open(ctx, dataDir, sqlite.WithReadCache(0))
		if err != nil {
			return nil, err
		}
		return s, nil
	case strings.HasPrefix(spec, "postgres://"), strings.HasPrefix(spec, "postgresql://"):
		s, err := postgres.Open(ctx, spec)
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	return nil, fmt.Errorf("unknown store %q: want memory, sqlite, or a postgres:// DSN", redact(spec))
}

// redact keeps a mistyped DSN's password out of the error: anything that
// looks like a URL is shown by its scheme only.
func redact(spec string) string {
	if i := strings.Index(spec, "://"); i >= 0 {
		return spec[:i] + "://..."
	}
	if strings.Contains(spec, "password") {
		return "(a connection string)"
	}
	return spec
}
