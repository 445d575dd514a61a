// Package gateway is the handler chain every request walks:
//
//	request id -> detect service -> authenticate -> route -> (501 if not implemented)
//	-> decode + validate -> dispatch -> encode
//
// Service packages never see protocol code; protocol packages never see services.
package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/awserr"
	"github.com/ersatz-dev/ersatz/internal/protocol"
	"github.com/ersatz-dev/ersatz/internal/protocol/awsjson"
	"github.com/ersatz-dev/ersatz/internal/protocol/restjson"
	"github.com/ersatz-dev/ersatz/internal/sigv4"
	"github.com/ersatz-dev/ersatz/internal/store"
	"github.com/ersatz-dev/ersatz/internal/validate"
)

// DefaultAccount is the account of requests whose access key is not an account id.
const DefaultAccount = "000000000000"

// Authenticator decides who sent a request. It returns an api.ServiceError
// (for example a 403) to refuse it. claimed are the services the request's
// X-Amz-Target or path names (none when neither names one): the gateway
// detects them once, before authenticating, so an authenticator can require
// the credential scope to agree without detecting again.
type Authenticator interface {
	Authenticate(r *http.Request, claimed []*api.Service) (api.Caller, error)
}

// Options configure a Gateway.
type Options struct {
	Services      []*api.Service
	DefaultRegion string
	// Auth verifies requests; nil trusts the credential scope without checking
	// signatures (--auth off).
	Auth   Authenticator
	Logger *slog.Logger
	// Admin serves /_ersatz/ paths; nil answers them 404.
	Admin http.Handler
	// Observer, when set, is told the outcome of every AWS API request
	// (metrics, the request log); not of /_ersatz/ requests.
	Observer Observer
}

type service struct {
	*api.Service
	codec protocol.Codec
	alone []*api.Service // the claim of a request naming this service by target
}

// Gateway serves the AWS APIs of its services.
type Gateway struct {
	opts     Options
	services []*service
	bySigner map[string]*service
	log      *slog.Logger
	// endpoint is the last base URL built, reused while requests keep
	// arriving for the same host (nearly always).
	endpoint atomic.Pointer[endpointMemo]
	// reports are the validation Reports requests reuse.
	reports sync.Pool
}

type endpointMemo struct{ scheme, host, url string }

// codecFor is the one place a service's protocol is looked at.
func codecFor(s *api.Service) protocol.Codec {
	if s.Protocol == api.RESTJSON {
		return restjson.NewCodec(s)
	}
	return awsjson.NewCodec(s)
}

// New builds a gateway.
func New(opts Options) *Gateway {
	if opts.DefaultRegion == "" {
		opts.DefaultRegion = "us-east-1"
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	g := &Gateway{opts: opts, bySigner: map[string]*service{}, log: opts.Logger}
	g.reports.New = func() any { return new(validate.Report) }
	for _, s := range opts.Services {
		svc := &service{Service: s, codec: codecFor(s), alone: []*api.Service{s}}
		g.services = append(g.services, svc)
		g.bySigner[s.Name] = svc
	}
	return g
}

// ServeHTTP walks the chain.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	reqID := newRequestID()
	// X-Amzn-RequestId in its canonical form, set without Header.Set's
	// canonicalizing copy.
	w.Header()["X-Amzn-Requestid"] = []string{reqID}
	if strings.HasPrefix(r.URL.Path, "/_ersatz/") {
		if g.opts.Admin == nil {
			restjson.EncodeError(w, awserr.New(http.StatusNotFound, "NotFoundException", "No Ersatz endpoint serves %s", r.URL.Path))
			return
		}
		g.opts.Admin.ServeHTTP(w, r)
		return
	}
	if g.opts.Observer == nil && !g.log.Enabled(r.Context(), slog.LevelInfo) {
		g.serve(w, r, reqID) // nothing records the outcome
		return
	}
	rec := &statusRecorder{ResponseWriter: w}
	svc, opName := g.serve(rec, r, reqID)
	g.finish(r.Context(), rec, start, reqID, svc, opName)
}

func (g *Gateway) serve(w http.ResponseWriter, r *http.Request, reqID string) (svcName, opName string) {
	scope, scopeErr := sigv4.RequestScope(r)
	var signer *service
	if scopeErr == nil {
		signer = g.bySigner[scope.Service]
	}
	// Detection, once: the services the target or path names. Without an
	// authenticator it is needed only when the scope names no service.
	var claimed []*api.Service
	if g.opts.Auth != nil || signer == nil {
		claimed = g.claimed(r)
	}
	caller, err := g.authenticate(r, claimed, scope, scopeErr)
	caller.RequestID = reqID
	caller.Endpoint = g.endpointOf(r)
	svc := signer
	if svc == nil && len(claimed) > 0 {
		svc = g.bySigner[claimed[0].Name]
	}
	if rec, ok := w.(*statusRecorder); ok {
		rec.account, rec.region = caller.Account, caller.Region
	}
	if svc == nil {
		writeUnrouted(w, r, err)
		return "", ""
	}
	if err != nil {
		g.writeError(w, svc, err)
		return svc.Name, ""
	}
	rt, err := svc.codec.Route(r)
	if err != nil {
		g.writeError(w, svc, err)
		return svc.Name, ""
	}
	op := rt.Op
	if op.Handler == nil {
		g.writeError(w, svc, awserr.NotImplemented(svc.Name, op.Name))
		return svc.Name, op.Name
	}
	in := op.NewInput()
	if err := svc.codec.Decode(r, rt, in); err != nil {
		g.writeError(w, svc, err)
		return svc.Name, op.Name
	}
	// Validate takes the Report through an interface, which would move a
	// local one to the heap: Reports are reused.
	rep := g.reports.Get().(*validate.Report)
	in.Validate(rep, "")
	problems := rep.Message()
	rep.Reset()
	g.reports.Put(rep)
	if problems != "" {
		g.writeError(w, svc, awserr.New(http.StatusBadRequest, svc.ValidationCode, "%s", problems))
		return svc.Name, op.Name
	}
	ctx := api.WithCaller(r.Context(), caller)
	out, err := g.invoke(ctx, op, in)
	if err != nil {
		g.writeError(w, svc, g.throttle(svc, op, err))
		return svc.Name, op.Name
	}
	svc.codec.Encode(w, op, out)
	return svc.Name, op.Name
}

