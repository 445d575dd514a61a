package qapps

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/qappsapi"
	"github.com/ersatz-dev/ersatz/internal/protocol"
	"github.com/ersatz-dev/ersatz/internal/store"
	"github.com/ersatz-dev/ersatz/internal/store/memory"
	"github.com/ersatz-dev/ersatz/internal/store/sqlite"
	"github.com/ersatz-dev/ersatz/internal/validate"
)

const (
	idA = "4cf94d96-8819-45c2-98cc-58c56b35c72f"
	idB = "18870b94-1e63-40e0-8c12-669c90ac5acc"
	idC = "91e4513d-6981-454a-9329-329c9302eef4"
	idD = "6fb5b404-3b7b-48a4-8a8b-56406922a606"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// backends are the stores the service tests run on.
var backends = map[string]func(t *testing.T) store.Store{
	"memory": func(*testing.T) store.Store { return memory.New() },
	"sqlite": func(t *testing.T) store.Store {
		st, err := sqlite.Open(context.Background(), t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return st
	},
}

func newServiceOn(t *testing.T, st store.Store) (*Service, *clock) {
	t.Helper()
	t.Cleanup(func() { _ = st.Close() })
	c := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	return New(st, WithClock(c.now), WithBaseURL(func(context.Context) string { return "http://ersatz.test/" })), c
}

// forEachBackend runs body on a fresh service over every backend.
func forEachBackend(t *testing.T, body func(t *testing.T, s *Service, c *clock)) {
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			s, c := newServiceOn(t, open(t))
			body(t, s, c)
		})
	}
}

func as(accessKey string) context.Context {
	return api.WithCaller(context.Background(), api.Caller{Account: "123456789012", Region: "us-east-1", AccessKeyID: accessKey})
}

func text(id, title string) qappsapi.CardInput {
	return qappsapi.CardInput{TextInput: &qappsapi.TextInputCardInput{Id: api.Ptr(id), Title: api.Ptr(title), Type: api.Ptr("text-input")}}
}

func query(id, title, prompt string) qappsapi.CardInput {
	return qappsapi.CardInput{QQuery: &qappsapi.QQueryCardInput{Id: api.Ptr(id), Title: api.Ptr(title), Type: api.Ptr("q-query"), Prompt: api.Ptr(prompt)}}
}

func form(id string, schema string) qappsapi.CardInput {
	return qappsapi.CardInput{FormInput: &qappsapi.FormInputCardInput{Id: api.Ptr(id), Title: api.Ptr("Form"), Type: api.Ptr("form-input"),
		Metadata: &qappsapi.FormInputCardMetadata{Schema: json.RawMessage(schema)}}}
}

func noFiles(string) (fileRecord, bool, error) { return fileRecord{}, false, nil }

func TestMentions(t *testing.T) {
	tests := []struct {
		prompt string
		want   []string
	}{
		{"colors for @" + idA, []string{idA}},
		{"@" + idA + " and @{" + idB + "}.", []string{idA, idB}},
		{"@{ " + idC + " } spaced", []string{idC}},
		{"mail user@example.com or @team", nil},
		{"@{Card title}", []string{"Card title"}},
		{"unclosed @{" + idA, nil},
		{"upper @" + strings.ToUpper(idA) + "x", []string{strings.ToUpper(idA)}},
		{"", nil},
	}
	for _, tt := range tests {
		var got []string
		for _, m := range mentions(tt.prompt) {
			got = append(got, m.id)
			if tt.prompt[m.start] != '@' {
				t.Errorf("%q: mention %q does not start at an @", tt.prompt, m.id)
			}
		}
		if strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("mentions(%q) = %v, want %v", tt.prompt, got, tt.want)
		}
	}
}

