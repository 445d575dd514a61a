// Package transfer is the behaviour of AWS Transfer Family.
package transfer

import (
	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/transferapi"
	"github.com/ersatz-dev/ersatz/internal/store"
)

// Service implements the Transfer Family operations on a store.
type Service struct {
	store store.Store
}

// New returns the Transfer service over st.
func New(st store.Store) *Service {
	return &Service{store: st}
}

// API returns the operation table with this service's behaviour.
func (s *Service) API() *api.Service {
	h := &transferapi.Handlers{}
	return h.Service()
}