// invoke runs the handler, turning a panic into a 500 so one bad request
// never takes the server down.
func (g *Gateway) invoke(ctx context.Context, op *api.Operation, in api.Input) (out any, err error) {
	defer func() {
		if p := recover(); p != nil {
			g.log.Error("handler panicked", "operation", op.Name, "panic", fmt.Sprint(p))
			out, err = nil, awserr.Internal(fmt.Errorf("panic in %s", op.Name))
		}
	}()
	return op.Handler(ctx, in)
}

// throttle turns a store too busy to run the request (store.ErrBusy) into
// the service's modelled throttling error, which clients retry; other errors
// pass through.
func (g *Gateway) throttle(svc *service, op *api.Operation, err error) error {
	if !errors.Is(err, store.ErrBusy) {
		return err
	}
	g.log.Warn("request throttled: the store is busy", "service", svc.Name, "operation", op.Name, "error", err)
	if svc.Busy != nil {
		return svc.Busy()
	}
	return awserr.New(http.StatusBadRequest, "ThrottlingException", "Rate exceeded")
}

func (g *Gateway) authenticate(r *http.Request, claimed []*api.Service, scope sigv4.Scope, scopeErr error) (api.Caller, error) {
	if g.opts.Auth != nil {
		return g.opts.Auth.Authenticate(r, claimed)
	}
	c := api.Caller{Account: DefaultAccount, Region: g.opts.DefaultRegion}
	if scopeErr == nil {
		c.AccessKeyID = scope.AccessKeyID
		c.Account = AccountOf(scope.AccessKeyID)
		if scope.Region != "" {
			c.Region = scope.Region
		}
	}
	return c, nil
}

var accountID = regexp.MustCompile(`^[0-9]{12}$`)

// AccountOf is the account an access key id stands for: the key itself when
// it is 12 digits, DefaultAccount otherwise.
func AccountOf(accessKeyID string) string {
	if accountID.MatchString(accessKeyID) {
		return accessKeyID
	}
	return DefaultAccount
}

// claimed are the services the request names without trusting its
// credential scope: the one its X-Amz-Target names, or else every service
// one of whose URI templates matches its path.
func (g *Gateway) claimed(r *http.Request) []*api.Service {
	var byPath []*api.Service
	for _, s := range g.services {
		switch s.codec.Claims(r) {
		case protocol.ClaimByTarget:
			return s.alone
		case protocol.ClaimByPath:
			byPath = append(byPath, s.Service)
		}
	}
	return byPath
}

func (g *Gateway) writeError(w http.ResponseWriter, svc *service, err error) {
	noteError(w, err)
	var se api.ServiceError
	switch {
	case errors.Is(err, context.Canceled):
		g.log.Debug("request abandoned by the client", "service", svc.Name, "error", err)
	case !errors.As(err, &se) || (se.HTTPStatus() >= 500 && se.HTTPStatus() != http.StatusNotImplemented):
		g.log.Error("request failed", "service", svc.Name, "error", err)
	}
	svc.codec.EncodeError(w, err)
}

// writeUnrouted answers a request no service claims.
func writeUnrouted(w http.ResponseWriter, r *http.Request, authErr error) {
	err := authErr
	if err == nil {
		err = awserr.New(http.StatusNotFound, "UnknownOperationException",
			"No service of Ersatz handles %s %s", r.Method, r.URL.Path)
	}
	noteError(w, err)
	restjson.EncodeError(w, err)
}

// endpointOf is the base URL the client used to reach the server.
func (g *Gateway) endpointOf(r *http.Request) string {
	host := r.Host
	if host == "" {
		host = "127.0.0.1:4566"
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if m := g.endpoint.Load(); m != nil && m.host == host && m.scheme == scheme {
		return m.url
	}
	url := scheme + "://" + host
	g.endpoint.Store(&endpointMemo{scheme: scheme, host: host, url: url})
	return url
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	var h [36]byte
	hex.Encode(h[0:8], b[0:4])
	h[8] = '-'
	hex.Encode(h[9:13], b[4:6])
	h[13] = '-'
	hex.Encode(h[14:18], b[6:8])
	h[18] = '-'
	hex.Encode(h[19:23], b[8:10])
	h[23] = '-'
	hex.Encode(h[24:36], b[10:16])
	return string(h[:])
}

type statusRecorder struct {
	http.ResponseWriter
	status          int
	account, region string
	err             error
	// outcome is what finish reports: held here so that the recorder and
	// the Outcome the observer is handed are one allocation.
	outcome Outcome
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}
