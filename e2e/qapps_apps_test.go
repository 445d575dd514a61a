package e2e_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

var qaUUID = regexp.MustCompile(`^[\da-f]{8}-[\da-f]{4}-4[\da-f]{3}-[89ab][\da-f]{3}-[\da-f]{12}$`)

func TestQAppsAppLifecycle(t *testing.T) {
	t.Parallel()
	e := startQApps(t)
	created := e.call(t, qaUser1, "CreateQApp", qaIn(qaInstance, qaPaletteApp("Color Palette Generator")))
	appID := qaStr(t, created, "appId")
	if !qaUUID.MatchString(appID) {
		t.Fatalf("appId %q is not a version 4 UUID", appID)
	}
	want := map[string]any{
		"appArn":               "arn:aws:qapps:us-east-1:000000000000:application/" + qaInstance + "/qapp/" + appID,
		"title":                "Color Palette Generator",
		"initialPrompt":        "Create an app that recommend a list of colors based on input.",
		"appVersion":           1.0,
		"status":               "DRAFT",
		"createdBy":            qaID(qaUser1),
		"updatedBy":            qaID(qaUser1),
		"requiredCapabilities": []any{"RetrievalMode"},
	}
	for k, v := range want {
		if !qaJSONEqual(created[k], v) {
			t.Errorf("CreateQApp %s = %v, want %v", k, created[k], v)
		}
	}
	if created["createdAt"] == nil || created["createdAt"] != created["updatedAt"] {
		t.Errorf("createdAt %v / updatedAt %v", created["createdAt"], created["updatedAt"])
	}

	get := qaIn(qaInstance, map[string]any{"appId": appID})
	got := e.call(t, qaUser1, "GetQApp", get)
	def := qaObj(t, got, "appDefinition")
	wantDef := map[string]any{
		"appDefinitionVersion": "1",
		"canEdit":              true,
		"cards": []any{
			map[string]any{"textInput": map[string]any{"id": qaCardText, "title": "Color Base", "type": "text-input", "dependencies": []any{}}},
			map[string]any{"qQuery": map[string]any{"id": qaCardQuery, "title": "Recommended Palette", "type": "q-query",
				"prompt":       "Recommend me a list of colors that go well with @" + qaCardText,
				"outputSource": "approved-sources", "dependencies": []any{qaCardText}}},
		},
	}
	if !qaJSONEqual(def, wantDef) {
		t.Fatalf("appDefinition = %v\nwant %v", def, wantDef)
	}

	// Each update is a new version; old versions stay readable.
	up := e.call(t, qaUser1, "UpdateQApp", qaIn(qaInstance, map[string]any{"appId": appID, "title": "This is the new title"}))
	if qaNum(t, up, "appVersion") != 2 || qaStr(t, up, "title") != "This is the new title" || qaStr(t, up, "initialPrompt") != want["initialPrompt"] {
		t.Fatalf("UpdateQApp = %v", up)
	}
	up = e.call(t, qaUser1, "UpdateQApp", qaIn(qaInstance, map[string]any{"appId": appID, "appDefinition": map[string]any{
		"cards": []any{map[string]any{"qQuery": map[string]any{"type": "q-query", "title": "Trip Ideas", "id": qaCardQuery,
			"prompt": "Recommend me an itinerary for a trip", "outputSource": "llm"}}}}}))
	if qaNum(t, up, "appVersion") != 3 || up["initialPrompt"] != nil || !qaJSONEqual(up["requiredCapabilities"], []any{"CreatorMode"}) {
		t.Fatalf("UpdateQApp definition = %v", up)
	}
	v1 := e.call(t, qaUser1, "GetQApp", qaIn(qaInstance, map[string]any{"appId": appID, "appVersion": 1}))
	if qaStr(t, v1, "title") != "Color Palette Generator" || len(qaList(t, qaObj(t, v1, "appDefinition"), "cards")) != 2 {
		t.Fatalf("GetQApp version 1 = %v", v1)
	}
	latest := e.call(t, qaUser1, "GetQApp", get)
	if qaNum(t, latest, "appVersion") != 3 || qaStr(t, latest, "title") != "This is the new title" {
		t.Fatalf("GetQApp latest = %v", latest)
	}
	e.fail(t, qaUser1, "GetQApp", qaIn(qaInstance, map[string]any{"appId": appID, "appVersion": 9}), "ResourceNotFoundException", 404)

	e.call(t, qaUser1, "DeleteQApp", get)
	e.fail(t, qaUser1, "GetQApp", get, "ResourceNotFoundException", 404)
	e.fail(t, qaUser1, "DeleteQApp", get, "ResourceNotFoundException", 404)
	e.fail(t, qaUser1, "UpdateQApp", qaIn(qaInstance, map[string]any{"appId": appID, "title": "x"}), "ResourceNotFoundException", 404)
	if apps := qaList(t, e.call(t, qaUser1, "ListQApps", qaIn(qaInstance, nil)), "apps"); len(apps) != 0 {
		t.Fatalf("ListQApps after delete = %v", apps)
	}
}

