package qapps

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/qappsapi"
	"github.com/ersatz-dev/ersatz/internal/validate"
)

// FuzzMentions: every mention is a span of the prompt that starts at an @,
// after the previous one, and names the id written in it.
func FuzzMentions(f *testing.F) {
	f.Add("colors for @" + idA)
	f.Add("@" + idA + " and @{" + idB + "}.")
	f.Add("@{ " + idC + " } spaced @{} @{@{x}}")
	f.Add("mail user@example.com or @team @")
	f.Add("unclosed @{" + idA)
	f.Fuzz(func(t *testing.T, prompt string) {
		end := 0
		for _, m := range mentions(prompt) {
			if m.start < end || m.end <= m.start || m.end > len(prompt) || prompt[m.start] != '@' {
				t.Fatalf("mention %+v of %q (previous ended at %d)", m, prompt, end)
			}
			if span := prompt[m.start+1 : m.end]; span != m.id && strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(span, "{"), "}")) != m.id {
				t.Fatalf("mention %q of %q names %q", span, prompt, m.id)
			}
			end = m.end
		}
	})
}

// FuzzBuildDefinition decodes arbitrary app definitions, keeps those that
// pass the model's constraints (as the gateway does) and checks them: a
// refusal is a 4xx service error; an accepted definition has one card per
// input card, and every dependency names another card of the definition,
// without cycles.
func FuzzBuildDefinition(f *testing.F) {
	add := func(v any) {
		b, err := json.Marshal(v)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	add(map[string]any{"cards": []any{text(idA, "One"), query(idB, "Two", "use @"+idA)}})
	add(map[string]any{"cards": []any{query(idA, "One", "@"+idB), query(idB, "Two", "@{"+strings.ToUpper(idA)+"}")}})
	add(map[string]any{"cards": []any{query(idA, "One", "@"+idA)}})
	add(map[string]any{"cards": []any{text(idA, "One"), text(strings.ToUpper(idA), "Two")}})
	add(map[string]any{"cards": []any{form(idA, `{"type":"object"}`), query(idB, "Q", "@"+idA), form(idC, `[]`)}})
	add(map[string]any{"cards": []any{map[string]any{"fileUpload": map[string]any{"id": idA, "title": "F", "type": "file-upload", "fileId": idB}}}})
	add(map[string]any{"cards": []any{map[string]any{"qPlugin": map[string]any{"id": idA, "title": "P", "type": "q-query", "prompt": "x", "pluginId": idB}}}})
	f.Fuzz(func(t *testing.T, doc []byte) {
		def, ok := decodeDefinition(doc)
		if !ok {
			return
		}
		cards, _, err := buildDefinition(def, "appDefinition", noFiles)
		if err != nil {
			var se api.ServiceError
			if !errors.As(err, &se) || se.HTTPStatus() < 400 || se.HTTPStatus() >= 500 {
				t.Fatalf("refused with %T %v, not a 4xx", err, err)
			}
			return
		}
		if len(cards) != len(def.Cards) {
			t.Fatalf("%d cards from %d", len(cards), len(def.Cards))
		}
		index := map[string]int{}
		for i, c := range cards {
			index[strings.ToLower(cardID(c))] = i
		}
		for i, c := range cards {
			for _, d := range cardDeps(c) {
				j, ok := index[strings.ToLower(d)]
				if !ok || j == i {
					t.Fatalf("card %s depends on %q", cardID(c), d)
				}
			}
		}
		if _, err := json.Marshal(cards); err != nil {
			t.Fatalf("the cards do not encode: %v", err)
		}
	})
}

// FuzzReadUpload feeds arbitrary bodies and content types to the presigned
// upload's form reader: it returns the file, or an error, never more than
// one byte over the limit.
func FuzzReadUpload(f *testing.F) {
	form := "--B\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nfile-1\r\n" +
		"--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\nhello\r\n--B--\r\n"
	f.Add("POST", "multipart/form-data; boundary=B", []byte(form))
	f.Add("POST", "multipart/form-data; boundary=B", []byte(form[:len(form)/2]))
	f.Add("POST", "multipart/form-data; boundary=B", []byte("--B--\r\n"))
	f.Add("POST", "multipart/form-data", []byte(form))
	f.Add("POST", "text/plain", []byte("x"))
	f.Add("PUT", "", []byte("raw body"))
	f.Fuzz(func(t *testing.T, method, contentType string, body []byte) {
		r := &http.Request{Method: method, Header: http.Header{"Content-Type": {contentType}}, Body: io.NopCloser(bytes.NewReader(body))}
		data, fields, err := readUpload(r)
		if err != nil {
			return
		}
		if len(data) > MaxDocumentBytes+1 || len(data) > len(body) {
			t.Fatalf("read %d bytes from a %d-byte body", len(data), len(body))
		}
		if method != http.MethodPut && !bytes.Contains(body, data) && len(data) > 0 && !strings.Contains(strings.ToLower(string(body)), "quoted-printable") {
			t.Fatalf("the file %q is not in the body", data)
		}
		for k := range fields {
			if k == "file" {
				t.Fatal("the file part is listed as a field")
			}
		}
	})
}

// decodeDefinition decodes doc as an appDefinition and reports whether it
// passes the model's constraints.
func decodeDefinition(doc []byte) (*qappsapi.AppDefinitionInput, bool) {
	var def qappsapi.AppDefinitionInput
	if json.Unmarshal(doc, &def) != nil {
		return nil, false
	}
	var r validate.Report
	def.Validate(&r, "appDefinition")
	return &def, r.OK()
}

// FuzzCheckFormValue checks arbitrary form submissions against arbitrary
// schemas: the only refusal is a ValidationException.
func FuzzCheckFormValue(f *testing.F) {
	f.Add([]byte(`{"type":"object","required":["name"],"properties":{"name":{"type":"string"},"n":{"type":"integer"}}}`), []byte(`{"name":"a","n":1.5}`))
	f.Add([]byte(`{"properties":{"x":{"type":["string","null"]}}}`), []byte(`{"x":null}`))
	f.Add([]byte(`[]`), []byte(`null`))
	f.Add([]byte(`{"required":null}`), []byte(`{}`))
	f.Fuzz(func(t *testing.T, schema, value []byte) {
		err := checkFormValue(schema, value, "formValues")
		var ve *qappsapi.ValidationException
		if err != nil && !errors.As(err, &ve) {
			t.Fatalf("refused with %T %v, not a ValidationException", err, err)
		}
	})
}

// FuzzDecodeDocument: a document ImportDocument accepts is the bytes its
// base64 (after any data URL prefix) stands for.
func FuzzDecodeDocument(f *testing.F) {
	f.Add("aGVsbG8=")
	f.Add("aGVsbG8")
	f.Add("data:text/plain;base64,aGVsbG8=")
	f.Add("data:;base64,")
	f.Add(" !!! ")
	f.Fuzz(func(t *testing.T, s string) {
		b, err := decodeDocument(s)
		if err != nil {
			return
		}
		enc := base64.StdEncoding.EncodeToString(b)
		if again, err := decodeDocument(enc); err != nil || !bytes.Equal(again, b) {
			t.Fatalf("%q decodes to %q, whose encoding %q decodes to %q, %v", s, b, enc, again, err)
		}
	})
}
