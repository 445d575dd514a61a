package qapps

import (
	"context"
	"errors"
	"strings"
	"sync"

	"github.com/ersatz-dev/ersatz/internal/store"
)

// The user directory: one identity per person. It holds the users the
// credentials file names (WithUsers) and every user met as a caller (its
// first successful request records it), by account and region; a principal given as a user id or an email resolves to one of
// them, and every operation reports a user by that user's id (and, where the
// output has room for it, email).
//
//	user/<segment(userId)>    a user met as a caller (scope: account, region)

// DirectoryUser is a user Ersatz knows before it calls: a user of the
// credentials file, in its key's account.
type DirectoryUser struct {
	Account string
	ID      string
	Email   string
}

// WithUsers gives the service the users the credentials file names.
func WithUsers(users []DirectoryUser) Option {
	return func(s *Service) {
		s.users = append([]DirectoryUser(nil), users...)
	}
}

const kindUser = "user"

// maxRemembered bounds the cache of recorded callers (a hostile client can
// call with any number of access keys while authentication is off).
const maxRemembered = 4096

// directory is the service's view of the known users.
type directory struct {
	mu  sync.Mutex
	met map[string]bool // users already recorded, by scope and identity
}

func userKey(sc store.Scope, id string) store.Key {
	return store.Key{Scope: sc, Kind: kindUser, ID: segment(id)}
}

// recordCaller records the caller of a request that succeeded in the
// directory of its account and region (a refused request records nothing).
// It is best effort: the operation has happened, so a store failure here
// does not fail it, and the next successful request records the caller.
func (s *Service) recordCaller(ctx context.Context) {
	r, err := s.begin(ctx, nil)
	if err != nil {
		return
	}
	if record := s.meet(r); record != nil {
		if s.store.Update(ctx, record) == nil {
			s.remembered(r)
		}
	}
}

// meet returns the transaction that records the caller as a user of its
// account and region, or nil when this process already recorded that
// identity (a change of email is recorded again).
func (s *Service) meet(r req) func(store.Tx) error {
	seen := r.Scope.Account + "\x00" + r.Scope.Region + "\x00" + r.user.ID + "\x00" + r.user.Email
	s.dir.mu.Lock()
	done := s.dir.met[seen]
	s.dir.mu.Unlock()
	if done {
		return nil
	}
	return func(tx store.Tx) error {
		key := userKey(r.Scope, r.user.ID)
		old, err := store.GetJSON[user](tx, key)
		if err == nil && (old.Email == r.user.Email || r.user.Email == "") {
			return nil
		}
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return store.PutJSON(tx, key, r.user)
	}
}

// remembered marks the caller as recorded once its record is stored.
func (s *Service) remembered(r req) {
	seen := r.Scope.Account + "\x00" + r.Scope.Region + "\x00" + r.user.ID + "\x00" + r.user.Email
	s.dir.mu.Lock()
	if s.dir.met == nil || len(s.dir.met) >= maxRemembered {
		s.dir.met = map[string]bool{} // only a cache of what is stored: start over rather than grow
	}
	s.dir.met[seen] = true
	s.dir.mu.Unlock()
}

// resolve finds the user a principal names: a user id, or an email (without
// regard to case). The credentials file's users come first, in file order,
// then the users met as callers.
func (s *Service) resolve(tx store.Tx, r req, principal string) (user, bool, error) {
	p := strings.TrimSpace(principal)
	if p == "" {
		return user{}, false, nil
	}
	email := strings.Contains(p, "@")
	for _, u := range s.users {
		if u.Account != r.Scope.Account {
			continue
		}
		if u.ID == p || (email && (strings.EqualFold(u.Email, p) || strings.EqualFold(u.ID, p))) {
			return user{ID: u.ID, Email: u.Email}, true, nil
		}
	}
	if u, err := store.GetJSON[user](tx, userKey(r.Scope, p)); err == nil {
		return s.withEmail(r, u), true, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return user{}, false, err
	}
	if !email {
		return user{}, false, nil
	}
	c := store.Collection{Scope: r.Scope, Kind: kindUser}
	token := ""
	for {
		users, next, err := store.ListJSON[user](tx, c, store.Page{Token: token, Limit: 1000})
		if err != nil {
			return user{}, false, err
		}
		for _, u := range users {
			if strings.EqualFold(u.Email, p) || strings.EqualFold(u.ID, p) {
				return s.withEmail(r, u), true, nil
			}
		}
		if next == "" {
			return user{}, false, nil
		}
		token = next
	}
}

// identify returns the user whose id is id, with its email when known;
// a user the directory does not hold is returned as given.
func (s *Service) identify(tx store.Tx, r req, u user) (user, error) {
	for _, d := range s.users {
		if d.Account == r.Scope.Account && d.ID == u.ID {
			if d.Email != "" {
				u.Email = d.Email
			}
			return u, nil
		}
	}
	met, err := store.GetJSON[user](tx, userKey(r.Scope, u.ID))
	if errors.Is(err, store.ErrNotFound) {
		return u, nil
	}
	if err != nil {
		return u, err
	}
	if met.Email != "" {
		u.Email = met.Email
	}
	return u, nil
}

// withEmail fills the email the credentials file gives a met user.
func (s *Service) withEmail(r req, u user) user {
	for _, d := range s.users {
		if d.Account == r.Scope.Account && d.ID == u.ID && d.Email != "" {
			u.Email = d.Email
		}
	}
	return u
}