// TestQAppsRejectsBadInput: bad definitions and permissions are a
// ValidationException naming the field, and change nothing.
func TestQAppsRejectsBadInput(t *testing.T) {
	t.Parallel()
	e := startQApps(t)
	appID := e.createApp(t, qaUser1, qaInstance, qaPaletteApp("Original"))
	get := qaIn(qaInstance, map[string]any{"appId": appID})
	before := e.call(t, qaUser1, "GetQApp", get)
	perms := e.call(t, qaUser1, "DescribeQAppPermissions", get)
	cards := func(cs ...any) map[string]any { return map[string]any{"cards": append([]any{}, cs...)} }
	twoMembers := map[string]any{
		"textInput": map[string]any{"id": qaCardText, "title": "A", "type": "text-input"},
		"qQuery":    map[string]any{"id": qaCardQuery, "title": "B", "type": "q-query", "prompt": "p"},
	}
	defs := []struct {
		name string
		def  map[string]any
		want string
	}{
		{"union with two members", cards(twoMembers), "appDefinition.cards.1.member"},
		{"mention of a missing card", cards(qaTextCard(qaCardText, "A"), qaQueryCard(qaCardQuery, "B", "about @"+qaCardForm)), qaCardForm},
		{"braced mention of a missing card", cards(qaQueryCard(qaCardQuery, "B", "about @{nothing here}")), "nothing here"},
		{"mention of itself", cards(qaQueryCard(qaCardQuery, "B", "about @"+qaCardQuery)), "its own card"},
		{"mention cycle", cards(qaQueryCard(qaCardQuery, "B", "@"+qaCardPlug), qaQueryCard(qaCardPlug, "C", "@{"+qaCardQuery+"}")), "cycle"},
		{"duplicate card ids", cards(qaTextCard(qaCardText, "A"), qaTextCard(qaCardText, "B")), "appDefinition.cards.2.member.textInput.id"},
		{"type of another member", cards(map[string]any{"textInput": map[string]any{"id": qaCardText, "title": "A", "type": "q-query"}}), "textInput.type"},
		{"card id not a UUID", cards(qaTextCard("card-1", "A")), "id"},
		{"more than 20 cards", cards(func() []any {
			var cs []any
			for i := range 21 {
				cs = append(cs, qaTextCard(fmt.Sprintf("%08x-0000-4000-8000-000000000000", i), "A"))
			}
			return cs
		}()...), "appDefinition.cards"},
		{"form schema not an object", cards(map[string]any{"formInput": map[string]any{"id": qaCardForm, "title": "F", "type": "form-input",
			"metadata": map[string]any{"schema": "free text"}}}), "metadata.schema"},
	}
	for _, tt := range defs {
		t.Run(tt.name, func(t *testing.T) {
			berr := e.fail(t, qaUser1, "CreateQApp", qaIn(qaInstance, map[string]any{"title": "Bad", "appDefinition": tt.def}), "ValidationException", 400)
			qaContains(t, berr.Message, tt.want)
			berr = e.fail(t, qaUser1, "UpdateQApp", qaIn(qaInstance, map[string]any{"appId": appID, "title": "Changed", "appDefinition": tt.def}), "ValidationException", 400)
			qaContains(t, berr.Message, tt.want)
		})
	}
	badPerms := []struct {
		name   string
		params map[string]any
		want   string
	}{
		{"action delete", map[string]any{"grantPermissions": []any{
			map[string]any{"action": "read", "principal": qaID(qaUser2)},
			map[string]any{"action": "delete", "principal": qaID(qaUser3)},
		}}, "grantPermissions.2.member.action"},
		{"revoke the owner", map[string]any{
			"grantPermissions":  []any{map[string]any{"action": "read", "principal": qaID(qaUser2)}},
			"revokePermissions": []any{map[string]any{"action": "write", "principal": qaID(qaUser1)}},
		}, "owner"},
		{"grant and revoke the same", map[string]any{
			"grantPermissions":  []any{map[string]any{"action": "read", "principal": qaID(qaUser2)}},
			"revokePermissions": []any{map[string]any{"action": "read", "principal": qaID(qaUser2)}},
		}, "revokePermissions.1.member"},
		{"empty principal", map[string]any{"grantPermissions": []any{map[string]any{"action": "read", "principal": ""}}}, "principal"},
	}
	for _, tt := range badPerms {
		t.Run(tt.name, func(t *testing.T) {
			p := qaIn(qaInstance, tt.params)
			p["appId"] = appID
			berr := e.fail(t, qaUser1, "UpdateQAppPermissions", p, "ValidationException", 400)
			qaContains(t, berr.Message, tt.want)
		})
	}
	e.fail(t, qaUser1, "CreateQApp", qaIn(qaInstance, map[string]any{"title": "bad {title}", "appDefinition": cards()}), "ValidationException", 400)
	e.fail(t, qaUser1, "CreateQApp", qaIn("", qaPaletteApp("No instance")), "ValidationException", 400)
	e.fail(t, qaUser1, "CreateQApp", qaIn(qaInstance, map[string]any{"title": "Tags", "appDefinition": cards(), "tags": map[string]any{"aws:x": "y"}}), "ValidationException", 400)

	// Nothing changed.
	if after := e.call(t, qaUser1, "GetQApp", get); !qaJSONEqual(after, before) {
		t.Fatalf("a refused update changed the app:\nbefore %v\nafter  %v", before, after)
	}
	if after := e.call(t, qaUser1, "DescribeQAppPermissions", get); !qaJSONEqual(after, perms) {
		t.Fatalf("a refused permission update changed the permissions: %v", after)
	}
	if apps := qaList(t, e.call(t, qaUser1, "ListQApps", qaIn(qaInstance, nil)), "apps"); len(apps) != 1 {
		t.Fatalf("refused creates left apps behind: %v", apps)
	}
}

