// Package dataplane runs the Transfer Family data plane: every server whose
// State is ONLINE listens on a local port per protocol it enables (SFTP,
// FTPS, FTP), and logged-in users work inside their home directory on the
// local file store (internal/files).
//
// The Manager reconciles the listeners with the store: at Start, after every
// control-plane change (the Transfer service's change hook, OnChange), when
// a STARTING server settles, and on a periodic tick (for changes made by
// another Ersatz process sharing a PostgreSQL store). Ports come from a
// configured range; a server's port per protocol is recorded in the store
// (scope ersatz/local/transfer-dataplane, kind "port") so it stays the same
// across stops, starts and restarts of Ersatz.
package dataplane

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/ersatz-dev/ersatz/internal/dataplane/directory"
	"github.com/ersatz-dev/ersatz/internal/dataplane/idp"
	"github.com/ersatz-dev/ersatz/internal/dataplane/listener"
	"github.com/ersatz-dev/ersatz/internal/files"
	"github.com/ersatz-dev/ersatz/internal/objectstore"
	"github.com/ersatz-dev/ersatz/internal/objectstore/localfs"
	"github.com/ersatz-dev/ersatz/internal/service/transfer"
	"github.com/ersatz-dev/ersatz/internal/store"
)

// Protocols served.
const (
	ProtoSFTP = "SFTP"
	ProtoFTPS = "FTPS"
	ProtoFTP  = "FTP"
)

// Upload is a completed upload, as the OnUpload workflows see it.
type Upload struct {
	Account, Region, ServerID string
	UserName                  string
	Protocol                  string
	Domain                    string
	// Path is the user's virtual path; Bucket (or file system id) and Key
	// locate the file; Size is its size in bytes.
	Path, Bucket, Key string
	Size              int64
	// SessionID identifies the session (SFTP: the SSH session id in hex).
	SessionID string
	// Partial is an upload cut short (the session ended mid-transfer).
	Partial bool
	Time    time.Time
}

// UploadHook receives finished uploads (the Transfer workflow engine's
// FileUploaded, adapted by UploadHookFor).
type UploadHook func(ctx context.Context, u Upload) error

// ControlPlane is what the manager reads of the Transfer service.
type ControlPlane interface {
	DataPlaneServers(ctx context.Context) ([]transfer.LoginServer, error)
	DataPlaneServer(ctx context.Context, account, region, serverID string) (transfer.LoginServer, error)
	LoginInfo(ctx context.Context, account, region, serverID, userName string) (transfer.LoginServer, transfer.LoginUser, error)
	LoginAccesses(ctx context.Context, account, region, serverID string) (transfer.LoginServer, []transfer.LoginAccess, error)
}

// Manager runs the listeners of every ONLINE server.
type Manager struct {
	cfg       Config
	host      string
	ports     PortRange
	passive   PortRange
	st        store.Store
	cp        ControlPlane
	files     *files.Store
	directory *directory.Directory
	log       *slog.Logger
	uploads   UploadHook
	now       func() time.Time
	// idp calls the identity providers of API_GATEWAY and AWS_LAMBDA
	// servers (external.go).
	idp *idp.Client

	// objects is the S3 domain's store; spool the folder uploads are
	// written to until they are stored.
	objects objectstore.Store
	spool   string

	logins  *loginLog
	backoff *loginBackoff
	// sessions are the open sessions, checked at every reconciliation.
	sessions sessions
	// seen counts bytes by protocol and keeps the last file operations.
	seen seen
	// closers run at Close, after the sessions and upload hooks end.
	closers []func() error

	poke   chan struct{}
	cancel context.CancelFunc
	loopWG sync.WaitGroup
	hookWG sync.WaitGroup
	ctx    context.Context

	mu      sync.Mutex // guards running and status
	running map[string]*running
	status  map[string]ServerStatus
}

// running is one server's listeners.
type running struct {
	sig       string
	listeners map[string]closer // protocol -> server
	tlsFP     string            // SHA256 fingerprint of the FTPS certificate
	gate      *listener.Gate    // the connections of all its listeners
	// cancel ends the logins still waiting (for an identity provider)
	// when the listeners close.
	cancel context.CancelFunc
}