func TestBuildDefinition(t *testing.T) {
	tests := []struct {
		name  string
		cards []qappsapi.CardInput
		want  string // substring of the ValidationException message; "" for success
	}{
		{"text and query", []qappsapi.CardInput{text(idA, "Color"), query(idB, "Palette", "colors with @"+idA)}, ""},
		{"braced mention", []qappsapi.CardInput{text(idA, "Color"), query(idB, "Palette", "colors with @{"+idA+"}")}, ""},
		{"forward mention", []qappsapi.CardInput{query(idB, "Palette", "colors with @"+idA), text(idA, "Color")}, ""},
		{"duplicate id", []qappsapi.CardInput{text(idA, "One"), text(idA, "Two")}, "appDefinition.cards.2.member.textInput.id"},
		{"duplicate id other case", []qappsapi.CardInput{text(idA, "One"), text(strings.ToUpper(idA), "Two")}, "already used"},
		{"missing mention", []qappsapi.CardInput{text(idA, "Color"), query(idB, "Palette", "with @"+idC)}, "no card with id"},
		{"missing braced mention", []qappsapi.CardInput{query(idB, "Palette", "with @{nothing}")}, `"nothing"`},
		{"self mention", []qappsapi.CardInput{query(idB, "Palette", "again @"+idB)}, "its own card"},
		{"cycle", []qappsapi.CardInput{query(idB, "B", "@"+idC), query(idC, "C", "@"+idB)}, "cycle"},
		{"type mismatch", []qappsapi.CardInput{{TextInput: &qappsapi.TextInputCardInput{Id: api.Ptr(idA), Title: api.Ptr("x"), Type: api.Ptr("q-query")}}}, "textInput.type"},
		{"form schema not object", []qappsapi.CardInput{form(idD, `[1]`)}, "metadata.schema"},
		{"default file missing", []qappsapi.CardInput{{FileUpload: &qappsapi.FileUploadCardInput{Id: api.Ptr(idA), Title: api.Ptr("F"), Type: api.Ptr("file-upload"), FileId: api.Ptr(idC)}}}, "fileId"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cards, caps, err := buildDefinition(&qappsapi.AppDefinitionInput{Cards: tt.cards}, "appDefinition", noFiles)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if len(cards) != len(tt.cards) {
					t.Fatalf("got %d cards, want %d", len(cards), len(tt.cards))
				}
				if cards[0].TextInput == nil && cards[0].QQuery == nil {
					t.Fatalf("first card lost its member: %+v", cards[0])
				}
				if got := strings.Join(caps, ","); got != "RetrievalMode" {
					t.Errorf("capabilities = %q, want RetrievalMode", got)
				}
				return
			}
			var ve *qappsapi.ValidationException
			if !errors.As(err, &ve) {
				t.Fatalf("got %v, want a ValidationException", err)
			}
			if !strings.Contains(*ve.Message, tt.want) {
				t.Fatalf("message %q does not contain %q", *ve.Message, tt.want)
			}
		})
	}
}

func TestBuildDefinitionDependenciesAndDefaults(t *testing.T) {
	plugin := qappsapi.CardInput{QPlugin: &qappsapi.QPluginCardInput{Id: api.Ptr(idC), Title: api.Ptr("Ticket"), Type: api.Ptr("q-plugin"),
		Prompt: api.Ptr("file @" + idB + " for @" + idA + " and @" + idA), PluginId: api.Ptr(strings.Repeat("p", 36))}}
	llm := query(idB, "Summary", "summarize @"+idD)
	llm.QQuery.OutputSource = api.Ptr("llm")
	cards, caps, err := buildDefinition(&qappsapi.AppDefinitionInput{Cards: []qappsapi.CardInput{
		text(idA, "Name"), llm, plugin, form(idD, `{"type":"object"}`),
	}}, "appDefinition", noFiles)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(cards[2].QPlugin.Dependencies, ","); got != idB+","+idA {
		t.Errorf("plugin dependencies = %s, want mentions in order without repeats", got)
	}
	if got := api.Val(cards[2].QPlugin.PluginType); got != "CUSTOM" {
		t.Errorf("pluginType = %q", got)
	}
	if cards[0].TextInput.Dependencies == nil || len(cards[0].TextInput.Dependencies) != 0 {
		t.Errorf("text card dependencies = %#v, want an empty non-nil list", cards[0].TextInput.Dependencies)
	}
	if got := strings.Join(cards[1].QQuery.MemoryReferences, ","); got != idD {
		t.Errorf("memoryReferences = %q, want the form card", got)
	}
	if got := strings.Join(caps, ","); got != "CreatorMode,PluginMode" {
		t.Errorf("capabilities = %q", got)
	}
	def, _, _ := buildDefinition(&qappsapi.AppDefinitionInput{Cards: []qappsapi.CardInput{query(idA, "Q", "hello")}}, "appDefinition", noFiles)
	if got := api.Val(def[0].QQuery.OutputSource); got != "approved-sources" {
		t.Errorf("default outputSource = %q", got)
	}
}

