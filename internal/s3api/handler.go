// Package s3api answers the S3 API for the buckets of the object store, on
// Ersatz's endpoint: requests signed for the service s3 (path-style or
// virtual-host style) are served here. The protocol (routing, XML, ranges,
// Content-MD5, multipart messages) is github.com/johannesboyne/gofakes3's,
// over a backend that is the object store; this package adds what that
// library leaves out or that Ersatz decides: who the caller is (SigV4),
// bucket ownership, S3's limits, object tags, the SDKs' checksums, and
// refusing the subresources Ersatz does not serve.
package s3api

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/johannesboyne/gofakes3"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/objectstore"
	"github.com/ersatz-dev/ersatz/internal/sigv4"
)

// DefaultAccount is the account of requests whose access key is not an
// account id (as for every service of Ersatz).
const DefaultAccount = "000000000000"

// Authenticator tells who sent a request (--auth off with a credentials
// file: no signature checked).
type Authenticator interface {
	Authenticate(r *http.Request, claimed []*api.Service) (api.Caller, error)
}

// StreamAuthenticator verifies a request's signature without reading its
// body, returning the payload hash the request declares (auth.SigV4).
type StreamAuthenticator interface {
	AuthenticateStream(r *http.Request, service string) (api.Caller, string, error)
}

// Options configure a Handler.
type Options struct {
	Store objectstore.Store
	// Auth is the gateway's authenticator: nil trusts the credential scope
	// (--auth off); a StreamAuthenticator verifies signatures.
	Auth          Authenticator
	DefaultRegion string
	Logger        *slog.Logger
	// AccountOf is the account of an access key when Auth is nil.
	AccountOf func(accessKeyID string) string
}

// Handler serves the S3 API.
type Handler struct {
	opts Options
	log  *slog.Logger
}

// New builds a Handler.
func New(opts Options) *Handler {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.DefaultRegion == "" {
		opts.DefaultRegion = "us-east-1"
	}
	if opts.AccountOf == nil {
		opts.AccountOf = func(string) string { return DefaultAccount }
	}
	return &Handler{opts: opts, log: opts.Logger}
}

func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return strings.ToUpper(hex.EncodeToString(b[:]))
}

