package e2e_test

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// surveyApp has a text input, a Q query card over it, a form, and a plugin
// card over the query's answer and the form's responses.
func surveyApp() map[string]any {
	return map[string]any{
		"title": "Favourite colours",
		"appDefinition": map[string]any{"cards": []any{
			qaTextCard(qaCardText, "Theme"),
			qaQueryCard(qaCardQuery, "Palette", "Colors for @"+qaCardText),
			qaFormCard(qaCardForm, "Vote"),
			map[string]any{"qPlugin": map[string]any{"id": qaCardPlug, "title": "Ticket", "type": "q-plugin",
				"pluginId": "0b95c9c4-89cc-4aa8-9aae-aa91cbec6000", "actionIdentifier": "create-ticket",
				"prompt": "File @{" + qaCardQuery + "} with votes @" + qaCardForm}},
		}},
	}
}

func cardStatus(t *testing.T, sess map[string]any, card string) map[string]any {
	t.Helper()
	return qaObj(t, qaObj(t, sess, "cardStatus"), card)
}

func TestQAppsSessions(t *testing.T) {
	t.Parallel()
	e := startQApps(t)
	host, guest := qaUser1, qaUser2
	appID := e.createApp(t, host, qaInstance, surveyApp())
	started := e.call(t, host, "StartQAppSession", qaIn(qaInstance, map[string]any{"appId": appID, "appVersion": 1,
		"initialValues": []any{map[string]any{"cardId": qaCardText, "value": "ocean"}},
		"tags":          map[string]any{"purpose": "survey"}}))
	sid := qaStr(t, started, "sessionId")
	wantArn := "arn:aws:qapps:us-east-1:000000000000:application/" + qaInstance + "/qapp/" + appID + "/session/" + sid
	if !qaUUID.MatchString(sid) || started["sessionArn"] != wantArn {
		t.Fatalf("StartQAppSession = %v", started)
	}
	ref := qaIn(qaInstance, map[string]any{"sessionId": sid})

	sess := e.call(t, host, "GetQAppSession", ref)
	if sess["status"] != "WAITING" || sess["userIsHost"] != true || qaNum(t, sess, "appVersion") != 1 {
		t.Fatalf("GetQAppSession = %v", sess)
	}
	checks := []struct {
		card, state, value string
	}{
		{qaCardText, "COMPLETED", "ocean"},
		{qaCardQuery, "COMPLETED", "Answer (approved-sources): Colors for ocean"},
		{qaCardForm, "WAITING", ""},
		{qaCardPlug, "WAITING", ""},
	}
	for _, c := range checks {
		cs := cardStatus(t, sess, c.card)
		if cs["currentState"] != c.state || cs["currentValue"] != c.value {
			t.Errorf("card %s = %v, want %s %q", c.card, cs, c.state, c.value)
		}
	}

	// Bad values are refused and change nothing.
	bad := []struct {
		name   string
		values []any
		want   string
	}{
		{"unknown card", []any{map[string]any{"cardId": "c1c4e374-118c-446f-81fb-cba6225d88da", "value": "x"}}, "values.1.member.cardId"},
		{"form value not JSON", []any{map[string]any{"cardId": qaCardForm, "value": "blue"}}, "values.1.member.value"},
		{"form value lacks a required field", []any{map[string]any{"cardId": qaCardForm, "value": `{"votes": 1}`}}, `"name"`},
		{"form field of the wrong type", []any{map[string]any{"cardId": qaCardForm, "value": `{"name": "x", "votes": "many"}`}}, `"votes"`},
		{"edit of an unknown submission", []any{map[string]any{"cardId": qaCardForm, "value": `{"name": "x"}`,
			"submissionMutation": map[string]any{"submissionId": "c1c4e374-118c-446f-81fb-cba6225d88da", "mutationType": "edit"}}}, "submissionId"},
	}
	for _, tt := range bad {
		berr := e.fail(t, host, "UpdateQAppSession", qaIn(qaInstance, map[string]any{"sessionId": sid, "values": tt.values}), "ValidationException", 400)
		qaContains(t, berr.Message, tt.want)
	}
	if again := e.call(t, host, "GetQAppSession", ref); !qaJSONEqual(again, sess) {
		t.Fatalf("refused updates changed the session: %v", again)
	}

	// A value for a card that is no longer WAITING is ignored.
	e.call(t, host, "UpdateQAppSession", qaIn(qaInstance, map[string]any{"sessionId": sid, "values": []any{
		map[string]any{"cardId": qaCardText, "value": "forest"},
		map[string]any{"cardId": qaCardForm, "value": `{"name": "host", "votes": 3}`},
	}}))
	sess = e.call(t, host, "GetQAppSession", ref)
	if cardStatus(t, sess, qaCardText)["currentValue"] != "ocean" || sess["status"] != "COMPLETED" {
		t.Fatalf("after the form: %v", sess)
	}
	plug := cardStatus(t, sess, qaCardPlug)
	wantPlug := `Plugin 0b95c9c4-89cc-4aa8-9aae-aa91cbec6000 action create-ticket: File Answer (approved-sources): Colors for ocean with votes [{"name":"host","votes":3}]`
	if plug["currentState"] != "COMPLETED" || plug["currentValue"] != wantPlug {
		t.Fatalf("plugin card = %v\nwant %q", plug, wantPlug)
	}
	subs := qaList(t, cardStatus(t, sess, qaCardForm), "submissions")
	if len(subs) != 1 || !qaJSONEqual(subs[0].(map[string]any)["value"], map[string]any{"name": "host", "votes": 3}) {
		t.Fatalf("submissions = %v", subs)
	}

	// Sharing: the guest can read the app but not the session until it is shared.
	e.call(t, host, "UpdateQAppPermissions", qaIn(qaInstance, map[string]any{"appId": appID,
		"grantPermissions": []any{map[string]any{"action": "read", "principal": qaID(guest)}}}))
	e.fail(t, guest, "GetQAppSession", ref, "AccessDeniedException", 403)
	e.fail(t, guest, "GetQAppSessionMetadata", ref, "AccessDeniedException", 403)
	meta := e.call(t, host, "UpdateQAppSessionMetadata", qaIn(qaInstance, map[string]any{"sessionId": sid, "sessionName": "Colour vote",
		"sharingConfiguration": map[string]any{"enabled": true, "acceptResponses": true, "revealCards": false}}))
	wantMeta := map[string]any{"sessionId": sid, "sessionArn": wantArn, "sessionName": "Colour vote",
		"sharingConfiguration": map[string]any{"enabled": true, "acceptResponses": true, "revealCards": false}}
	if !qaJSONEqual(meta, wantMeta) {
		t.Fatalf("UpdateQAppSessionMetadata = %v", meta)
	}
	e.fail(t, guest, "UpdateQAppSessionMetadata", qaIn(qaInstance, map[string]any{"sessionId": sid,
		"sharingConfiguration": map[string]any{"enabled": false}}), "AccessDeniedException", 403)
	gm := e.call(t, guest, "GetQAppSessionMetadata", ref)
	if gm["sessionOwner"] != false || gm["sessionName"] != "Colour vote" {
		t.Fatalf("GetQAppSessionMetadata as guest = %v", gm)
	}
	if hm := e.call(t, host, "GetQAppSessionMetadata", ref); hm["sessionOwner"] != true {
		t.Fatalf("GetQAppSessionMetadata as host = %v", hm)
	}
	joined := e.call(t, guest, "StartQAppSession", qaIn(qaInstance, map[string]any{"appId": appID, "appVersion": 1, "sessionId": sid}))
	if joined["sessionId"] != sid {
		t.Fatalf("joining = %v", joined)
	}
	e.call(t, guest, "UpdateQAppSession", qaIn(qaInstance, map[string]any{"sessionId": sid, "values": []any{
		map[string]any{"cardId": qaCardForm, "value": `{"name": "guest, \"the second\"", "votes": 1}`},
	}}))
	gs := e.call(t, guest, "GetQAppSession", ref)
	if gs["userIsHost"] != false || len(qaList(t, cardStatus(t, gs, qaCardForm), "submissions")) != 1 {
		t.Fatalf("the guest sees %v", gs)
	}
	hs := e.call(t, host, "GetQAppSession", ref)
	if len(qaList(t, cardStatus(t, hs, qaCardForm), "submissions")) != 2 || hs["sessionName"] != "Colour vote" {
		t.Fatalf("the host sees %v", hs)
	}
	e.fail(t, guest, "ListQAppSessionData", ref, "AccessDeniedException", 403)
	e.fail(t, guest, "ExportQAppSessionData", ref, "AccessDeniedException", 403)
	e.fail(t, guest, "StopQAppSession", ref, "AccessDeniedException", 403)

	data := e.call(t, host, "ListQAppSessionData", ref)
	rows := qaList(t, data, "sessionData")
	if data["sessionArn"] != wantArn || len(rows) != 2 {
		t.Fatalf("ListQAppSessionData = %v", data)
	}
	users := map[string]bool{}
	for _, r := range rows {
		row := r.(map[string]any)
		users[qaStr(t, qaObj(t, row, "user"), "userId")] = true
		if row["cardId"] != qaCardForm || !qaUUID.MatchString(qaStr(t, row, "submissionId")) || row["timestamp"] == nil {
			t.Fatalf("session data row = %v", row)
		}
	}
	if !users[qaID(host)] || !users[qaID(guest)] {
		t.Fatalf("session data users = %v", users)
	}

	// The export is a CSV that can really be downloaded.
	exp := e.call(t, host, "ExportQAppSessionData", ref)
	link := qaStr(t, exp, "csvFileLink")
	if !strings.HasPrefix(link, e.url+"/_ersatz/qapps/exports/") || exp["sessionArn"] != wantArn || exp["expiresAt"] == nil {
		t.Fatalf("ExportQAppSessionData = %v", exp)
	}
	resp, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("GET %s: %d %s %s", link, resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	records, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
	if err != nil {
		t.Fatalf("the export is not CSV: %v\n%s", err, body)
	}
	if len(records) != 3 || strings.Join(records[0], ",") != "cardId,cardTitle,userId,submissionId,timestamp,name,votes" {
		t.Fatalf("CSV = %q", records)
	}
	byUser := map[string][]string{records[1][2]: records[1], records[2][2]: records[2]}
	if g := byUser[qaID(guest)]; g == nil || g[0] != qaCardForm || g[1] != "Vote" || g[5] != `guest, "the second"` || g[6] != "1" {
		t.Fatalf("guest row = %q", g)
	}
	if resp, err := http.Get(strings.Replace(link, ".csv", "0.csv", 1)); err != nil || resp.StatusCode != 404 {
		t.Fatalf("GET of an unknown export: %v %v", resp, err)
	}

	// Submissions can be edited and deleted by their author.
	var guestSub string
	for _, r := range rows {
		if row := r.(map[string]any); qaObj(t, row, "user")["userId"] == qaID(guest) {
			guestSub = qaStr(t, row, "submissionId")
		}
	}
	e.call(t, guest, "UpdateQAppSession", qaIn(qaInstance, map[string]any{"sessionId": sid, "values": []any{
		map[string]any{"cardId": qaCardForm, "value": `{"name": "guest", "votes": 5}`,
			"submissionMutation": map[string]any{"submissionId": guestSub, "mutationType": "edit"}},
	}}))
	e.call(t, host, "UpdateQAppSession", qaIn(qaInstance, map[string]any{"sessionId": sid, "values": []any{
		map[string]any{"cardId": qaCardForm, "value": `{"name": "x"}`,
			"submissionMutation": map[string]any{"submissionId": guestSub, "mutationType": "delete"}},
	}}))
	if rows := qaList(t, e.call(t, host, "ListQAppSessionData", ref), "sessionData"); len(rows) != 1 {
		t.Fatalf("after deleting the guest's submission: %v", rows)
	}

	// Closing the responses stops the guest's submissions.
	e.call(t, host, "UpdateQAppSessionMetadata", qaIn(qaInstance, map[string]any{"sessionId": sid,
		"sharingConfiguration": map[string]any{"enabled": true, "acceptResponses": false}}))
	e.fail(t, guest, "UpdateQAppSession", qaIn(qaInstance, map[string]any{"sessionId": sid, "values": []any{
		map[string]any{"cardId": qaCardForm, "value": `{"name": "late"}`}}}), "AccessDeniedException", 403)

	// Tags of the session are the host's.
	if tags := e.call(t, host, "ListTagsForResource", map[string]any{"resourceARN": wantArn}); !qaJSONEqual(tags["tags"], map[string]any{"purpose": "survey"}) {
		t.Fatalf("session tags = %v", tags)
	}
	e.fail(t, guest, "ListTagsForResource", map[string]any{"resourceARN": wantArn}, "AccessDeniedException", 403)

	e.call(t, host, "StopQAppSession", ref)
	e.fail(t, host, "GetQAppSession", ref, "ResourceNotFoundException", 404)
	e.fail(t, host, "StopQAppSession", ref, "ResourceNotFoundException", 404)
	e.fail(t, host, "ListTagsForResource", map[string]any{"resourceARN": wantArn}, "ResourceNotFoundException", 404)
	e.fail(t, host, "StartQAppSession", qaIn(qaInstance, map[string]any{"appId": appID, "appVersion": 1, "sessionId": sid}), "ResourceNotFoundException", 404)
	e.fail(t, host, "StartQAppSession", qaIn(qaInstance, map[string]any{"appId": appID, "appVersion": 7}), "ResourceNotFoundException", 404)
}

func TestQAppsReplaceComputeMode(t *testing.T) {
	t.Parallel()
	e := startQApps(t)
	app := surveyApp()
	form := app["appDefinition"].(map[string]any)["cards"].([]any)[2].(map[string]any)["formInput"].(map[string]any)
	form["computeMode"] = "replace"
	appID := e.createApp(t, qaUser1, qaInstance, app)
	sid := qaStr(t, e.call(t, qaUser1, "StartQAppSession", qaIn(qaInstance, map[string]any{"appId": appID, "appVersion": 1})), "sessionId")
	for _, v := range []string{`{"name": "first"}`, `{"name": "second"}`} {
		e.call(t, qaUser1, "UpdateQAppSession", qaIn(qaInstance, map[string]any{"sessionId": sid, "values": []any{
			map[string]any{"cardId": qaCardForm, "value": v}}}))
	}
	rows := qaList(t, e.call(t, qaUser1, "ListQAppSessionData", qaIn(qaInstance, map[string]any{"sessionId": sid})), "sessionData")
	if len(rows) != 1 {
		t.Fatalf("replace mode kept %d submissions", len(rows))
	}
	var v map[string]any
	b, _ := json.Marshal(rows[0].(map[string]any)["value"])
	_ = json.Unmarshal(b, &v)
	if v["name"] != "second" {
		t.Fatalf("replace mode kept %v", v)
	}
}
