// Package admin serves Ersatz's own endpoints under /_ersatz/: health, reset
// and state snapshots, and those other parts of Ersatz add (the data plane's
// servers, logins and directory). Every endpoint but health and the public
// ones (HandlePublic) is guarded: with provers set (--auth sigv4) only an
// admin may call it, and in every mode one that changes state refuses
// cross-site browser requests (see authorize).
package admin

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/awserr"
	"github.com/ersatz-dev/ersatz/internal/coverage"
	"github.com/ersatz-dev/ersatz/internal/protocol/restjson"
	"github.com/ersatz-dev/ersatz/internal/store"
)

// Handler serves the admin endpoints.
type Handler struct {
	mux      *http.ServeMux // guarded endpoints
	public   *http.ServeMux // health and HandlePublic's
	store    store.Store
	services []*api.Service
	version  string
	started  time.Time
	log      *slog.Logger
	provers  []Prover
	secrets  []store.Secret
	// emptyFiles empties the files of Transfer's S3 and EFS domains.
	emptyFiles func() error
}

// Option configures a Handler.
type Option func(*Handler)

// WithProvers requires every guarded request to be proven an admin by one of
// ps (none: --auth off, no proof needed).
func WithProvers(ps ...Prover) Option {
	return func(h *Handler) { h.provers = append(h.provers, ps...) }
}

// WithSecrets names the members GET /_ersatz/state leaves out unless asked
// for them with ?includeSecrets=true.
func WithSecrets(secrets ...store.Secret) Option {
	return func(h *Handler) { h.secrets = append(h.secrets, secrets...) }
}

// WithResetFiles sets what a reset of every account's Transfer state also
// does to the files (empty the file store).
func WithResetFiles(empty func() error) Option {
	return func(h *Handler) { h.emptyFiles = empty }
}

// New returns the admin handler.
func New(st store.Store, services []*api.Service, version string, started time.Time, log *slog.Logger, opts ...Option) *Handler {
	h := &Handler{mux: http.NewServeMux(), public: http.NewServeMux(), store: st, services: services,
		version: version, started: started, log: log}
	for _, o := range opts {
		o(h)
	}
	h.public.HandleFunc("GET /_ersatz/health", h.health)
	h.mux.HandleFunc("POST /_ersatz/reset", h.reset)
	h.mux.HandleFunc("GET /_ersatz/state", h.exportState)
	h.mux.HandleFunc("POST /_ersatz/state", h.importState)
	return h
}

// Handle adds a guarded endpoint, for parts of Ersatz with admin endpoints
// of their own.
func (h *Handler) Handle(pattern string, handler http.Handler) { h.mux.Handle(pattern, handler) }

// HandlePublic adds an endpoint that needs no admin and does its own checks:
// Q Apps' download and presigned upload URLs, which AWS serves from S3 and
// which work unsigned, from a browser too.
func (h *Handler) HandlePublic(pattern string, handler http.Handler) {
	h.public.Handle(pattern, handler)
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, pattern := h.public.Handler(r); pattern != "" {
		h.public.ServeHTTP(w, r) // ServeHTTP, not the handler: it sets the path's wildcards
		return
	}
	if err := h.authorize(r); err != nil {
		restjson.EncodeError(w, err)
		return
	}
	if _, pattern := h.mux.Handler(r); pattern == "" {
		restjson.EncodeError(w, awserr.New(http.StatusNotFound, "NotFoundException",
			"No Ersatz endpoint serves %s %s", r.Method, r.URL.Path))
		return
	}
	h.mux.ServeHTTP(w, r)
}

// Health is the body of GET /_ersatz/health.
type Health struct {
	Status   string                      `json:"status"`
	Version  string                      `json:"version"`
	Uptime   string                      `json:"uptime"`
	Store    string                      `json:"store"`
	Services map[string]coverage.Summary `json:"services"`
}

