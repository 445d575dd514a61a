package store

import (
	"fmt"
	"time"
)

// Migration is one step of a SQL backend's schema. Versions start at 1 and
// increase by one; a released migration is never edited, only followed by a
// new one, so a database written by an older Ersatz opens in a newer one.
type Migration struct {
	Version int
	Name    string
	Stmts   []string
}

// MigrationTx is the little of a SQL transaction that Migrate needs.
type MigrationTx interface {
	// Exec runs one statement.
	Exec(query string, args ...any) error
	// QueryInt runs a query whose result is one integer.
	QueryInt(query string) (int, error)
}

// MigrationDialect is what differs between the SQL backends' migrations.
type MigrationDialect struct {
	// AppliedType is the SQL type of schema_migrations.applied (unix microseconds).
	AppliedType string
	// Record inserts (version, name, applied) into schema_migrations, in the
	// backend's placeholder syntax.
	Record string
	// Holder names what holds the schema, for the error about a newer one:
	// "database", "data directory".
	Holder string
}

// CheckMigrations reports an error unless ms are numbered 1, 2, 3, ...
func CheckMigrations(ms []Migration) error {
	for i, m := range ms {
		if m.Version != i+1 {
			return fmt.Errorf("migration %q has version %d, want %d", m.Name, m.Version, i+1)
		}
	}
	return nil
}

// Migrate applies, inside tx, the migrations of ms the database has not seen
// yet, recording each in the table schema_migrations, and refuses a database
// whose schema is newer than ms. It returns how many it applied. The caller
// begins tx, and commits it when Migrate returns no error.
func Migrate(tx MigrationTx, ms []Migration, d MigrationDialect) (applied int, err error) {
	if err := tx.Exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY,
		name    TEXT NOT NULL,
		applied ` + d.AppliedType + ` NOT NULL
	)`); err != nil {
		return 0, fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	current, err := tx.QueryInt(`SELECT COALESCE(MAX(version), 0) FROM schema_migrations`)
	if err != nil {
		return 0, fmt.Errorf("migrate: read schema version: %w", err)
	}
	if current > len(ms) {
		return 0, fmt.Errorf("schema version %d is newer than this Ersatz knows (%d): the %s was written by a newer Ersatz", current, len(ms), d.Holder)
	}
	for _, m := range ms[current:] {
		for _, q := range m.Stmts {
			if err := tx.Exec(q); err != nil {
				return applied, fmt.Errorf("migrate: version %d (%s): %w", m.Version, m.Name, err)
			}
		}
		if err := tx.Exec(d.Record, m.Version, m.Name, time.Now().UnixMicro()); err != nil {
			return applied, fmt.Errorf("migrate: record version %d: %w", m.Version, err)
		}
		applied++
	}
	return applied, nil
}
