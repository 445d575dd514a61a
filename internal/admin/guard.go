package admin

import (
	"errors"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/ersatz-dev/ersatz/internal/awserr"
)

// A Prover checks one way a request can prove it comes from an admin: today
// a SigV4 signature made with a credential the credentials file marks
// "admin" (auth.SigV4), later others (a session of a browser UI). The
// admin endpoints accept a request that any prover accepts.
type Prover interface {
	// ProveAdmin returns nil when r proves an admin, an error wrapping
	// ErrNoProof when r carries no proof of this prover's kind, or the
	// refusal (an AWS-shaped api.ServiceError) when it carries one that fails.
	ProveAdmin(r *http.Request) error
}

// ProverFunc is a function that is a Prover.
type ProverFunc func(r *http.Request) error

// ProveAdmin calls f.
func (f ProverFunc) ProveAdmin(r *http.Request) error { return f(r) }

// ErrNoProof is a request without the proof a Prover looks for.
var ErrNoProof = errors.New("admin: the request carries no proof of this kind")

// errMissingProof answers a request that no prover could check: the 403 of
// an unsigned request to a REST service of AWS.
func errMissingProof() error {
	return awserr.New(http.StatusForbidden, "MissingAuthenticationTokenException", "Missing Authentication Token")
}

// authorize decides whether r may use a guarded endpoint: it must not be a
// cross-site browser request when it changes state, and, when provers are
// set (--auth sigv4), one of them must accept it.
func (h *Handler) authorize(r *http.Request) error {
	if err := checkBrowserHost(r); err != nil {
		return err
	}
	if err := checkSameSite(r); err != nil {
		return err
	}
	if len(h.provers) == 0 {
		return nil
	}
	var refusal error
	for _, p := range h.provers {
		err := p.ProveAdmin(r)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, ErrNoProof):
		case refusal == nil:
			refusal = err
		}
	}
	if refusal != nil {
		return refusal
	}
	return errMissingProof()
}

// changesState reports whether the method may change state (all but the
// safe methods).
func changesState(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return true
}

// checkSameSite refuses a state-changing request that a web page of another
// site could have made: one whose Origin is not this server, whose
// Sec-Fetch-Site says it came from another origin, or whose body type is not
// application/json (a page can send text/plain, a form or multipart bodies
// to any site without a CORS preflight, never application/json). The rule
// holds whether or not authentication is on.
func checkSameSite(r *http.Request) error {
	if !changesState(r.Method) {
		return nil
	}
	if origin := r.Header.Get("Origin"); origin != "" && !sameOrigin(origin, r) {
		return awserr.New(http.StatusForbidden, "AccessDeniedException",
			"Cross-site request refused: Origin %q is not this server (%s)", origin, r.Host)
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return awserr.New(http.StatusForbidden, "AccessDeniedException",
			"Cross-site request refused: Sec-Fetch-Site is %q", site)
	}
	ct := r.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
		return awserr.New(http.StatusUnsupportedMediaType, "UnsupportedMediaTypeException",
			"Content-Type %q is refused: requests that change state must send Content-Type: application/json", ct)
	}
	return nil
}

// checkBrowserHost refuses a request a browser sent (it carries Origin or a
// Sec-Fetch-* header) to a Host that is neither an IP address nor localhost:
// a page of a DNS name made to resolve to Ersatz (DNS rebinding) would
// otherwise be same-origin with it and pass checkSameSite. Clients other
// than browsers (the CLI, SDKs, curl) send none of these headers and may
// use any host name.
func checkBrowserHost(r *http.Request) error {
	if r.Header.Get("Origin") == "" && r.Header.Get("Sec-Fetch-Site") == "" && r.Header.Get("Sec-Fetch-Mode") == "" {
		return nil
	}
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(strings.Trim(host, "[]"), "."))
	if net.ParseIP(host) != nil || host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return nil
	}
	return awserr.New(http.StatusForbidden, "AccessDeniedException",
		"A browser request to Host %q is refused: open Ersatz's endpoints at an IP address or localhost", r.Host)
}

// sameOrigin reports whether origin (scheme://host[:port]) names the host the
// request was sent to.
func sameOrigin(origin string, r *http.Request) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	if (u.Scheme == "https") != (r.TLS != nil) {
		return false
	}
	return strings.EqualFold(u.Host, r.Host)
}

// Authorize decides whether r may read a guarded endpoint, as the admin
// endpoints do: for pages that answer a refusal their own way (the
// resource browser sends a browser to its login form).
func (h *Handler) Authorize(r *http.Request) error { return h.authorize(r) }

// CheckFormPost refuses a form post (the resource browser's login and
// logout) that a page of another site could have made: one to a Host that
// is not an IP address or localhost, one whose Origin is not this server,
// or one whose Sec-Fetch-Site names another site.
func CheckFormPost(r *http.Request) error {
	if err := checkBrowserHost(r); err != nil {
		return err
	}
	if origin := r.Header.Get("Origin"); origin != "" && !sameOrigin(origin, r) {
		return awserr.New(http.StatusForbidden, "AccessDeniedException",
			"Cross-site request refused: Origin %q is not this server (%s)", origin, r.Host)
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return awserr.New(http.StatusForbidden, "AccessDeniedException",
			"Cross-site request refused: Sec-Fetch-Site is %q", site)
	}
	return nil
}
