package qapps

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/qappsapi"
	"github.com/ersatz-dev/ersatz/internal/ids"
	"github.com/ersatz-dev/ersatz/internal/store"
)

// Documents and exports.
//
// A document belongs to a file-upload card: with scope APPLICATION it is the
// app's default file for the card (uploading needs write on the app; the
// card must be in the app's latest version), with scope SESSION it is a file
// for one session (sessionId required; the caller must be a member of the
// session; the card must be in the session's version). ImportDocument takes
// the file inline as base64 (an optional "data:<type>;base64," prefix is
// accepted, as in the API reference example); CreatePresignedUrl hands out a
// URL on Ersatz and form fields that accept the same file by HTTP POST
// (multipart/form-data, S3 style, the file in the "file" field) or PUT (the
// body), for 15 minutes, checking the file against fileContentsSha256.
// Either way a file is at most 10 MB (MaxDocumentBytes):
// ContentTooLargeException past that. A document's fileId is then the value
// of its card in UpdateQAppSession, or the card's fileId in the definition.
//
// ExportQAppSessionData writes the session's form submissions as CSV, one row
// per submission: cardId, cardTitle, userId, submissionId, timestamp, then one
// column per top-level field found in any submission (sorted by name; strings
// as they are, other values as JSON). The link it returns serves the CSV for
// one hour.

func (r req) fileRefKey(fileID string) store.Key { return r.inst.Child("fileref", segment(fileID)) }

func (r req) fileKey(appID, scope, sessionID, fileID string) store.Key {
	if scope == qappsapi.DocumentScopeSession {
		return r.sessionKey(appID, segment(sessionID)).Child("file", segment(fileID))
	}
	return r.appKey(appID).Child("file", segment(fileID))
}

// findFile returns the document with this id in the instance, or nil.
func findFile(tx store.Tx, r req, fileID string) (*fileRecord, error) {
	ref, err := store.GetJSON[fileRef](tx, r.fileRefKey(fileID))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	f, err := store.GetJSON[fileRecord](tx, r.fileKey(ref.AppID, ref.Scope, ref.SessionID, fileID))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &f, nil
}

// uploadTarget checks where a document goes and that the caller may put it there.
func (s *Service) uploadTarget(tx store.Tx, r req, appID, cardID, scope string, sessionID *string) error {
	app, a, err := s.loadApp(tx, r, appID)
	if err != nil {
		return err
	}
	var cards []qappsapi.Card
	switch scope {
	case qappsapi.DocumentScopeApplication:
		if sessionID != nil {
			return validation("Value '%s' at 'sessionId' is not allowed with scope APPLICATION", *sessionID)
		}
		if err := needWrite(a, r, app.ID, "upload documents to"); err != nil {
			return err
		}
		ver, err := loadVersion(tx, r, app.ID, app.Version)
		if err != nil {
			return err
		}
		cards = ver.Cards
	default:
		if sessionID == nil {
			return validation("Value null at 'sessionId' failed to satisfy constraint: a SESSION document needs a sessionId")
		}
		v, err := s.loadSessionAsMember(tx, r, *sessionID)
		if err != nil {
			return err
		}
		if v.app.ID != app.ID {
			return validation("Session %s at 'sessionId' does not run Q App %s", *sessionID, app.ID)
		}
		cards = v.ver.Cards
	}
	card, ok := findCard(cards, cardID)
	if !ok || card.FileUpload == nil {
		return validation("Value '%s' at 'cardId' is not a file-upload card of Q App %s", cardID, app.ID)
	}
	return nil
}

func putFile(tx store.Tx, r req, f fileRecord) error {
	if err := store.PutJSON(tx, r.fileKey(f.AppID, f.Scope, f.SessionID, f.ID), f); err != nil {
		return err
	}
	return store.PutJSON(tx, r.fileRefKey(f.ID), fileRef{AppID: f.AppID, Scope: f.Scope, SessionID: f.SessionID})
}

func tooLarge(name string, size int) error {
	return &qappsapi.ContentTooLargeException{
		Message:      api.Ptr(fmt.Sprintf("The document %q has %d bytes; a document has at most %d bytes (10 MB)", name, size, MaxDocumentBytes)),
		ResourceId:   api.Ptr(name),
		ResourceType: api.Ptr("Document"),
	}
}

// decodeDocument decodes fileContentsBase64, with or without a data URL prefix.
func decodeDocument(s string) ([]byte, error) {
	if rest, ok := strings.CutPrefix(s, "data:"); ok {
		if i := strings.Index(rest, ";base64,"); i >= 0 {
			s = rest[i+len(";base64,"):]
		}
	}
	s = strings.TrimSpace(s)
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	return base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
}

