// Package pgtest gives tests a PostgreSQL database: the one ERSATZ_TEST_POSTGRES names
// (a fresh schema per test) or a cluster of their own. It imports nothing of
// Ersatz, so the store packages' own tests can use it.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
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

// PostgresCluster is a PostgreSQL cluster of one test's own, started by
// .ci/postgres.sh, which the test may restart without disturbing the shared
// test database of ERSATZ_TEST_POSTGRES.
type PostgresCluster struct {
	// DSN points at the cluster's database ersatz_test.
	DSN    string
	dir    string
	script string
}

// StartPostgresCluster starts a cluster of tb's own on a free port (from
// $ERSATZ_PG_PORT+1000, default 56432), stopped and removed when tb ends. It
// skips the test when ERSATZ_TEST_POSTGRES is unset (the PostgreSQL tests were
// not asked for) or PostgreSQL's server programs are not installed.
func StartPostgresCluster(tb testing.TB) *PostgresCluster {
	tb.Helper()
	PostgresDSN(tb)
	if !havePgCtl() {
		tb.Skip("pg_ctl is not installed: skipping the test that restarts its own PostgreSQL")
	}
	_, file, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(file), "..", "..", "..", ".ci", "postgres.sh")
	base := 56432
	if p, err := strconv.Atoi(os.Getenv("ERSATZ_PG_PORT")); err == nil {
		base = p + 1000
	}
	cmd := exec.Command("bash", script, "start")
	cmd.Env = append(os.Environ(), "ERSATZ_PG_PORT="+strconv.Itoa(base))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	c := &PostgresCluster{script: script}
	for line := range strings.Lines(string(out)) {
		name, value, ok := strings.Cut(strings.TrimPrefix(strings.TrimSpace(line), "export "), "=")
		if !ok {
			continue
		}
		value = strings.Trim(value, "'")
		switch name {
		case PostgresEnv:
			c.DSN = value
		case "ERSATZ_PG_DIR":
			c.dir = value
		}
	}
	if c.dir != "" {
		tb.Cleanup(func() {
			if out, err := exec.Command("bash", script, "stop", c.dir).CombinedOutput(); err != nil {
				tb.Errorf("stop the test's PostgreSQL: %v\n%s", err, out)
			}
		})
	}
	if err != nil || c.DSN == "" {
		tb.Fatalf("start a PostgreSQL cluster: %v\n%s", err, stderr.String())
	}
	return c
}

// Restart stops the cluster (fast shutdown: every connection is closed) and
// starts it again on the same port.
func (c *PostgresCluster) Restart(tb testing.TB) {
	tb.Helper()
	if out, err := exec.Command("bash", c.script, "restart", c.dir).CombinedOutput(); err != nil {
		tb.Fatalf("restart PostgreSQL: %v\n%s", err, out)
	}
}

func havePgCtl() bool {
	if m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl"); len(m) > 0 {
		return true
	}
	_, err := exec.LookPath("pg_ctl")
	return err == nil
}
