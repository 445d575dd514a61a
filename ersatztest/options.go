package ersatztest

import (
	"log/slog"
	"time"

	"github.com/ersatz-dev/ersatz/internal/auth"
	"github.com/ersatz-dev/ersatz/internal/inprocess"
)

// Option changes how Start runs Ersatz. The With... functions of this
// package make them.
type Option = inprocess.Option

// Credential is an access key Ersatz knows (one entry of the credentials
// file of --credentials, see docs/auth.md).
type Credential struct {
	AccessKeyID     string
	SecretAccessKey string
	// AccountID is the account the key acts in; "" is the key itself when
	// it is 12 digits, else 000000000000.
	AccountID string
	// SessionToken, when set, must be sent with the key.
	SessionToken string
	// UserID and Email name the Amazon Q Apps user of the key.
	UserID string
	Email  string
	// Admin lets the key call Ersatz's own endpoints (/_ersatz/...) when
	// signatures are verified.
	Admin bool
}

func (c Credential) internal() auth.Credential {
	return auth.Credential{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, AccountID: c.AccountID,
		SessionToken: c.SessionToken, UserID: c.UserID, Email: c.Email, Admin: c.Admin}
}

// WithStore chooses the state backend, as the --store flag does: "memory"
// (the default), "sqlite" (a file in a temporary folder of the test) or a
// postgres://user:pass@host/db DSN. Two servers started with one DSN share
// their state.
func WithStore(kind string) Option {
	return func(s *inprocess.Settings) { s.StoreKind = kind }
}

// WithDataPlane turns the Transfer data plane on (the default) or off. When
// on, every ONLINE Transfer server serves SFTP, FTPS and FTP on a loopback
// port of a free block Start picks; Server.TransferEndpoint names it.
func WithDataPlane(on bool) Option {
	return func(s *inprocess.Settings) { s.DataPlane = on }
}

// WithAuth turns signature verification on (--auth sigv4): every request
// must be signed by one of creds, with its secret. Server.AWSConfig signs
// with the first of them.
func WithAuth(creds ...Credential) Option {
	return func(s *inprocess.Settings) {
		s.SigV4 = true
		s.Credentials = appendCredentials(s.Credentials, creds)
	}
}

// WithCredentials makes keys known without verifying signatures (--auth off
// with --credentials): each key acts in its account, as its Q Apps user.
// Server.AWSConfig signs with the first of them.
func WithCredentials(creds ...Credential) Option {
	return func(s *inprocess.Settings) { s.Credentials = appendCredentials(s.Credentials, creds) }
}

func appendCredentials(to []auth.Credential, creds []Credential) []auth.Credential {
	for _, c := range creds {
		to = append(to, c.internal())
	}
	return to
}

// WithRegion sets the region of Server.AWSConfig and of requests whose
// signature names none (default us-east-1).
func WithRegion(region string) Option {
	return func(s *inprocess.Settings) { s.Region = region }
}

// WithAmplifyJobDelay sets how long an Amplify Backend job stays
// IN_PROGRESS before it completes (default 100ms; 0 completes it at once).
func WithAmplifyJobDelay(d time.Duration) Option {
	return func(s *inprocess.Settings) { s.AmplifyJobDelay, s.JobDelaySet = d, true }
}

// WithSeed loads a state snapshot before the first request: the JSON
// document GET /_ersatz/state and `ersatz state export` write (format
// "ersatz-state"). A snapshot that does not load fails the test (Start) or
// is New's error, and nothing keeps running.
func WithSeed(snapshot []byte) Option {
	return func(s *inprocess.Settings) { s.Seed = snapshot }
}

// WithLogger sends the server's log to log (by default Start writes its
// warnings and errors to the test's log, New to standard error).
func WithLogger(log *slog.Logger) Option {
	return func(s *inprocess.Settings) { s.Logger = log }
}

// WithS3Endpoint keeps the buckets and objects the S3 API serves (and the
// Transfer data plane's files) in an S3-compatible endpoint, as the
// --s3-endpoint flag does: path-style requests signed with the key given
// for us-east-1. Start fails when the endpoint does not list its buckets.
// Two servers given one endpoint (and one PostgreSQL store) share their
// files.
func WithS3Endpoint(endpoint, accessKeyID, secretAccessKey string) Option {
	return func(s *inprocess.Settings) {
		s.S3Endpoint, s.S3AccessKeyID, s.S3SecretAccessKey = endpoint, accessKeyID, secretAccessKey
	}
}