type closer interface{ Close() error }

// healthReporter is a listener that knows whether it accepts.
type healthReporter interface {
	Health() (time.Time, error)
}

// Option configures a Manager.
type Option func(*Manager)

// WithUploadHook sends completed uploads to h.
func WithUploadHook(h UploadHook) Option { return func(m *Manager) { m.uploads = h } }

// WithCloser runs fn when the manager closes (the wiring closes the
// transfer service it made).
func WithCloser(fn func() error) Option {
	return func(m *Manager) { m.closers = append(m.closers, fn) }
}

// WithClock sets the clock of the login log.
func WithClock(now func() time.Time) Option { return func(m *Manager) { m.now = now } }

// New builds a manager; Start opens the listeners.
func New(cfg Config, st store.Store, cp ControlPlane, log *slog.Logger, opts ...Option) (*Manager, error) {
	if log == nil {
		log = slog.Default()
	}
	if cfg.Host == "" {
		cfg.Host = DefaultHost
	}
	if cfg.Ports == "" {
		cfg.Ports = DefaultPorts
	}
	if cfg.PassivePorts == "" {
		cfg.PassivePorts = DefaultPassivePorts
	}
	if cfg.Tick <= 0 {
		cfg.Tick = DefaultTick
	}
	if cfg.LoginLog <= 0 {
		cfg.LoginLog = DefaultLoginLog
	}
	cfg.MaxConnections = orDefault(cfg.MaxConnections, DefaultMaxConnections)
	cfg.MaxUnauthenticated = orDefault(cfg.MaxUnauthenticated, DefaultMaxUnauthenticated)
	cfg.MaxHandles = orDefault(cfg.MaxHandles, DefaultMaxHandles)
	cfg.IdleTimeout = orDefault(cfg.IdleTimeout, DefaultIdleTimeout)
	cfg.UnresponsiveTimeout = orDefault(cfg.UnresponsiveTimeout, DefaultUnresponsiveTimeout)
	if cfg.LoginGrace <= 0 {
		cfg.LoginGrace = DefaultLoginGrace
	}
	cfg.LoginBackoff = orDefault(cfg.LoginBackoff, DefaultLoginBackoff)
	ports, err := ParsePortRange(cfg.Ports)
	if err != nil {
		return nil, fmt.Errorf("--transfer-ports: %w", err)
	}
	passive, err := ParsePortRange(cfg.PassivePorts)
	if err != nil {
		return nil, fmt.Errorf("--transfer-passive-ports: %w", err)
	}
	if ports.Low <= passive.High && passive.Low <= ports.High {
		return nil, fmt.Errorf("--transfer-ports %s and --transfer-passive-ports %s overlap", cfg.Ports, cfg.PassivePorts)
	}
	m := &Manager{
		cfg: cfg, host: cfg.Host, ports: ports, passive: passive, st: st, cp: cp,
		files: files.New(cfg.DataDir), directory: directory.New(st), log: log, now: time.Now,
		poke: make(chan struct{}, 1), running: map[string]*running{}, status: map[string]ServerStatus{},
	}
	m.objects, m.spool = cfg.Objects, m.files.SpoolDir()
	if m.objects == nil {
		m.objects = localfs.New(m.files.Dir())
	}
	for _, o := range opts {
		o(m)
	}
	if m.idp == nil {
		if m.idp, err = idp.New(idp.Options{}); err != nil {
			return nil, err
		}
	}
	m.logins = newLoginLog(cfg.LoginLog)
	m.backoff = newLoginBackoff(cfg.LoginBackoff)
	return m, nil
}

// Directory is the local directory the manager authenticates against.
func (m *Manager) Directory() *directory.Directory { return m.directory }

// Files is the local file store.
func (m *Manager) Files() *files.Store { return m.files }

