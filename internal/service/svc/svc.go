// Package svc is what the service packages share, so that every handler of
// Transfer, Amplify Backend and Q Apps reads the same way:
//
//	r := s.kit.Begin(ctx)                       // caller, scope, now, ARNs
//	err := s.store.View(ctx, func(tx store.Tx) error {
//		rec, err := svc.Get[record](tx, key, func() error { return notFound(id) })
//		...
//		page, next := svc.Page(cur, items, id)   // cur from s.kit.Cursor(...)
//	})
//	return out, s.kit.Err("list things", err)
//
// A Kit holds the service's own answers (its modelled 400 for a bad page
// token, its default page size); the rules are the kit's: a service error
// passes through, an invalid page token is the service's 400, any other store
// failure is awserr.Internal (HTTP 500 InternalFailure, the cause logged and
// kept for errors.Is, so store.ErrBusy still becomes the service's throttling
// error in the gateway).
package svc

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/awserr"
	"github.com/ersatz-dev/ersatz/internal/ids"
	"github.com/ersatz-dev/ersatz/internal/store"
)

// Config is what a service tells its Kit.
type Config struct {
	// Service is the store scope's service and the ARN service ("transfer").
	Service string
	// Now is the service clock (time.Now when nil).
	Now func() time.Time
	// Precision truncates Req.Now (0: none). Transfer and Q Apps keep
	// milliseconds, the precision of their wire timestamps.
	Precision time.Duration
	// BadToken is the service's modelled error for a page token it did not
	// hand out (InvalidNextTokenException, BadRequestException, ...).
	BadToken func() error
	// PageSize is how many items a list returns when the request sets no
	// limit.
	PageSize int
}

// Kit applies a service's Config.
type Kit struct {
	cfg Config
}

// New returns the kit of a service. A Config without Now reads time.Now;
// one without BadToken answers a bad token with a generic 400
// InvalidNextTokenException.
func New(cfg Config) *Kit {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.BadToken == nil {
		cfg.BadToken = func() error {
			return awserr.New(400, "InvalidNextTokenException", "The NextToken is invalid or has expired")
		}
	}
	return &Kit{cfg: cfg}
}

// Service is the service name the kit scopes by.
func (k *Kit) Service() string { return k.cfg.Service }

// Now is the service clock's time in UTC, truncated to the configured
// precision.
func (k *Kit) Now() time.Time {
	t := k.cfg.Now().UTC()
	if k.cfg.Precision > 0 {
		t = t.Truncate(k.cfg.Precision)
	}
	return t
}

// Req is what one request knows besides its input: who calls, where its
// resources live, and the one instant every decision of the request uses.
type Req struct {
	Caller  api.Caller
	Scope   store.Scope
	Now     time.Time
	service string
}

// Begin starts a request.
func (k *Kit) Begin(ctx context.Context) Req {
	c := api.CallerFrom(ctx)
	return Req{
		Caller:  c,
		Scope:   store.Scope{Account: c.Account, Region: c.Region, Service: k.cfg.Service},
		Now:     k.Now(),
		service: k.cfg.Service,
	}
}

// Scope is the store scope of the caller of ctx, for code that needs no
// clock.
func (k *Kit) Scope(ctx context.Context) store.Scope {
	c := api.CallerFrom(ctx)
	return store.Scope{Account: c.Account, Region: c.Region, Service: k.cfg.Service}
}

// ARN is the ARN of resource ("server/s-1") in the account and region of
// the caller of ctx.
func (k *Kit) ARN(ctx context.Context, resource string) string {
	c := api.CallerFrom(ctx)
	return ids.ARN(k.cfg.Service, c.Region, c.Account, resource)
}

// ARN is the ARN of resource ("server/s-1") in the caller's account and
// region.
func (r Req) ARN(resource string) string {
	return ids.ARN(r.service, r.Scope.Region, r.Scope.Account, resource)
}

// Err maps an error met while serving a request: nil stays nil, a service
// error passes through, store.ErrInvalidToken is the service's bad-token
// error, and anything else is awserr.Internal naming the service and op
// ("read server") in its logged cause.
func (k *Kit) Err(op string, err error) error {
	if errors.Is(err, store.ErrInvalidToken) && !isServiceError(err) {
		return k.cfg.BadToken()
	}
	return Internal(k.cfg.Service, op, err)
}

// Internal is Err without a Kit, for helpers that hold none: nil stays nil,
// a service error passes through, anything else is awserr.Internal naming
// service and op in its logged cause.
func Internal(service, op string, err error) error {
	if err == nil || isServiceError(err) {
		return err
	}
	return awserr.Internal(fmt.Errorf("%s: %s: %w", service, op, err))
}

func isServiceError(err error) bool {
	var se api.ServiceError
	return errors.As(err, &se)
}

// Get reads the JSON document at key. When there is none it returns
// missing(), the service's not-found error; any other failure is a store
// error for Kit.Err to map (it is returned as is).
func Get[T any](tx store.Tx, key store.Key, missing func() error) (T, error) {
	v, err := store.GetJSON[T](tx, key)
	if errors.Is(err, store.ErrNotFound) {
		return v, missing()
	}
	return v, err
}

// Lookup reads the JSON document at key; found is false when there is none.
func Lookup[T any](tx store.Tx, key store.Key) (v T, found bool, err error) {
	v, err = store.GetJSON[T](tx, key)
	if errors.Is(err, store.ErrNotFound) {
		return v, false, nil
	}
	if err != nil {
		return v, false, err
	}
	return v, true, nil
}

// Exists reports whether key holds a document.
func Exists(tx store.Tx, key store.Key) (bool, error) { return store.Exists(tx, key) }

// Delete deletes the document at key, which must exist: when there is none
// it returns missing(), the service's not-found error; any other failure is a
// store error for Kit.Err to map (it is returned as is).
func Delete(tx store.Tx, key store.Key, missing func() error) error {
	err := tx.Delete(key)
	if errors.Is(err, store.ErrNotFound) {
		return missing()
	}
	return err
}

// DeleteIfExists deletes key; a key that holds nothing is no error.
func DeleteIfExists(tx store.Tx, key store.Key) error {
	if err := tx.Delete(key); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return nil
}

// IsNotFound reports whether err is the store's "no such document".
func IsNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

// PtrIf returns a pointer to v, or nil when v is the zero value (an absent
// member).
func PtrIf[T comparable](v T) *T {
	var zero T
	if v == zero {
		return nil
	}
	return &v
}

// Set lays an update's member over the stored one: *dst becomes src when
// the request gives it (src is not nil), and stays otherwise.
func Set[T any](dst **T, src *T) {
	if src != nil {
		*dst = src
	}
}

// SetList is Set for a list member: a given list, even an empty one,
// replaces the stored list; a nil one leaves it.
func SetList[T any](dst *[]T, src []T) {
	if src != nil {
		*dst = src
	}
}
