// Package ersatztest runs Ersatz inside a Go test: Start serves the AWS
// Transfer Family, Amplify Backend and Q Apps APIs on a free loopback port,
// over an in-memory store by default, until the test ends. Point any
// aws-sdk-go-v2 client at it with Server.AWSConfig:
//
//	func TestUpload(t *testing.T) {
//		srv := ersatztest.Start(t)
//		client := transfer.NewFromConfig(srv.AWSConfig())
//		out, err := client.CreateServer(t.Context(), &transfer.CreateServerInput{})
//		...
//	}
//
// Every test gets its own server and state, so tests that start one can
// run in parallel. Options choose the store, where the buckets and objects
// are kept (the data directory, or an S3 endpoint), the Transfer data plane
// (SFTP/FTPS/FTP, on by default), signature verification and the keys it
// accepts, the region, the Amplify Backend job delay, and a state snapshot
// to start from.
package ersatztest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/ersatz-dev/ersatz/internal/auth"
	"github.com/ersatz-dev/ersatz/internal/dataplane"
	"github.com/ersatz-dev/ersatz/internal/gateway"
	"github.com/ersatz-dev/ersatz/internal/httpserve"
	"github.com/ersatz-dev/ersatz/internal/inprocess"
	"github.com/ersatz-dev/ersatz/internal/objectstore/s3remote"
	"github.com/ersatz-dev/ersatz/internal/server"
	"github.com/ersatz-dev/ersatz/internal/service/amplifybackend"
	"github.com/ersatz-dev/ersatz/internal/store"
	"github.com/ersatz-dev/ersatz/internal/store/open"
)

// Default credentials of Server.AWSConfig when no option names keys: any
// key works while signatures are not verified, and a key that is not 12
// digits acts in account 000000000000.
const (
	DefaultAccessKeyID     = "test"
	DefaultSecretAccessKey = "test"
	DefaultRegion          = "us-east-1"
)

// shutdownTimeout is how long Close lets in-flight requests finish.
const shutdownTimeout = time.Second

// Server is an Ersatz running for one test.
type Server struct {
	// URL is the endpoint, http://127.0.0.1:PORT (as httptest.Server.URL).
	URL string
	// Region, AccessKeyID, SecretAccessKey and SessionToken are what
	// AWSConfig uses; AccountID is the account that key acts in.
	Region          string
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	AccountID       string

	srv       *server.Server
	closeOnce sync.Once
	closeErr  error
	stop      func() error
}

// Start runs Ersatz until the test ends (t.Cleanup stops it), its files in
// a temporary folder of the test and its warnings in the test's log. It
// fails the test when Ersatz cannot start: an unknown store, a snapshot that
// does not load, no free port.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	set := settings(opts)
	if set.DataDir == "" {
		set.DataDir = t.TempDir()
	}
	if set.Logger == nil {
		set.Logger = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	s, err := start(set)
	if err != nil {
		t.Fatalf("ersatztest: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("ersatztest: stop: %v", err)
		}
	})
	return s
}