// Start loads the directory file, opens the listeners of every ONLINE
// server and keeps reconciling until Close.
func (m *Manager) Start(ctx context.Context) error {
	if m.cfg.DirectoryFile != "" {
		n, err := m.directory.LoadFile(ctx, m.cfg.DirectoryFile)
		if err != nil {
			return fmt.Errorf("--directory: %w", err)
		}
		m.log.Info("transfer data plane: directory loaded", "file", m.cfg.DirectoryFile, "users", n)
	}
	m.sweepSpool()
	m.ctx, m.cancel = context.WithCancel(context.WithoutCancel(ctx))
	if err := m.Reconcile(m.ctx); err != nil {
		m.log.Error("transfer data plane: reconcile", "error", err)
	}
	m.loopWG.Add(1)
	go m.loop()
	return nil
}

// Close stops reconciling and closes every listener and session.
func (m *Manager) Close() error {
	if m.cancel != nil {
		m.cancel()
	}
	m.loopWG.Wait()
	m.mu.Lock()
	var errs []error
	for id, r := range m.running {
		errs = append(errs, r.close())
		delete(m.running, id)
	}
	m.mu.Unlock()
	m.hookWG.Wait()
	for _, c := range m.closers {
		errs = append(errs, c())
	}
	return errors.Join(errs...)
}

// Notify asks for a reconciliation soon (it never blocks).
func (m *Manager) Notify() {
	select {
	case m.poke <- struct{}{}:
	default:
	}
}

func (m *Manager) loop() {
	defer m.loopWG.Done()
	tick := time.NewTicker(m.cfg.Tick)
	defer tick.Stop()
	var settle *time.Timer
	var settleC <-chan time.Time
	for {
		select {
		case <-m.ctx.Done():
			if settle != nil {
				settle.Stop()
			}
			return
		case <-tick.C:
		case <-m.poke:
		case <-settleC:
		}
		if err := m.Reconcile(m.ctx); err != nil && m.ctx.Err() == nil {
			m.log.Error("transfer data plane: reconcile", "error", err)
		}
		m.recheckSessions(m.ctx)
		// Wake up when the next STARTING or STOPPING server settles.
		if next := m.nextTransition(); !next.IsZero() {
			d := time.Until(next) + 5*time.Millisecond
			if settle == nil {
				settle = time.NewTimer(d)
			} else {
				settle.Reset(d)
			}
			settleC = settle.C
		}
	}
}

func (m *Manager) nextTransition() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	var next time.Time
	now := time.Now()
	for _, s := range m.status {
		if s.transitionEnds.After(now) && (next.IsZero() || s.transitionEnds.Before(next)) {
			next = s.transitionEnds
		}
	}
	return next
}

func serverKey(account, region, id string) string { return account + "/" + region + "/" + id }

// served lists the protocols of a server the data plane serves.
func served(s *transfer.LoginServer) []string {
	var out []string
	for _, p := range s.Protocols {
		if p == ProtoSFTP || p == ProtoFTPS || p == ProtoFTP {
			out = append(out, p)
		}
	}
	return out
}

// signature captures what a server's listeners are built from (with the
// SFTP methods of a custom identity provider): a change restarts them.
// Users, accesses, the identity provider's Url or Function, the domain and
// the SetStat option are read at each login instead.
func signature(s *transfer.LoginServer) string {
	var fps []string
	for _, k := range s.HostKeys {
		fps = append(fps, k.Fingerprint)
	}
	b, _ := json.Marshal([]any{served(s), fps, s.SshCiphers, s.SshKexs, s.SshMacs, s.TlsCiphers,
		s.PreAuthenticationLoginBanner, s.PostAuthenticationLoginBanner, s.IdentityProviderType, s.TlsSessionResumptionMode,
		s.IdentityProvider.SftpAuthenticationMethods})
	return string(b)
}

