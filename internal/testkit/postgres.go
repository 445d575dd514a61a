package testkit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// PostgresEnv names the variable holding the DSN of the PostgreSQL tests.
const PostgresEnv = "ERSATZ_TEST_POSTGRES"

// PostgresDSN returns the test database's DSN, or skips the test when
// ERSATZ_TEST_POSTGRES is unset.
func PostgresDSN(tb testing.TB) string {
	tb.Helper()
	dsn := os.Getenv(PostgresEnv)
	if dsn == "" {
		tb.Skip("set ERSATZ_TEST_POSTGRES=postgres://... to run the PostgreSQL tests (see README)")
	}
	return dsn
}

// PostgresSchema creates an empty schema, dropped when tb ends, and returns a
// DSN whose search_path is that schema, so that test runs never see each
// other's data.
func PostgresSchema(tb testing.TB) string {
	tb.Helper()
	dsn := PostgresDSN(tb)
	ctx := context.Background()
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "ersatz_test_" + hex.EncodeToString(b[:])
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		tb.Fatalf("connect to %s: %v", PostgresEnv, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			tb.Errorf("connect to drop schema: %v", err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			tb.Errorf("drop schema: %v", err)
		}
	})
	out, err := withSearchPath(dsn, schema)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func withSearchPath(dsn, schema string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", fmt.Errorf("parse %s: %w", PostgresEnv, err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String(), nil
	}
	return dsn + " search_path=" + schema, nil
}
