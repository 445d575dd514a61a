// Command ersatz runs a local, wire-compatible emulator of AWS Transfer
// Family, AWS Amplify Backend and Amazon Q Apps.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/ersatz-dev/ersatz/internal/coverage"
	"github.com/ersatz-dev/ersatz/internal/server"
	"github.com/ersatz-dev/ersatz/internal/service/amplifybackend"
)

const usage = `Ersatz: a local emulator of AWS Transfer Family, Amplify Backend and Q Apps.

Usage:
  ersatz [serve] [flags]        serve the AWS APIs (the default)
  ersatz version                print the version
  ersatz coverage [--markdown]  list every operation and whether it is implemented
  ersatz state export [flags]   write every resource as a JSON snapshot to stdout
  ersatz state import FILE      replace all state with a snapshot (flags as for serve)
  ersatz transfer endpoints     list the SFTP/FTPS/FTP endpoints of a running Ersatz

Flags (each has an ERSATZ_* environment twin, e.g. --data-dir and ERSATZ_DATA_DIR):
`

// config is what the flags set.
type config struct {
	listen      string
	dataDir     string
	store       string
	auth        string
	credentials string
	region      string
	logLevel    string
	secrets     string
	jobDelay    amplifybackend.JobDelay
	transfer    *transferFlags
}

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "ersatz:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && (!strings.HasPrefix(args[0], "-") || args[0] == "-h" || args[0] == "--help") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "version":
		_, err := fmt.Fprintln(stdout, "ersatz", server.Version)
		return err
	case "coverage":
		fs := flag.NewFlagSet("coverage", flag.ContinueOnError)
		md := fs.Bool("markdown", false, "write the Markdown table of docs/coverage.md")
		if err := fs.Parse(args); err != nil {
			return err
		}
		services := server.Services(nil)
		if *md {
			return coverage.WriteMarkdown(stdout, services)
		}
		return coverage.WriteText(stdout, services)
	case "serve":
		cfg, rest, err := parseFlags("serve", args, stderr)
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		if err != nil {
			return err
		}
		if len(rest) > 0 {
			return fmt.Errorf("serve takes no arguments, got %q", rest)
		}
		return serve(ctx, cfg, stderr)
	case "state":
		return stateCommand(ctx, args, stdout, stderr)
	case "transfer":
		return transferCommand(ctx, args, stdout, stderr)
	case "help", "-h", "--help":
		_, err := io.WriteString(stdout, usage)
		return err
	}
	return fmt.Errorf("unknown command %q (try ersatz --help)", cmd)
}

func parseFlags(name string, args []string, stderr io.Writer) (config, []string, error) {
	var c config
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	fs.StringVar(&c.listen, "listen", env("ERSATZ_LISTEN", "127.0.0.1:4566"), "address to serve on")
	fs.StringVar(&c.dataDir, "data-dir", env("ERSATZ_DATA_DIR", ".ersatz"), "folder of the sqlite store (and other local state)")
	fs.StringVar(&c.store, "store", env("ERSATZ_STORE", "sqlite"), "state backend: memory, sqlite, or a postgres://user:pass@host/db DSN")
	fs.StringVar(&c.auth, "auth", env("ERSATZ_AUTH", "off"), "request authentication: off (trust the credential scope) or sigv4")
	fs.StringVar(&c.credentials, "credentials", env("ERSATZ_CREDENTIALS", ""), "JSON credentials file (with --auth sigv4)")
	fs.StringVar(&c.region, "region", env("ERSATZ_REGION", "us-east-1"), "region of requests that name none")
	fs.StringVar(&c.logLevel, "log-level", env("ERSATZ_LOG_LEVEL", "info"), "debug, info, warn or error")
	fs.StringVar(&c.secrets, "secrets", env("ERSATZ_SECRETS", env("ERSATZ_SECRETS_FILE", "")), "JSON file of the secrets Transfer's SFTP connectors use (docs/transfer-b2b.md)")
	c.jobDelay = amplifybackend.JobDelay{Min: amplifybackend.DefaultJobDelay, Max: amplifybackend.DefaultJobDelay}
	if v := os.Getenv("ERSATZ_AMPLIFY_JOB_DELAY"); v != "" {
		d, err := amplifybackend.ParseJobDelay(v)
		if err != nil {
			return c, nil, fmt.Errorf("ERSATZ_AMPLIFY_JOB_DELAY: %w", err)
		}
		c.jobDelay = d
	}
	fs.Var((*jobDelayFlag)(&c.jobDelay), "amplify-job-delay",
		"how long an Amplify Backend job stays in progress: a duration (0: at once) or a range MIN~MAX of random jitter, e.g. 2s~5s")
	c.transfer = addTransferFlags(fs)
	if err := fs.Parse(args); err != nil {
		return c, nil, err
	}
	if c.auth != "off" && c.auth != "sigv4" {
		return c, nil, fmt.Errorf("--auth must be off or sigv4, not %q", c.auth)
	}
	return c, fs.Args(), nil
}

// jobDelayFlag is --amplify-job-delay: amplifybackend.ParseJobDelay's syntax.
type jobDelayFlag amplifybackend.JobDelay

func (f *jobDelayFlag) String() string { return amplifybackend.JobDelay(*f).String() }

func (f *jobDelayFlag) Set(s string) error {
	d, err := amplifybackend.ParseJobDelay(s)
	if err != nil {
		return err
	}
	*f = jobDelayFlag(d)
	return nil
}

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

func logger(level string, w io.Writer) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}

func serve(ctx context.Context, cfg config, stderr io.Writer) error {
	log, err := logger(cfg.logLevel, stderr)
	if err != nil {
		return err
	}
	authn, err := authenticator(cfg)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()

	srv := server.New(server.Config{Store: st, DefaultRegion: cfg.region, Auth: authn, Logger: log,
		DataDir: cfg.dataDir, SecretsFile: cfg.secrets, AmplifyJobDelay: &cfg.jobDelay,
		DataPlane: cfg.transfer.dataPlane(cfg.dataDir, cfg.listen)})
	if err := srv.Start(ctx); err != nil {
		return err
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", cfg.listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	endpoint := "http://" + ln.Addr().String()
	log.Info("ersatz is serving", "endpoint", endpoint, "store", st.Kind(), "version", server.Version,
		"try", "aws --endpoint-url "+endpoint+" transfer list-servers")

	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing in-flight requests")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}