// Reconcile makes the listeners match the store.
func (m *Manager) Reconcile(ctx context.Context) error {
	servers, err := m.cp.DataPlaneServers(ctx)
	if err != nil {
		return err
	}
	exists := map[string]*transfer.LoginServer{}
	want := map[string]*transfer.LoginServer{}
	for i := range servers {
		s := &servers[i]
		k := serverKey(s.Account, s.Region, s.ServerID)
		exists[k] = s
		if s.State == "ONLINE" && len(served(s)) > 0 {
			want[k] = s
		}
	}
	ports, err := m.assignPorts(ctx, exists, want)
	if err != nil {
		return err
	}
	if err := m.collectCerts(ctx, exists); err != nil {
		m.log.Warn("transfer data plane: certificate cleanup", "error", err)
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	// Stop what should not run, or runs an old configuration.
	for k, r := range m.running {
		if s, ok := want[k]; !ok || r.sig != signature(s) || !samePorts(r, ports[k]) {
			if err := r.close(); err != nil {
				m.log.Debug("transfer data plane: close", "server", k, "error", err)
			}
			delete(m.running, k)
			if ok {
				m.log.Info("transfer data plane: restarting listeners", "server", k)
			} else {
				m.log.Info("transfer data plane: server stopped listening", "server", k)
			}
		}
	}
	status := map[string]ServerStatus{}
	for k, s := range exists {
		st := ServerStatus{
			ServerID: s.ServerID, Account: s.Account, Region: s.Region, State: s.State,
			Protocols: s.Protocols, HostKeyFingerprint: s.HostKeyFingerprint,
			Endpoints: map[string]string{}, transitionEnds: s.TransitionEnds,
		}
		for proto, port := range ports[k] {
			st.Endpoints[proto] = net.JoinHostPort(m.host, strconv.Itoa(port))
		}
		if w, ok := want[k]; ok {
			if _, ok := m.running[k]; !ok {
				r, errs := m.start(ctx, w, ports[k])
				if len(r.listeners) > 0 {
					m.running[k] = r
					m.log.Info("transfer data plane: server listening", "server", s.ServerID,
						"account", s.Account, "region", s.Region, "endpoints", st.Endpoints)
				}
				for _, e := range errs {
					m.log.Error("transfer data plane: listen", "server", s.ServerID, "error", e)
					st.Errors = append(st.Errors, e.Error())
				}
			}
			if old, ok := m.status[k]; ok && len(st.Errors) == 0 && m.running[k] != nil {
				st.Errors = old.Errors
			}
		}
		st.Listening = m.running[k] != nil
		if st.Listening {
			st.TLSCertificateFingerprint = m.running[k].tlsFP
		}
		status[k] = st
	}
	m.status = status
	return nil
}

func samePorts(r *running, ports map[string]int) bool {
	for proto, l := range r.listeners {
		a, ok := l.(interface{ Addr() net.Addr })
		if !ok {
			continue
		}
		tcp, ok := a.Addr().(*net.TCPAddr)
		if !ok || tcp.Port != ports[proto] {
			return false
		}
	}
	return true
}

func (r *running) close() error {
	if r.cancel != nil {
		r.cancel()
	}
	var errs []error
	for _, l := range r.listeners {
		errs = append(errs, l.Close())
	}
	return errors.Join(errs...)
}

// start opens the listeners of one server on its assigned ports.
func (m *Manager) start(ctx context.Context, s *transfer.LoginServer, ports map[string]int) (*running, []error) {
	// Logins run under lctx: closing the listeners cancels a login still
	// waiting for its identity provider.
	lctx, cancel := context.WithCancel(m.providerContext())
	r := &running{sig: signature(s), listeners: map[string]closer{}, cancel: cancel, gate: listener.NewGate(listener.Limits{
		MaxConnections: m.cfg.MaxConnections, MaxUnauthenticated: m.cfg.MaxUnauthenticated,
	})}
	defer func() {
		if len(r.listeners) == 0 {
			cancel()
		}
	}()
	var errs []error
	for _, proto := range served(s) {
		port, ok := ports[proto]
		if !ok {
			errs = append(errs, fmt.Errorf("%s: no free port in %d-%d", proto, m.ports.Low, m.ports.High))
			continue
		}
		ln, err := net.Listen("tcp", net.JoinHostPort(m.host, strconv.Itoa(port)))
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", proto, err))
			continue
		}
		var srv closer
		switch proto {
		case ProtoSFTP:
			srv, err = m.startSFTP(lctx, ln, s, r.gate)
		case ProtoFTPS, ProtoFTP:
			var fp string
			srv, fp, err = m.startFTP(lctx, ln, s, proto, r.gate)
			if fp != "" {
				r.tlsFP = fp
			}
		}
		if err != nil {
			_ = ln.Close()
			errs = append(errs, fmt.Errorf("%s: %w", proto, err))
			continue
		}
		r.listeners[proto] = srv
	}
	return r, errs
}