func (h *Handler) health(w http.ResponseWriter, r *http.Request) {
	WriteJSON(w, http.StatusOK, Health{
		Status:   "ok",
		Version:  h.version,
		Uptime:   time.Since(h.started).Round(time.Millisecond).String(),
		Store:    h.store.Kind(),
		Services: coverage.Summarize(h.services),
	})
}

// reset empties the state: every resource, or with ?account= and/or
// ?service= those of one account and/or service. The files of Transfer's S3
// and EFS domains are emptied when the reset covers Transfer in every
// account (no account given): buckets and file systems are not owned by an
// account in Ersatz, so a reset of one account leaves them.
func (h *Handler) reset(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	account, service := q.Get("account"), q.Get("service")
	if account != "" && !isAccount(account) {
		restjson.EncodeError(w, awserr.New(http.StatusBadRequest, "ValidationException",
			"account must be an account id of 12 digits, not %q", account))
		return
	}
	if service != "" && !h.hasService(service) {
		restjson.EncodeError(w, awserr.New(http.StatusBadRequest, "ValidationException",
			"service must be one of %s, not %q", h.serviceNames(), service))
		return
	}
	var err error
	resources := -1
	if account == "" && service == "" {
		err = h.store.Reset(r.Context())
	} else {
		resources, err = store.ResetScope(r.Context(), h.store, account, service)
	}
	if err == nil && h.emptyFiles != nil && account == "" && (service == "" || service == "transfer") {
		err = h.emptyFiles()
	}
	if err != nil {
		h.log.Error("reset failed", "error", err)
		restjson.EncodeError(w, awserr.Internal(err))
		return
	}
	out := map[string]any{"status": "reset"}
	if resources >= 0 {
		out["resources"] = resources
	}
	WriteJSON(w, http.StatusOK, out)
}

func isAccount(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func (h *Handler) hasService(name string) bool {
	for _, s := range h.services {
		if s.Name == name {
			return true
		}
	}
	return false
}

func (h *Handler) serviceNames() string {
	names := make([]string, len(h.services))
	for i, s := range h.services {
		names[i] = s.Name
	}
	return strings.Join(names, ", ")
}

// WriteJSON writes v as a JSON response.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// exportState writes every resource as a snapshot document, without the
// secrets unless ?includeSecrets=true asks for them.
func (h *Handler) exportState(w http.ResponseWriter, r *http.Request) {
	withSecrets := false
	if v := r.URL.Query().Get("includeSecrets"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			restjson.EncodeError(w, awserr.New(http.StatusBadRequest, "ValidationException",
				"includeSecrets must be true or false, not %q", v))
			return
		}
		withSecrets = b
	}
	snap, err := store.Export(r.Context(), h.store)
	if err == nil && !withSecrets {
		snap, err = snap.WithoutSecrets(h.secrets)
	}
	if err != nil {
		h.log.Error("state export failed", "error", err)
		restjson.EncodeError(w, awserr.Internal(err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if err := store.WriteSnapshot(w, snap); err != nil {
		h.log.Error("state export failed", "error", err)
	}
}

// maxSnapshot is the largest snapshot POST /_ersatz/state reads.
const maxSnapshot = 1 << 30

// importState replaces all state with the posted snapshot; a malformed or
// newer-version document is a 400 and changes nothing.
func (h *Handler) importState(w http.ResponseWriter, r *http.Request) {
	snap, err := store.ReadSnapshot(http.MaxBytesReader(w, r.Body, maxSnapshot))
	if err != nil {
		WriteJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	if err := store.Import(r.Context(), h.store, snap); err != nil {
		if errors.Is(err, store.ErrInvalidSnapshot) {
			WriteJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		h.log.Error("state import failed", "error", err)
		restjson.EncodeError(w, awserr.Internal(err))
		return
	}
	WriteJSON(w, http.StatusOK, map[string]any{"status": "imported", "resources": len(snap.Resources)})
}
