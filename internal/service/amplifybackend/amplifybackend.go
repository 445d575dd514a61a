// Package amplifybackend is the behaviour of AWS Amplify Backend (the Amplify
// Admin UI API): backends (an app's environments), their auth, storage and
// API resources, the asynchronous jobs every change runs as, the Admin UI
// configuration and its one-time login tokens.
//
// Every change is a job. A job is stored with its creation time and the change
// it will make; it reads IN_PROGRESS until its creation time plus the job delay
// has passed, and the first request that observes it as due applies the change
// in a store transaction ("settles" it) and marks it COMPLETED, or FAILED with
// an Error. No goroutine runs: settling happens at the start of every request
// of the caller's scope. See docs/amplifybackend.md.
package amplifybackend

import (
	"context"
	"fmt"
	"time"

	"github.com/ersatz-dev/ersatz/internal/api"
	ab "github.com/ersatz-dev/ersatz/internal/api/amplifybackendapi"
	"github.com/ersatz-dev/ersatz/internal/objectstore"
	"github.com/ersatz-dev/ersatz/internal/service/svc"
	"github.com/ersatz-dev/ersatz/internal/store"
)

// Defaults of the functional options.
const (
	// DefaultJobDelay is how long a job stays IN_PROGRESS.
	DefaultJobDelay = 100 * time.Millisecond
	// DefaultTokenTTL is how long a CreateToken challenge stays valid.
	DefaultTokenTTL = 10 * time.Minute
	// DefaultBucketPageSize is how many buckets one ListS3Buckets page holds.
	DefaultBucketPageSize = 25
)

// Service implements the Amplify Backend operations on a store.
type Service struct {
	store      store.Store
	now        func() time.Time
	kit        *svc.Kit
	jobDelay   JobDelay
	tokenTTL   time.Duration
	bucketPage int
	buckets    buckets
}

// Option configures a Service.
type Option func(*Service)

// WithClock sets the clock the service reads (default time.Now).
func WithClock(now func() time.Time) Option {
	return func(s *Service) {
		if now != nil {
			s.now = now
		}
	}
}

// WithJobDelay sets how long a job stays IN_PROGRESS before it completes
// (default DefaultJobDelay; 0 makes every job due at once, settled by the
// next request).
func WithJobDelay(d time.Duration) Option {
	return func(s *Service) {
		if d >= 0 && d <= MaxJobDelay {
			s.jobDelay = JobDelay{Min: d, Max: d}
		}
	}
}

// WithTokenTTL sets how long a CreateToken challenge stays valid (default
// DefaultTokenTTL).
func WithTokenTTL(d time.Duration) Option {
	return func(s *Service) {
		if d > 0 {
			s.tokenTTL = d
		}
	}
}

// WithBucketPageSize sets how many buckets a ListS3Buckets page holds
// (default DefaultBucketPageSize).
func WithBucketPageSize(n int) Option {
	return func(s *Service) {
		if n > 0 {
			s.bucketPage = n
		}
	}
}

// WithObjects sets the object store whose buckets storage resources create,
// import and remove, and ListS3Buckets lists (default none: buckets are
// names in the storage resources only).
func WithObjects(o objectstore.Store) Option {
	return func(s *Service) { s.buckets = buckets{store: o} }
}

// New returns the Amplify Backend service over st.
func New(st store.Store, opts ...Option) *Service {
	s := &Service{
		store:      st,
		now:        time.Now,
		jobDelay:   JobDelay{Min: DefaultJobDelay, Max: DefaultJobDelay},
		tokenTTL:   DefaultTokenTTL,
		bucketPage: DefaultBucketPageSize,
	}
	for _, o := range opts {
		o(s)
	}
	s.kit = svc.New(svc.Config{Service: serviceName, Now: s.now, BadToken: badToken, PageSize: s.bucketPage})
	return s
}