// New runs Ersatz until Close, outside a test (in TestMain, a program or an
// example): its files go to a new temporary folder that Close removes, its
// warnings to standard error.
func New(opts ...Option) (*Server, error) {
	set := settings(opts)
	if set.Logger == nil {
		set.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	var removeDir func() error
	if set.DataDir == "" {
		dir, err := os.MkdirTemp("", "ersatztest-")
		if err != nil {
			return nil, fmt.Errorf("ersatztest: %w", err)
		}
		set.DataDir, removeDir = dir, func() error { return os.RemoveAll(dir) }
	}
	s, err := start(set)
	if err != nil {
		if removeDir != nil {
			_ = removeDir()
		}
		return nil, fmt.Errorf("ersatztest: %w", err)
	}
	if removeDir != nil {
		stop := s.stop
		s.stop = func() error { return errors.Join(stop(), removeDir()) }
	}
	return s, nil
}

func settings(opts []Option) inprocess.Settings {
	set := inprocess.Settings{StoreKind: "memory", Region: DefaultRegion, DataPlane: true}
	for _, o := range opts {
		o(&set)
	}
	return set
}

func start(set inprocess.Settings) (*Server, error) {
	log, dataDir := set.Logger, set.DataDir
	// Everything started so far, stopped in reverse order on failure and
	// by Close.
	var stops []func() error
	stopAll := func() error {
		var errs []error
		for i := len(stops) - 1; i >= 0; i-- {
			errs = append(errs, stops[i]())
		}
		stops = nil
		return errors.Join(errs...)
	}
	fail := func(err error) (*Server, error) {
		_ = stopAll()
		return nil, err
	}
	ctx := context.Background()

	st := set.Store
	if st == nil {
		var err error
		st, err = open.Open(ctx, set.StoreKind, dataDir)
		if err != nil {
			return fail(fmt.Errorf("store %q: %w", set.StoreKind, err))
		}
		stops = append(stops, st.Close)
	}
	if set.Seed != nil {
		if err := seed(ctx, st, set.Seed); err != nil {
			return fail(err)
		}
	}
	authn, creds, err := authenticator(set)
	if err != nil {
		return fail(err)
	}
	cfg := server.Config{Store: st, DefaultRegion: set.Region, Auth: authn, Logger: log, DataDir: dataDir}
	if set.JobDelaySet {
		cfg.AmplifyJobDelay = &amplifybackend.JobDelay{Min: set.AmplifyJobDelay, Max: set.AmplifyJobDelay}
	}
	if set.DataPlane {
		dp, err := dataPlaneConfig(set, dataDir)
		if err != nil {
			return fail(err)
		}
		cfg.DataPlane = dp
	}
	if set.S3Endpoint != "" {
		objects, err := s3remote.New(s3remote.Config{Endpoint: set.S3Endpoint, AccessKeyID: set.S3AccessKeyID,
			SecretAccessKey: set.S3SecretAccessKey, TempDir: dataDir})
		if err != nil {
			return fail(err)
		}
		if err := objects.Check(ctx); err != nil {
			return fail(fmt.Errorf("the S3 endpoint %s: %w", set.S3Endpoint, err))
		}
		cfg.Objects = objects
	}
	for _, f := range set.ServerConfig {
		f(&cfg)
	}
	srv := server.New(cfg)
	stops = append(stops, srv.Close)
	if err := srv.Start(ctx); err != nil {
		return fail(fmt.Errorf("start: %w", err))
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fail(fmt.Errorf("listen on loopback: %w", err))
	}
	hs := httpserve.New(srv.Handler(), httpserve.Config{Logger: log, ShutdownTimeout: shutdownTimeout})
	serveCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- hs.Serve(serveCtx, ln) }()
	stops = append(stops, func() error {
		cancel()
		return <-done
	})
	for _, f := range set.Started {
		f(st, srv)
	}

	s := &Server{URL: "http://" + ln.Addr().String(), Region: set.Region, srv: srv, stop: stopAll,
		AccessKeyID: DefaultAccessKeyID, SecretAccessKey: DefaultSecretAccessKey}
	if len(creds) > 0 {
		c := creds[0]
		s.AccessKeyID, s.SecretAccessKey, s.SessionToken = c.AccessKeyID, c.SecretAccessKey, c.SessionToken
	}
	s.AccountID = auth.AccountOf(s.AccessKeyID)
	if len(creds) > 0 && creds[0].AccountID != "" {
		s.AccountID = creds[0].AccountID
	}
	return s, nil
}

// seed loads a snapshot into st.
func seed(ctx context.Context, st store.Store, doc []byte) error {
	snap, err := store.ReadSnapshot(bytes.NewReader(doc))
	if err != nil {
		return fmt.Errorf("seed snapshot: %w", err)
	}
	if err := store.Import(ctx, st, snap); err != nil {
		return fmt.Errorf("seed snapshot: %w", err)
	}
	return nil
}