func TestEvaluateResponder(t *testing.T) {
	plugin := qappsapi.CardInput{QPlugin: &qappsapi.QPluginCardInput{Id: api.Ptr(idC), Title: api.Ptr("Ticket"), Type: api.Ptr("q-plugin"),
		Prompt: api.Ptr("open a ticket: @{" + idB + "}"), PluginId: api.Ptr(strings.Repeat("p", 36)), ActionIdentifier: api.Ptr("create")}}
	cards, _, err := buildDefinition(&qappsapi.AppDefinitionInput{Cards: []qappsapi.CardInput{
		text(idA, "Color"), query(idB, "Palette", "colors that go with @"+idA), plugin,
	}}, "appDefinition", noFiles)
	if err != nil {
		t.Fatal(err)
	}
	res, status := evaluate(cards, nil)
	if status != "WAITING" || res[idA].state != "WAITING" || res[idB].state != "WAITING" || res[idC].state != "WAITING" {
		t.Fatalf("without input: status %s, cards %+v", status, res)
	}
	res, status = evaluate(cards, map[string]*cardInputRecord{idA: {Value: api.Ptr("red")}})
	if status != "COMPLETED" {
		t.Fatalf("status = %s", status)
	}
	if got, want := res[idB].value, "Answer (approved-sources): colors that go with red"; got != want {
		t.Errorf("query answer = %q, want %q", got, want)
	}
	want := "Plugin " + strings.Repeat("p", 36) + " action create: open a ticket: Answer (approved-sources): colors that go with red"
	if got := res[idC].value; got != want {
		t.Errorf("plugin answer = %q, want %q", got, want)
	}
}

func TestPredictDefinitionIsAccepted(t *testing.T) {
	for _, statement := range []string{
		"Summarize the uploaded PDF contract and list its risks",
		`Write a "polite" reply <email> to {customer} complaints`,
		"日本語のメールを英語に翻訳する",
		strings.Repeat("word ", 3000),
	} {
		def := predictDefinition(cut(statement, 10000))
		var rep validate.Report
		(&qappsapi.CreateQAppInput{InstanceId: api.Ptr("i"), Title: def.Title, Description: def.Description, AppDefinition: def.AppDefinition}).Validate(&rep, "")
		if !rep.OK() {
			t.Fatalf("%q: the predicted app fails the model: %s", statement[:20], rep.Message())
		}
		if _, _, err := buildDefinition(def.AppDefinition, "appDefinition", noFiles); err != nil {
			t.Fatalf("%q: the predicted app is refused: %v", statement[:20], err)
		}
		again := predictDefinition(cut(statement, 10000))
		if *again.AppDefinition.Cards[0].TextInput.Id != *def.AppDefinition.Cards[0].TextInput.Id {
			t.Fatal("prediction is not deterministic")
		}
	}
	def := predictDefinition("Summarize the uploaded PDF contract")
	if len(def.AppDefinition.Cards) != 3 || def.AppDefinition.Cards[1].FileUpload == nil {
		t.Fatalf("a statement about a PDF should give a file-upload card: %+v", def.AppDefinition.Cards)
	}
	if got := *def.Title; got != "Summarize the uploaded PDF contract" {
		t.Errorf("title = %q", got)
	}
}

func TestUserIDForAccessKey(t *testing.T) {
	uuid := regexp.MustCompile(`^[\da-f]{8}-[\da-f]{4}-5[\da-f]{3}-[89ab][\da-f]{3}-[\da-f]{12}$`)
	a, b := UserIDForAccessKey("AKIDUSERONE00000001"), UserIDForAccessKey("AKIDUSERTWO00000002")
	if !uuid.MatchString(a) || !uuid.MatchString(b) {
		t.Fatalf("user ids %s %s are not version 5 UUIDs", a, b)
	}
	if a == b || a != UserIDForAccessKey("AKIDUSERONE00000001") {
		t.Fatal("user ids must be stable and distinct")
	}
	u, err := callerUser(api.Caller{AccessKeyID: "AKID", UserID: "alice", Email: "alice@example.com"})
	if err != nil || u.ID != "alice" || u.Email != "alice@example.com" {
		t.Fatalf("a credentials file identity must win: %+v %v", u, err)
	}
	if _, err := callerUser(api.Caller{}); err == nil {
		t.Fatal("an unsigned request has no user")
	}
}

