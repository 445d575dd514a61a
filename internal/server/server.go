// Package server wires Ersatz together: store, services, gateway and admin
// endpoints, as one http.Handler.
package server

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ersatz-dev/ersatz/internal/admin"
	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/auth"
	"github.com/ersatz-dev/ersatz/internal/browser"
	"github.com/ersatz-dev/ersatz/internal/dataplane"
	"github.com/ersatz-dev/ersatz/internal/dataplane/directory"
	"github.com/ersatz-dev/ersatz/internal/dataplane/idp"
	"github.com/ersatz-dev/ersatz/internal/files"
	"github.com/ersatz-dev/ersatz/internal/gateway"
	"github.com/ersatz-dev/ersatz/internal/metrics"
	"github.com/ersatz-dev/ersatz/internal/objectstore"
	"github.com/ersatz-dev/ersatz/internal/objectstore/localfs"
	"github.com/ersatz-dev/ersatz/internal/reqlog"
	"github.com/ersatz-dev/ersatz/internal/s3api"
	"github.com/ersatz-dev/ersatz/internal/service/amplifybackend"
	"github.com/ersatz-dev/ersatz/internal/service/qapps"
	"github.com/ersatz-dev/ersatz/internal/service/transfer"
	"github.com/ersatz-dev/ersatz/internal/store"
)

// Version is Ersatz's version.
const Version = "0.1.0"

// Config configures a Server.
type Config struct {
	Store         store.Store
	DefaultRegion string
	Auth          gateway.Authenticator // nil: --auth off
	// AdminProvers are the ways a request to the admin endpoints may prove
	// it comes from an admin. Auth is one of them when it is an admin.Prover
	// (auth.SigV4): with --auth sigv4 the admin endpoints are never open.
	AdminProvers []admin.Prover
	Logger       *slog.Logger
	// DataDir holds the files of Transfer's S3 and EFS domains (served by the
	// data plane, read and written by connectors and workflows); "" keeps
	// the Transfer service's default.
	DataDir string
	// Objects is the S3 domain's object store: what the S3 API serves and
	// (as they move onto it) the data plane, workflows, connectors and
	// Amplify Backend storage read and write. nil: the local backend over
	// DataDir's folders.
	Objects objectstore.Store
	// SecretsFile holds the secrets of Transfer's SFTP connectors ("" reads
	// $ERSATZ_SECRETS_FILE).
	SecretsFile string
	// AmplifyJobDelay is how long an Amplify Backend job stays in progress
	// (nil keeps the default; a zero delay makes jobs due at once).
	AmplifyJobDelay *amplifybackend.JobDelay
	// IdentityProviders calls the custom identity providers of Transfer
	// servers (API_GATEWAY, AWS_LAMBDA) at logins and TestIdentityProvider;
	// nil uses one with no Lambda endpoint and the default timeout.
	IdentityProviders *idp.Client
	// DataPlane, when set, runs the Transfer data plane (SFTP, FTPS and FTP
	// listeners of ONLINE servers) between Start and Close.
	DataPlane *dataplane.Config
	// Metrics serves GET /metrics (guarded as the admin endpoints are) and
	// measures requests, store transactions, the data plane, and Amplify
	// Backend jobs and Transfer executions.
	Metrics bool
	// RequestLog is how many requests GET /_ersatz/requests and the
	// resource browser keep (0: none).
	RequestLog int
}

// Server is a configured Ersatz.
type Server struct {
	handler   http.Handler
	services  []*api.Service
	dataplane *dataplane.Manager
	dpErr     error
	transfer  *transfer.Service
}

// services are the emulated services, built over one store.
type services struct {
	transfer *transfer.Service
	amplify  *amplifybackend.Service
	qapps    *qapps.Service
}

