// Package qapps is the behaviour of Amazon Q Apps.
package qapps

import (
	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/qappsapi"
	"github.com/ersatz-dev/ersatz/internal/store"
)

// Service implements the Q Apps operations on a store.
type Service struct {
	store store.Store
}

// New returns the Q Apps service over st.
func New(st store.Store) *Service {
	return &Service{store: st}
}

// API returns the operation table with this service's behaviour.
func (s *Service) API() *api.Service {
	h := &qappsapi.Handlers{}
	return h.Service()
}
