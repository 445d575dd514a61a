package sqlite

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ersatz-dev/ersatz/internal/store"
	"github.com/ersatz-dev/ersatz/internal/store/storetest"
)

func openT(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(t.Context(), dir)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openT(t, t.TempDir()) })
}

var srv = store.Key{Scope: store.Scope{Account: "1", Region: "r", Service: "s"}, Kind: "server", ID: "s-1"}

func TestReopenKeepsData(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, dir)
	if s.Path() != filepath.Join(dir, FileName) {
		t.Errorf("Path = %s", s.Path())
	}
	err := s.Update(t.Context(), func(tx store.Tx) error {
		if err := tx.Put(srv, []byte(`{"v":1}`)); err != nil {
			return err
		}
		return tx.Put(srv.Child("user", "u"), []byte(`{"v":2}`))
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := s.View(t.Context(), func(store.Tx) error { return nil }); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("View after Close = %v, want ErrClosed", err)
	}
	s2 := openT(t, dir)
	snap, err := store.Export(t.Context(), s2)
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Resources) != 2 || string(snap.Resources[0].Data) != `{"v":1}` || string(snap.Resources[1].Data) != `{"v":2}` {
		t.Fatalf("after reopen: %+v", snap.Resources)
	}
}

func schemaVersions(t *testing.T, s *Store) []int {
	t.Helper()
	rows, err := s.r.QueryContext(t.Context(), `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var vs []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return vs
}

func TestMigrations(t *testing.T) {
	dir := t.TempDir()
	storetest.RunMigrations(t, storetest.SQLBackend{
		Migrations: migrations(),
		Open: func(ms []migration) (store.Store, error) {
			s, err := open(t.Context(), dir, ms)
			if err != nil {
				return nil, err
			}
			return s, nil
		},
		Versions: func(t *testing.T, s store.Store) []int { return schemaVersions(t, s.(*Store)) },
		QueryString: func(t *testing.T, s store.Store, query string) (v string, err error) {
			err = s.(*Store).r.QueryRowContext(t.Context(), query).Scan(&v)
			return v, err
		},
		HasTable: func(t *testing.T, s store.Store, name string) (bool, error) {
			var n int
			err := s.(*Store).r.QueryRowContext(t.Context(), `SELECT count(*) FROM sqlite_master WHERE name = ?`, name).Scan(&n)
			return n != 0, err
		},
	})
}

func TestPragmas(t *testing.T) {
	s := openT(t, t.TempDir())
	for _, db := range []struct {
		name string
		q    func(string) (string, error)
	}{
		{"writer", func(p string) (v string, err error) { err = s.w.QueryRow("PRAGMA " + p).Scan(&v); return }},
		{"reader", func(p string) (v string, err error) { err = s.r.QueryRow("PRAGMA " + p).Scan(&v); return }},
	} {
		for pragma, want := range map[string]string{"journal_mode": "wal", "synchronous": "2", "busy_timeout": "10000"} {
			got, err := db.q(pragma)
			if err != nil || got != want {
				t.Errorf("%s: PRAGMA %s = %q, %v; want %q", db.name, pragma, got, err, want)
			}
		}
	}
}

// TestTwoHandles stands in for two processes sharing one data directory.
func TestTwoHandles(t *testing.T) {
	dir := t.TempDir()
	a, b := openT(t, dir), openT(t, dir)
	if err := a.Update(t.Context(), func(tx store.Tx) error { return tx.Put(srv, []byte(`"from a"`)) }); err != nil {
		t.Fatal(err)
	}
	err := b.View(t.Context(), func(tx store.Tx) error {
		d, err := tx.Get(srv)
		if err == nil && string(d) != `"from a"` {
			err = fmt.Errorf("b reads %s", d)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	storetest.RunIncrements(t, []store.Store{a, b}, 16, 200)
}

// TestKillKeepsAcknowledgedWrites runs a child process that writes until it is
// killed with SIGKILL, and checks that every write it acknowledged is there.
func TestKillKeepsAcknowledgedWrites(t *testing.T) {
	if dir := os.Getenv("ERSATZ_SQLITE_KILL_CHILD"); dir != "" {
		killChild(dir)
		return
	}
	if testing.Short() {
		t.Skip("spawns a process")
	}
	dir := t.TempDir()
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestKillKeepsAcknowledgedWrites$")
	cmd.Env = append(os.Environ(), "ERSATZ_SQLITE_KILL_CHILD="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := -1
	sc := bufio.NewScanner(out)
	deadline := time.Now().Add(30 * time.Second)
	for sc.Scan() && time.Now().Before(deadline) {
		if n, err := strconv.Atoi(strings.TrimPrefix(sc.Text(), "acked ")); err == nil && strings.HasPrefix(sc.Text(), "acked ") {
			acked = n
			if acked >= 50 {
				break
			}
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if acked < 50 {
		t.Fatalf("child acknowledged only %d writes", acked)
	}
	s := openT(t, dir)
	err = s.View(t.Context(), func(tx store.Tx) error {
		for i := 0; i <= acked; i++ {
			if _, err := tx.Get(store.Key{Scope: srv.Scope, Kind: "w", ID: strconv.Itoa(i)}); err != nil {
				return fmt.Errorf("acknowledged write %d: %w", i, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func killChild(dir string) {
	ctx := context.Background()
	s, err := Open(ctx, dir)
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(1)
	}
	for i := 0; ; i++ {
		k := store.Key{Scope: srv.Scope, Kind: "w", ID: strconv.Itoa(i)}
		if err := s.Update(ctx, func(tx store.Tx) error { return tx.Put(k, []byte(`{}`)) }); err != nil {
			fmt.Println("update:", err)
			os.Exit(1)
		}
		fmt.Printf("acked %d\n", i)
	}
}
