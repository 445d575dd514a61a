// Package qapps is the behaviour of Amazon Q Apps: apps and their versions,
// per-app permissions, the library (items, ratings, categories), sessions run
// by a deterministic local responder, documents, tags, and the HTTP paths
// Ersatz serves in place of S3 (export downloads and presigned uploads).
//
// Everything lives in the store under the caller's account and region, then
// under the Q Business instance named by the instance-id header:
//
//	instance/<id>/app/<appId>                      app (owner, permissions, tags)
//	instance/<id>/app/<appId>/version/<n>          one version of the definition
//	instance/<id>/app/<appId>/file/<fileId>        APPLICATION-scoped document
//	instance/<id>/app/<appId>/session/<sid>        session (inputs, submissions)
//	instance/<id>/app/<appId>/session/<sid>/file/<fileId>  SESSION-scoped document
//	instance/<id>/sessionref/<sid>                 session id -> app id
//	instance/<id>/fileref/<fileId>                 file id -> app/session
//	instance/<id>/user/<userId>/app/<appId>        ListQApps index (owned or associated)
//	instance/<id>/library/<itemId>                 library item
//	instance/<id>/library/<itemId>/rating/<userId> a user's rating
//	instance/<id>/category/<categoryId>            category
//	upload/<fileId>, export/<exportId>             pending presigned upload, CSV export
//
// The last two sit directly under the account and region so that the HTTP
// routes, which see no instance header, can find them from their URL.
package qapps

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/qappsapi"
	"github.com/ersatz-dev/ersatz/internal/ids"
	"github.com/ersatz-dev/ersatz/internal/service/svc"
	"github.com/ersatz-dev/ersatz/internal/store"
)

const (
	serviceName = "qapps"

	// DefaultBaseURL is where Ersatz is assumed to listen when nothing says otherwise.
	DefaultBaseURL = "http://127.0.0.1:4566"
	// RoutePrefix is the path under which Routes serves its handlers.
	RoutePrefix = "/_ersatz/qapps/"

	// MaxDocumentBytes is the largest document ImportDocument and the presigned
	// upload accept: "files with size up to 10MB (per file card)".
	MaxDocumentBytes    = 10 << 20
	maxTagsPerResource  = 50
	maxCategories       = 10 // ListCategories returns at most 10 (CategoriesList)
	defaultPageLimit    = 100
	presignTTL          = 15 * time.Minute
	exportTTL           = time.Hour
	appDefinitionFormat = "1"
)

// Service implements the Q Apps operations on a store.
type Service struct {
	store   store.Store
	now     func() time.Time
	kit     *svc.Kit
	baseURL func(context.Context) string
	users   []DirectoryUser // the credentials file's users (see directory.go)
	dir     directory
}

// Option configures a Service.
type Option func(*Service)

// WithClock sets the clock (time.Now by default).
func WithClock(now func() time.Time) Option {
	return func(s *Service) {
		if now != nil {
			s.now = now
		}
	}
}

// WithBaseURL sets how the service learns the URL clients reach Ersatz at,
// used for the export download and presigned upload URLs it hands out. The
// default is BaseURLFromContext: the endpoint of the request.
func WithBaseURL(f func(context.Context) string) Option {
	return func(s *Service) {
		if f != nil {
			s.baseURL = f
		}
	}
}

// BaseURLFromContext is the default base URL function: the endpoint the
// request reached Ersatz at (api.Caller.Endpoint), or DefaultBaseURL.
func BaseURLFromContext(ctx context.Context) string {
	if v := api.CallerFrom(ctx).Endpoint; v != "" {
		return v
	}
	return DefaultBaseURL
}

// New returns the Q Apps service over st.
func New(st store.Store, opts ...Option) *Service {
	s := &Service{store: st, now: time.Now, baseURL: BaseURLFromContext}
	for _, o := range opts {
		o(s)
	}
	s.kit = svc.New(svc.Config{Service: serviceName, Now: s.now, Precision: time.Millisecond,
		BadToken: badToken, PageSize: defaultPageLimit})
	return s
}