// API returns the operation table with this service's behaviour.
func (s *Service) API() *api.Service {
	h := &ab.Handlers{
		CloneBackend:             s.CloneBackend,
		CreateBackend:            s.CreateBackend,
		CreateBackendAPI:         s.CreateBackendAPI,
		CreateBackendAuth:        s.CreateBackendAuth,
		CreateBackendConfig:      s.CreateBackendConfig,
		CreateBackendStorage:     s.CreateBackendStorage,
		CreateToken:              s.CreateToken,
		DeleteBackend:            s.DeleteBackend,
		DeleteBackendAPI:         s.DeleteBackendAPI,
		DeleteBackendAuth:        s.DeleteBackendAuth,
		DeleteBackendStorage:     s.DeleteBackendStorage,
		DeleteToken:              s.DeleteToken,
		GenerateBackendAPIModels: s.GenerateBackendAPIModels,
		GetBackend:               s.GetBackend,
		GetBackendAPI:            s.GetBackendAPI,
		GetBackendAPIModels:      s.GetBackendAPIModels,
		GetBackendAuth:           s.GetBackendAuth,
		GetBackendJob:            s.GetBackendJob,
		GetBackendStorage:        s.GetBackendStorage,
		GetToken:                 s.GetToken,
		ImportBackendAuth:        s.ImportBackendAuth,
		ImportBackendStorage:     s.ImportBackendStorage,
		ListBackendJobs:          s.ListBackendJobs,
		ListS3Buckets:            s.ListS3Buckets,
		RemoveAllBackends:        s.RemoveAllBackends,
		RemoveBackendConfig:      s.RemoveBackendConfig,
		UpdateBackendAPI:         s.UpdateBackendAPI,
		UpdateBackendAuth:        s.UpdateBackendAuth,
		UpdateBackendConfig:      s.UpdateBackendConfig,
		UpdateBackendJob:         s.UpdateBackendJob,
		UpdateBackendStorage:     s.UpdateBackendStorage,
	}
	svc := h.Service()
	svc.Busy = throttled
	return svc
}

// serviceName scopes every resource of this service in the store.
const serviceName = "amplifybackend"

// req is the kit's per-request context (svc.Req: where its resources live,
// who called, and the one instant every decision of the request uses) under
// the short names the handlers and the job engine use.
type req struct {
	scope  store.Scope
	region string
	now    time.Time
}

func (s *Service) begin(ctx context.Context) req {
	r := s.kit.Begin(ctx)
	return req{scope: r.Scope, region: r.Scope.Region, now: r.Now}
}

// read runs fn on a consistent view of r's scope after settling the jobs that
// are due at r.now. When none is due it runs in a read-only transaction;
// otherwise settling and fn share one read-write transaction, so fn never sees
// a job completed without its effect.
func (s *Service) read(ctx context.Context, r req, fn func(tx store.Tx) error) error {
	due := false
	err := s.store.View(ctx, func(tx store.Tx) error {
		var err error
		due, err = anyDue(tx, r)
		if err != nil || due {
			return err
		}
		return fn(tx)
	})
	if err != nil || !due {
		return err
	}
	return s.write(ctx, r, fn)
}

// view reads one value with load (see read); op names the operation in a
// store error, mapped once.
func view[T any](ctx context.Context, s *Service, r req, op string, load func(tx store.Tx) (T, error)) (T, error) {
	var v T
	err := s.read(ctx, r, func(tx store.Tx) error {
		var err error
		v, err = load(tx)
		return err
	})
	if err != nil {
		var zero T
		return zero, s.kit.Err(op, err)
	}
	return v, nil
}

// viewResource reads the resource of a category in an environment (see
// view and loadResource).
func viewResource[T any](ctx context.Context, s *Service, r req, op, appID, env, category, name string) (T, error) {
	return view(ctx, s, r, op, func(tx store.Tx) (T, error) {
		return loadResource[T](tx, r.scope, appID, env, category, name)
	})
}

// write runs fn in a read-write transaction after settling the jobs that are
// due at r.now. If fn fails nothing is kept, settling included: settling is
// deterministic (a job completes at its due time whoever observes it), so the
// next request redoes it with the same result.
func (s *Service) write(ctx context.Context, r req, fn func(tx store.Tx) error) error {
	return s.store.Update(ctx, func(tx store.Tx) error {
		if err := s.settle(ctx, tx, r); err != nil {
			return err
		}
		return fn(tx)
	})
}

// Errors.

func badRequest(format string, args ...any) error {
	return &ab.BadRequestException{Message: api.Ptr(fmt.Sprintf(format, args...))}
}

// throttled is the answer to a request the state store was too busy to run:
// the modelled 429 TooManyRequestsException, which the SDKs retry.
func throttled() error {
	return &ab.TooManyRequestsException{LimitType: api.Ptr("ConcurrentWrites"),
		Message: api.Ptr("Too many concurrent writes: the request was not applied, retry it")}
}

func notFound(resourceType, format string, args ...any) error {
	return &ab.NotFoundException{Message: api.Ptr(fmt.Sprintf(format, args...)), ResourceType: api.Ptr(resourceType)}
}

// Resource types named by NotFoundException.
const (
	rtApp         = "App"
	rtEnvironment = "BackendEnvironment"
	rtAuth        = "Auth"
	rtStorage     = "Storage"
	rtAPI         = "API"
	rtJob         = "Job"
	rtToken       = "Token"
	rtConfig      = "BackendConfig"
	rtBucket      = "S3Bucket"
)

// badToken is the answer to a NextToken Ersatz did not hand out.
func badToken() error { return badRequest("Invalid nextToken") }

// timeString is how times are written into the model's string members
// (CreateTime, UpdateTime, CreationDate): RFC 3339 in UTC with milliseconds.
func timeString(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
