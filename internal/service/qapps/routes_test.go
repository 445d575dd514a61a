package qapps

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/qappsapi"
)

func TestRoutesExpire(t *testing.T) { forEachBackend(t, testRoutesExpire) }

func testRoutesExpire(t *testing.T, s *Service, clk *clock) {
	ctx := as("AKIDHOST")
	inst := api.Ptr("inst")
	app, err := s.CreateQApp(ctx, &qappsapi.CreateQAppInput{InstanceId: inst, Title: api.Ptr("T"),
		AppDefinition: &qappsapi.AppDefinitionInput{Cards: []qappsapi.CardInput{
			form(idD, `{"type":"object"}`),
			{FileUpload: &qappsapi.FileUploadCardInput{Id: api.Ptr(idA), Title: api.Ptr("F"), Type: api.Ptr("file-upload")}},
		}}})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := s.StartQAppSession(ctx, &qappsapi.StartQAppSessionInput{InstanceId: inst, AppId: app.AppId, AppVersion: api.Ptr(int32(1)),
		InitialValues: []qappsapi.CardValue{{CardId: api.Ptr(idD), Value: api.Ptr(`{"a":"x,y","b":[1]}`)}}})
	if err != nil {
		t.Fatal(err)
	}
	exp, err := s.ExportQAppSessionData(ctx, &qappsapi.ExportQAppSessionDataInput{InstanceId: inst, SessionId: sess.SessionId})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(*exp.CsvFileLink, "http://ersatz.test/_ersatz/qapps/exports/123456789012/us-east-1/") {
		t.Fatalf("csvFileLink = %s", *exp.CsvFileLink)
	}
	if !exp.ExpiresAt.Equal(clk.t.Add(time.Hour)) {
		t.Fatalf("expiresAt = %v", exp.ExpiresAt)
	}
	routes := s.Routes()
	get := func(url string) (int, string) {
		rec := httptest.NewRecorder()
		routes.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, strings.TrimPrefix(url, "http://ersatz.test"), nil))
		return rec.Code, rec.Body.String()
	}
	code, body := get(*exp.CsvFileLink)
	wantCSV := "cardId,cardTitle,userId,submissionId,timestamp,a,b\n" + idD + ",Form," + UserIDForAccessKey("AKIDHOST") + ","
	if code != 200 || !strings.HasPrefix(body, wantCSV) || !strings.HasSuffix(body, `,2026-03-01T12:00:00.000Z,"x,y",[1]`+"\n") {
		t.Fatalf("GET export: %d %q", code, body)
	}
	clk.t = clk.t.Add(time.Hour)
	if code, body := get(*exp.CsvFileLink); code != 403 || !strings.Contains(body, "<Code>AccessDenied</Code>") {
		t.Fatalf("GET of an expired export: %d %s", code, body)
	}
	name := (*exp.CsvFileLink)[strings.LastIndexByte(*exp.CsvFileLink, '/')+1:]
	if code, _ := get("/_ersatz/qapps/exports/123456789012/eu-west-1/" + name); code != 404 {
		t.Fatalf("an export is read from its own account and region only: %d", code)
	}

	file := []byte("hello")
	sum := sha256.Sum256(file)
	pre, err := s.CreatePresignedUrl(ctx, &qappsapi.CreatePresignedUrlInput{InstanceId: inst, AppId: app.AppId, CardId: api.Ptr(idA),
		FileName: api.Ptr("h.txt"), FileContentsSha256: api.Ptr(base64.StdEncoding.EncodeToString(sum[:])),
		Scope: api.Ptr("SESSION"), SessionId: sess.SessionId})
	if err != nil {
		t.Fatal(err)
	}
	put := func() (int, string) {
		rec := httptest.NewRecorder()
		routes.ServeHTTP(rec, httptest.NewRequest(http.MethodPut, strings.TrimPrefix(*pre.PresignedUrl, "http://ersatz.test"), bytes.NewReader(file)))
		b, _ := io.ReadAll(rec.Body)
		return rec.Code, string(b)
	}
	clk.t = clk.t.Add(presignTTL)
	if code, body := put(); code != 403 || !strings.Contains(body, "expired") {
		t.Fatalf("PUT to an expired URL: %d %s", code, body)
	}
	clk.t = clk.t.Add(-time.Second)
	if code, body := put(); code != 200 {
		t.Fatalf("PUT: %d %s", code, body)
	}
	if _, err := s.UpdateQAppSession(ctx, &qappsapi.UpdateQAppSessionInput{InstanceId: inst, SessionId: sess.SessionId,
		Values: []qappsapi.CardValue{{CardId: api.Ptr(idA), Value: pre.FileId}}}); err != nil {
		t.Fatalf("the uploaded file is not usable: %v", err)
	}
	rec := httptest.NewRecorder()
	routes.ServeHTTP(rec, httptest.NewRequest(http.MethodDelete, "/_ersatz/qapps/uploads/123456789012/us-east-1/x", nil))
	if rec.Code != 404 && rec.Code != 405 {
		t.Fatalf("DELETE: %d", rec.Code)
	}
}
