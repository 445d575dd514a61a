package e2e_test

import (
	"testing"
)

// TestQAppsPermissionsSeed is the seed scenario: the owner creates an app,
// grants read to user 2 and write to user 3; each can do exactly what their
// permission allows and is refused the rest; after the revoke user 2 is
// refused again.
func TestQAppsPermissionsSeed(t *testing.T) {
	t.Parallel()
	e := startQApps(t)
	owner, reader, writer := qaUser1, qaUser2, qaUser3
	appID := e.createApp(t, owner, qaInstance, qaPaletteApp("Color Palette Generator"))
	app := map[string]any{"appId": appID}
	get := qaIn(qaInstance, app)
	start := qaIn(qaInstance, map[string]any{"appId": appID, "appVersion": 1,
		"initialValues": []any{map[string]any{"cardId": qaCardText, "value": "teal"}}})
	update := qaIn(qaInstance, map[string]any{"appId": appID, "title": "Renamed"})
	grant := func(action, principal string) map[string]any {
		return qaIn(qaInstance, map[string]any{"appId": appID,
			"grantPermissions": []any{map[string]any{"action": action, "principal": principal}}})
	}

	// Before any grant, users 2 and 3 can do nothing with the app.
	for _, u := range []string{reader, writer} {
		e.fail(t, u, "GetQApp", get, "AccessDeniedException", 403)
		e.fail(t, u, "StartQAppSession", start, "AccessDeniedException", 403)
		e.fail(t, u, "UpdateQApp", update, "AccessDeniedException", 403)
		e.fail(t, u, "DescribeQAppPermissions", get, "AccessDeniedException", 403)
		e.fail(t, u, "UpdateQAppPermissions", grant("read", qaID(u)), "AccessDeniedException", 403)
	}

	out := e.call(t, owner, "UpdateQAppPermissions", qaIn(qaInstance, map[string]any{"appId": appID,
		"grantPermissions": []any{
			map[string]any{"action": "read", "principal": qaID(reader)},
			map[string]any{"action": "write", "principal": qaID(writer)},
		}}))
	wantPerms := []any{
		map[string]any{"action": "write", "principal": map[string]any{"userId": qaID(owner), "userType": "owner"}},
		map[string]any{"action": "read", "principal": map[string]any{"userId": qaID(reader), "userType": "user"}},
		map[string]any{"action": "write", "principal": map[string]any{"userId": qaID(writer), "userType": "user"}},
	}
	arn := "arn:aws:qapps:us-east-1:000000000000:application/" + qaInstance + "/qapp/" + appID
	if qaStr(t, out, "resourceArn") != arn || qaStr(t, out, "appId") != appID || !qaJSONEqual(out["permissions"], wantPerms) {
		t.Fatalf("UpdateQAppPermissions = %v\nwant arn %s and permissions %v", out, arn, wantPerms)
	}
	if desc := e.call(t, owner, "DescribeQAppPermissions", get); !qaJSONEqual(desc, out) {
		t.Fatalf("DescribeQAppPermissions = %v, want what UpdateQAppPermissions returned: %v", desc, out)
	}

	// User 2 reads and runs, and is refused every change.
	got := e.call(t, reader, "GetQApp", get)
	if qaObj(t, got, "appDefinition")["canEdit"] != false || qaStr(t, got, "title") != "Color Palette Generator" {
		t.Fatalf("GetQApp as reader = %v", got)
	}
	sid := qaStr(t, e.call(t, reader, "StartQAppSession", start), "sessionId")
	sess := e.call(t, reader, "GetQAppSession", qaIn(qaInstance, map[string]any{"sessionId": sid}))
	if qaStr(t, sess, "status") != "COMPLETED" || sess["userIsHost"] != true {
		t.Fatalf("reader's session = %v", sess)
	}
	if desc := e.call(t, reader, "DescribeQAppPermissions", get); !qaJSONEqual(desc, out) {
		t.Fatalf("DescribeQAppPermissions as reader = %v", desc)
	}
	e.fail(t, reader, "UpdateQApp", update, "AccessDeniedException", 403)
	e.fail(t, reader, "UpdateQAppPermissions", grant("write", qaID(reader)), "AccessDeniedException", 403)
	e.fail(t, reader, "DeleteQApp", get, "AccessDeniedException", 403)
	e.fail(t, reader, "CreateLibraryItem", qaIn(qaInstance, map[string]any{"appId": appID, "appVersion": 1, "categories": []any{}}), "AccessDeniedException", 403)
	e.fail(t, reader, "TagResource", map[string]any{"resourceARN": arn, "tags": map[string]any{"k": "v"}}, "AccessDeniedException", 403)

	// User 3 reads, updates and shares, but only the owner deletes.
	got = e.call(t, writer, "GetQApp", get)
	if qaObj(t, got, "appDefinition")["canEdit"] != true {
		t.Fatalf("GetQApp as writer = %v", got)
	}
	up := e.call(t, writer, "UpdateQApp", update)
	if qaNum(t, up, "appVersion") != 2 || qaStr(t, up, "updatedBy") != qaID(writer) || qaStr(t, up, "createdBy") != qaID(owner) {
		t.Fatalf("UpdateQApp as writer = %v", up)
	}
	shared := e.call(t, writer, "UpdateQAppPermissions", grant("read", "dana@example.com"))
	if len(qaList(t, shared, "permissions")) != 4 {
		t.Fatalf("writer's grant: %v", shared)
	}
	e.fail(t, writer, "DeleteQApp", get, "AccessDeniedException", 403)
	e.call(t, writer, "TagResource", map[string]any{"resourceARN": arn, "tags": map[string]any{"team": "design"}})

	// The email grant holds for the user the credentials file names dana@example.com.
	if got := e.call(t, qaDana, "GetQApp", get); qaStr(t, got, "title") != "Renamed" {
		t.Fatalf("GetQApp as dana = %v", got)
	}

	// Revoked, user 2 is refused again, its session included.
	after := e.call(t, owner, "UpdateQAppPermissions", qaIn(qaInstance, map[string]any{"appId": appID,
		"revokePermissions": []any{map[string]any{"action": "read", "principal": qaID(reader)}}}))
	for _, p := range qaList(t, after, "permissions") {
		if qaObj(t, p.(map[string]any), "principal")["userId"] == qaID(reader) {
			t.Fatalf("the revoked reader is still listed: %v", after)
		}
	}
	e.fail(t, reader, "GetQApp", get, "AccessDeniedException", 403)
	e.fail(t, reader, "StartQAppSession", start, "AccessDeniedException", 403)
	e.fail(t, reader, "GetQAppSession", qaIn(qaInstance, map[string]any{"sessionId": sid}), "AccessDeniedException", 403)
	e.fail(t, reader, "DescribeQAppPermissions", get, "AccessDeniedException", 403)

	// The owner deletes; the app is gone for everyone.
	e.call(t, owner, "DeleteQApp", get)
	e.fail(t, writer, "GetQApp", get, "ResourceNotFoundException", 404)
	e.fail(t, owner, "GetQApp", get, "ResourceNotFoundException", 404)
}

