package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/ersatz-dev/ersatz/internal/store"
)

// migration is one step of the schema (see store.Migration): a released
// migration is never edited, only followed by a new one, so a data directory
// written by an older Ersatz opens in a newer one.
type migration = store.Migration

// dialect is what SQLite's migrations differ in.
var dialect = store.MigrationDialect{
	AppliedType: "INTEGER",
	Record:      `INSERT INTO schema_migrations (version, name, applied) VALUES (?, ?, ?)`,
	Holder:      "data directory",
}

// migrations is the schema, oldest first.
func migrations() []migration {
	return []migration{
		{Version: 1, Name: "resources", Stmts: []string{
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
	if err := store.CheckMigrations(ms); err != nil {
		return err
	}
	tx, err := db.BeginTx(ctx, nil) // BEGIN IMMEDIATE: one migrator at a time
	if err != nil {
		return fmt.Errorf("migrate: begin: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := store.Migrate(sqlMigrationTx{ctx, tx}, ms, dialect); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate: commit: %w", err)
	}
	return nil
}

// sqlMigrationTx is a transaction as store.Migrate uses it.
type sqlMigrationTx struct {
	ctx context.Context
	tx  *sql.Tx
}

func (m sqlMigrationTx) Exec(query string, args ...any) error {
	_, err := m.tx.ExecContext(m.ctx, query, args...)
	return err
}

func (m sqlMigrationTx) QueryInt(query string) (n int, err error) {
	err = m.tx.QueryRowContext(m.ctx, query).Scan(&n)
	return n, err
}