// clock is the time of the service clock, in UTC and truncated to
// milliseconds (the precision of the wire's timestamps).
func (s *Service) clock() time.Time { return s.kit.Now() }

func (s *Service) base(ctx context.Context) string {
	return strings.TrimRight(s.baseURL(ctx), "/")
}

// API returns the operation table with this service's behaviour.
func (s *Service) API() *api.Service {
	h := &qappsapi.Handlers{
		AssociateLibraryItemReview:    s.AssociateLibraryItemReview,
		AssociateQAppWithUser:         s.AssociateQAppWithUser,
		BatchCreateCategory:           s.BatchCreateCategory,
		BatchDeleteCategory:           s.BatchDeleteCategory,
		BatchUpdateCategory:           s.BatchUpdateCategory,
		CreateLibraryItem:             s.CreateLibraryItem,
		CreatePresignedUrl:            s.CreatePresignedUrl,
		CreateQApp:                    s.CreateQApp,
		DeleteLibraryItem:             s.DeleteLibraryItem,
		DeleteQApp:                    s.DeleteQApp,
		DescribeQAppPermissions:       s.DescribeQAppPermissions,
		DisassociateLibraryItemReview: s.DisassociateLibraryItemReview,
		DisassociateQAppFromUser:      s.DisassociateQAppFromUser,
		ExportQAppSessionData:         s.ExportQAppSessionData,
		GetLibraryItem:                s.GetLibraryItem,
		GetQApp:                       s.GetQApp,
		GetQAppSession:                s.GetQAppSession,
		GetQAppSessionMetadata:        s.GetQAppSessionMetadata,
		ImportDocument:                s.ImportDocument,
		ListCategories:                s.ListCategories,
		ListLibraryItems:              s.ListLibraryItems,
		ListQAppSessionData:           s.ListQAppSessionData,
		ListQApps:                     s.ListQApps,
		ListTagsForResource:           s.ListTagsForResource,
		PredictQApp:                   s.PredictQApp,
		StartQAppSession:              s.StartQAppSession,
		StopQAppSession:               s.StopQAppSession,
		TagResource:                   s.TagResource,
		UntagResource:                 s.UntagResource,
		UpdateLibraryItem:             s.UpdateLibraryItem,
		UpdateLibraryItemMetadata:     s.UpdateLibraryItemMetadata,
		UpdateQApp:                    s.UpdateQApp,
		UpdateQAppPermissions:         s.UpdateQAppPermissions,
		UpdateQAppSession:             s.UpdateQAppSession,
		UpdateQAppSessionMetadata:     s.UpdateQAppSessionMetadata,
	}
	svc := h.Service()
	svc.Busy = throttled
	for _, op := range svc.Operations {
		if inner := op.Handler; inner != nil {
			op.Handler = func(ctx context.Context, in api.Input) (any, error) {
				out, err := inner(ctx, in)
				if err == nil {
					s.recordCaller(ctx)
				}
				return out, err
			}
		}
	}
	return svc
}

// throttled is the answer to a request the state store was too busy to run:
// the modelled 429 ThrottlingException (with Retry-After), which the SDKs
// retry.
func throttled() error {
	return &qappsapi.ThrottlingException{
		Message:     api.Ptr("Too many concurrent writes: the request was not applied, retry it"),
		ServiceCode: api.Ptr("qapps"), QuotaCode: api.Ptr("ConcurrentWrites"), RetryAfterSeconds: api.Ptr(int32(1)),
	}
}

// ---- identity ----

// user is the Q Business user a request acts for.
type user struct {
	ID    string `json:"id"`
	Email string `json:"email,omitempty"`
}

// userNamespace is the UUID namespace of user ids derived from access keys.
var userNamespace = [16]byte{0x6b, 0x1f, 0x0e, 0x5a, 0x3c, 0x2d, 0x4e, 0x8f, 0x9a, 0x11, 0x52, 0x63, 0x74, 0x85, 0x96, 0xa7}

