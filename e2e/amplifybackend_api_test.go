package e2e_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ersatz-dev/ersatz/internal/testkit"
)

const abTodoSchema = `type Todo @model @auth(rules: [{ allow: public }]) {
  id: ID!
  name: String!
  done: Boolean
  priority: Priority
}

enum Priority { LOW HIGH }
`

func abAPIParams(env string, cfg map[string]any) map[string]any {
	return map[string]any{"AppId": abApp, "BackendEnvironmentName": env, "ResourceName": "data", "ResourceConfig": cfg}
}

// TestAmplifyBackendAPISeed is the API seed end to end on the default wiring.
func TestAmplifyBackendAPISeed(t *testing.T) {
	t.Parallel()
	srv := testkit.Start(t)
	c := newABClient(t, srv, abAcct1)
	c.backend(abApp, "dev")
	get := map[string]any{"AppId": abApp, "BackendEnvironmentName": "dev", "ResourceName": "data"}

	created := map[string]any{
		"ApiName":             "todoapi",
		"Service":             "AppSync",
		"TransformSchema":     abTodoSchema,
		"DefaultAuthType":     map[string]any{"Mode": "API_KEY", "Settings": map[string]any{"ExpirationTime": 30.0, "Description": "web"}},
		"AdditionalAuthTypes": []any{map[string]any{"Mode": "AWS_IAM"}},
		"ConflictResolution":  map[string]any{"ResolutionStrategy": "AUTOMERGE"},
	}
	c.done("CreateBackendAPI", abAPIParams("dev", created))
	if got := c.must("GetBackendAPI", get); !reflect.DeepEqual(got["ResourceConfig"], created) || got["ResourceName"] != "data" {
		t.Fatalf("GetBackendAPI = %v, want %v", got, created)
	}

	update := map[string]any{
		"DefaultAuthType": map[string]any{"Mode": "OPENID_CONNECT", "Settings": map[string]any{
			"OpenIDProviderName": "corp", "OpenIDIssueURL": "https://login.example.com", "OpenIDClientId": "abc",
			"OpenIDAuthTTL": "3600000", "OpenIDIatTTL": "3600000"}},
		"AdditionalAuthTypes": []any{
			map[string]any{"Mode": "AMAZON_COGNITO_USER_POOLS", "Settings": map[string]any{"CognitoUserPoolId": "us-east-1_AbCdEf123"}},
			map[string]any{"Mode": "API_KEY", "Settings": map[string]any{"ExpirationTime": 7.0}},
		},
		"ConflictResolution": map[string]any{"ResolutionStrategy": "OPTIMISTIC_CONCURRENCY"},
	}
	upd := c.must("UpdateBackendAPI", abAPIParams("dev", update))
	if upd["Operation"] != "UpdateBackendAPI" || upd["Status"] != "IN_PROGRESS" {
		t.Fatalf("UpdateBackendAPI = %v", upd)
	}
	if j := c.wait(abApp, "dev", abStr(upd, "JobId")); j["Status"] != "COMPLETED" {
		t.Fatalf("update job = %v", j)
	}
	want := map[string]any{}
	for k, v := range created {
		want[k] = v
	}
	for k, v := range update {
		want[k] = v
	}
	if got := c.must("GetBackendAPI", get); !reflect.DeepEqual(got["ResourceConfig"], want) {
		t.Fatalf("after the update GetBackendAPI = %v, want %v", got["ResourceConfig"], want)
	}

	mode := func(m string, settings map[string]any) map[string]any {
		t := map[string]any{"Mode": m}
		if settings != nil {
			t["Settings"] = settings
		}
		return t
	}
	bad := []struct {
		name      string
		cfg       map[string]any
		fragments []string
	}{
		{"unknown mode", map[string]any{"DefaultAuthType": mode("BASIC", nil)}, []string{"resourceConfig.defaultAuthType.mode", "BASIC"}},
		{"mode missing", map[string]any{"DefaultAuthType": map[string]any{"Settings": map[string]any{}}}, []string{"resourceConfig.defaultAuthType.mode", "required"}},
		{"OIDC without issuer", map[string]any{"DefaultAuthType": mode("OPENID_CONNECT", map[string]any{"OpenIDProviderName": "x"})}, []string{"openIDIssueURL", "required"}},
		{"OIDC over http", map[string]any{"DefaultAuthType": mode("OPENID_CONNECT", map[string]any{"OpenIDProviderName": "x", "OpenIDIssueURL": "http://login.example.com"})}, []string{"openIDIssueURL", "https"}},
		{"OIDC bad TTL", map[string]any{"DefaultAuthType": mode("OPENID_CONNECT", map[string]any{"OpenIDProviderName": "x", "OpenIDIssueURL": "https://a.example", "OpenIDIatTTL": "soon"})}, []string{"openIDIatTTL"}},
		{"API key for 400 days", map[string]any{"DefaultAuthType": mode("API_KEY", map[string]any{"ExpirationTime": 400.0})}, []string{"expirationTime", "365"}},
		{"additional equals default", map[string]any{"AdditionalAuthTypes": []any{mode("OPENID_CONNECT", map[string]any{"OpenIDProviderName": "x", "OpenIDIssueURL": "https://a.example"})}}, []string{"additionalAuthTypes.1.member.mode", "default"}},
		{"additional twice", map[string]any{"AdditionalAuthTypes": []any{mode("AWS_IAM", nil), mode("AWS_IAM", nil)}}, []string{"additionalAuthTypes.2.member.mode", "more than once"}},
		{"user pools without auth", map[string]any{"AdditionalAuthTypes": []any{mode("AMAZON_COGNITO_USER_POOLS", nil)}}, []string{"cognitoUserPoolId", "no auth resource"}},
		{"bad user pool id", map[string]any{"AdditionalAuthTypes": []any{mode("AMAZON_COGNITO_USER_POOLS", map[string]any{"CognitoUserPoolId": "pool"})}}, []string{"cognitoUserPoolId", "pool"}},
		{"not AppSync", map[string]any{"Service": "Lambda"}, []string{"resourceConfig.service", "Lambda"}},
		{"bad API name", map[string]any{"ApiName": "1api"}, []string{"resourceConfig.apiName", "1api"}},
		{"conflict resolution without strategy", map[string]any{"ConflictResolution": map[string]any{}}, []string{"resolutionStrategy", "required"}},
		{"unknown strategy", map[string]any{"ConflictResolution": map[string]any{"ResolutionStrategy": "LAST_WRITER"}}, []string{"resolutionStrategy", "LAST_WRITER"}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			c := c.as(abAcct1)
			c.t = t
			c.fails("UpdateBackendAPI", abAPIParams("dev", tc.cfg), "BadRequestException", tc.fragments...)
			if got := c.must("GetBackendAPI", get); !reflect.DeepEqual(got["ResourceConfig"], want) {
				t.Fatalf("a rejected update changed the API: %v", got["ResourceConfig"])
			}
		})
	}
	c.fails("UpdateBackendAPI", map[string]any{"AppId": abApp, "BackendEnvironmentName": "dev", "ResourceName": "other", "ResourceConfig": map[string]any{}}, "NotFoundException", "other")
	c.fails("CreateBackendAPI", abAPIParams("dev", map[string]any{}), "BadRequestException", "already has an API resource")
	c.fails("GetBackendAPI", map[string]any{"AppId": abApp, "BackendEnvironmentName": "prod", "ResourceName": "data"}, "NotFoundException", "prod")
}