// ImportDocument stores a base64 document for a file-upload card.
func (s *Service) ImportDocument(ctx context.Context, in *qappsapi.ImportDocumentInput) (*qappsapi.ImportDocumentOutput, error) {
	r, err := s.begin(ctx, in.InstanceId)
	if err != nil {
		return nil, err
	}
	if base64.StdEncoding.DecodedLen(len(*in.FileContentsBase64)) > MaxDocumentBytes+3 {
		return nil, tooLarge(*in.FileName, base64.StdEncoding.DecodedLen(len(*in.FileContentsBase64)))
	}
	data, err := decodeDocument(*in.FileContentsBase64)
	if err != nil {
		return nil, validation("The value at 'fileContentsBase64' is not valid base64")
	}
	if len(data) > MaxDocumentBytes {
		return nil, tooLarge(*in.FileName, len(data))
	}
	sum := sha256.Sum256(data)
	f := fileRecord{
		ID: ids.UUID(), AppID: *in.AppId, CardID: *in.CardId, Scope: *in.Scope, SessionID: api.Val(in.SessionId),
		Name: *in.FileName, Size: len(data), SHA256: base64.StdEncoding.EncodeToString(sum[:]), Contents: data,
		CreatedAt: s.clock(), CreatedBy: r.user.ID,
	}
	err = s.store.Update(ctx, func(tx store.Tx) error {
		if err := s.uploadTarget(tx, r, *in.AppId, *in.CardId, *in.Scope, in.SessionId); err != nil {
			return err
		}
		return putFile(tx, r, f)
	})
	if err != nil {
		return nil, s.kit.Err("import document", err)
	}
	return &qappsapi.ImportDocumentOutput{FileId: api.Ptr(f.ID)}, nil
}

// CreatePresignedUrl hands out a URL on Ersatz that accepts one document.
func (s *Service) CreatePresignedUrl(ctx context.Context, in *qappsapi.CreatePresignedUrlInput) (*qappsapi.CreatePresignedUrlOutput, error) {
	r, err := s.begin(ctx, in.InstanceId)
	if err != nil {
		return nil, err
	}
	now := s.clock()
	up := uploadRecord{
		FileID: ids.UUID(), Instance: r.instance, AppID: *in.AppId, CardID: *in.CardId, Scope: *in.Scope,
		SessionID: api.Val(in.SessionId), FileName: *in.FileName, SHA256: *in.FileContentsSha256,
		ExpiresAt: now.Add(presignTTL), UserID: r.user.ID,
	}
	err = s.store.Update(ctx, func(tx store.Tx) error {
		if err := s.uploadTarget(tx, r, *in.AppId, *in.CardId, *in.Scope, in.SessionId); err != nil {
			return err
		}
		return store.PutJSON(tx, store.Key{Scope: r.Scope, Kind: "upload", ID: up.FileID}, up)
	})
	if err != nil {
		return nil, s.kit.Err("create presigned url", err)
	}
	return &qappsapi.CreatePresignedUrlOutput{
		FileId:       api.Ptr(up.FileID),
		PresignedUrl: api.Ptr(s.base(ctx) + RoutePrefix + "uploads/" + r.Scope.Account + "/" + r.Scope.Region + "/" + up.FileID),
		PresignedUrlFields: map[string]string{
			"key":                   up.FileID,
			"x-amz-checksum-sha256": up.SHA256,
			"Content-Type":          "application/octet-stream",
		},
		PresignedUrlExpiration: api.ISO(up.ExpiresAt),
	}, nil
}

// ExportQAppSessionData writes the session's submissions as a CSV download.
func (s *Service) ExportQAppSessionData(ctx context.Context, in *qappsapi.ExportQAppSessionDataInput) (*qappsapi.ExportQAppSessionDataOutput, error) {
	r, err := s.begin(ctx, in.InstanceId)
	if err != nil {
		return nil, err
	}
	now := s.clock()
	exp := exportRecord{ID: ids.UUID(), ExpiresAt: now.Add(exportTTL)}
	var arn string
	err = s.store.Update(ctx, func(tx store.Tx) error {
		v, err := s.loadSessionAsHost(tx, r, *in.SessionId, "export the data of")
		if err != nil {
			return err
		}
		arn = r.sessionArn(v.app.ID, v.sess.ID)
		exp.CSV, err = sessionCSV(v)
		if err != nil {
			return err
		}
		return store.PutJSON(tx, store.Key{Scope: r.Scope, Kind: "export", ID: exp.ID}, exp)
	})
	if err != nil {
		return nil, s.kit.Err("export session data", err)
	}
	return &qappsapi.ExportQAppSessionDataOutput{
		CsvFileLink: api.Ptr(s.base(ctx) + RoutePrefix + "exports/" + r.Scope.Account + "/" + r.Scope.Region + "/" + exp.ID + ".csv"),
		ExpiresAt:   api.ISO(exp.ExpiresAt),
		SessionArn:  api.Ptr(arn),
	}, nil
}

// sessionCSV renders the session's submissions (see the package comment above).
func sessionCSV(v sessionView) ([]byte, error) {
	type row struct {
		cardID, title, user, id string
		at                      time.Time
		fields                  map[string]json.RawMessage
	}
	var rows []row
	names := map[string]bool{}
	eachSubmission(v, func(c qappsapi.Card, id string, sub submissionRecord) {
		var fields map[string]json.RawMessage
		_ = json.Unmarshal(sub.Value, &fields)
		for k := range fields {
			names[k] = true
		}
		rows = append(rows, row{id, cardTitle(c), sub.UserID, sub.ID, sub.Timestamp, fields})
	})
	cols := make([]string, 0, len(names))
	for k := range names {
		cols = append(cols, k)
	}
	slices.Sort(cols)
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.Write(append([]string{"cardId", "cardTitle", "userId", "submissionId", "timestamp"}, cols...)); err != nil {
		return nil, err
	}
	for _, rw := range rows {
		rec := []string{rw.cardID, rw.title, rw.user, rw.id, rw.at.UTC().Format("2006-01-02T15:04:05.000Z")}
		for _, k := range cols {
			rec = append(rec, csvCell(rw.fields[k]))
		}
		if err := w.Write(rec); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

func csvCell(raw json.RawMessage) string {
	if raw == nil {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}