func TestQAppsListPaginationAndAssociation(t *testing.T) {
	t.Parallel()
	e := startQApps(t)
	made := map[string]bool{}
	for i := range 5 {
		made[e.createApp(t, qaUser1, qaInstance, qaPaletteApp("App "+string(rune('A'+i))))] = true
	}
	seen := map[string]bool{}
	var sizes []int
	token := ""
	for page := 0; ; page++ {
		p := qaIn(qaInstance, map[string]any{"limit": 2})
		if token != "" {
			p["nextToken"] = token
		}
		out := e.call(t, qaUser1, "ListQApps", p)
		apps := qaList(t, out, "apps")
		sizes = append(sizes, len(apps))
		for _, a := range apps {
			item := a.(map[string]any)
			id := qaStr(t, item, "appId")
			if seen[id] || !made[id] {
				t.Fatalf("page %d lists %s again or an unknown app", page, id)
			}
			seen[id] = true
			if item["canEdit"] != true || item["status"] != "DRAFT" || item["isVerified"] != false || !strings.HasSuffix(qaStr(t, item, "appArn"), "/qapp/"+id) {
				t.Fatalf("ListQApps item = %v", item)
			}
		}
		next, _ := out["nextToken"].(string)
		if next == "" {
			break
		}
		token = next
	}
	if len(seen) != 5 || len(sizes) != 3 || sizes[0] != 2 || sizes[1] != 2 || sizes[2] != 1 {
		t.Fatalf("pages of 2 over 5 apps: sizes %v, %d apps", sizes, len(seen))
	}
	e.fail(t, qaUser1, "ListQApps", qaIn(qaInstance, map[string]any{"nextToken": "not-a-token"}), "ValidationException", 400)
	e.fail(t, qaUser1, "ListQApps", qaIn(qaInstance, map[string]any{"limit": 0}), "ValidationException", 400)

	// Another user lists nothing, cannot associate an app it cannot read,
	// and lists the app once associated after a grant.
	var appID string
	for id := range made {
		appID = id
		break
	}
	if apps := qaList(t, e.call(t, qaUser2, "ListQApps", qaIn(qaInstance, nil)), "apps"); len(apps) != 0 {
		t.Fatalf("user 2 lists %v", apps)
	}
	assoc := qaIn(qaInstance, map[string]any{"appId": appID})
	e.fail(t, qaUser2, "AssociateQAppWithUser", assoc, "AccessDeniedException", 403)
	e.fail(t, qaUser2, "AssociateQAppWithUser", qaIn(qaInstance, map[string]any{"appId": "393e77fb-0a30-4f47-ad30-75d71aeaed8a"}), "ResourceNotFoundException", 404)
	e.call(t, qaUser1, "UpdateQAppPermissions", qaIn(qaInstance, map[string]any{"appId": appID,
		"grantPermissions": []any{map[string]any{"action": "read", "principal": qaID(qaUser2)}}}))
	e.call(t, qaUser2, "AssociateQAppWithUser", assoc)
	e.call(t, qaUser2, "AssociateQAppWithUser", assoc) // twice is once
	apps := qaList(t, e.call(t, qaUser2, "ListQApps", qaIn(qaInstance, nil)), "apps")
	if len(apps) != 1 || apps[0].(map[string]any)["appId"] != appID || apps[0].(map[string]any)["canEdit"] != false {
		t.Fatalf("user 2 lists %v after associating %s", apps, appID)
	}
	e.call(t, qaUser2, "DisassociateQAppFromUser", assoc)
	e.call(t, qaUser2, "DisassociateQAppFromUser", assoc)
	if apps := qaList(t, e.call(t, qaUser2, "ListQApps", qaIn(qaInstance, nil)), "apps"); len(apps) != 0 {
		t.Fatalf("user 2 lists %v after disassociating", apps)
	}
	// The owner's own apps stay listed.
	e.call(t, qaUser1, "DisassociateQAppFromUser", assoc)
	if apps := qaList(t, e.call(t, qaUser1, "ListQApps", qaIn(qaInstance, nil)), "apps"); len(apps) != 5 {
		t.Fatalf("owner lists %d apps after disassociating its own", len(apps))
	}
	e.fail(t, qaUser1, "DisassociateQAppFromUser", qaIn(qaInstance, map[string]any{"appId": "393e77fb-0a30-4f47-ad30-75d71aeaed8a"}), "ResourceNotFoundException", 404)
}

