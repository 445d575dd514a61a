package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/ersatz-dev/ersatz/internal/datadir"
	"github.com/ersatz-dev/ersatz/internal/server"
	"github.com/ersatz-dev/ersatz/internal/store"
	"github.com/ersatz-dev/ersatz/internal/store/open"
)

// openStore opens the store cfg names. The sqlite store's data dir is
// locked first, so a second process on the same folder is refused with the
// holder's pid; the returned store releases the lock when closed.
func openStore(ctx context.Context, cfg config) (store.Store, error) {
	var lock *datadir.Lock
	if cfg.store == "sqlite" {
		var err error
		if lock, err = datadir.Acquire(cfg.dataDir); err != nil {
			return nil, err
		}
	}
	st, err := open.Open(ctx, cfg.store, cfg.dataDir)
	if err != nil {
		_ = lock.Release()
		return nil, fmt.Errorf("open store: %w", err)
	}
	if lock != nil {
		return lockedStore{st, lock}, nil
	}
	return st, nil
}

// lockedStore releases its data dir's lock once the store is closed.
type lockedStore struct {
	store.Store
	lock *datadir.Lock
}

func (s lockedStore) Close() error {
	return errors.Join(s.Store.Close(), s.lock.Release())
}

const stateUsage = `Usage:
  ersatz state export [--with-secrets] [flags] > state.json
  ersatz state import [flags] FILE       (FILE "-" reads standard input)

Saves and loads every resource as a versioned JSON snapshot, from and to the
store that --store and --data-dir name (flags as for serve; see
ersatz state export --help). Stop the Ersatz that uses a sqlite data dir
first: the folder is locked by the process using it.
`

// stateCommand runs `ersatz state export|import`.
func stateCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		_, err := io.WriteString(stderr, stateUsage)
		if len(args) == 0 && err == nil {
			err = errors.New("state needs a command: export or import")
		}
		return err
	}
	sub, args := args[0], args[1:]
	if sub != "export" && sub != "import" {
		return fmt.Errorf("unknown state command %q: use export or import (ersatz state --help)", sub)
	}
	withSecrets := false
	var extra []func(*flag.FlagSet, *config)
	if sub == "export" {
		extra = append(extra, func(fs *flag.FlagSet, _ *config) {
			fs.BoolVar(&withSecrets, "with-secrets", false, "keep private keys and password hashes in the snapshot")
		})
	}
	cfg, rest, err := parseFlags("state "+sub, args, stderr, extra...)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	switch sub {
	case "export":
		snap, err := store.Export(ctx, st)
		if err == nil && !withSecrets {
			snap, err = snap.WithoutSecrets(server.Secrets())
		}
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		return store.WriteSnapshot(stdout, snap)
	case "import":
		if len(rest) != 1 {
			return errors.New("usage: ersatz state import [flags] FILE (- for standard input)")
		}
		var r io.Reader = os.Stdin
		if rest[0] != "-" {
			f, err := os.Open(rest[0])
			if err != nil {
				return fmt.Errorf("import: %w", err)
			}
			defer f.Close()
			r = f
		}
		snap, err := store.ReadSnapshot(r)
		if err != nil {
			return fmt.Errorf("import %s: %w", rest[0], err)
		}
		if err := store.Import(ctx, st, snap); err != nil {
			return fmt.Errorf("import %s: %w", rest[0], err)
		}
		_, err = fmt.Fprintf(stderr, "imported %d resources\n", len(snap.Resources))
		return err
	}
	return fmt.Errorf("unknown state command %q: use export or import", sub)
}
