// Package idp calls the custom identity providers of Transfer servers, as
// AWS Transfer Family does: an API_GATEWAY server's Url with
// GET {Url}/servers/{serverId}/users/{username}/config, and an AWS_LAMBDA
// server's Function through any endpoint that speaks the Lambda Invoke API.
// The data plane calls it at each login, TestIdentityProvider on request.
// It depends on no other Ersatz package.
package idp

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Provider types.
const (
	TypeAPIGateway = "API_GATEWAY"
	TypeLambda     = "AWS_LAMBDA"
)

// DefaultTimeout bounds one call. AWS documents no limit of its own for
// the call; it recommends at most 15 seconds for an authentication
// function (and API Gateway ends an integration at 29 seconds), so a
// provider that has not answered in 15 seconds has failed.
const DefaultTimeout = 15 * time.Second

// MaxAnswer is the largest answer read (1 MiB); a longer one is refused.
const MaxAnswer = 1 << 20

// Provider names a server's identity provider.
type Provider struct {
	Type string
	// URL is an API_GATEWAY server's Url.
	URL string
	// Function is an AWS_LAMBDA server's function ARN.
	Function string
}

// Request is one authentication request.
type Request struct {
	ServerID string
	UserName string
	// Password is nil for a public key authentication (no Password
	// header, no password in the Lambda event).
	Password *string
	// Protocol is SFTP, FTPS or FTP.
	Protocol string
	SourceIP string
}

// Result is a provider's raw answer.
type Result struct {
	// URL is the URL called (API_GATEWAY only).
	URL string
	// StatusCode is the HTTP status of the answer (a Lambda function that
	// failed is reported as 500).
	StatusCode int
	// Body is the answer, at most MaxAnswer bytes.
	Body []byte
	// FunctionError is the Lambda function's error kind ("Unhandled", ...).
	FunctionError string
}

// ErrNoLambdaEndpoint is an AWS_LAMBDA call without --lambda-endpoint.
var ErrNoLambdaEndpoint = errors.New("no Lambda endpoint: start Ersatz with --lambda-endpoint URL (ERSATZ_LAMBDA_ENDPOINT) to call AWS_LAMBDA identity providers")

// ErrUserName is a user name AWS never sends to a provider: 3 to 100 of
// a-z, A-Z, 0-9, _, -, . and @, not starting with -, . or @.
var ErrUserName = errors.New("the user name is not one Transfer Family passes to identity providers (3 to 100 of a-z A-Z 0-9 _ - . @, not starting with - . @)")

// ErrPassword is a password longer than MaxPassword.
var ErrPassword = fmt.Errorf("the password is longer than %d bytes", MaxPassword)

// MaxPassword is the longest password passed on (TestIdentityProvider's
// UserPassword limit).
const MaxPassword = 1024

var userName = regexp.MustCompile(`^[\w][\w@.-]{2,99}$`)

// CallError is a provider that could not be called or did not answer in
// time.
type CallError struct {
	Provider string
	Err      error
}

func (e *CallError) Error() string {
	return fmt.Sprintf("unable to call identity provider %s: %v", e.Provider, e.Err)
}
func (e *CallError) Unwrap() error { return e.Err }

// Options configures a Client.
type Options struct {
	// LambdaEndpoint is the base URL of a Lambda Invoke API ("" refuses
	// AWS_LAMBDA providers with ErrNoLambdaEndpoint).
	LambdaEndpoint string
	// Timeout bounds one call (DefaultTimeout when 0).
	Timeout time.Duration
}

// Client calls identity providers. It is safe for concurrent use.
type Client struct {
	lambdaEndpoint string
	timeout        time.Duration
	http           *http.Client
}

