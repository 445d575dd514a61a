package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/ersatz-dev/ersatz/internal/server"
	"github.com/ersatz-dev/ersatz/internal/store"
	"github.com/ersatz-dev/ersatz/internal/store/open"
)

func openStore(ctx context.Context, cfg config) (store.Store, error) {
	st, err := open.Open(ctx, cfg.store, cfg.dataDir)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	return st, nil
}

// stateCommand runs `ersatz state export|import`.
func stateCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: ersatz state export [--with-secrets] [flags] > state.json | ersatz state import [flags] FILE")
	}
	sub, args := args[0], args[1:]
	withSecrets := false
	var extra []func(*flag.FlagSet)
	if sub == "export" {
		extra = append(extra, func(fs *flag.FlagSet) {
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
