package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// migration is one step of the schema. Versions start at 1 and increase by
// one; a released migration is never edited, only followed by a new one, so
// a data directory written by an older Ersatz opens in a newer one.
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
			// within a scope; created and updated are unix microseconds.
			// TEXT compares bytewise (BINARY collation), the order List, the
			// cascade range and Export rely on.
			`CREATE TABLE resources (
				account TEXT NOT NULL,
				region  TEXT NOT NULL,
				service TEXT NOT NULL,
				path    TEXT NOT NULL,
				parent  TEXT NOT NULL,
				kind    TEXT NOT NULL,
				id      TEXT NOT NULL,
				data    BLOB NOT NULL,
				created INTEGER NOT NULL,
				updated INTEGER NOT NULL,
				PRIMARY KEY (account, region, service, path)
			) WITHOUT ROWID`,
			`CREATE INDEX resources_list ON resources (account, region, service, parent, kind, id)`,
		}},
	}
}

// migrate applies, in one transaction, the migrations the database has not
// seen yet. It refuses a database whose schema is newer than ms.
func migrate(ctx context.Context, db *sql.DB, ms []migration) error {
	for i, m := range ms {
		if m.version != i+1 {
			return fmt.Errorf("migration %q has version %d, want %d", m.name, m.version, i+1)
		}
	}
	tx, err := db.BeginTx(ctx, nil) // BEGIN IMMEDIATE: one migrator at a time
	if err != nil {
		return fmt.Errorf("migrate: begin: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY,
		name    TEXT NOT NULL,
		applied INTEGER NOT NULL
	)`); err != nil {
		return fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	var current int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("migrate: read schema version: %w", err)
	}
	if current > len(ms) {
		return fmt.Errorf("schema version %d is newer than this Ersatz knows (%d): the data directory was written by a newer Ersatz", current, len(ms))
	}
	for _, m := range ms[current:] {
		for _, q := range m.stmts {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("migrate: version %d (%s): %w", m.version, m.name, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied) VALUES (?, ?, ?)`,
			m.version, m.name, time.Now().UnixMicro()); err != nil {
			return fmt.Errorf("migrate: record version %d: %w", m.version, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate: commit: %w", err)
	}
	return nil
}