func TestQAppsInstanceIsolation(t *testing.T) {
	t.Parallel()
	e := startQApps(t)
	appID := e.createApp(t, qaUser1, qaInstance, qaPaletteApp("Only in the first instance"))
	arn := "arn:aws:qapps:us-east-1:000000000000:application/" + qaInstance + "/qapp/" + appID
	other := qaIn(qaInstance2, map[string]any{"appId": appID})
	e.fail(t, qaUser1, "GetQApp", other, "ResourceNotFoundException", 404)
	e.fail(t, qaUser1, "UpdateQApp", qaIn(qaInstance2, map[string]any{"appId": appID, "title": "x"}), "ResourceNotFoundException", 404)
	e.fail(t, qaUser1, "DeleteQApp", other, "ResourceNotFoundException", 404)
	e.fail(t, qaUser1, "StartQAppSession", qaIn(qaInstance2, map[string]any{"appId": appID, "appVersion": 1}), "ResourceNotFoundException", 404)
	if apps := qaList(t, e.call(t, qaUser1, "ListQApps", qaIn(qaInstance2, nil)), "apps"); len(apps) != 0 {
		t.Fatalf("instance 2 lists %v", apps)
	}
	e.fail(t, qaUser1, "ListTagsForResource", map[string]any{"resourceARN": strings.Replace(arn, qaInstance, qaInstance2, 1)}, "ResourceNotFoundException", 404)
	e.call(t, qaUser1, "ListTagsForResource", map[string]any{"resourceARN": arn})
	// Another region or account sees nothing either.
	out, berr := e.boto.Call(t, qaBoto("GetQApp", qaUser1, "eu-west-1", qaIn(qaInstance, map[string]any{"appId": appID})))
	if berr == nil || berr.Code != "ResourceNotFoundException" {
		t.Fatalf("GetQApp in another region: %v %v", out, berr)
	}
	out, berr = e.boto.Call(t, qaBoto("GetQApp", "111111111111", "us-east-1", qaIn(qaInstance, map[string]any{"appId": appID})))
	if berr == nil || berr.Code != "ResourceNotFoundException" {
		t.Fatalf("GetQApp in another account: %v %v", out, berr)
	}
	// Categories belong to an instance too.
	e.call(t, qaUser1, "BatchCreateCategory", qaIn(qaInstance, map[string]any{"categories": []any{map[string]any{"title": "HR"}}}))
	if cats := qaList(t, e.call(t, qaUser1, "ListCategories", qaIn(qaInstance2, nil)), "categories"); len(cats) != 0 {
		t.Fatalf("instance 2 lists categories %v", cats)
	}
}
