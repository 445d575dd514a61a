package s3api

import (
	"encoding/xml"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/johannesboyne/gofakes3"

	"github.com/ersatz-dev/ersatz/internal/objectstore"
)

// s3Error is an S3 error answer: its code, HTTP status and message.
type s3Error struct {
	Code    string
	Status  int
	Message string
	// Resource names the bucket or key, when the code is about one.
	Resource string
}

func (e *s3Error) Error() string { return e.Code + ": " + e.Message }

// ErrorCode makes an s3Error one of gofakes3's errors, so the library
// writes it (with its status fixed by statusWriter).
func (e *s3Error) ErrorCode() gofakes3.ErrorCode { return gofakes3.ErrorCode(e.Code) }

func newError(status int, code, msg string) *s3Error {
	return &s3Error{Code: code, Status: status, Message: msg}
}

// storeErrors maps the object store's errors to S3's.
var storeErrors = []struct {
	err    error
	status int
	code   string
}{
	{objectstore.ErrNoSuchBucket, 404, "NoSuchBucket"},
	{objectstore.ErrNoSuchKey, 404, "NoSuchKey"},
	{objectstore.ErrNoSuchUpload, 404, "NoSuchUpload"},
	{objectstore.ErrBucketExists, 409, "BucketAlreadyExists"},
	{objectstore.ErrBucketOwnedByYou, 409, "BucketAlreadyOwnedByYou"},
	{objectstore.ErrBucketNotEmpty, 409, "BucketNotEmpty"},
	{objectstore.ErrInvalidBucketName, 400, "InvalidBucketName"},
	{objectstore.ErrKeyTooLong, 400, "KeyTooLongError"},
	{objectstore.ErrInvalidKey, 400, "InvalidArgument"},
	{objectstore.ErrInvalidRange, 416, "InvalidRange"},
	{objectstore.ErrBadDigest, 400, "BadDigest"},
	{objectstore.ErrTooLarge, 400, "EntityTooLarge"},
	{objectstore.ErrTooSmall, 400, "EntityTooSmall"},
	{objectstore.ErrInvalidPart, 400, "InvalidPart"},
	{objectstore.ErrInvalidPartOrder, 400, "InvalidPartOrder"},
	{objectstore.ErrInvalidTag, 400, "InvalidTag"},
	{objectstore.ErrIncompleteBody, 400, "IncompleteBody"},
}

// toS3 turns an error of the object store (or of a body reader: a checksum
// that does not match) into the S3 error to answer; an unknown one is an
// InternalError, logged.
func toS3(log *slog.Logger, err error) *s3Error {
	var se *s3Error
	if errors.As(err, &se) {
		return se
	}
	for _, m := range storeErrors {
		if errors.Is(err, m.err) {
			return newError(m.status, m.code, err.Error())
		}
	}
	var ge interface{ ErrorCode() gofakes3.ErrorCode }
	if errors.As(err, &ge) {
		code := ge.ErrorCode()
		if st := code.Status(); st != http.StatusInternalServerError {
			return newError(st, string(code), err.Error())
		}
	}
	log.Error("s3 request failed", "error", err)
	return newError(http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.")
}

// writeError writes an S3 error document (none for HEAD).
func writeError(w http.ResponseWriter, r *http.Request, e *s3Error, reqID string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(e.Status)
	if r.Method == http.MethodHead {
		return
	}
	doc := struct {
		XMLName   xml.Name `xml:"Error"`
		Code      string
		Message   string
		Resource  string `xml:",omitempty"`
		RequestID string `xml:"RequestId"`
	}{Code: e.Code, Message: e.Message, Resource: e.Resource, RequestID: reqID}
	_, _ = w.Write([]byte(xml.Header))
	_ = xml.NewEncoder(w).Encode(doc)
}

// statusWriter fixes what gofakes3 writes of a backend's answer: the
// status of errors whose code the library does not know (it answers them
// 500) becomes the status of the last error the backend returned, and the
// ETag of a GET or HEAD is the object's own (a multipart ETag ends in
// "-<parts>", which the library cannot write).
// It also drops the library's CORS headers (Ersatz serves no CORS
// configuration: a cross-origin request is refused before it gets here)
// and keeps Ersatz's request id.
type statusWriter struct {
	http.ResponseWriter
	b     *backend
	reqID string
	wrote bool
}

func (s *statusWriter) WriteHeader(code int) {
	if s.wrote {
		return
	}
	s.wrote = true
	if code == http.StatusInternalServerError && s.b.last != nil {
		code = s.b.last.Status
	}
	if s.b.etag != "" && s.b.last == nil {
		s.Header().Set("ETag", s.b.etag)
	}
	h := s.Header()
	for k, v := range h {
		switch {
		case strings.HasPrefix(k, "Access-Control-"):
			delete(h, k)
		case strings.HasPrefix(k, "X-Amz-Meta-"):
			// S3 sends user metadata names lower-case, as they were stored.
			delete(h, k)
			h["x-amz-meta-"+strings.ToLower(k[len("X-Amz-Meta-"):])] = v
		}
	}
	s.Header().Set("X-Amz-Request-Id", s.reqID)
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(p []byte) (int, error) {
	if !s.wrote {
		s.WriteHeader(http.StatusOK)
	}
	return s.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// Flush passes on to the connection, so large GETs stream.
func (s *statusWriter) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
