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
	"strings"
	"syscall"
	"time"

	"github.com/ersatz-dev/ersatz/internal/coverage"
	"github.com/ersatz-dev/ersatz/internal/httpserve"
	"github.com/ersatz-dev/ersatz/internal/s3api"
	"github.com/ersatz-dev/ersatz/internal/server"
	"github.com/ersatz-dev/ersatz/internal/service/amplifybackend"
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
  ersatz health                 ask a running Ersatz whether it is healthy (exit 0 if so)
  ersatz wait [--timeout D]     wait until a running Ersatz answers its health check

Every command takes --help.

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
	seed        string
	jobDelay    amplifybackend.JobDelay
	metrics     bool
	requestLog  int
	http        httpserve.Config
	transfer    *transferFlags
	s3          s3Flags
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
		fs := helpUsage(flag.NewFlagSet("coverage", flag.ContinueOnError), stderr,
			"Usage:\n  ersatz coverage [--markdown]\n\nLists every operation of the three services and whether it is implemented.\n")
		md := fs.Bool("markdown", false, "write the Markdown table of docs/coverage.md")
		if err := parseWithEnv(fs, args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil
			}
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
		cfg, rest, err := parseFlags("serve", args, stderr, serveFlags)
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
	case "health":
		return healthCommand(ctx, args, stdout, stderr, false)
	case "wait":
		return healthCommand(ctx, args, stdout, stderr, true)
	case "help", "-h", "--help":
		if _, err := io.WriteString(stdout, usage); err != nil {
			return err
		}
		_, _, err := parseFlags("serve", []string{"--help"}, stdout, serveFlags)
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	return fmt.Errorf("unknown command %q (try ersatz --help)", cmd)
}

// serveFlags are the flags of serve that the state commands do not take.
func serveFlags(fs *flag.FlagSet, c *config) {
	fs.StringVar(&c.seed, "seed", "", "JSON file loaded at start-up into an empty store: a state snapshot or a seed file (docs/seed.md)")
	addS3Flags(fs, c)
}

// parseFlags parses the flags of serving, and those extra adds.
func parseFlags(name string, args []string, stderr io.Writer, extra ...func(*flag.FlagSet, *config)) (config, []string, error) {
	var c config
	fs := helpUsage(flag.NewFlagSet(name, flag.ContinueOnError), stderr, "Usage:\n  ersatz "+name+" [flags]\n")
	fs.StringVar(&c.listen, "listen", "127.0.0.1:4566", "address to serve on")
	fs.StringVar(&c.dataDir, "data-dir", ".ersatz", "folder of the sqlite store (and other local state)")
	fs.StringVar(&c.store, "store", "sqlite", "state backend: memory, sqlite, or a postgres://user:pass@host/db DSN")
	fs.StringVar(&c.auth, "auth", "off", "request authentication: off (trust the credential scope) or sigv4")
	fs.StringVar(&c.credentials, "credentials", "", "JSON credentials file (with --auth sigv4)")
	fs.StringVar(&c.region, "region", "us-east-1", "region of requests that name none")
	fs.StringVar(&c.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&c.secrets, "secrets", env("ERSATZ_SECRETS_FILE", ""), "JSON file of the secrets Transfer's SFTP connectors use (docs/transfer-b2b.md)")
	c.jobDelay = amplifybackend.JobDelay{Min: amplifybackend.DefaultJobDelay, Max: amplifybackend.DefaultJobDelay}
	fs.Var((*jobDelayFlag)(&c.jobDelay), "amplify-job-delay",
		"how long an Amplify Backend job stays in progress: a duration (0: at once) or a range MIN~MAX of random jitter, e.g. 2s~5s")
	addObserveFlags(fs, &c)
	addHTTPFlags(fs, &c.http)
	c.transfer = addTransferFlags(fs)
	for _, add := range extra {
		add(fs, &c)
	}
	if err := parseWithEnv(fs, args); err != nil {
		return c, nil, err
	}
	if err := checkLogLevel(c.logLevel); err != nil {
		return c, nil, err
	}
	if err := c.transfer.check(); err != nil {
		return c, nil, err
	}
	if c.http.MaxConns < 0 {
		return c, nil, fmt.Errorf("--max-connections must be 0 (three quarters of the open-file limit) or more, not %d", c.http.MaxConns)
	}
	for name, d := range map[string]time.Duration{"read-header-timeout": c.http.ReadHeaderTimeout, "read-timeout": c.http.ReadTimeout,
		"write-timeout": c.http.WriteTimeout, "idle-timeout": c.http.IdleTimeout, "shutdown-timeout": c.http.ShutdownTimeout} {
		if d <= 0 {
			return c, nil, fmt.Errorf("--%s must be a positive duration, not %s", name, d)
		}
	}
	if err := checkObserveFlags(c); err != nil {
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
	if err := dieWithGoRun(); err != nil {
		log.Warn("cannot tie this process to go run's; stopping go run may leave it running", "error", err)
	}

	idps, err := cfg.transfer.identityProviders()
	if err != nil {
		return err
	}
	objects, err := openObjects(ctx, cfg)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()

	srv := server.New(server.Config{Store: st, Objects: objects, DefaultRegion: cfg.region, Auth: authn, Logger: log,
		DataDir: cfg.dataDir, SecretsFile: cfg.secrets, AmplifyJobDelay: &cfg.jobDelay, IdentityProviders: idps,
		DataPlane: cfg.transfer.dataPlane(cfg.dataDir, cfg.listen), Metrics: cfg.metrics, RequestLog: cfg.requestLog})
	defer srv.Close()
	if cfg.seed != "" {
		if err := loadSeed(ctx, cfg.seed, st, srv, cfg.region, log); err != nil {
			return err
		}
	}
	if err := srv.Start(ctx); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.listen)
	if err != nil {
		return listenError(cfg.listen, err)
	}
	hcfg := cfg.http
	hcfg.Logger = log
	hs := httpserve.New(srv.Handler(), hcfg)
	endpoint := "http://" + ln.Addr().String()
	log.Info("ersatz is serving", "endpoint", endpoint, "store", st.Kind(), "objects", objectsKind(cfg), "version", server.Version,
		"max_connections", hs.Config().MaxConns,
		"browse", endpoint+"/_ersatz/",
		"try", tryCommand(endpoint, cfg.region))
	err = hs.Serve(ctx, ln)
	log.Info("stopped")
	return err
}

