package e2e_test

import (
	"strings"
	"testing"
)

func TestQAppsTags(t *testing.T) {
	t.Parallel()
	e := startQApps(t)
	app := qaPaletteApp("Tagged")
	app["tags"] = map[string]any{"department": "HR"}
	appID := e.createApp(t, qaUser1, qaInstance, app)
	arn := "arn:aws:qapps:us-east-1:000000000000:application/" + qaInstance + "/qapp/" + appID
	tags := func(user, arn string) map[string]any {
		t.Helper()
		return qaObj(t, e.call(t, user, "ListTagsForResource", map[string]any{"resourceARN": arn}), "tags")
	}
	if got := tags(qaUser1, arn); !qaJSONEqual(got, map[string]any{"department": "HR"}) {
		t.Fatalf("tags from CreateQApp = %v", got)
	}
	e.call(t, qaUser1, "TagResource", map[string]any{"resourceARN": arn, "tags": map[string]any{"team": "people", "department": "Finance"}})
	e.call(t, qaUser1, "UntagResource", map[string]any{"resourceARN": arn, "tagKeys": []any{"team", "never-set"}})
	if got := tags(qaUser1, arn); !qaJSONEqual(got, map[string]any{"department": "Finance"}) {
		t.Fatalf("after tag and untag = %v", got)
	}

	// Library items are tagged by ARN too.
	item := qaStr(t, e.call(t, qaUser1, "CreateLibraryItem", qaIn(qaInstance, map[string]any{"appId": appID, "appVersion": 1, "categories": []any{}})), "libraryItemId")
	itemArn := "arn:aws:qapps:us-east-1:000000000000:application/" + qaInstance + "/library-item/" + item
	e.call(t, qaUser1, "TagResource", map[string]any{"resourceARN": itemArn, "tags": map[string]any{"stage": "beta"}})
	if got := tags(qaUser2, itemArn); !qaJSONEqual(got, map[string]any{"stage": "beta"}) {
		t.Fatalf("library item tags = %v", got)
	}
	e.fail(t, qaUser2, "TagResource", map[string]any{"resourceARN": itemArn, "tags": map[string]any{"x": "y"}}, "AccessDeniedException", 403)
	// Readers through the library may list the app's tags but not change them.
	if got := tags(qaUser2, arn); !qaJSONEqual(got, map[string]any{"department": "Finance"}) {
		t.Fatalf("app tags as a library reader = %v", got)
	}
	e.fail(t, qaUser2, "UntagResource", map[string]any{"resourceARN": arn, "tagKeys": []any{"department"}}, "AccessDeniedException", 403)

	// Unknown, foreign and malformed ARNs.
	for _, bad := range []string{
		strings.Replace(arn, appID, "393e77fb-0a30-4f47-ad30-75d71aeaed8a", 1),
		strings.Replace(arn, "000000000000", "111111111111", 1),
		strings.Replace(arn, "us-east-1", "eu-west-1", 1),
		arn + "/session/393e77fb-0a30-4f47-ad30-75d71aeaed8a",
		strings.Replace(itemArn, item, "393e77fb-0a30-4f47-ad30-75d71aeaed8a", 1),
		"arn:aws:qapps:us-east-1:000000000000:something/else",
		"not-an-arn",
	} {
		e.fail(t, qaUser1, "ListTagsForResource", map[string]any{"resourceARN": bad}, "ResourceNotFoundException", 404)
		e.fail(t, qaUser1, "TagResource", map[string]any{"resourceARN": bad, "tags": map[string]any{"a": "b"}}, "ResourceNotFoundException", 404)
	}

	// Tag rules: the reserved prefix, at most 50 tags; a refused change changes nothing.
	e.fail(t, qaUser1, "TagResource", map[string]any{"resourceARN": arn, "tags": map[string]any{"aws:owner": "me"}}, "ValidationException", 400)
	many := map[string]any{}
	for i := range 50 {
		many["k"+strings.Repeat("x", i)] = "v"
	}
	e.fail(t, qaUser1, "TagResource", map[string]any{"resourceARN": arn, "tags": many}, "ValidationException", 400)
	if got := tags(qaUser1, arn); !qaJSONEqual(got, map[string]any{"department": "Finance"}) {
		t.Fatalf("refused tagging changed the tags: %v", got)
	}
}