// ServeHTTP serves one S3 request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := newRequestID()
	w.Header().Set("x-amz-request-id", reqID)
	if r.Header.Get("Origin") != "" || r.Method == http.MethodOptions {
		// S3 answers a cross-origin request per the bucket's CORS
		// configuration; Ersatz keeps none, so a web page can never
		// reach the buckets.
		writeError(w, r, newError(http.StatusForbidden, "AccessForbidden", "CORSResponse: CORS is not enabled for this bucket."), reqID)
		return
	}
	caller, declared, err := h.authenticate(r)
	if err != nil {
		writeError(w, r, toS3(h.log, err), reqID)
		return
	}
	if b, ok := HostBucket(r.Host); ok {
		r.URL.Path = "/" + b + r.URL.Path
		r.URL.RawPath = ""
	}
	t := ParseTarget("", r.URL.Path)
	if err := h.check(r, caller.Account, t); err != nil {
		writeError(w, r, toS3(h.log, err), reqID)
		return
	}
	if err := wrapBody(r, declared); err != nil {
		writeError(w, r, toS3(h.log, err), reqID)
		return
	}
	ctx := api.WithCaller(r.Context(), caller)
	q := r.URL.Query()
	switch {
	case t.Bucket != "" && t.Key == "" && r.Method == http.MethodPut && onlyPresign(q):
		h.createBucket(ctx, w, r, caller.Account, t.Bucket, reqID)
		return
	case q.Has("tagging") && t.Key != "":
		h.tagging(ctx, w, r, t, reqID)
		return
	}
	if r.Method == http.MethodPost {
		// POST bodies are XML documents (CompleteMultipartUpload,
		// DeleteObjects) that gofakes3 reads whole: bounded here.
		body, err := io.ReadAll(io.LimitReader(r.Body, maxXMLBody+1))
		if err != nil {
			writeError(w, r, toS3(h.log, err), reqID)
			return
		}
		if len(body) > maxXMLBody {
			writeError(w, r, newError(http.StatusBadRequest, "MaxMessageLengthExceeded", "Your request was too big."), reqID)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	b := &backend{ctx: ctx, store: h.opts.Store, account: caller.Account, log: h.log}
	g := gofakes3.New(b, gofakes3.WithTimeSkewLimit(0), gofakes3.WithoutVersioning())
	sw := &statusWriter{ResponseWriter: w, b: b, reqID: reqID}
	g.Server().ServeHTTP(sw, r)
	if !sw.wrote {
		sw.WriteHeader(http.StatusOK)
	}
}

// maxXMLBody bounds the XML body of a POST: 10,000 parts of a
// CompleteMultipartUpload, or 1,000 keys of 1,024 bytes of a DeleteObjects,
// fit in it.
const maxXMLBody = 4 << 20

// onlyPresign tells whether every query parameter is a presigned URL's or
// the SDKs' x-id.
func onlyPresign(q map[string][]string) bool {
	for k := range q {
		if !strings.HasPrefix(k, "X-Amz-") && k != "x-id" {
			return false
		}
	}
	return true
}

// authenticate finds the caller and the payload hash its signature covers
// ("" when none is checked).
func (h *Handler) authenticate(r *http.Request) (api.Caller, string, error) {
	if sa, ok := h.opts.Auth.(StreamAuthenticator); ok {
		c, declared, err := sa.AuthenticateStream(r, Service)
		if err != nil {
			return c, "", authError(err)
		}
		return c, declared, nil
	}
	if h.opts.Auth != nil {
		c, err := h.opts.Auth.Authenticate(r, nil)
		return c, "", err
	}
	c := api.Caller{Account: DefaultAccount, Region: h.opts.DefaultRegion}
	if scope, err := sigv4.RequestScope(r); err == nil {
		c.AccessKeyID = scope.AccessKeyID
		c.Account = h.opts.AccountOf(scope.AccessKeyID)
		if scope.Region != "" {
			c.Region = scope.Region
		}
	}
	return c, "", nil
}

// authError words a signature failure as S3 does.
func authError(err error) error {
	var se *sigv4.Error
	if !errors.As(err, &se) {
		return err
	}
	switch se.Kind {
	case sigv4.Missing:
		return newError(http.StatusForbidden, "AccessDenied", "Anonymous access is forbidden for this operation")
	case sigv4.Incomplete:
		return newError(http.StatusBadRequest, "AuthorizationHeaderMalformed", se.Message)
	case sigv4.UnknownKey:
		return newError(http.StatusForbidden, "InvalidAccessKeyId", se.Message)
	}
	if strings.HasPrefix(se.Message, "Signature expired") || strings.HasPrefix(se.Message, "Signature not yet current") {
		return newError(http.StatusForbidden, "RequestTimeTooSkewed", se.Message)
	}
	return newError(http.StatusForbidden, "SignatureDoesNotMatch", se.Message)
}

// check applies what Ersatz decides before the protocol runs: served
// subresources, bucket ownership, key length and the single PUT limit.
func (h *Handler) check(r *http.Request, account string, t Target) error {
	q := r.URL.Query()
	for _, s := range unserved {
		if q.Has(s) {
			return newError(http.StatusNotImplemented, "NotImplemented", "The S3 subresource '"+s+"' is not implemented by Ersatz")
		}
	}
	if q.Has("tagging") && t.Key == "" {
		return newError(http.StatusNotImplemented, "NotImplemented", "Bucket tagging is not implemented by Ersatz")
	}
	if r.Method == http.MethodPost && t.Key == "" && !q.Has("delete") {
		return newError(http.StatusNotImplemented, "NotImplemented", "POST uploads from HTML forms are not implemented by Ersatz")
	}
	if q.Has("uploadId") && r.Header.Get("X-Amz-Copy-Source") != "" {
		return newError(http.StatusNotImplemented, "NotImplemented", "UploadPartCopy is not implemented by Ersatz")
	}
	if q.Has("uploads") && t.Key == "" && r.Method == http.MethodGet {
		return newError(http.StatusNotImplemented, "NotImplemented", "ListMultipartUploads is not implemented by Ersatz")
	}
	creating := t.Bucket != "" && t.Key == "" && r.Method == http.MethodPut && onlyPresign(q)
	if t.Bucket != "" && !creating {
		if err := h.owned(r.Context(), account, t.Bucket); err != nil {
			return err
		}
	}
	if src := r.Header.Get("X-Amz-Copy-Source"); src != "" {
		st := ParseTarget("", "/"+strings.TrimPrefix(src, "/"))
		if err := h.owned(r.Context(), account, st.Bucket); err != nil {
			return err
		}
	}
	write := r.Method == http.MethodPut || r.Method == http.MethodPost
	if write && t.Key != "" {
		if err := objectstore.ValidKey(t.Key); err != nil {
			return err
		}
	}
	if r.Method == http.MethodPut && t.Key != "" && !q.Has("uploadId") && !q.Has("tagging") {
		n, _ := strconv.ParseInt(r.Header.Get("X-Amz-Decoded-Content-Length"), 10, 64)
		if n == 0 {
			n = r.ContentLength
		}
		if n > objectstore.MaxPutSize {
			return newError(http.StatusBadRequest, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
		}
	}
	return nil
}

// owned refuses a bucket another account owns (AccessDenied, as S3
// answers for a bucket of another account without a policy granting it).
func (h *Handler) owned(ctx context.Context, account, bucket string) error {
	b, err := h.opts.Store.HeadBucket(ctx, bucket)
	if err != nil {
		return nil // the operation answers NoSuchBucket, or creates it
	}
	if b.Owner != "" && b.Owner != account {
		return newError(http.StatusForbidden, "AccessDenied", "Access Denied")
	}
	return nil
}

func (h *Handler) createBucket(ctx context.Context, w http.ResponseWriter, r *http.Request, account, bucket, reqID string) {
	if err := h.opts.Store.CreateBucket(ctx, bucket, account); err != nil {
		e := toS3(h.log, err)
		e.Resource = bucket
		writeError(w, r, e, reqID)
		return
	}
	w.Header().Set("Location", "/"+bucket)
	w.WriteHeader(http.StatusOK)
}