// TestAmplifyBackendGenerateModels generates models from a real schema, sees
// them go STALE when the schema changes, and a broken schema fail the job
// with the parser's message and location.
func TestAmplifyBackendGenerateModels(t *testing.T) {
	t.Parallel()
	srv, clk := abStartClocked(t)
	c := newABClient(t, srv, abAcct1)
	settle := func() { clk.advance(time.Minute) }
	c.must("CreateBackend", map[string]any{"AppId": abApp, "AppName": "Example", "BackendEnvironmentName": "dev"})
	settle()
	res := map[string]any{"AppId": abApp, "BackendEnvironmentName": "dev", "ResourceName": "data"}

	c.must("CreateBackendAPI", abAPIParams("dev", map[string]any{}))
	settle()
	if got := c.must("GetBackendAPI", res)["ResourceConfig"].(map[string]any); got["ApiName"] != "data" || got["Service"] != "AppSync" ||
		!reflect.DeepEqual(got["DefaultAuthType"], map[string]any{"Mode": "API_KEY", "Settings": map[string]any{"ExpirationTime": 7.0}}) {
		t.Fatalf("defaults of CreateBackendAPI = %v", got)
	}
	c.fails("GenerateBackendAPIModels", res, "BadRequestException", "transformSchema")
	if m := c.must("GetBackendAPIModels", res); m["Status"] != "STALE" || m["Models"] != nil {
		t.Fatalf("models before any generation = %v", m)
	}

	c.must("UpdateBackendAPI", abAPIParams("dev", map[string]any{"TransformSchema": abTodoSchema}))
	settle()
	gen := c.must("GenerateBackendAPIModels", res)
	if gen["Operation"] != "GenerateBackendAPIModels" || gen["Status"] != "IN_PROGRESS" {
		t.Fatalf("GenerateBackendAPIModels = %v", gen)
	}
	if m := c.must("GetBackendAPIModels", res); m["Models"] != nil {
		t.Fatalf("models visible before the job completed: %v", m)
	}
	settle()
	if j := c.must("GetBackendJob", map[string]any{"AppId": abApp, "BackendEnvironmentName": "dev", "JobId": gen["JobId"]}); j["Status"] != "COMPLETED" {
		t.Fatalf("generation job = %v", j)
	}
	m := c.must("GetBackendAPIModels", res)
	if m["Status"] != "LATEST" {
		t.Fatalf("GetBackendAPIModels = %v", m)
	}
	var mis, ds map[string]any
	if err := json.Unmarshal([]byte(abStr(m, "ModelIntrospectionSchema")), &mis); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(abStr(m, "Models")), &ds); err != nil {
		t.Fatal(err)
	}
	todo := mis["models"].(map[string]any)["Todo"].(map[string]any)
	fields := todo["fields"].(map[string]any)
	if !reflect.DeepEqual(todo["primaryKeyInfo"], map[string]any{"isCustomPrimaryKey": false, "primaryKeyFieldName": "id", "sortKeyFieldNames": []any{}}) ||
		!reflect.DeepEqual(fields["name"], map[string]any{"name": "name", "isArray": false, "type": "String", "isRequired": true, "attributes": []any{}}) ||
		!reflect.DeepEqual(fields["priority"].(map[string]any)["type"], map[string]any{"enum": "Priority"}) ||
		fields["createdAt"].(map[string]any)["isReadOnly"] != true || todo["pluralName"] != "Todos" {
		t.Fatalf("Todo in the model introspection schema = %v", todo)
	}
	if !reflect.DeepEqual(mis["enums"], map[string]any{"Priority": map[string]any{"name": "Priority", "values": []any{"LOW", "HIGH"}}}) {
		t.Fatalf("enums = %v", mis["enums"])
	}
	if _, ok := ds["models"].(map[string]any)["Todo"]; !ok || ds["version"] == "" {
		t.Fatalf("DataStore models = %v", ds)
	}

	// A changed schema makes the models STALE until they are generated again.
	c.must("UpdateBackendAPI", abAPIParams("dev", map[string]any{"TransformSchema": abTodoSchema + "\ntype Note @model { text: String }\n"}))
	settle()
	if m := c.must("GetBackendAPIModels", res); m["Status"] != "STALE" || m["Models"] == nil {
		t.Fatalf("after a schema change = %v", m)
	}

	// A broken schema fails the job; the models stay as they were.
	broken := "type Todo @model {\n  id: ID!\n  name: Strin\n}\n"
	c.must("UpdateBackendAPI", abAPIParams("dev", map[string]any{"TransformSchema": broken}))
	settle()
	gen = c.must("GenerateBackendAPIModels", res)
	settle()
	j := c.must("GetBackendJob", map[string]any{"AppId": abApp, "BackendEnvironmentName": "dev", "JobId": gen["JobId"]})
	if j["Status"] != "FAILED" || j["Error"] != "TransformSchema:3:9: Undefined type Strin." {
		t.Fatalf("generation of a broken schema = %v", j)
	}
	if m := c.must("GetBackendAPIModels", res); m["Status"] != "STALE" || !strings.Contains(abStr(m, "Models"), `"Todo"`) {
		t.Fatalf("after the failed job = %v", m)
	}
	syntax := "type Todo @model {\n  id: ID!\n  name:\n}\n"
	c.must("UpdateBackendAPI", abAPIParams("dev", map[string]any{"TransformSchema": syntax}))
	settle()
	gen = c.must("GenerateBackendAPIModels", res)
	settle()
	j = c.must("GetBackendJob", map[string]any{"AppId": abApp, "BackendEnvironmentName": "dev", "JobId": gen["JobId"]})
	if j["Status"] != "FAILED" || j["Error"] != "TransformSchema:4:1: Expected Name, found }" {
		t.Fatalf("generation of a schema with a syntax error = %v", j)
	}

	c.must("DeleteBackendAPI", res)
	settle()
	c.fails("GetBackendAPIModels", res, "NotFoundException", "data")
	c.fails("GenerateBackendAPIModels", res, "NotFoundException", "data")
}
