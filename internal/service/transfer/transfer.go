// Package transfer is the behaviour of AWS Transfer Family.
//
// The package is organised by resource: servers.go, users.go, sshkeys.go,
// accesses.go, hostkeys.go, tags.go, securitypolicies.go and
// identityprovider.go each hold the operations of one resource, with the
// shared record types and helpers beside them. All state lives in the store,
// scoped by the caller's account and region; the layout is
//
//	server/<s-id>                         serverRecord
//	server/<s-id>/user/<name>             userRecord (SSH public keys inside)
//	server/<s-id>/access/<external id>    accessRecord
//	server/<s-id>/hostkey/<hostkey-id>    hostKeyRecord
//	<any taggable resource>/tags/set      tagSet (see tags.go)
//
// so deleting a server deletes its users, accesses, host keys and every tag
// set below it in the same transaction.
package transfer

import (
	"time"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/transferapi"
	"github.com/ersatz-dev/ersatz/internal/dataplane/idp"
	"github.com/ersatz-dev/ersatz/internal/service/svc"
	"github.com/ersatz-dev/ersatz/internal/store"
)

// ServiceName is the store scope's service and the ARN service of Transfer.
const ServiceName = "transfer"

// DefaultTransitionDelay is how long a server stays STARTING or STOPPING
// after StartServer or StopServer before it is ONLINE or OFFLINE.
const DefaultTransitionDelay = 200 * time.Millisecond

// Service implements the Transfer Family operations on a store.
type Service struct {
	store      store.Store
	now        func() time.Time
	kit        *svc.Kit
	transition time.Duration
	// tagKinds maps an ARN resource type ("server", "user", "host-key", ...)
	// to how its resources are found in the store (see tags.go).
	tagKinds map[string]tagKind
	// b2b configures the connectors, workflows and the rest of the B2B
	// half and runs their background work (see b2b.go).
	b2b *b2b
	// idp calls custom identity providers (see identityprovider.go).
	idp *idp.Client
	// hooks run after each state-changing operation (see changes.go).
	hooks changeHooks
	// users keeps decoded user records for DescribeUser, keyed by their
	// bytes (see svc.Decoded: never stale, whatever the store).
	users *svc.Decoded[userRecord]
}

// Option configures a Service.
type Option func(*Service)

// WithClock makes the service read the time from now (tests inject a fake
// clock; the default is time.Now).
func WithClock(now func() time.Time) Option {
	return func(s *Service) {
		if now != nil {
			s.now = now
		}
	}
}

// WithTransitionDelay sets how long StartServer and StopServer leave a server
// in STARTING or STOPPING (DefaultTransitionDelay unless set; 0 moves it at once).
func WithTransitionDelay(d time.Duration) Option {
	return func(s *Service) {
		if d >= 0 {
			s.transition = d
		}
	}
}

// New returns the Transfer service over st.
func New(st store.Store, opts ...Option) *Service {
	s := &Service{store: st, now: time.Now, transition: DefaultTransitionDelay,
		users: svc.NewDecoded[userRecord](0)}
	for _, o := range opts {
		o(s)
	}
	s.kit = svc.New(svc.Config{Service: ServiceName, Now: s.now, Precision: time.Millisecond,
		BadToken: badToken, PageSize: defaultPageSize})
	s.tagKinds = coreTagKinds()
	s.initB2B()
	s.initIdentityProviders()
	return s
}

// API returns the operation table with this service's behaviour.
func (s *Service) API() *api.Service {
	h := &transferapi.Handlers{
		CreateServer:   changes(s, s.CreateServer),
		DescribeServer: s.DescribeServer,
		ListServers:    s.ListServers,
		UpdateServer:   changes(s, s.UpdateServer),
		DeleteServer:   changesErr(s, s.DeleteServer),
		StartServer:    changesErr(s, s.StartServer),
		StopServer:     changesErr(s, s.StopServer),

		CreateUser:   changes(s, s.CreateUser),
		DescribeUser: s.DescribeUser,
		ListUsers:    s.ListUsers,
		UpdateUser:   changes(s, s.UpdateUser),
		DeleteUser:   changesErr(s, s.DeleteUser),

		ImportSshPublicKey: changes(s, s.ImportSshPublicKey),
		DeleteSshPublicKey: changesErr(s, s.DeleteSshPublicKey),

		CreateAccess:   changes(s, s.CreateAccess),
		DescribeAccess: s.DescribeAccess,
		ListAccesses:   s.ListAccesses,
		UpdateAccess:   changes(s, s.UpdateAccess),
		DeleteAccess:   changesErr(s, s.DeleteAccess),

		ImportHostKey:   changes(s, s.ImportHostKey),
		DescribeHostKey: s.DescribeHostKey,
		ListHostKeys:    s.ListHostKeys,
		UpdateHostKey:   changes(s, s.UpdateHostKey),
		DeleteHostKey:   changesErr(s, s.DeleteHostKey),

		TagResource:         s.TagResource,
		UntagResource:       s.UntagResource,
		ListTagsForResource: s.ListTagsForResource,

		DescribeSecurityPolicy: s.DescribeSecurityPolicy,
		ListSecurityPolicies:   s.ListSecurityPolicies,

		TestIdentityProvider: s.TestIdentityProvider,
	}
	s.registerB2B(h)
	svc := h.Service()
	svc.Busy = throttled
	return svc
}

// defaultPageSize is how many items a List operation returns without
// MaxResults. The model documents no default; Ersatz uses the largest
// MaxResults the model allows (1000), so one page holds everything a test
// creates.
const defaultPageSize = 1000

// badToken is the answer to a NextToken Ersatz did not hand out.
func badToken() error {
	return &transferapi.InvalidNextTokenException{Message: api.Ptr("The NextToken is invalid or has expired")}
}

// serverKey is the store key of a server.
func serverKey(sc store.Scope, serverID string) store.Key {
	return store.Key{Scope: sc, Kind: "server", ID: serverID}
}

// clock is the time of the service clock, in UTC and truncated to
// milliseconds (the precision of the wire's timestamps).
func (s *Service) clock() time.Time { return s.kit.Now() }