// New returns a client. The endpoint, when set, must be an http or https
// URL.
func New(o Options) (*Client, error) {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.LambdaEndpoint != "" {
		if _, err := httpURL(o.LambdaEndpoint); err != nil {
			return nil, fmt.Errorf("--lambda-endpoint: %w", err)
		}
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.ResponseHeaderTimeout = o.Timeout
	return &Client{
		lambdaEndpoint: strings.TrimRight(o.LambdaEndpoint, "/"),
		timeout:        o.Timeout,
		http: &http.Client{
			Transport: tr,
			Timeout:   o.Timeout,
			// API Gateway answers; it does not redirect. A redirect is an
			// answer other than 200, as Transfer Family sees it.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}, nil
}

// Timeout is how long one call may take.
func (c *Client) Timeout() time.Duration { return c.timeout }

// LambdaEndpoint is the configured Lambda endpoint ("" for none).
func (c *Client) LambdaEndpoint() string { return c.lambdaEndpoint }

// Call sends r to p and returns its raw answer. Errors are ErrNoLambdaEndpoint
// and *CallError (unreachable, timed out, refused URL).
func (c *Client) Call(ctx context.Context, p Provider, r Request) (Result, error) {
	if !userName.MatchString(r.UserName) {
		return Result{}, ErrUserName
	}
	if r.Password != nil && len(*r.Password) > MaxPassword {
		return Result{}, ErrPassword
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	switch p.Type {
	case TypeAPIGateway:
		return c.callGateway(ctx, p.URL, r)
	case TypeLambda:
		return c.callLambda(ctx, p.Function, r)
	}
	return Result{}, &CallError{Provider: p.Type, Err: errors.New("not a custom identity provider")}
}

// GatewayURL is the URL an API_GATEWAY login calls: the server's Url, then
// /servers/{serverId}/users/{username}/config?protocol=..&sourceIp=..
func GatewayURL(base string, r Request) (string, error) {
	u, err := httpURL(base)
	if err != nil {
		return "", fmt.Errorf("the Url %q: %w", base, err)
	}
	raw := strings.TrimRight(u.EscapedPath(), "/") + "/servers/" + url.PathEscape(r.ServerID) +
		"/users/" + url.PathEscape(r.UserName) + "/config"
	if u.Path, err = url.PathUnescape(raw); err != nil {
		return "", fmt.Errorf("the Url %q: %w", base, err)
	}
	u.RawPath = raw
	q := u.Query()
	q.Set("protocol", r.Protocol)
	q.Set("sourceIp", r.SourceIP)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

func httpURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("not a URL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("must be an absolute http:// or https:// URL")
	}
	return u, nil
}

// callGateway sends the request AWS documents for API Gateway providers:
// GET with the password in the Password header (and base64-encoded in
// PasswordBase64, which AWS's current templates read), none for a public
// key authentication.
func (c *Client) callGateway(ctx context.Context, base string, r Request) (Result, error) {
	target, err := GatewayURL(base, r)
	if err != nil {
		return Result{}, &CallError{Provider: base, Err: err}
	}
	res := Result{URL: target}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return res, &CallError{Provider: target, Err: err}
	}
	if r.Password != nil {
		// A password that cannot travel in a header (control characters)
		// is sent base64-encoded only.
		if validHeaderValue(*r.Password) {
			req.Header.Set("Password", *r.Password)
		}
		req.Header.Set("PasswordBase64", base64.StdEncoding.EncodeToString([]byte(*r.Password)))
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return res, &CallError{Provider: target, Err: c.reason(ctx, err)}
	}
	defer resp.Body.Close()
	res.StatusCode = resp.StatusCode
	res.Body, err = readAnswer(resp.Body)
	if err != nil {
		return res, &CallError{Provider: target, Err: c.reason(ctx, err)}
	}
	return res, nil
}

// reason names a timeout as one.
func (c *Client) reason(ctx context.Context, err error) error {
	var ne net.Error
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return fmt.Errorf("no answer within %s", c.timeout)
	}
	return err
}

func readAnswer(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxAnswer+1))
	if err != nil {
		return nil, fmt.Errorf("read answer: %w", err)
	}
	if len(b) > MaxAnswer {
		return nil, fmt.Errorf("answer larger than %d bytes", MaxAnswer)
	}
	return b, nil
}

// validHeaderValue: no control characters but tab.
func validHeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if b := s[i]; (b < 0x20 && b != '\t') || b == 0x7f {
			return false
		}
	}
	return true
}

// StatusError is an answer other than HTTP 200 (AWS: "Any other HTTP
// status code means that there was an error accessing the API"), or a
// Lambda function that failed.
type StatusError struct {
	StatusCode    int
	FunctionError string
}

func (e *StatusError) Error() string {
	if e.FunctionError != "" {
		return fmt.Sprintf("the Lambda function failed (%s)", e.FunctionError)
	}
	return fmt.Sprintf("the identity provider answered HTTP %d, not 200", e.StatusCode)
}

// Authenticate calls p and reads its answer. The error says why the user
// is not let in: ErrUserName, ErrPassword, ErrNoLambdaEndpoint, a
// *CallError, a *StatusError, ErrNoRole or a *MalformedError. The Result
// is the raw answer, when there was one.
func (c *Client) Authenticate(ctx context.Context, p Provider, r Request) (User, Result, error) {
	res, err := c.Call(ctx, p, r)
	if err != nil {
		return User{}, res, err
	}
	if res.StatusCode != http.StatusOK || res.FunctionError != "" {
		return User{}, res, &StatusError{StatusCode: res.StatusCode, FunctionError: res.FunctionError}
	}
	u, err := Parse(res.Body)
	return u, res, err
}
