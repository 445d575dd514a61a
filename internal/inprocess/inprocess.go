// Package inprocess holds the settings of an Ersatz started inside a Go
// process by package ersatztest. The public options of ersatztest set the
// exported-type fields; Ersatz's own tests also use the fields of internal
// types (a store they built, the server and data plane configurations
// changed in place, a look at what was started).
package inprocess

import (
	"log/slog"
	"time"

	"github.com/ersatz-dev/ersatz/internal/auth"
	"github.com/ersatz-dev/ersatz/internal/dataplane"
	"github.com/ersatz-dev/ersatz/internal/server"
	"github.com/ersatz-dev/ersatz/internal/store"
)

// Settings is what the options of ersatztest.Start set.
type Settings struct {
	// StoreKind is "memory", "sqlite" (a file in a temporary folder) or a
	// postgres:// DSN; Store, when set, is used instead and left open.
	StoreKind string
	Store     store.Store
	// DataDir holds the Transfer files (and the SQLite file); "" is a new
	// temporary folder.
	DataDir string
	// DataPlane serves SFTP/FTPS/FTP for ONLINE Transfer servers, on Ports
	// and PassivePorts ("" picks a free block of loopback ports).
	DataPlane    bool
	Ports        string
	PassivePorts string
	// Region is the region of requests whose signature names none, and of
	// the SDK configuration the server hands out.
	Region string
	// Credentials are known access keys; SigV4 verifies every request's
	// signature against them (otherwise they only map keys to accounts
	// and Q Apps users).
	Credentials []auth.Credential
	SigV4       bool
	// AmplifyJobDelay is how long an Amplify Backend job stays in
	// progress (0 keeps the default; set by JobDelaySet).
	AmplifyJobDelay time.Duration
	JobDelaySet     bool
	// Seed is a state snapshot (the document GET /_ersatz/state writes)
	// loaded before the first request.
	Seed []byte
	// Logger receives the server's log; nil writes warnings and errors to
	// the test's log.
	Logger *slog.Logger
	// ServerConfig and DataPlaneConfig change the configurations before
	// the server is built.
	ServerConfig    []func(*server.Config)
	DataPlaneConfig []func(*dataplane.Config)
	// S3Endpoint, with S3AccessKeyID and S3SecretAccessKey, keeps the
	// buckets and objects in an S3-compatible endpoint (--s3-endpoint)
	// instead of the data directory.
	S3Endpoint, S3AccessKeyID, S3SecretAccessKey string
	// Started sees the store and the server once they run.
	Started []func(store.Store, *server.Server)
}

// Option changes Settings.
type Option func(*Settings)

// WithBackend runs the server over st, which the caller closes.
func WithBackend(st store.Store) Option { return func(s *Settings) { s.Store = st } }

// WithDataDir keeps the Transfer files under dir.
func WithDataDir(dir string) Option { return func(s *Settings) { s.DataDir = dir } }

// WithPorts sets the data plane's listener and passive port ranges ("" picks
// a free block).
func WithPorts(ports, passive string) Option {
	return func(s *Settings) { s.Ports, s.PassivePorts = ports, passive }
}

// WithServerConfig changes the server's configuration before it is built.
func WithServerConfig(f func(*server.Config)) Option {
	return func(s *Settings) { s.ServerConfig = append(s.ServerConfig, f) }
}

// WithDataPlaneConfig changes the data plane's configuration (when it runs).
func WithDataPlaneConfig(f func(*dataplane.Config)) Option {
	return func(s *Settings) { s.DataPlaneConfig = append(s.DataPlaneConfig, f) }
}

// OnStarted calls f with the store and the server once they run.
func OnStarted(f func(store.Store, *server.Server)) Option {
	return func(s *Settings) { s.Started = append(s.Started, f) }
}