func newServices(cfg Config) services {
	topts := []transfer.Option{transfer.WithObjects(cfg.Objects)}
	if cfg.DataDir != "" {
		topts = append(topts, transfer.WithFiles(files.New(cfg.DataDir)))
	}
	if cfg.SecretsFile != "" {
		topts = append(topts, transfer.WithSecretsFile(cfg.SecretsFile))
	}
	if cfg.IdentityProviders != nil {
		topts = append(topts, transfer.WithIdentityProviders(cfg.IdentityProviders))
	}
	aopts := []amplifybackend.Option{amplifybackend.WithObjects(cfg.Objects)}
	if cfg.AmplifyJobDelay != nil {
		aopts = append(aopts, amplifybackend.WithJobDelayRange(*cfg.AmplifyJobDelay))
	}
	return services{
		transfer: transfer.New(cfg.Store, topts...),
		amplify:  amplifybackend.New(cfg.Store, aopts...),
		qapps:    qapps.New(cfg.Store, qapps.WithUsers(qappsUsers(cfg.Auth))),
	}
}

// qappsUsers are the Q Apps users of the credentials file behind authn
// (none without one): a key's user id, or the id Q Apps derives from the
// key when the file names only an email.
func qappsUsers(authn gateway.Authenticator) []qapps.DirectoryUser {
	withCreds, ok := authn.(interface{ Credentials() *auth.Credentials })
	if !ok {
		return nil
	}
	var out []qapps.DirectoryUser
	for _, c := range withCreds.Credentials().All() {
		if c.UserID == "" && c.Email == "" {
			continue
		}
		id := c.UserID
		if id == "" {
			id = qapps.UserIDForAccessKey(c.AccessKeyID)
		}
		out = append(out, qapps.DirectoryUser{Account: c.AccountID, ID: id, Email: c.Email})
	}
	return out
}

func (s services) apis() []*api.Service {
	return []*api.Service{s.transfer.API(), s.amplify.API(), s.qapps.API()}
}

// Services returns the operation tables of every emulated service.
func Services(st store.Store) []*api.Service {
	return newServices(Config{Store: st}).apis()
}

// Secrets are the members of resources that a state snapshot leaves out
// unless asked: private keys and password hashes.
func Secrets() []store.Secret {
	var out []store.Secret
	out = append(out, transfer.Secrets()...)
	out = append(out, dataplane.Secrets()...)
	out = append(out, directory.Secrets()...)
	return out
}

