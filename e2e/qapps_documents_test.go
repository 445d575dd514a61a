package e2e_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"mime/multipart"
	"net/http"
	"sort"
	"strings"
	"testing"
)

func docApp() map[string]any {
	return map[string]any{
		"title": "Contract review",
		"appDefinition": map[string]any{"cards": []any{
			qaFileCard(qaCardFile, "Contract"),
			qaQueryCard(qaCardQuery, "Risks", "List the risks of @"+qaCardFile),
		}},
	}
}

func sha256b64(b []byte) string {
	sum := sha256.Sum256(b)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// postForm uploads file to a presigned URL the S3 way: the fields, then the file.
func postForm(t *testing.T, url string, fields map[string]any, name string, file []byte) (*http.Response, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := mw.WriteField(k, fields[k].(string)); err != nil {
			t.Fatal(err)
		}
	}
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = fw.Write(file)
	_ = mw.Close()
	resp, err := http.Post(url, mw.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

func TestQAppsDocuments(t *testing.T) {
	t.Parallel()
	e := startQApps(t)
	owner, reader := qaUser1, qaUser2
	appID := e.createApp(t, owner, qaInstance, docApp())
	e.call(t, owner, "UpdateQAppPermissions", qaIn(qaInstance, map[string]any{"appId": appID,
		"grantPermissions": []any{map[string]any{"action": "read", "principal": qaID(reader)}}}))
	imp := func(extra map[string]any) map[string]any {
		p := qaIn(qaInstance, map[string]any{"appId": appID, "cardId": qaCardFile, "fileName": "terms.txt",
			"fileContentsBase64": "data:text/plain;base64," + base64.StdEncoding.EncodeToString([]byte("Payment in 90 days.")),
			"scope":              "APPLICATION"})
		for k, v := range extra {
			p[k] = v
		}
		return p
	}

	// An APPLICATION document becomes the card's default file.
	fileID := qaStr(t, e.call(t, owner, "ImportDocument", imp(nil)), "fileId")
	e.fail(t, reader, "ImportDocument", imp(nil), "AccessDeniedException", 403)
	e.fail(t, owner, "ImportDocument", imp(map[string]any{"cardId": qaCardQuery}), "ValidationException", 400)
	e.fail(t, owner, "ImportDocument", imp(map[string]any{"fileContentsBase64": "%%% not base64"}), "ValidationException", 400)
	e.fail(t, owner, "ImportDocument", imp(map[string]any{"scope": "SESSION"}), "ValidationException", 400)
	e.fail(t, owner, "ImportDocument", imp(map[string]any{"appId": "393e77fb-0a30-4f47-ad30-75d71aeaed8a"}), "ResourceNotFoundException", 404)
	big := base64.StdEncoding.EncodeToString(make([]byte, 10<<20+1))
	e.fail(t, owner, "ImportDocument", imp(map[string]any{"fileContentsBase64": big}), "ContentTooLargeException", 413)

	withDefault := docApp()
	card := withDefault["appDefinition"].(map[string]any)["cards"].([]any)[0].(map[string]any)["fileUpload"].(map[string]any)
	card["fileId"] = fileID
	card["allowOverride"] = true
	e.call(t, owner, "UpdateQApp", qaIn(qaInstance, map[string]any{"appId": appID, "appDefinition": withDefault["appDefinition"]}))
	got := e.call(t, reader, "GetQApp", qaIn(qaInstance, map[string]any{"appId": appID}))
	fc := qaObj(t, qaList(t, qaObj(t, got, "appDefinition"), "cards")[0].(map[string]any), "fileUpload")
	if fc["fileId"] != fileID || fc["filename"] != "terms.txt" || !qaJSONEqual(got["requiredCapabilities"], []any{"FileUpload", "RetrievalMode"}) {
		t.Fatalf("GetQApp after setting the default file: %v", got)
	}
	card["fileId"] = "c1c4e374-118c-446f-81fb-cba6225d88da"
	berr := e.fail(t, owner, "UpdateQApp", qaIn(qaInstance, map[string]any{"appId": appID, "appDefinition": withDefault["appDefinition"]}), "ValidationException", 400)
	qaContains(t, berr.Message, "fileUpload.fileId")

	sid := qaStr(t, e.call(t, reader, "StartQAppSession", qaIn(qaInstance, map[string]any{"appId": appID, "appVersion": 2})), "sessionId")
	ref := qaIn(qaInstance, map[string]any{"sessionId": sid})
	sess := e.call(t, reader, "GetQAppSession", ref)
	if q := cardStatus(t, sess, qaCardQuery); q["currentValue"] != "Answer (approved-sources): List the risks of terms.txt" {
		t.Fatalf("query over the default file = %v", q)
	}

	// A presigned upload for the session, POSTed as a form, overrides the default.
	file := []byte("Clause 7: unlimited liability.")
	presign := func(content []byte) map[string]any {
		return e.call(t, reader, "CreatePresignedUrl", qaIn(qaInstance, map[string]any{"appId": appID, "cardId": qaCardFile,
			"fileName": "contract.txt", "fileContentsSha256": sha256b64(content), "scope": "SESSION", "sessionId": sid}))
	}
	ps := presign(file)
	url, fields := qaStr(t, ps, "presignedUrl"), qaObj(t, ps, "presignedUrlFields")
	upID := qaStr(t, ps, "fileId")
	if !strings.HasPrefix(url, e.url+"/_ersatz/qapps/uploads/") || fields["x-amz-checksum-sha256"] != sha256b64(file) || ps["presignedUrlExpiration"] == nil {
		t.Fatalf("CreatePresignedUrl = %v", ps)
	}
	// Until the file arrives, its id is not usable.
	e.fail(t, reader, "UpdateQAppSession", qaIn(qaInstance, map[string]any{"sessionId": sid, "values": []any{
		map[string]any{"cardId": qaCardFile, "value": upID}}}), "ValidationException", 400)
	if resp, body := postForm(t, url, fields, "contract.txt", []byte("something else")); resp.StatusCode != 400 || !strings.Contains(body, "BadDigest") {
		t.Fatalf("upload of other content: %d %s", resp.StatusCode, body)
	}
	if resp, body := postForm(t, url, fields, "contract.txt", file); resp.StatusCode != 204 {
		t.Fatalf("upload: %d %s", resp.StatusCode, body)
	}
	e.call(t, reader, "UpdateQAppSession", qaIn(qaInstance, map[string]any{"sessionId": sid, "values": []any{
		map[string]any{"cardId": qaCardFile, "value": upID}}}))
	sess = e.call(t, reader, "GetQAppSession", ref)
	if f := cardStatus(t, sess, qaCardFile); f["currentState"] != "COMPLETED" || f["currentValue"] != upID {
		t.Fatalf("file card = %v", f)
	}
	if q := cardStatus(t, sess, qaCardQuery); q["currentValue"] != "Answer (approved-sources): List the risks of contract.txt" {
		t.Fatalf("query over the uploaded file = %v", q)
	}

	// A PUT of the body works too, up to exactly 10 MB; past it, 413.
	exact := bytes.Repeat([]byte("q"), 10<<20)
	ps = presign(exact)
	req, _ := http.NewRequest(http.MethodPut, qaStr(t, ps, "presignedUrl"), bytes.NewReader(exact))
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("PUT of 10 MB: %v %v", resp, err)
	}
	resp.Body.Close()
	over := append(exact, 'q')
	ps = presign(over)
	req, _ = http.NewRequest(http.MethodPut, qaStr(t, ps, "presignedUrl"), bytes.NewReader(over))
	resp, err = http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 413 {
		t.Fatalf("PUT of 10 MB + 1: %v %v", resp, err)
	}
	resp.Body.Close()
	if resp, body := postForm(t, strings.Replace(url, upID, "c1c4e374-118c-446f-81fb-cba6225d88da", 1), fields, "x", file); resp.StatusCode != 404 {
		t.Fatalf("upload to an unknown URL: %d %s", resp.StatusCode, body)
	}

	// Presigned uploads follow the same rules as ImportDocument.
	e.fail(t, reader, "CreatePresignedUrl", qaIn(qaInstance, map[string]any{"appId": appID, "cardId": qaCardFile,
		"fileName": "x.txt", "fileContentsSha256": sha256b64(file), "scope": "APPLICATION"}), "AccessDeniedException", 403)
	e.fail(t, owner, "CreatePresignedUrl", qaIn(qaInstance, map[string]any{"appId": appID, "cardId": qaCardFile,
		"fileName": "x.txt", "fileContentsSha256": "not-a-digest", "scope": "APPLICATION"}), "ValidationException", 400)
	e.fail(t, owner, "CreatePresignedUrl", qaIn(qaInstance, map[string]any{"appId": appID, "cardId": qaCardFile,
		"fileName": "x.txt", "fileContentsSha256": sha256b64(file), "scope": "SESSION"}), "ValidationException", 400)

	// A stopped session takes its documents with it.
	e.call(t, reader, "StopQAppSession", ref)
	e.fail(t, reader, "ImportDocument", imp(map[string]any{"scope": "SESSION", "sessionId": sid}), "ResourceNotFoundException", 404)
}