// ServerStatus is one server in GET /_ersatz/transfer/servers.
type ServerStatus struct {
	ServerID  string   `json:"serverId"`
	Account   string   `json:"account"`
	Region    string   `json:"region"`
	State     string   `json:"state"`
	Protocols []string `json:"protocols"`
	// Listening is true while the server's listeners are open.
	Listening bool `json:"listening"`
	// Endpoints maps each served protocol to its host:port (assigned ports
	// are kept while the server is OFFLINE).
	Endpoints                 map[string]string `json:"endpoints"`
	HostKeyFingerprint        string            `json:"hostKeyFingerprint"`
	TLSCertificateFingerprint string            `json:"tlsCertificateFingerprint,omitempty"`
	Errors                    []string          `json:"errors,omitempty"`
	transitionEnds            time.Time
}

// withHealth reports a running server's listeners as they are now: a
// listener whose Accept fails (it retries with back-off) makes the server
// not listening, with the failure in Errors, until it accepts again.
func withHealth(s ServerStatus, r *running) ServerStatus {
	var failing []string
	for _, proto := range []string{ProtoSFTP, ProtoFTPS, ProtoFTP} {
		h, ok := r.listeners[proto].(healthReporter)
		if !ok {
			continue
		}
		if since, err := h.Health(); err != nil {
			failing = append(failing, fmt.Sprintf("%s: accept failing since %s, retrying: %v", proto, since.UTC().Format(time.RFC3339), err))
		}
	}
	if len(failing) > 0 {
		s.Listening = false
		s.Errors = append(slices.Clone(s.Errors), failing...)
	}
	return s
}

// Servers reports every server, sorted by account, region and id.
func (m *Manager) Servers() []ServerStatus {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]ServerStatus, 0, len(m.status))
	for k, s := range m.status {
		if r := m.running[k]; r != nil {
			s = withHealth(s, r)
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool {
		return serverKey(out[i].Account, out[i].Region, out[i].ServerID) < serverKey(out[j].Account, out[j].Region, out[j].ServerID)
	})
	return out
}

// Routes are the manager's admin endpoints (and the directory's).
func (m *Manager) Routes() map[string]http.HandlerFunc {
	r := map[string]http.HandlerFunc{
		"GET /_ersatz/transfer/servers": m.httpServers,
		"GET /_ersatz/transfer/logins":  m.httpLogins,
	}
	for p, h := range m.directory.Routes() {
		r[p] = h
	}
	return r
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func (m *Manager) httpServers(w http.ResponseWriter, r *http.Request) {
	// A caller that just changed something sees the result.
	if err := m.Reconcile(r.Context()); err != nil {
		m.log.Warn("transfer data plane: reconcile", "error", err)
	}
	all := m.Servers()
	out := make([]ServerStatus, 0, len(all))
	q := r.URL.Query()
	for _, s := range all {
		if (q.Get("serverId") == "" || q.Get("serverId") == s.ServerID) &&
			(q.Get("account") == "" || q.Get("account") == s.Account) &&
			(q.Get("region") == "" || q.Get("region") == s.Region) {
			out = append(out, s)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"servers": out})
}

func (m *Manager) httpLogins(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := 0
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "limit must be a non-negative integer"})
			return
		}
		limit = n
	}
	writeJSON(w, http.StatusOK, map[string]any{"logins": m.logins.list(q.Get("serverId"), limit)})
}