// New builds a server over cfg.Store.
func New(cfg Config) *Server {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	// One data dir for the Transfer files, whoever set it (the Transfer
	// service's default when nobody did).
	if cfg.DataDir == "" && cfg.DataPlane != nil {
		cfg.DataDir = cfg.DataPlane.DataDir
	}
	if cfg.DataDir == "" {
		cfg.DataDir = transfer.DefaultDataDir
	}
	if cfg.DataPlane != nil && cfg.DataPlane.DataDir == "" {
		dp := *cfg.DataPlane
		dp.DataDir = cfg.DataDir
		cfg.DataPlane = &dp
	}
	filesDir := cfg.DataDir
	// One object store serves the S3 API, the resource browser's buckets
	// and every S3-domain file.
	if cfg.Objects == nil {
		cfg.Objects = localfs.New(files.New(filesDir).Dir())
	}
	objects := cfg.Objects
	plainStore := cfg.Store
	var m *metrics.Metrics
	if cfg.Metrics {
		m = metrics.New()
		cfg.Store = m.Store(cfg.Store)
	}
	svcs := newServices(cfg)
	services := svcs.apis()
	provers := cfg.AdminProvers
	if p, ok := cfg.Auth.(admin.Prover); ok {
		provers = append([]admin.Prover{p}, provers...)
	}
	// A browser cannot sign requests: under --auth sigv4 an admin logs in to
	// the resource browser once and keeps a session cookie.
	var sessions *browser.Sessions
	if c, ok := cfg.Auth.(interface{ CheckAdminSecret(string, string) bool }); ok {
		sessions = browser.NewSessions(c.CheckAdminSecret)
		provers = append(provers, sessions)
	}
	adm := admin.New(cfg.Store, services, Version, time.Now(), log,
		admin.WithProvers(provers...), admin.WithSecrets(Secrets()...),
		admin.WithResetFiles(files.New(filesDir).Empty))
	s := &Server{services: services, transfer: svcs.transfer}
	if cfg.DataPlane != nil {
		cfg.DataPlane.Objects = objects
		s.dataplane, s.dpErr = dataplane.Wire(*cfg.DataPlane, cfg.Store, svcs.transfer, adm, log)
	}
	// Q Apps hands out download and upload URLs served here, unsigned like
	// S3 presigned URLs.
	adm.HandlePublic(qapps.RoutePrefix, svcs.qapps.Routes())
	var observers gatewayObservers
	requests := reqlog.New(cfg.RequestLog)
	if cfg.RequestLog > 0 {
		observers = append(observers, requests)
	}
	adm.Handle("GET /_ersatz/requests", requests.Handler(admin.WriteJSON))
	if m != nil {
		observers = append(observers, m)
		mustRegister(m, metrics.StateCollector(plainStore, log))
		if s.dataplane != nil {
			mustRegister(m, metrics.DataPlaneCollector(s.dataplane))
		}
		adm.Handle("GET /metrics", m.Handler())
	}
	br, err := browser.New(browser.Config{Store: cfg.Store, Services: services, Authorize: adm.Authorize,
		Sessions: sessions, DataPlane: s.dataplane, Objects: objects, Requests: requests, Version: Version, Log: log})
	if err != nil {
		panic(err) // the embedded templates do not parse: a build error
	}
	for pattern, h := range br.Routes() {
		adm.HandlePublic(pattern, h)
	}
	gopts := gateway.Options{
		Services:      services,
		DefaultRegion: cfg.DefaultRegion,
		Auth:          cfg.Auth,
		Logger:        log,
		Admin:         adm,
	}
	if len(observers) > 0 {
		gopts.Observer = observers
	}
	gw := gateway.New(gopts)
	s3 := s3api.New(s3api.Options{
		Store:         objects,
		Auth:          cfg.Auth,
		DefaultRegion: cfg.DefaultRegion,
		Logger:        log,
		AccountOf:     gateway.AccountOf,
	})
	// /metrics is an admin endpoint; S3 requests (signed for s3, or
	// addressed to a bucket by host name) go to the S3 API; every other
	// request walks the gateway.
	s.handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case m != nil && r.URL.Path == "/metrics":
			adm.ServeHTTP(w, r)
		case s3api.IsS3(r):
			s3.ServeHTTP(w, r)
		default:
			gw.ServeHTTP(w, r)
		}
	})
	return s
}

// gatewayObservers tells each of its observers.
type gatewayObservers []gateway.Observer

func (os gatewayObservers) Observe(ctx context.Context, o *gateway.Outcome) {
	for _, ob := range os {
		ob.Observe(ctx, o)
	}
}

func mustRegister(m *metrics.Metrics, c prometheus.Collector) {
	if err := m.Register(c); err != nil {
		panic(err) // two collectors of one metric: a build error
	}
}

// Start starts the data plane, when configured.
func (s *Server) Start(ctx context.Context) error {
	if s.dpErr != nil {
		return s.dpErr
	}
	if s.dataplane != nil {
		return s.dataplane.Start(ctx)
	}
	return nil
}

// Close stops the data plane, when configured, then the background work of
// the services (connector transfers, workflow steps). Close it before the store.
func (s *Server) Close() error {
	var errs []error
	if s.dataplane != nil {
		errs = append(errs, s.dataplane.Close())
	}
	errs = append(errs, s.transfer.Close())
	return errors.Join(errs...)
}

// DataPlane is the Transfer data plane (nil unless configured).
func (s *Server) DataPlane() *dataplane.Manager { return s.dataplane }

// Handler is the HTTP handler serving every endpoint.
func (s *Server) Handler() http.Handler { return s.handler }

// Services returns the operation tables.
func (s *Server) Services() []*api.Service { return s.services }
