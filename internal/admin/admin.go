// Package admin serves Ersatz's own endpoints under /_ersatz/: health, reset
// and state snapshots.
package admin

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/coverage"
	"github.com/ersatz-dev/ersatz/internal/store"
)

// Handler serves the admin endpoints.
type Handler struct {
	mux      *http.ServeMux
	store    store.Store
	services []*api.Service
	version  string
	started  time.Time
	log      *slog.Logger
}

// New returns the admin handler.
func New(st store.Store, services []*api.Service, version string, started time.Time, log *slog.Logger) *Handler {
	h := &Handler{mux: http.NewServeMux(), store: st, services: services, version: version, started: started, log: log}
	h.mux.HandleFunc("GET /_ersatz/health", h.health)
	h.mux.HandleFunc("POST /_ersatz/reset", h.reset)
	h.mux.HandleFunc("GET /_ersatz/state", h.exportState)
	h.mux.HandleFunc("POST /_ersatz/state", h.importState)
	return h
}

// Handle adds an endpoint, for parts of Ersatz with admin endpoints of their own.
func (h *Handler) Handle(pattern string, handler http.Handler) { h.mux.Handle(pattern, handler) }

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

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

func (h *Handler) reset(w http.ResponseWriter, r *http.Request) {
	if err := h.store.Reset(r.Context()); err != nil {
		h.log.Error("reset failed", "error", err)
		WriteJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
		return
	}
	WriteJSON(w, http.StatusOK, map[string]string{"status": "reset"})
}

// WriteJSON writes v as a JSON response.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// exportState writes every resource as a snapshot document.
func (h *Handler) exportState(w http.ResponseWriter, r *http.Request) {
	snap, err := store.Export(r.Context(), h.store)
	if err != nil {
		h.log.Error("state export failed", "error", err)
		WriteJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
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
		status := http.StatusInternalServerError
		if errors.Is(err, store.ErrInvalidSnapshot) {
			status = http.StatusBadRequest
		}
		WriteJSON(w, status, map[string]string{"error": err.Error()})
		return
	}
	WriteJSON(w, http.StatusOK, map[string]any{"status": "imported", "resources": len(snap.Resources)})
}