// TestQAppsPredictRoundTrip: PredictQApp's definition is one CreateQApp accepts.
func TestQAppsPredictRoundTrip(t *testing.T) {
	t.Parallel()
	e := startQApps(t)
	for _, opts := range []map[string]any{
		{"problemStatement": "Summarize the uploaded PDF contract and list the termination clauses"},
		{"conversation": []any{
			map[string]any{"type": "USER", "body": "I need to write weekly status emails"},
			map[string]any{"type": "SYSTEM", "body": "What should they contain?"},
			map[string]any{"type": "USER", "body": "Progress, risks and next steps for my team"},
		}},
	} {
		pred := e.call(t, qaUser1, "PredictQApp", qaIn(qaInstance, map[string]any{"options": opts}))
		again := e.call(t, qaUser1, "PredictQApp", qaIn(qaInstance, map[string]any{"options": opts}))
		if !qaJSONEqual(pred, again) {
			t.Fatalf("PredictQApp is not deterministic:\n%v\n%v", pred, again)
		}
		app := qaObj(t, pred, "app")
		created := e.call(t, qaUser1, "CreateQApp", qaIn(qaInstance, app))
		got := e.call(t, qaUser1, "GetQApp", qaIn(qaInstance, map[string]any{"appId": qaStr(t, created, "appId")}))
		cards := qaList(t, qaObj(t, got, "appDefinition"), "cards")
		if got["title"] != app["title"] || len(cards) != len(qaList(t, qaObj(t, app, "appDefinition"), "cards")) {
			t.Fatalf("created from the prediction: %v\nprediction: %v", got, app)
		}
		result := qaObj(t, cards[len(cards)-1].(map[string]any), "qQuery")
		if len(qaList(t, result, "dependencies")) < 1 {
			t.Fatalf("the result card depends on nothing: %v", result)
		}
		if _, ok := opts["conversation"]; ok && pred["problemStatement"] != "I need to write weekly status emails\nProgress, risks and next steps for my team" {
			t.Fatalf("problemStatement = %q", pred["problemStatement"])
		}
	}
	e.fail(t, qaUser1, "PredictQApp", qaIn(qaInstance, nil), "ValidationException", 400)
	e.fail(t, qaUser1, "PredictQApp", qaIn(qaInstance, map[string]any{"options": map[string]any{"problemStatement": "  "}}), "ValidationException", 400)
	e.fail(t, qaUser1, "PredictQApp", qaIn(qaInstance, map[string]any{"options": map[string]any{
		"conversation": []any{map[string]any{"type": "SYSTEM", "body": "hello"}}}}), "ValidationException", 400)
}

// TestQAppsBotoApps drives the app calls the AWS CLI makes through boto3
// (the CLI's botocore): create, list, share, delete.
func TestQAppsBotoApps(t *testing.T) {
	t.Parallel()
	e := startQApps(t)
	created := e.call(t, qaUser1, "CreateQApp", qaIn(qaInstance, map[string]any{"title": "From boto3", "appDefinition": qaPaletteApp("")["appDefinition"]}))
	appID := qaStr(t, created, "appId")
	listed := e.call(t, qaUser1, "ListQApps", qaIn(qaInstance, nil))
	if apps := qaList(t, listed, "apps"); len(apps) != 1 || apps[0].(map[string]any)["appId"] != appID {
		t.Fatalf("ListQApps = %v", listed)
	}
	perms := e.call(t, qaUser1, "UpdateQAppPermissions", qaIn(qaInstance, map[string]any{"appId": appID,
		"grantPermissions": []any{map[string]any{"action": "read", "principal": "dana@example.com"}}}))
	if len(qaList(t, perms, "permissions")) != 2 {
		t.Fatalf("UpdateQAppPermissions = %v", perms)
	}
	e.call(t, qaUser1, "DeleteQApp", qaIn(qaInstance, map[string]any{"appId": appID}))
	if apps := qaList(t, e.call(t, qaUser1, "ListQApps", qaIn(qaInstance, nil)), "apps"); len(apps) != 0 {
		t.Fatalf("ListQApps after DeleteQApp = %v", apps)
	}
}
