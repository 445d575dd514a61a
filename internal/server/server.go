// Package server wires Ersatz together: store, services, gateway and admin
// endpoints, as one http.Handler.
package server

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/ersatz-dev/ersatz/internal/admin"
	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/gateway"
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
	Logger        *slog.Logger
}

// Server is a configured Ersatz.
type Server struct {
	handler  http.Handler
	services []*api.Service
}

// Services returns the operation tables of every emulated service.
func Services(st store.Store) []*api.Service {
	return []*api.Service{
		transfer.New(st).API(),
		amplifybackend.New(st).API(),
		qapps.New(st).API(),
	}
}

// New builds a server over cfg.Store.
func New(cfg Config) *Server {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	services := Services(cfg.Store)
	adm := admin.New(cfg.Store, services, Version, time.Now(), log)
	gw := gateway.New(gateway.Options{
		Services:      services,
		DefaultRegion: cfg.DefaultRegion,
		Auth:          cfg.Auth,
		Logger:        log,
		Admin:         adm,
	})
	return &Server{handler: gw, services: services}
}

// Handler is the HTTP handler serving every endpoint.
func (s *Server) Handler() http.Handler { return s.handler }

// Services returns the operation tables.
func (s *Server) Services() []*api.Service { return s.services }
