package e2e_test

import (
	"encoding/json"
	"log/slog"
	"reflect"
	"strings"
	"testing"

	"github.com/ersatz-dev/ersatz/ersatztest"
	"github.com/ersatz-dev/ersatz/internal/service/qapps"
	"github.com/ersatz-dev/ersatz/internal/testkit"
)

// The Q Apps users of these tests: three access keys, so three users whose
// ids Ersatz derives from the keys (the credentials file lists them by those
// ids), and one key the file names user "dana", dana@example.com.
const (
	qaUser1 = "AKIDUSERONE00000001"
	qaUser2 = "AKIDUSERTWO00000002"
	qaUser3 = "AKIDUSERTHREE0000003"
	qaDana  = "AKIDDANA000000000004"

	qaInstance  = "0b95c9c4-89cc-4aa8-9aae-aa91cbec699f"
	qaInstance2 = "3642ba81-344c-42fd-a480-9119a5a5f26b"

	qaCardText  = "4cf94d96-8819-45c2-98cc-58c56b35c72f"
	qaCardQuery = "18870b94-1e63-40e0-8c12-669c90ac5acc"
	qaCardForm  = "6fb5b404-3b7b-48a4-8a8b-56406922a606"
	qaCardPlug  = "1e6caeac-b481-45ff-a082-8b9a4a0b72e8"
	qaCardFile  = "82f69028-22a9-4bea-8727-0eabf58e9fed"
)

func qaID(accessKey string) string { return qapps.UserIDForAccessKey(accessKey) }

// qaEnv is a running Ersatz serving the AWS APIs (server.New) and the Q Apps
// routes (downloads, presigned uploads), with a boto3 worker.
type qaEnv struct {
	url  string
	boto *testkit.Boto
}

// startQApps runs the server as server.New wires it (the Q Apps routes for
// downloads and uploads included), with a credentials file naming one user.
func startQApps(t *testing.T) *qaEnv {
	t.Helper()
	srv := ersatztest.Start(t, ersatztest.WithDataPlane(false), ersatztest.WithLogger(slog.New(slog.DiscardHandler)),
		ersatztest.WithCredentials(
			ersatztest.Credential{AccessKeyID: qaDana, SecretAccessKey: "secret", UserID: "dana", Email: "dana@example.com"},
			// Users 1 to 3 are in the directory from the start (by the ids Q Apps
			// derives from their keys), so they can be granted before they call.
			ersatztest.Credential{AccessKeyID: qaUser1, SecretAccessKey: "secret", UserID: qaID(qaUser1)},
			ersatztest.Credential{AccessKeyID: qaUser2, SecretAccessKey: "secret", UserID: qaID(qaUser2)},
			ersatztest.Credential{AccessKeyID: qaUser3, SecretAccessKey: "secret", UserID: qaID(qaUser3)},
		))
	return &qaEnv{url: srv.URL, boto: (&testkit.Server{URL: srv.URL}).Boto(t)}
}

// call runs op as the user of accessKey and fails the test on an error.
func (e *qaEnv) call(t *testing.T, accessKey, op string, params map[string]any) map[string]any {
	t.Helper()
	out, berr := e.boto.Call(t, testkit.BotoRequest{Service: "qapps", Op: op, AccessKey: accessKey, Params: params})
	if berr != nil {
		t.Fatalf("%s as %s: %v", op, accessKey, berr)
	}
	return out
}

// fail runs op, which must fail with code and status; it returns the error.
func (e *qaEnv) fail(t *testing.T, accessKey, op string, params map[string]any, code string, status int) *testkit.BotoError {
	t.Helper()
	out, berr := e.boto.Call(t, testkit.BotoRequest{Service: "qapps", Op: op, AccessKey: accessKey, Params: params, NoValidation: true})
	if berr == nil {
		t.Fatalf("%s as %s succeeded (%v), want %s", op, accessKey, out, code)
	}
	if berr.Code != code || berr.Status != status {
		t.Fatalf("%s as %s: got %s (%d) %q, want %s (%d)", op, accessKey, berr.Code, berr.Status, berr.Message, code, status)
	}
	return berr
}

// qaBoto is a request as the user of accessKey in region.
func qaBoto(op, accessKey, region string, params map[string]any) testkit.BotoRequest {
	return testkit.BotoRequest{Service: "qapps", Op: op, AccessKey: accessKey, Region: region, Params: params}
}

// qaIn returns params with the instance id set.
func qaIn(instance string, params map[string]any) map[string]any {
	out := map[string]any{"instanceId": instance}
	for k, v := range params {
		out[k] = v
	}
	return out
}

func qaTextCard(id, title string) map[string]any {
	return map[string]any{"textInput": map[string]any{"id": id, "title": title, "type": "text-input"}}
}

func qaQueryCard(id, title, prompt string) map[string]any {
	return map[string]any{"qQuery": map[string]any{"id": id, "title": title, "type": "q-query", "prompt": prompt}}
}

func qaFormCard(id, title string) map[string]any {
	return map[string]any{"formInput": map[string]any{"id": id, "title": title, "type": "form-input", "computeMode": "append",
		"metadata": map[string]any{"schema": map[string]any{
			"type": "object", "required": []any{"name"},
			"properties": map[string]any{"name": map[string]any{"type": "string"}, "votes": map[string]any{"type": "integer"}},
		}}}}
}

func qaFileCard(id, title string) map[string]any {
	return map[string]any{"fileUpload": map[string]any{"id": id, "title": title, "type": "file-upload"}}
}

// paletteApp is the API reference's example app: a text input and a Q query
// card mentioning it.
func qaPaletteApp(title string) map[string]any {
	return map[string]any{
		"title": title,
		"appDefinition": map[string]any{
			"initialPrompt": "Create an app that recommend a list of colors based on input.",
			"cards": []any{
				qaTextCard(qaCardText, "Color Base"),
				qaQueryCard(qaCardQuery, "Recommended Palette", "Recommend me a list of colors that go well with @"+qaCardText),
			},
		},
	}
}

func (e *qaEnv) createApp(t *testing.T, accessKey, instance string, app map[string]any) string {
	t.Helper()
	return qaStr(t, e.call(t, accessKey, "CreateQApp", qaIn(instance, app)), "appId")
}

// str reads a string member of a response.
func qaStr(t *testing.T, m map[string]any, key string) string {
	t.Helper()
	v, ok := m[key].(string)
	if !ok {
		t.Fatalf("member %q of %v is not a string", key, m)
	}
	return v
}

func qaNum(t *testing.T, m map[string]any, key string) int {
	t.Helper()
	v, ok := m[key].(float64)
	if !ok {
		t.Fatalf("member %q of %v is not a number", key, m)
	}
	return int(v)
}

func qaObj(t *testing.T, m map[string]any, key string) map[string]any {
	t.Helper()
	v, ok := m[key].(map[string]any)
	if !ok {
		t.Fatalf("member %q of %v is not an object", key, m)
	}
	return v
}

func qaList(t *testing.T, m map[string]any, key string) []any {
	t.Helper()
	v, ok := m[key].([]any)
	if !ok {
		t.Fatalf("member %q of %v is not a list", key, m)
	}
	return v
}

// jsonEqual compares two decoded JSON values.
func qaJSONEqual(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	var x, y any
	_ = json.Unmarshal(ja, &x)
	_ = json.Unmarshal(jb, &y)
	return reflect.DeepEqual(x, y)
}

func qaContains(t *testing.T, s, sub string) {
	t.Helper()
	if !strings.Contains(s, sub) {
		t.Fatalf("%q does not contain %q", s, sub)
	}
}