// TestQAppsCredentialsFileIdentity: a key the credentials file names acts as
// its user id and email; grants are idempotent both ways.
func TestQAppsCredentialsFileIdentity(t *testing.T) {
	t.Parallel()
	e := startQApps(t)
	created := e.call(t, qaDana, "CreateQApp", qaIn(qaInstance, qaPaletteApp("Dana's app")))
	appID := qaStr(t, created, "appId")
	if created["createdBy"] != "dana" {
		t.Fatalf("createdBy = %v", created["createdBy"])
	}
	get := qaIn(qaInstance, map[string]any{"appId": appID})
	owner := map[string]any{"action": "write", "principal": map[string]any{"userId": "dana", "userType": "owner", "email": "dana@example.com"}}
	if got := e.call(t, qaDana, "DescribeQAppPermissions", get); !qaJSONEqual(got["permissions"], []any{owner}) {
		t.Fatalf("DescribeQAppPermissions = %v", got)
	}
	grant := qaIn(qaInstance, map[string]any{"appId": appID, "grantPermissions": []any{
		map[string]any{"action": "read", "principal": qaID(qaUser2)},
		map[string]any{"action": "read", "principal": "DANA@example.com"}, // the owner: nothing to grant
	}})
	want := []any{owner, map[string]any{"action": "read", "principal": map[string]any{"userId": qaID(qaUser2), "userType": "user"}}}
	for range 2 {
		if got := e.call(t, qaDana, "UpdateQAppPermissions", grant); !qaJSONEqual(got["permissions"], want) {
			t.Fatalf("granting (twice) = %v", got)
		}
	}
	never := qaIn(qaInstance, map[string]any{"appId": appID, "revokePermissions": []any{
		map[string]any{"action": "write", "principal": qaID(qaUser2)},
		map[string]any{"action": "read", "principal": qaID(qaUser3)},
	}})
	if got := e.call(t, qaDana, "UpdateQAppPermissions", never); !qaJSONEqual(got["permissions"], want) {
		t.Fatalf("revoking what was never granted = %v", got)
	}
	// A principal that names no user is refused, granted or revoked.
	for _, list := range []string{"grantPermissions", "revokePermissions"} {
		berr := e.fail(t, qaDana, "UpdateQAppPermissions", qaIn(qaInstance, map[string]any{"appId": appID, list: []any{
			map[string]any{"action": "read", "principal": "nobody@example.com"}}}), "ValidationException", 400)
		qaContains(t, berr.Message, "'nobody@example.com' at '"+list+".1.member.principal'")
	}
	e.fail(t, qaDana, "UpdateQAppPermissions", qaIn(qaInstance, map[string]any{"appId": appID, "revokePermissions": []any{
		map[string]any{"action": "read", "principal": "Dana@Example.com"}}}), "ValidationException", 400)
	e.call(t, qaUser2, "GetQApp", get)
	e.fail(t, qaUser3, "GetQApp", get, "AccessDeniedException", 403)
}