func TestWireEncodingKeepsEmptyRequiredLists(t *testing.T) {
	out := &qappsapi.ListQAppsOutput{}
	protocol.FillRequired(out)
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"apps":[]}` {
		t.Fatalf("got %s", b)
	}
	now := time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC)
	card := &qappsapi.GetQAppOutput{AppId: api.Ptr("a"), CreatedAt: api.ISO(now), AppDefinition: &qappsapi.AppDefinition{
		Cards: []qappsapi.Card{{FormInput: &qappsapi.FormInputCard{Dependencies: []string{}, Metadata: &qappsapi.FormInputCardMetadata{Schema: json.RawMessage(`{"a":1}`)}}}},
	}}
	protocol.FillRequired(card)
	b, _ = json.Marshal(card)
	want := `{"appId":"a","createdAt":"2026-01-02T03:04:05.006Z","appDefinition":{"cards":[{"formInput":{"dependencies":[],"metadata":{"schema":{"a":1}}}}]}}`
	if string(b) != want {
		t.Fatalf("got  %s\nwant %s", b, want)
	}
}

func TestPermissionRules(t *testing.T) { forEachBackend(t, testPermissionRules) }

func testPermissionRules(t *testing.T, s *Service, _ *clock) {
	owner, other := as("AKIDOWNER"), as("AKIDOTHER")
	app, err := s.CreateQApp(owner, &qappsapi.CreateQAppInput{InstanceId: api.Ptr("inst"), Title: api.Ptr("T"),
		AppDefinition: &qappsapi.AppDefinitionInput{Cards: []qappsapi.CardInput{text(idA, "x")}}})
	if err != nil {
		t.Fatal(err)
	}
	otherID := UserIDForAccessKey("AKIDOTHER")
	// The directory: the other key's user, and bob whom the credentials file names.
	s.users = []DirectoryUser{{Account: "123456789012", ID: otherID}, {Account: "123456789012", ID: "bob", Email: "bob@example.com"}}
	update := func(ctx context.Context, grant, revoke []qappsapi.PermissionInput) (*qappsapi.UpdateQAppPermissionsOutput, error) {
		return s.UpdateQAppPermissions(ctx, &qappsapi.UpdateQAppPermissionsInput{InstanceId: api.Ptr("inst"), AppId: app.AppId, GrantPermissions: grant, RevokePermissions: revoke})
	}
	p := func(action, principal string) qappsapi.PermissionInput {
		return qappsapi.PermissionInput{Action: api.Ptr(action), Principal: api.Ptr(principal)}
	}
	if _, err := update(other, []qappsapi.PermissionInput{p("read", otherID)}, nil); !isCode(err, "AccessDeniedException") {
		t.Fatalf("a stranger granting itself read: %v", err)
	}
	for range 2 { // granting twice is the same as once
		out, err := update(owner, []qappsapi.PermissionInput{p("read", otherID), p("read", "Bob@Example.com")}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Permissions) != 3 || *out.Permissions[0].Principal.UserType != "owner" ||
			*out.Permissions[2].Principal.Email != "bob@example.com" || *out.Permissions[2].Principal.UserId != "bob" {
			t.Fatalf("permissions = %s", mustJSON(out.Permissions))
		}
	}
	if out, err := update(owner, nil, []qappsapi.PermissionInput{p("write", otherID)}); err != nil || len(out.Permissions) != 3 {
		t.Fatalf("revoking what was never granted: %v %s", err, mustJSON(out))
	}
	if _, err := update(owner, nil, []qappsapi.PermissionInput{p("write", "nobody")}); !isCode(err, "ValidationException") {
		t.Fatalf("revoking from a principal that names no user: %v", err)
	}
	if _, err := update(owner, nil, []qappsapi.PermissionInput{p("read", UserIDForAccessKey("AKIDOWNER"))}); !isCode(err, "ValidationException") {
		t.Fatalf("revoking the owner: %v", err)
	}
	if _, err := update(owner, []qappsapi.PermissionInput{p("write", "x")}, []qappsapi.PermissionInput{p("write", "x")}); !isCode(err, "ValidationException") {
		t.Fatalf("granting and revoking the same: %v", err)
	}
	if out, err := update(owner, []qappsapi.PermissionInput{p("write", UserIDForAccessKey("AKIDOWNER"))}, nil); err != nil || len(out.Permissions) != 3 {
		t.Fatalf("granting the owner changes nothing: %v %s", err, mustJSON(out))
	}
}

func isCode(err error, code string) bool {
	var se api.ServiceError
	return errors.As(err, &se) && se.ErrorCode() == code
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
