// Package amplifybackend is the behaviour of AWS Amplify Backend.
package amplifybackend

import (
	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/amplifybackendapi"
	"github.com/ersatz-dev/ersatz/internal/store"
)

// Service implements the Amplify Backend operations on a store.
type Service struct {
	store store.Store
}

// New returns the Amplify Backend service over st.
func New(st store.Store) *Service {
	return &Service{store: st}
}

// API returns the operation table with this service's behaviour.
func (s *Service) API() *api.Service {
	h := &amplifybackendapi.Handlers{}
	return h.Service()
}
