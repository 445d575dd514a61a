package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ersatz-dev/ersatz/internal/store"
)

// migration is one step of the schema (see store.Migration): a released
// migration is never edited, only followed by a new one, so a database
// written by an older Ersatz opens in a newer one.
type migration = store.Migration

// dialect is what PostgreSQL's migrations differ in.
var dialect = store.MigrationDialect{
	AppliedType: "BIGINT",
	Record:      `INSERT INTO schema_migrations (version, name, applied) VALUES ($1, $2, $3)`,
	Holder:      "database",
}

// migrations is the schema, oldest first.
func migrations() []migration {
	return []migration{
		{Version: 1, Name: "resources", Stmts: []string{
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

const migrateAttempts = 30 // processes starting together race at most this often

// migrate applies, in one SERIALIZABLE transaction, the migrations the
// database has not seen yet, and refuses a database whose schema is newer
// than ms. Processes that start together may race to create the tables: the
// loser's transaction fails (serialization failure, or a duplicate in the
// catalog) and is retried, and then finds the work done. No advisory lock,
// which CockroachDB lacks.
func (s *Store) migrate(ctx context.Context, ms []migration) error {
	if err := store.CheckMigrations(ms); err != nil {
		return err
	}
	for attempt := 1; ; attempt++ {
		err := s.migrateOnce(ctx, ms)
		if err == nil || !migrationRace(err) {
			return err
		}
		if attempt == migrateAttempts {
			return fmt.Errorf("giving up after %d attempts: %w", attempt, err)
		}
		if err := sleep(ctx, backoff(attempt, 2*time.Millisecond, 200*time.Millisecond)); err != nil {
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
		"42P07", "42710", // duplicate_table, duplicate_object
		"55P03": // lock_not_available: a concurrent migration took long
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
	applied, err := store.Migrate(pgMigrationTx{ctx, ptx}, ms, dialect)
	if err != nil {
		return err
	}
	if applied == 0 {
		return nil // the common case: nothing to write
	}
	if err := ptx.Commit(ctx); err != nil {
		return fmt.Errorf("migrate: commit: %w", err)
	}
	return nil
}

// pgMigrationTx is a transaction as store.Migrate uses it.
type pgMigrationTx struct {
	ctx context.Context
	tx  pgx.Tx
}

func (m pgMigrationTx) Exec(query string, args ...any) error {
	_, err := m.tx.Exec(m.ctx, query, args...)
	return err
}

func (m pgMigrationTx) QueryInt(query string) (n int, err error) {
	err = m.tx.QueryRow(m.ctx, query).Scan(&n)
	return n, err
}
