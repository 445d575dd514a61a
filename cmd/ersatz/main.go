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
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ersatz-dev/ersatz/internal/coverage"
	"github.com/ersatz-dev/ersatz/internal/httpserve"
	"github.com/ersatz-dev/ersatz/internal/s3api"
	"github.com/ersatz-dev/ersatz/internal/server"
)

const usage = `Ersatz: a local emulator of AWS Transfer Family, Amplify Backend and Q Apps.

Usage:
  ersatz [serve] [flags]        serve the AWS APIs (the default)
  ersatz version                print the version
  ersatz coverage [--markdown]  list every operation and whether it is implemented
  ersatz state export [flags]   write every resource as a JSON snapshot to stdout
                                (without secrets unless --with-secrets)
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
	jobDelay    time.Duration
	http        httpserve.Config
	transfer    *transferFlags
}

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "ersatz:", err)
		os.Exit(1)
	}
}

// s3CoverageNote introduces the S3 section of docs/coverage.md.
const s3CoverageNote = "The S3 API is served for the object store's buckets (see [s3.md](s3.md)): requests signed for `s3`, " +
	"path-style or virtual-host style. An operation marked *not implemented* answers HTTP 501 `NotImplemented`."

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
		var s3ops []coverage.Op
		for _, op := range s3api.Operations() {
			s3ops = append(s3ops, coverage.Op{Name: op.Name, Implemented: op.Served})
		}
		if *md {
			if err := coverage.WriteMarkdown(stdout, services); err != nil {
				return err
			}
			return coverage.WriteOpsMarkdown(stdout, "Amazon S3 (`s3`, rest-xml)", s3CoverageNote, s3ops)
		}
		if err := coverage.WriteText(stdout, services); err != nil {
			return err
		}
		return coverage.WriteOpsText(stdout, "s3 (Amazon S3, the object store's buckets)", s3ops)
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

// parseFlags parses the flags of serving, and those extra adds.
func parseFlags(name string, args []string, stderr io.Writer, extra ...func(*flag.FlagSet)) (config, []string, error) {
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
	jobDelay, err := envDuration("ERSATZ_AMPLIFY_JOB_DELAY", 100*time.Millisecond)
	if err != nil {
		return c, nil, err
	}
	fs.DurationVar(&c.jobDelay, "amplify-job-delay", jobDelay, "how long an Amplify Backend job stays in progress")
	if err := addHTTPFlags(fs, &c.http); err != nil {
		return c, nil, err
	}
	if c.transfer, err = addTransferFlags(fs); err != nil {
		return c, nil, err
	}
	for _, add := range extra {
		add(fs)
	}
	if err := fs.Parse(args); err != nil {
		return c, nil, err
	}
	for name, d := range map[string]time.Duration{"read-header-timeout": c.http.ReadHeaderTimeout, "read-timeout": c.http.ReadTimeout,
		"write-timeout": c.http.WriteTimeout, "idle-timeout": c.http.IdleTimeout, "shutdown-timeout": c.http.ShutdownTimeout} {
		if d <= 0 {
			return c, nil, fmt.Errorf("--%s must be a positive duration, not %s", name, d)
		}
	}
	if c.auth != "off" && c.auth != "sigv4" {
		return c, nil, fmt.Errorf("--auth must be off or sigv4, not %q", c.auth)
	}
	return c, fs.Args(), nil
}

func envDuration(name string, def time.Duration) (time.Duration, error) {
	v, ok := os.LookupEnv(name)
	if !ok || v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	return d, nil
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

	idps, err := cfg.transfer.identityProviders()
	if err != nil {
		return err
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()

	srv := server.New(server.Config{Store: st, DefaultRegion: cfg.region, Auth: authn, Logger: log,
		DataDir: cfg.dataDir, SecretsFile: cfg.secrets, AmplifyJobDelay: cfg.jobDelay, IdentityProviders: idps,
		DataPlane: cfg.transfer.dataPlane(cfg.dataDir, cfg.listen)})
	if err := srv.Start(ctx); err != nil {
		return err
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", cfg.listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	hcfg := cfg.http
	hcfg.Logger = log
	hs := httpserve.New(srv.Handler(), hcfg)
	endpoint := "http://" + ln.Addr().String()
	log.Info("ersatz is serving", "endpoint", endpoint, "store", st.Kind(), "version", server.Version,
		"max_connections", hs.Config().MaxConns,
		"try", "aws --endpoint-url "+endpoint+" transfer list-servers")
	err = hs.Serve(ctx, ln)
	log.Info("stopped")
	return err
}

// addHTTPFlags adds the limits of the HTTP server.
func addHTTPFlags(fs *flag.FlagSet, c *httpserve.Config) error {
	durations := []struct {
		flag, env, usage string
		to               *time.Duration
		def              time.Duration
	}{
		{"read-header-timeout", "ERSATZ_READ_HEADER_TIMEOUT", "longest time to read a request's headers", &c.ReadHeaderTimeout, httpserve.DefaultReadHeaderTimeout},
		{"read-timeout", "ERSATZ_READ_TIMEOUT", "longest time to read a whole request, body included", &c.ReadTimeout, httpserve.DefaultReadTimeout},
		{"write-timeout", "ERSATZ_WRITE_TIMEOUT", "longest time to answer a request, from the end of its headers", &c.WriteTimeout, httpserve.DefaultWriteTimeout},
		{"idle-timeout", "ERSATZ_IDLE_TIMEOUT", "how long a keep-alive connection may wait for its next request", &c.IdleTimeout, httpserve.DefaultIdleTimeout},
		{"shutdown-timeout", "ERSATZ_SHUTDOWN_TIMEOUT", "how long SIGTERM lets in-flight requests finish", &c.ShutdownTimeout, httpserve.DefaultShutdownTimeout},
	}
	for _, d := range durations {
		def, err := envDuration(d.env, d.def)
		if err != nil {
			return err
		}
		fs.DurationVar(d.to, d.flag, def, d.usage)
	}
	maxConns := 0
	if v := env("ERSATZ_MAX_CONNECTIONS", ""); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return fmt.Errorf("ERSATZ_MAX_CONNECTIONS: %q is not a number of connections", v)
		}
		maxConns = n
	}
	fs.IntVar(&c.MaxConns, "max-connections", maxConns, "most open HTTP connections (0: three quarters of the open-file limit)")
	return nil
}
