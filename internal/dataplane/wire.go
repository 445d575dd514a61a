package dataplane

import (
	"log/slog"
	"net/http"

	"github.com/ersatz-dev/ersatz/internal/service/transfer"
	"github.com/ersatz-dev/ersatz/internal/store"
)

// Router is where the admin endpoints go (admin.Handler).
type Router interface {
	Handle(pattern string, handler http.Handler)
}

// Wire builds the manager the server runs: it reads the control plane
// through ts, the server's Transfer service (whose workflows must work on
// the same files, under cfg.DataDir), sends uploads to its workflow engine
// (ts.Workflows()), reconciles after every state-changing Transfer
// operation (ts.OnChange), and serves its endpoints on router; logins call
// custom identity providers with ts's client. The caller closes ts after
// the manager.
func Wire(cfg Config, st store.Store, ts *transfer.Service, router Router, log *slog.Logger) (*Manager, error) {
	if cfg.DataDir == "" {
		cfg.DataDir = "."
	}
	opts := []Option{WithIdentityProviders(ts.IdentityProviders()), WithUploadHook(UploadHookFor(ts.Workflows()))}
	m, err := New(cfg, st, ts, log, opts...)
	if err != nil {
		return nil, err
	}
	ts.OnChange(m.Notify)
	if router != nil {
		for pattern, h := range m.Routes() {
			router.Handle(pattern, h)
		}
	}
	return m, nil
}
