package browser

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/ersatz-dev/ersatz/internal/admin"
	"github.com/ersatz-dev/ersatz/internal/awserr"
)

// CookieName is the cookie of a browser session.
const CookieName = "ersatz_session"

// Limits of browser sessions.
const (
	// SessionTTL is how long a session lasts after its login.
	SessionTTL = 12 * time.Hour
	// MaxSessions is how many sessions are kept; a login beyond it ends
	// the oldest.
	MaxSessions = 64
	// failedLoginDelay is the wait after a refused login; logins are
	// checked one at a time, so guessing a secret is slow.
	failedLoginDelay = 250 * time.Millisecond
)

// Sessions are the browser sessions of admins who logged in with an admin
// credential's access key and secret (a browser cannot sign SigV4). A
// session is a random token in an HttpOnly, SameSite=Strict cookie; only
// its SHA-256 is kept. Sessions is an admin.Prover: the admin endpoints
// accept a session as they accept a signed admin request.
type Sessions struct {
	check func(accessKeyID, secret string) bool
	now   func() time.Time
	sleep func(time.Duration)

	login sync.Mutex // one login check at a time
	mu    sync.Mutex
	open  map[[32]byte]session
}

type session struct {
	accessKeyID string
	created     time.Time
}

// NewSessions checks logins with check (auth.SigV4's CheckAdminSecret).
func NewSessions(check func(accessKeyID, secret string) bool) *Sessions {
	return &Sessions{check: check, now: time.Now, sleep: time.Sleep, open: map[[32]byte]session{}}
}

// ProveAdmin accepts a request carrying the cookie of an open session.
func (s *Sessions) ProveAdmin(r *http.Request) error {
	c, err := r.Cookie(CookieName)
	if err != nil || c.Value == "" {
		return fmt.Errorf("%w: no session cookie", admin.ErrNoProof)
	}
	if _, ok := s.lookup(c.Value); !ok {
		return awserr.New(http.StatusForbidden, "AccessDeniedException",
			"The browser session has ended or expired: log in again at /_ersatz/login")
	}
	return nil
}

func (s *Sessions) lookup(token string) (session, bool) {
	h := sha256.Sum256([]byte(token))
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.open[h]
	if ok && s.now().Sub(o.created) >= SessionTTL {
		delete(s.open, h)
		return session{}, false
	}
	return o, ok
}

// Login opens a session for an admin credential and returns its token;
// ok is false (after a delay) for any other key or secret.
func (s *Sessions) Login(accessKeyID, secret string) (token string, ok bool) {
	s.login.Lock()
	defer s.login.Unlock()
	if len(accessKeyID) > 128 || len(secret) > 256 || !s.check(accessKeyID, secret) {
		s.sleep(failedLoginDelay)
		return "", false
	}
	var b [32]byte
	_, _ = rand.Read(b[:])
	token = hex.EncodeToString(b[:])
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for h, o := range s.open {
		if now.Sub(o.created) >= SessionTTL {
			delete(s.open, h)
		}
	}
	for len(s.open) >= MaxSessions {
		var oldest [32]byte
		first := true
		for h, o := range s.open {
			if first || o.created.Before(s.open[oldest].created) {
				oldest, first = h, false
			}
		}
		delete(s.open, oldest)
	}
	s.open[sha256.Sum256([]byte(token))] = session{accessKeyID: accessKeyID, created: now}
	return token, true
}

// Logout ends the session of token.
func (s *Sessions) Logout(token string) {
	h := sha256.Sum256([]byte(token))
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.open, h)
}

// cookie is the session cookie holding token (maxAge < 0 deletes it).
func cookie(r *http.Request, token string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: CookieName, Value: token, Path: "/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil}
}