// authenticator builds the gateway's authenticator and the admin provers
// of the settings' keys (nil when none are given and signatures are not
// verified).
func authenticator(set inprocess.Settings) (gateway.Authenticator, []auth.Credential, error) {
	if len(set.Credentials) == 0 {
		if set.SigV4 {
			return nil, nil, errors.New("WithAuth needs at least one Credential")
		}
		return nil, nil, nil
	}
	creds, err := auth.New(set.Credentials...)
	if err != nil {
		return nil, nil, fmt.Errorf("credentials: %w", err)
	}
	if set.SigV4 {
		return auth.NewSigV4(creds, server.Services(nil), auth.WithDefaultRegion(set.Region)), set.Credentials, nil
	}
	return auth.NewTrusting(creds, auth.WithDefaultRegion(set.Region)), set.Credentials, nil
}

// dataPlaneConfig is the data plane's configuration: ports of a free block
// unless the settings name them.
func dataPlaneConfig(set inprocess.Settings, dataDir string) (*dataplane.Config, error) {
	dp := &dataplane.Config{DataDir: dataDir, Host: "127.0.0.1", Ports: set.Ports, PassivePorts: set.PassivePorts}
	if dp.Ports == "" || dp.PassivePorts == "" {
		base, err := freePortBlock(2 * portsPerRange)
		if err != nil {
			return nil, err
		}
		if dp.Ports == "" {
			dp.Ports = fmt.Sprintf("%d-%d", base, base+portsPerRange-1)
		}
		if dp.PassivePorts == "" {
			dp.PassivePorts = fmt.Sprintf("%d-%d", base+portsPerRange, base+2*portsPerRange-1)
		}
	}
	for _, f := range set.DataPlaneConfig {
		f(dp)
	}
	return dp, nil
}

// AWSConfig is an aws-sdk-go-v2 configuration aimed at the server: its
// URL as BaseEndpoint, its region, and static credentials (the first key of
// WithAuth or WithCredentials, else DefaultAccessKeyID). Any client takes it:
// transfer.NewFromConfig(srv.AWSConfig()).
func (s *Server) AWSConfig() aws.Config {
	return s.AWSConfigAs(s.AccessKeyID, s.SecretAccessKey)
}

// AWSConfigAs is AWSConfig signing with another key: while signatures are
// not verified a 12-digit access key id is the account it acts in.
func (s *Server) AWSConfigAs(accessKeyID, secretAccessKey string) aws.Config {
	token := ""
	if accessKeyID == s.AccessKeyID {
		token = s.SessionToken
	}
	return aws.Config{
		Region:       s.Region,
		Credentials:  credentials.NewStaticCredentialsProvider(accessKeyID, secretAccessKey, token),
		BaseEndpoint: aws.String(s.URL),
	}
}

// TransferEndpoint is the host:port on which the Transfer server serverID
// of the server's default account and region serves protocol ("SFTP",
// "FTPS" or "FTP"), or "" when it serves none there (the server is not
// ONLINE, does not serve that protocol, or the data plane is off). A server
// is listening within moments of turning ONLINE; WaitTransferEndpoint waits
// for it.
func (s *Server) TransferEndpoint(serverID, protocol string) string {
	dp := s.srv.DataPlane()
	if dp == nil {
		return ""
	}
	for _, st := range dp.Servers() {
		if st.ServerID == serverID && st.Account == s.AccountID && st.Region == s.Region && st.Listening {
			return st.Endpoints[protocol]
		}
	}
	return ""
}

// WaitTransferEndpoint waits until TransferEndpoint names an address, for
// at most timeout; it fails the test when none comes.
func (s *Server) WaitTransferEndpoint(t testing.TB, serverID, protocol string, timeout time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if addr := s.TransferEndpoint(serverID, protocol); addr != "" {
			return addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("ersatztest: server %s serves no %s after %s", serverID, protocol, timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Close stops the server now (a test's cleanup does it otherwise): it stops
// listening, lets in-flight requests finish for a second, closes the data
// plane and the store it opened, and removes the temporary folder New made.
// Closing twice does nothing.
func (s *Server) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.stop() })
	return s.closeErr
}

// testWriter sends the server's log to the test's.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(bytes.TrimRight(p, "\n")))
	return len(p), nil
}