// predictNamespace is the UUID namespace of the card ids PredictQApp makes.
var predictNamespace = [16]byte{0x1d, 0x0c, 0x7b, 0x2a, 0x59, 0x48, 0x4f, 0x36, 0xa5, 0x14, 0x03, 0xf2, 0xe1, 0xd0, 0xcf, 0xbe}

// UserIDForAccessKey is the Q Business user id Ersatz gives the holder of an
// access key when no credentials file names the user: the UUID version 5 of
// the access key id in a fixed Ersatz namespace (6b1f0e5a-3c2d-4e8f-9a11-5263748596a7).
func UserIDForAccessKey(accessKeyID string) string {
	return ids.UUIDv5(userNamespace, accessKeyID)
}

func callerUser(c api.Caller) (user, error) {
	switch {
	case c.UserID != "":
		return user{ID: c.UserID, Email: c.Email}, nil
	case c.AccessKeyID != "":
		return user{ID: UserIDForAccessKey(c.AccessKeyID), Email: c.Email}, nil
	}
	return user{}, &qappsapi.UnauthorizedException{Message: api.Ptr("Q Apps acts for a user: sign the request with credentials")}
}

// req is what every handler starts from: the kit's per-request context
// (svc.Req: caller, scope, now, ARNs), the user it acts for, and the
// instance it acts in.
type req struct {
	svc.Req
	user     user
	instance string    // the raw instance id
	inst     store.Key // the instance's key: the parent of everything in it
}

// begin starts a request: who calls, in which instance.
func (s *Service) begin(ctx context.Context, instanceID *string) (req, error) {
	k := s.kit.Begin(ctx)
	u, err := callerUser(k.Caller)
	if err != nil {
		return req{}, err
	}
	r := req{Req: k, user: u}
	if instanceID != nil {
		if *instanceID == "" {
			return req{}, validation("instanceId must not be empty")
		}
		r.instance = *instanceID
		r.inst = store.Key{Scope: r.Scope, Kind: "instance", ID: segment(*instanceID)}
	}
	return r, nil
}

// segment makes any string usable as one key segment.
func segment(s string) string { return url.PathEscape(s) }

func (r req) appKey(appID string) store.Key { return r.inst.Child("app", appID) }

func (r req) appArn(appID string) string {
	return r.ARN("application/" + r.instance + "/qapp/" + appID)
}

func (r req) sessionArn(appID, sessionID string) string {
	return r.appArn(appID) + "/session/" + sessionID
}

// badToken is the answer to a nextToken Ersatz did not hand out.
func badToken() error { return validation("nextToken is not valid") }

// ---- errors ----

func validation(format string, args ...any) error {
	return &qappsapi.ValidationException{Message: api.Ptr(fmt.Sprintf(format, args...))}
}

func denied(format string, args ...any) error {
	return &qappsapi.AccessDeniedException{Message: api.Ptr(fmt.Sprintf(format, args...))}
}

func notFound(kind, id string) error {
	return &qappsapi.ResourceNotFoundException{
		Message:      api.Ptr(fmt.Sprintf("%s %s does not exist", kind, id)),
		ResourceId:   api.Ptr(id),
		ResourceType: api.Ptr(kind),
	}
}

func conflict(kind, id, format string, args ...any) error {
	return &qappsapi.ConflictException{
		Message:      api.Ptr(fmt.Sprintf(format, args...)),
		ResourceId:   api.Ptr(id),
		ResourceType: api.Ptr(kind),
	}
}

// get reads a document, a missing one being the ResourceNotFoundException
// of kind and id (svc.Get).
func get[T any](tx store.Tx, key store.Key, kind, id string) (T, error) {
	return svc.Get[T](tx, key, func() error { return notFound(kind, id) })
}

func versionID(v int32) string { return fmt.Sprintf("%010d", v) }
