package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// migration is one step of the schema. Versions start at 1 and increase by
// one; a released migration is never edited, only followed by a new one, so
// a database written by an older Ersatz opens in a newer one.
type migration struct {
	version int
	name    string
	stmts   []string
}

// migrations is the schema, oldest first.
func migrations() []migration {
	return []migration{
		{1, "resources", []string{
			// One row per resource. path is parent/kind/id, the primary key
			// within a scope; created and updated are unix microseconds; data
			// is the document's exact bytes. COLLATE "C": see the package doc.
			`CREATE TABLE resources (
				account TEXT COLLATE "C" NOT NULL,
				region  TEXT COLLATE "C" NOT NULL,
				service TEXT COLLATE "C" NOT NULL,
				path    TEXT COLLATE "C" NOT NULL,
				parent  TEXT COLLATE "C" NOT NULL,
				kind    TEXT COLLATE "C" NOT NULL,
				id      TEXT COLLATE "C" NOT NULL,
				data    BYTEA NOT NULL,
				created BIGINT NOT NULL,
				updated BIGINT NOT NULL,
				PRIMARY KEY (account, region, service, path)
			)`,
			`CREATE INDEX resources_list ON resources (account, region, service, parent, kind, id)`,
		}},
	}
}

// migrate applies, in one SERIALIZABLE transaction, the migrations the
// database has not seen yet, and refuses a database whose schema is newer
// than ms. Processes that start together may race to create the tables: the
// loser's transaction fails (serialization failure, or a duplicate in the
// catalog) and is retried, and then finds the work done. No advisory lock,
// which CockroachDB lacks.
func (s *Store) migrate(ctx context.Context, ms []migration) error {
	for i, m := range ms {
		if m.version != i+1 {
			return fmt.Errorf("migration %q has version %d, want %d", m.name, m.version, i+1)
		}
	}
	for attempt := 1; ; attempt++ {
		err := s.migrateOnce(ctx, ms)
		if err == nil || !migrationRace(err) {
			return err
		}
		if attempt == maxAttempts {
			return fmt.Errorf("giving up after %d attempts: %w", attempt, err)
		}
		if err := sleep(ctx, backoff(attempt)); err != nil {
			return err
		}
	}
}

func migrationRace(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	switch pe.Code {
	case "40001", "40P01", // serialization failure, deadlock
		"23505",          // unique_violation: a concurrent CREATE in the catalog
		"42P07", "42710": // duplicate_table, duplicate_object
		return true
	}
	return false
}

func (s *Store) migrateOnce(ctx context.Context, ms []migration) error {
	ptx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.Serializable})
	if err != nil {
		return fmt.Errorf("migrate: begin: %w", err)
	}
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTTL)
		defer cancel()
		_ = ptx.Rollback(rctx)
	}()
	if _, err := ptx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY,
		name    TEXT NOT NULL,
		applied BIGINT NOT NULL
	)`); err != nil {
		return fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	var current int
	if err := ptx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("migrate: read schema version: %w", err)
	}
	if current > len(ms) {
		return fmt.Errorf("schema version %d is newer than this Ersatz knows (%d): the database was written by a newer Ersatz", current, len(ms))
	}
	if current == len(ms) {
		return nil // the common case: nothing to write
	}
	for _, m := range ms[current:] {
		for _, q := range m.stmts {
			if _, err := ptx.Exec(ctx, q); err != nil {
				return fmt.Errorf("migrate: version %d (%s): %w", m.version, m.name, err)
			}
		}
		if _, err := ptx.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied) VALUES ($1, $2, $3)`,
			m.version, m.name, time.Now().UnixMicro()); err != nil {
			return fmt.Errorf("migrate: record version %d: %w", m.version, err)
		}
	}
	if err := ptx.Commit(ctx); err != nil {
		return fmt.Errorf("migrate: commit: %w", err)
	}
	return nil
}
