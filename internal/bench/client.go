// Package bench drives a running Ersatz (or any AWS-compatible endpoint) with
// signed requests: the load generator of cmd/ersatz-bench and the
// model-driven request fuzzer of e2e/fuzz_test.go and `ersatz-bench -fuzz`.
package bench

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/smithy-go"
)

// Credentials sign the load's requests.
type Credentials struct {
	AccessKeyID, SecretAccessKey, Region string
}

// CheckLoopback refuses an endpoint that is not on this machine: the bench
// and the fuzzer only ever talk to loopback addresses.
func CheckLoopback(endpoint string) error {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("endpoint %q is not an http(s) URL", endpoint)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("endpoint %q is not a loopback address (127.0.0.0/8, ::1 or localhost)", endpoint)
	}
	return nil
}

// Client sends the requests of one target.
type Client struct {
	Endpoint string
	Creds    Credentials
	HTTP     *http.Client
	Transfer *transfer.Client
	signer   *v4.Signer
	rec      *Recorder
}

// NewClient builds the clients of endpoint for up to conns parallel
// connections. rec, when not nil, keeps one response body per operation.
func NewClient(endpoint string, creds Credentials, conns int, rec *Recorder) *Client {
	tr := &http.Transport{
		Proxy:               nil,
		MaxIdleConns:        conns * 2,
		MaxIdleConnsPerHost: conns * 2,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	var rt http.RoundTripper = tr
	if rec != nil {
		rt = rec.wrap(tr)
	}
	hc := &http.Client{Transport: rt, Timeout: 30 * time.Second}
	c := &Client{Endpoint: strings.TrimRight(endpoint, "/"), Creds: creds, HTTP: hc, signer: v4.NewSigner(), rec: rec}
	c.Transfer = transfer.NewFromConfig(aws.Config{
		Region:           creds.Region,
		Credentials:      credentials.NewStaticCredentialsProvider(creds.AccessKeyID, creds.SecretAccessKey, ""),
		BaseEndpoint:     aws.String(c.Endpoint),
		HTTPClient:       hc,
		RetryMaxAttempts: 1,
	})
	return c
}

// Outcome is how one request ended.
type Outcome struct {
	Status int    // HTTP status; 0 for a transport failure
	Code   string // error code of a refused request
	Err    error  // transport or decoding failure
	// Message is the error message of a refused raw request.
	Message string
}

func (o Outcome) String() string {
	if o.Err != nil {
		return fmt.Sprintf("status %d: %v", o.Status, o.Err)
	}
	return fmt.Sprintf("status %d %s: %s", o.Status, o.Code, o.Message)
}

// OK reports a 2xx answer.
func (o Outcome) OK() bool { return o.Status >= 200 && o.Status < 300 }

// SDKOutcome classifies an SDK call's error.
func SDKOutcome(err error) Outcome {
	if err == nil {
		return Outcome{Status: 200}
	}
	var re *awshttp.ResponseError
	var ae smithy.APIError
	switch {
	case errors.As(err, &re):
		o := Outcome{Status: re.HTTPStatusCode()}
		if errors.As(err, &ae) {
			o.Code = ae.ErrorCode()
		}
		return o
	case errors.As(err, &ae):
		return Outcome{Status: 400, Code: ae.ErrorCode()}
	}
	return Outcome{Err: err}
}

// REST sends a signed restJson request and decodes a 2xx body into out (when
// not nil).
func (c *Client) REST(ctx context.Context, service, method, path string, header http.Header, body any, out any) Outcome {
	var raw []byte
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return Outcome{Err: err}
		}
		raw = b
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Endpoint+path, bytes.NewReader(raw))
	if err != nil {
		return Outcome{Err: err}
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	if raw != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	sum := sha256.Sum256(raw)
	creds := aws.Credentials{AccessKeyID: c.Creds.AccessKeyID, SecretAccessKey: c.Creds.SecretAccessKey}
	if err := c.signer.SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), service, c.Creds.Region, time.Now()); err != nil {
		return Outcome{Err: err}
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return Outcome{Err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return Outcome{Err: err}
	}
	o := Outcome{Status: resp.StatusCode}
	if !o.OK() {
		o.Code = resp.Header.Get("X-Amzn-ErrorType")
		if i := strings.IndexByte(o.Code, ':'); i >= 0 {
			o.Code = o.Code[:i]
		}
		var m struct {
			Lower string `json:"message"`
			Upper string `json:"Message"`
		}
		_ = json.Unmarshal(b, &m)
		o.Message = m.Lower + m.Upper
		return o
	}
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			return Outcome{Status: resp.StatusCode, Err: fmt.Errorf("decode %s %s: %w", method, path, err)}
		}
	}
	return o
}

// Recorder keeps the first successful response of every operation, so a bare
// handler can answer the same bytes (the baseline).
type Recorder struct {
	mu     sync.Mutex
	bodies map[string]recorded
	key    func(*http.Request) string
}

type recorded struct {
	status      int
	contentType string
	body        []byte
}

// NewRecorder records by key(request); requests with key "" are not recorded.
func NewRecorder(key func(*http.Request) string) *Recorder {
	return &Recorder{bodies: map[string]recorded{}, key: key}
}

func (r *Recorder) wrap(next http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(req *http.Request) (*http.Response, error) {
		resp, err := next.RoundTrip(req)
		if err != nil || resp.StatusCode >= 300 {
			return resp, err
		}
		k := r.key(req)
		if k == "" {
			return resp, nil
		}
		r.mu.Lock()
		_, have := r.bodies[k]
		r.mu.Unlock()
		if have {
			return resp, nil
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		resp.Body = io.NopCloser(bytes.NewReader(b))
		r.mu.Lock()
		r.bodies[k] = recorded{status: resp.StatusCode, contentType: resp.Header.Get("Content-Type"), body: b}
		r.mu.Unlock()
		return resp, nil
	})
}

// Handler answers every request with the recorded response of its operation
// (404 for an operation never recorded): the ceiling a bare net/http handler
// sets on the same machine.
func (r *Recorder) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		_, _ = io.Copy(io.Discard, req.Body)
		r.mu.Lock()
		rec, ok := r.bodies[r.key(req)]
		r.mu.Unlock()
		if !ok {
			http.Error(w, `{"message":"not recorded"}`, http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", rec.contentType)
		w.Header().Set("X-Amzn-RequestId", "00000000-0000-0000-0000-000000000000")
		w.WriteHeader(rec.status)
		_, _ = w.Write(rec.body)
	})
}

// Recorded lists the recorded operation keys.
func (r *Recorder) Recorded() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.bodies))
	for k := range r.bodies {
		out = append(out, k)
	}
	return out
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
