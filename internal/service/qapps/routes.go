package qapps

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"

	"github.com/ersatz-dev/ersatz/internal/api/qappsapi"
	"github.com/ersatz-dev/ersatz/internal/service/svc"
	"github.com/ersatz-dev/ersatz/internal/store"
)

// Routes serves the non-AWS HTTP paths of Q Apps, the ones AWS serves from S3:
//
//	GET      /_ersatz/qapps/exports/<account>/<region>/<exportId>.csv   ExportQAppSessionData's csvFileLink
//	POST|PUT /_ersatz/qapps/uploads/<account>/<region>/<fileId>         CreatePresignedUrl's presignedUrl
//
// Mount it at RoutePrefix without stripping the prefix. Errors are S3-shaped
// XML documents (<Error><Code>...</Code><Message>...</Message></Error>).
func (s *Service) Routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+RoutePrefix+"exports/{account}/{region}/{file}", s.serveExport)
	mux.HandleFunc("POST "+RoutePrefix+"uploads/{account}/{region}/{id}", s.serveUpload)
	mux.HandleFunc("PUT "+RoutePrefix+"uploads/{account}/{region}/{id}", s.serveUpload)
	mux.HandleFunc(RoutePrefix, func(w http.ResponseWriter, r *http.Request) {
		writeS3Error(w, http.StatusNotFound, "NoSuchKey", "No Q Apps resource is served at "+r.URL.Path)
	})
	return mux
}

func writeS3Error(w http.ResponseWriter, status int, code, msg string) {
	body, _ := xml.Marshal(struct {
		XMLName xml.Name `xml:"Error"`
		Code    string   `xml:"Code"`
		Message string   `xml:"Message"`
	}{Code: code, Message: msg})
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	_, _ = w.Write(append([]byte(xml.Header), body...))
}

func routeScope(r *http.Request) store.Scope {
	return store.Scope{Account: r.PathValue("account"), Region: r.PathValue("region"), Service: serviceName}
}

func (s *Service) serveExport(w http.ResponseWriter, r *http.Request) {
	id, ok := strings.CutSuffix(r.PathValue("file"), ".csv")
	if !ok {
		writeS3Error(w, http.StatusNotFound, "NoSuchKey", "No export is served at "+r.URL.Path)
		return
	}
	var exp exportRecord
	err := s.store.View(r.Context(), func(tx store.Tx) error {
		var err error
		exp, err = store.GetJSON[exportRecord](tx, store.Key{Scope: routeScope(r), Kind: "export", ID: id})
		return err
	})
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeS3Error(w, http.StatusNotFound, "NoSuchKey", "The export "+id+" does not exist")
		return
	case err != nil:
		writeS3Error(w, http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.")
		return
	case !s.clock().Before(exp.ExpiresAt):
		writeS3Error(w, http.StatusForbidden, "AccessDenied", "Request has expired")
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+id+`.csv"`)
	w.Header().Set("Content-Length", strconv.Itoa(len(exp.CSV)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(exp.CSV)
	}
}

// readUpload returns the uploaded file: the "file" part of a multipart form
// (and the form's other fields), or the whole body of a PUT.
func readUpload(r *http.Request) ([]byte, map[string]string, error) {
	limit := int64(MaxDocumentBytes) + 1
	if r.Method == http.MethodPut {
		b, err := io.ReadAll(io.LimitReader(r.Body, limit))
		return b, nil, err
	}
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return nil, nil, errBadForm
	}
	fields := map[string]string{}
	mr := multipart.NewReader(r.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return nil, fields, errNoFile
		}
		if err != nil {
			return nil, nil, errBadForm
		}
		if p.FormName() == "file" {
			b, err := io.ReadAll(io.LimitReader(p, limit))
			return b, fields, err
		}
		v, err := io.ReadAll(io.LimitReader(p, 64<<10))
		if err != nil {
			return nil, nil, errBadForm
		}
		fields[p.FormName()] = string(v)
	}
}

var (
	errBadForm = errors.New("the body is not a multipart/form-data upload")
	errNoFile  = errors.New("the form has no file field")
)

func (s *Service) serveUpload(w http.ResponseWriter, r *http.Request) {
	sc, id := routeScope(r), r.PathValue("id")
	uploadKey := store.Key{Scope: sc, Kind: "upload", ID: id}
	var up uploadRecord
	err := s.store.View(r.Context(), func(tx store.Tx) error {
		var err error
		up, err = store.GetJSON[uploadRecord](tx, uploadKey)
		return err
	})
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeS3Error(w, http.StatusNotFound, "NoSuchUpload", "No presigned upload "+id+" was handed out")
		return
	case err != nil:
		writeS3Error(w, http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.")
		return
	case !s.clock().Before(up.ExpiresAt):
		writeS3Error(w, http.StatusForbidden, "AccessDenied", "Request has expired")
		return
	}
	data, fields, err := readUpload(r)
	if err != nil {
		writeS3Error(w, http.StatusBadRequest, "MalformedPOSTRequest", err.Error())
		return
	}
	if len(data) > MaxDocumentBytes {
		writeS3Error(w, http.StatusRequestEntityTooLarge, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size of 10 MB")
		return
	}
	if k, ok := fields["key"]; ok && k != up.FileID {
		writeS3Error(w, http.StatusForbidden, "AccessDenied", "The key field does not match the presigned upload")
		return
	}
	if c, ok := fields["x-amz-checksum-sha256"]; ok && c != up.SHA256 {
		writeS3Error(w, http.StatusForbidden, "AccessDenied", "The x-amz-checksum-sha256 field does not match the presigned upload")
		return
	}
	sum := sha256.Sum256(data)
	if got := base64.StdEncoding.EncodeToString(sum[:]); got != up.SHA256 {
		writeS3Error(w, http.StatusBadRequest, "BadDigest", "The SHA-256 of the file ("+got+") is not the fileContentsSha256 of the presigned upload ("+up.SHA256+")")
		return
	}
	// No caller: the route is reached through a presigned URL; q only builds keys.
	q := req{Req: svc.Req{Scope: sc}, instance: up.Instance, inst: store.Key{Scope: sc, Kind: "instance", ID: segment(up.Instance)}}
	f := fileRecord{
		ID: up.FileID, AppID: up.AppID, CardID: up.CardID, Scope: up.Scope, SessionID: up.SessionID,
		Name: up.FileName, Size: len(data), SHA256: up.SHA256, Contents: data, CreatedAt: s.clock(), CreatedBy: up.UserID,
	}
	err = s.store.Update(r.Context(), func(tx store.Tx) error {
		parent := q.appKey(up.AppID)
		if up.Scope == qappsapi.DocumentScopeSession {
			parent = q.sessionKey(up.AppID, segment(up.SessionID))
		}
		ok, err := svc.Exists(tx, parent)
		if err != nil {
			return err
		}
		if !ok {
			return store.ErrNotFound
		}
		return putFile(tx, q, f)
	})
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeS3Error(w, http.StatusNotFound, "NoSuchBucket", "The app or session of this upload no longer exists")
		return
	case err != nil:
		writeS3Error(w, http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.")
		return
	}
	w.Header().Set("ETag", `"`+hex.EncodeToString(sum[:16])+`"`)
	w.Header().Set("x-amz-checksum-sha256", up.SHA256)
	if r.Method == http.MethodPut {
		w.WriteHeader(http.StatusOK)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