// tryCommand is an AWS CLI command that works verbatim on a machine with no
// AWS configuration: it carries credentials (any work while --auth is off)
// and the region.
func tryCommand(endpoint, region string) string {
	return "AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test aws --region " + region +
		" --endpoint-url " + endpoint + " transfer list-servers"
}

// listenError says what to do when the address cannot be served.
func listenError(addr string, err error) error {
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return fmt.Errorf("listen on %s: the address is in use (another Ersatz, or another program): "+
			"stop it, or choose another address with --listen (or ERSATZ_LISTEN), e.g. --listen 127.0.0.1:0 for any free port: %w", addr, err)
	case errors.Is(err, syscall.EACCES):
		return fmt.Errorf("listen on %s: no permission to use this port (ports below 1024 need privileges): "+
			"choose another with --listen (or ERSATZ_LISTEN): %w", addr, err)
	}
	return fmt.Errorf("listen on %s: %w (set the address with --listen HOST:PORT or ERSATZ_LISTEN)", addr, err)
}

// addHTTPFlags adds the limits of the HTTP server (their environment twins
// are read by parseWithEnv).
func addHTTPFlags(fs *flag.FlagSet, c *httpserve.Config) {
	fs.DurationVar(&c.ReadHeaderTimeout, "read-header-timeout", httpserve.DefaultReadHeaderTimeout, "longest time to read a request's headers")
	fs.DurationVar(&c.ReadTimeout, "read-timeout", httpserve.DefaultReadTimeout, "longest time to read a whole request, body included")
	fs.DurationVar(&c.WriteTimeout, "write-timeout", httpserve.DefaultWriteTimeout, "longest time to answer a request, from the end of its headers")
	fs.DurationVar(&c.IdleTimeout, "idle-timeout", httpserve.DefaultIdleTimeout, "how long a keep-alive connection may wait for its next request")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", httpserve.DefaultShutdownTimeout, "how long SIGTERM lets in-flight requests finish")
	fs.IntVar(&c.MaxConns, "max-connections", 0, "most open HTTP connections (0: three quarters of the open-file limit)")
}
