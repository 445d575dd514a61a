package auth

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/ersatz-dev/ersatz/internal/admin"
	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/awserr"
	"github.com/ersatz-dev/ersatz/internal/protocol"
	"github.com/ersatz-dev/ersatz/internal/sigv4"
)

// Option configures an authenticator.
type Option func(*options)

type options struct {
	now    func() time.Time
	region string
}

// WithClock sets the clock signatures are checked against (default time.Now).
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithDefaultRegion sets the region of unsigned requests (Trusting only;
// default us-east-1).
func WithDefaultRegion(region string) Option { return func(o *options) { o.region = region } }

func newOptions(opts []Option) options {
	o := options{now: time.Now, region: "us-east-1"}
	for _, fn := range opts {
		fn(&o)
	}
	return o
}

// SigV4 verifies the AWS Signature Version 4 of every request against a
// credentials file (--auth sigv4).
//
// Refusals use the codes and statuses AWS answers with: awsJson services
// (Transfer) answer 400, as AWS's JSON-protocol services do; restJson
// services (Amplify Backend, Q Apps) answer 403, as AWS's API
// Gateway-fronted REST services do.
//
//	no signature                          MissingAuthenticationTokenException
//	malformed Authorization or query      IncompleteSignatureException
//	unknown access key or session token   UnrecognizedClientException
//	bad signature, scope, date or expiry  InvalidSignatureException
type SigV4 struct {
	creds  *Credentials
	byName map[string]*api.Service // a credential scope's service
	now    func() time.Time
	keys   signingKeys
}

// signingKeys keeps the signing keys derived for (secret, day, region,
// service): four HMACs a request saves. Bounded: past maxSigningKeys it
// starts again.
type signingKeys struct {
	mu sync.Mutex
	m  map[signingKeyID][]byte
}

type signingKeyID struct{ secret, date, region, service string }

const maxSigningKeys = 1024

func (k *signingKeys) get(secret string, sc sigv4.Scope) []byte {
	id := signingKeyID{secret, sc.Date, sc.Region, sc.Service}
	k.mu.Lock()
	key, ok := k.m[id]
	k.mu.Unlock()
	if ok {
		return key
	}
	key = sigv4.SigningKey(secret, sc.Date, sc.Region, sc.Service)
	k.mu.Lock()
	if k.m == nil || len(k.m) >= maxSigningKeys {
		k.m = map[signingKeyID][]byte{}
	}
	k.m[id] = key
	k.mu.Unlock()
	return key
}

// NewSigV4 verifies requests to services against creds.
func NewSigV4(creds *Credentials, services []*api.Service, opts ...Option) *SigV4 {
	o := newOptions(opts)
	byName := make(map[string]*api.Service, len(services))
	for _, s := range services {
		byName[s.Name] = s
	}
	return &SigV4{creds: creds, byName: byName, now: o.now}
}

// Credentials are the keys a verifies requests against.
func (a *SigV4) Credentials() *Credentials { return a.creds }

// Authenticate verifies r. candidates are the services its target or path
// names (the gateway's detection; none when neither names one): the
// credential scope must name one of them. On success r.Body is readable
// again from the start.
func (a *SigV4) Authenticate(r *http.Request, candidates []*api.Service) (api.Caller, error) {
	proto := api.RESTJSON
	if len(candidates) > 0 {
		proto = candidates[0].Protocol
	}
	cred, sig, err := a.verify(r, proto, func(sig *sigv4.Signature, proto *api.Protocol) error {
		scoped := a.byName[sig.Scope.Service]
		if len(candidates) == 0 && scoped != nil {
			*proto = scoped.Protocol
		}
		if err := sig.CheckScope(); err != nil {
			return err
		}
		return checkService(sig.Scope.Service, scoped, candidates)
	})
	if err != nil {
		return api.Caller{}, err
	}
	return callerOf(cred, sig.Scope.Region), nil
}

// AuthenticateStream verifies a request signed for service without reading
// its body, whose hash the signature covers as the request declares it (S3:
// X-Amz-Content-Sha256, UNSIGNED-PAYLOAD for presigned URLs). It returns
// that declared hash, which the caller must check against the body as it
// streams when it is a hex SHA-256. Refusals are *sigv4.Error, for the
// caller to word in its protocol.
func (a *SigV4) AuthenticateStream(r *http.Request, service string) (api.Caller, string, error) {
	sig, err := sigv4.Parse(r)
	if err != nil {
		return api.Caller{}, "", err
	}
	if err := sig.CheckScope(); err != nil {
		return api.Caller{}, "", err
	}
	if sig.Scope.Service != service {
		return api.Caller{}, "", &sigv4.Error{Kind: sigv4.Invalid, Message: "Credential should be scoped to correct service: '" + service + "'. "}
	}
	cred, ok := a.creds.Lookup(sig.Scope.AccessKeyID)
	if !ok || subtle.ConstantTimeCompare([]byte(cred.SessionToken), []byte(sig.SecurityToken)) != 1 {
		return api.Caller{}, "", &sigv4.Error{Kind: sigv4.UnknownKey, Message: "The AWS Access Key Id you provided does not exist in our records."}
	}
	if err := sig.CheckTime(a.now()); err != nil {
		return api.Caller{}, "", err
	}
	declared := r.Header.Get("X-Amz-Content-Sha256")
	if sig.Presigned && declared == "" {
		declared = sigv4.UnsignedPayload
	}
	if declared == "" {
		return api.Caller{}, "", &sigv4.Error{Kind: sigv4.Incomplete, Message: "Missing required header for this request: x-amz-content-sha256"}
	}
	if err := sig.VerifyS3(r, declared, cred.SecretAccessKey); err != nil {
		return api.Caller{}, "", err
	}
	return callerOf(cred, sig.Scope.Region), declared, nil
}

// callerOf is who a request signed with cred in region is.
func callerOf(cred Credential, region string) api.Caller {
	return api.Caller{AccessKeyID: cred.AccessKeyID, Account: cred.AccountID, Region: region, UserID: cred.UserID, Email: cred.Email}
}

// AdminService is the credential scope's service of requests to Ersatz's own
// endpoints (/_ersatz/...).
const AdminService = "ersatz"

// ProveAdmin checks the SigV4 signature of a request to Ersatz's own
// endpoints: it must be signed for the service AdminService with a key of
// the credentials file marked admin. A request without a signature carries
// no proof (admin.ErrNoProof); every other failure is the 403 the REST
// services answer, and a valid signature of a key that is not an admin is a
// 403 AccessDeniedException.
func (a *SigV4) ProveAdmin(r *http.Request) error {
	if _, err := sigv4.Parse(r); err != nil {
		var se *sigv4.Error
		if errors.As(err, &se) && se.Kind == sigv4.Missing {
			return fmt.Errorf("%w: no signature", admin.ErrNoProof)
		}
	}
	cred, _, err := a.verify(r, api.RESTJSON, func(sig *sigv4.Signature, _ *api.Protocol) error {
		if err := sig.CheckScope(); err != nil {
			return err
		}
		if sig.Scope.Service != AdminService {
			return &sigv4.Error{Kind: sigv4.Invalid, Message: "Credential should be scoped to correct service: '" + AdminService + "'. "}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if !cred.Admin {
		return awserr.New(http.StatusForbidden, "AccessDeniedException",
			"The access key %s is not an admin of Ersatz: its endpoints need a credential marked \"admin\": true in the credentials file", cred.AccessKeyID)
	}
	return nil
}

// verify checks r's signature: parse, then scope (checkScope, which may
// change the protocol of refusals), key, session token, time, signature.
// Refusals are AWS-shaped errors of proto.
func (a *SigV4) verify(r *http.Request, proto api.Protocol, checkScope func(*sigv4.Signature, *api.Protocol) error) (Credential, *sigv4.Signature, error) {
	sig, err := sigv4.Parse(r)
	if err != nil {
		return Credential{}, nil, refusal(proto, err)
	}
	if err := checkScope(sig, &proto); err != nil {
		return Credential{}, nil, refusal(proto, err)
	}
	cred, ok := a.creds.Lookup(sig.Scope.AccessKeyID)
	if !ok {
		return Credential{}, nil, refusal(proto, &sigv4.Error{Kind: sigv4.UnknownKey, Message: sigv4.MsgUnknownKey})
	}
	if subtle.ConstantTimeCompare([]byte(cred.SessionToken), []byte(sig.SecurityToken)) != 1 {
		return Credential{}, nil, refusal(proto, &sigv4.Error{Kind: sigv4.UnknownKey, Message: sigv4.MsgUnknownKey})
	}
	if err := sig.CheckTime(a.now()); err != nil {
		return Credential{}, nil, refusal(proto, err)
	}
	body, err := protocol.KeepBody(r)
	if err != nil {
		return Credential{}, nil, err
	}
	if err := sig.VerifyWithKey(r, body, a.keys.get(cred.SecretAccessKey, sig.Scope)); err != nil {
		return Credential{}, nil, refusal(proto, err)
	}
	return cred, sig, nil
}

// checkService requires the scope's service to be one Ersatz serves and, when
// the request's target or path names a service, that one.
func checkService(name string, scoped *api.Service, candidates []*api.Service) error {
	for _, c := range candidates {
		if c.Name == name {
			return nil
		}
	}
	if len(candidates) > 0 {
		return &sigv4.Error{Kind: sigv4.Invalid, Message: "Credential should be scoped to correct service: '" + candidates[0].Name + "'. "}
	}
	if scoped == nil {
		return &sigv4.Error{Kind: sigv4.Invalid, Message: "Credential should be scoped to correct service: '" + name +
			"' is not a service Ersatz serves. "}
	}
	return nil
}

// refusal turns a verification failure into the error of proto.
func refusal(proto api.Protocol, err error) error {
	var se *sigv4.Error
	if !errors.As(err, &se) {
		return awserr.Internal(err)
	}
	status := http.StatusForbidden
	if proto == api.JSON {
		status = http.StatusBadRequest
	}
	switch se.Kind {
	case sigv4.Missing:
		msg := "Missing Authentication Token"
		if proto == api.JSON {
			msg = "Request is missing Authentication Token"
		}
		return awserr.New(status, "MissingAuthenticationTokenException", "%s", msg)
	case sigv4.Incomplete:
		return awserr.New(status, "IncompleteSignatureException", "%s", se.Message)
	case sigv4.UnknownKey:
		return awserr.New(status, "UnrecognizedClientException", "%s", se.Message)
	}
	return awserr.New(status, "InvalidSignatureException", "%s", se.Message)
}

// Trusting is the authenticator of --auth off with a credentials file: it
// checks no signature and trusts the credential scope, as the gateway does
// without an authenticator, but maps the access keys the file names to their
// account, user id and email. Other keys act in AccountOf(key).
type Trusting struct {
	creds  *Credentials
	region string
}

// NewTrusting maps the keys of creds without verifying signatures.
func NewTrusting(creds *Credentials, opts ...Option) *Trusting {
	o := newOptions(opts)
	return &Trusting{creds: creds, region: o.region}
}

// Credentials are the keys t maps.
func (t *Trusting) Credentials() *Credentials { return t.creds }

// Authenticate never refuses a request; it does not look at the services
// the request names.
func (t *Trusting) Authenticate(r *http.Request, _ []*api.Service) (api.Caller, error) {
	c := api.Caller{Account: DefaultAccount, Region: t.region}
	scope, err := sigv4.RequestScope(r)
	if err != nil {
		return c, nil
	}
	c.AccessKeyID = scope.AccessKeyID
	c.Account = AccountOf(scope.AccessKeyID)
	if scope.Region != "" {
		c.Region = scope.Region
	}
	if cred, ok := t.creds.Lookup(scope.AccessKeyID); ok {
		c.Account, c.UserID, c.Email = cred.AccountID, cred.UserID, cred.Email
	}
	return c, nil
}

// CheckAdminSecret reports whether accessKeyID and secret are those of a
// credential marked admin (the resource browser's login form: a browser
// cannot sign requests). The secret is compared in constant time.
func (a *SigV4) CheckAdminSecret(accessKeyID, secret string) bool {
	cred, ok := a.creds.Lookup(accessKeyID)
	same := subtle.ConstantTimeCompare([]byte(cred.SecretAccessKey), []byte(secret)) == 1
	return ok && same && cred.Admin && secret != ""
}
