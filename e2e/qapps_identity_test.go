package e2e_test

import (
	"io"
	"log/slog"
	"testing"

	"github.com/ersatz-dev/ersatz/internal/auth"
	"github.com/ersatz-dev/ersatz/internal/server"
	"github.com/ersatz-dev/ersatz/internal/store/memory"
	"github.com/ersatz-dev/ersatz/internal/testkit"
)

// qaUser5 is a key the credentials file does not name: its user joins the
// directory by calling.
const qaUser5 = "AKIDUSERFIVE00000005"

// TestQAppsOneIdentityPerPerson: a principal given as an email or a user id
// resolves to one user of the directory (the credentials file's users and
// the users met as callers), reported with both; a principal that names no
// one is refused and changes nothing; every operation that reports the user
// reports the same id.
func TestQAppsOneIdentityPerPerson(t *testing.T) {
	t.Parallel()
	e := startQApps(t)
	owner := qaUser1
	appID := e.createApp(t, owner, qaInstance, qaPaletteApp("Shared palette"))
	app := qaIn(qaInstance, map[string]any{"appId": appID})
	update := func(principals ...map[string]any) map[string]any {
		return qaIn(qaInstance, map[string]any{"appId": appID, "grantPermissions": principals})
	}
	perm := func(action, principal string) map[string]any {
		return map[string]any{"action": action, "principal": principal}
	}
	describe := func() []any { return qaList(t, e.call(t, owner, "DescribeQAppPermissions", app), "permissions") }
	ownerEntry := map[string]any{"action": "write", "principal": map[string]any{"userId": qaID(owner), "userType": "owner"}}

	// Unknown principals: refused, naming the principal; nothing changes.
	before := describe()
	for _, p := range []string{"no such user", "nobody@example.com", qaID(qaUser5)} {
		berr := e.fail(t, owner, "UpdateQAppPermissions", update(perm("read", qaID(qaUser2)), perm("read", p)), "ValidationException", 400)
		qaContains(t, berr.Message, "'"+p+"' at 'grantPermissions.2.member.principal'")
		if after := describe(); !qaJSONEqual(after, before) {
			t.Fatalf("a refused grant changed the permissions from %v to %v", before, after)
		}
	}
	// A refused request does not make user 5 known; a successful one does.
	e.fail(t, qaUser5, "GetQApp", app, "AccessDeniedException", 403)
	e.fail(t, owner, "UpdateQAppPermissions", update(perm("read", qaID(qaUser5))), "ValidationException", 400)
	e.call(t, qaUser5, "ListQApps", qaIn(qaInstance, nil))

	// User 5 has now called: granting by its id works (no email known).
	// Dana granted by email is reported with her user id and email.
	out := e.call(t, owner, "UpdateQAppPermissions", update(perm("read", qaID(qaUser5)), perm("read", "DANA@Example.com")))
	dana := map[string]any{"userId": "dana", "email": "dana@example.com", "userType": "user"}
	want := []any{ownerEntry,
		map[string]any{"action": "read", "principal": map[string]any{"userId": qaID(qaUser5), "userType": "user"}},
		map[string]any{"action": "read", "principal": dana},
	}
	if !qaJSONEqual(out["permissions"], want) {
		t.Fatalf("permissions = %v\nwant %v", out["permissions"], want)
	}
	// The same person by user id is the same principal: nothing new.
	if again := e.call(t, owner, "UpdateQAppPermissions", update(perm("read", "dana"))); !qaJSONEqual(again["permissions"], want) {
		t.Fatalf("granting dana by id after by email = %v", again["permissions"])
	}
	// Granting by one form and revoking by the other in one call is refused.
	berr := e.fail(t, owner, "UpdateQAppPermissions", qaIn(qaInstance, map[string]any{"appId": appID,
		"grantPermissions":  []any{perm("write", "dana@example.com")},
		"revokePermissions": []any{perm("write", "dana")}}), "ValidationException", 400)
	qaContains(t, berr.Message, "revokePermissions.1.member")
	// Revoking by id what was granted by email revokes it.
	revoked := e.call(t, owner, "UpdateQAppPermissions", qaIn(qaInstance, map[string]any{"appId": appID,
		"revokePermissions": []any{perm("read", "dana")}}))
	if !qaJSONEqual(revoked["permissions"], want[:2]) {
		t.Fatalf("after revoking dana by id = %v", revoked["permissions"])
	}
	e.fail(t, qaDana, "GetQApp", app, "AccessDeniedException", 403)

	// Dana with write by email: every operation reports her as "dana".
	e.call(t, owner, "UpdateQAppPermissions", update(perm("write", "dana@example.com")))
	if up := e.call(t, qaDana, "UpdateQApp", qaIn(qaInstance, map[string]any{"appId": appID, "title": "Renamed by Dana"})); up["updatedBy"] != "dana" {
		t.Fatalf("UpdateQApp updatedBy = %v", up["updatedBy"])
	}
	if got := e.call(t, qaDana, "GetQApp", app); got["updatedBy"] != "dana" {
		t.Fatalf("GetQApp updatedBy = %v", got["updatedBy"])
	}
	item := e.call(t, qaDana, "CreateLibraryItem", qaIn(qaInstance, map[string]any{"appId": appID, "appVersion": 2, "categories": []any{}}))
	itemID := qaStr(t, item, "libraryItemId")
	if item["createdBy"] != "dana" {
		t.Fatalf("CreateLibraryItem createdBy = %v", item["createdBy"])
	}
	e.call(t, qaDana, "AssociateLibraryItemReview", qaIn(qaInstance, map[string]any{"libraryItemId": itemID}))
	if got := e.call(t, qaDana, "GetLibraryItem", qaIn(qaInstance, map[string]any{"libraryItemId": itemID, "appId": appID})); got["isRatedByUser"] != true || got["createdBy"] != "dana" {
		t.Fatalf("GetLibraryItem as dana = %v", got)
	}
	sid := qaStr(t, e.call(t, qaDana, "StartQAppSession", qaIn(qaInstance, map[string]any{"appId": appID, "appVersion": 2,
		"initialValues": []any{map[string]any{"cardId": qaCardText, "value": "teal"}}})), "sessionId")
	if sess := e.call(t, qaDana, "GetQAppSession", qaIn(qaInstance, map[string]any{"sessionId": sid})); sess["userIsHost"] != true {
		t.Fatalf("dana's session = %v", sess)
	}
	final := describe()
	if !qaJSONEqual(final[len(final)-1], map[string]any{"action": "write", "principal": dana}) {
		t.Fatalf("dana's grant = %v", final[len(final)-1])
	}
}

// TestQAppsOwnerEmail: the owner is listed with the email the directory
// holds now, even for an app made before the credentials file named it.
func TestQAppsOwnerEmail(t *testing.T) {
	t.Parallel()
	st := memory.New()
	t.Cleanup(func() { _ = st.Close() })
	serve := func(email string) *qaEnv {
		creds, err := auth.New(
			auth.Credential{AccessKeyID: qaUser1, SecretAccessKey: "secret", UserID: "erin", Email: email},
			auth.Credential{AccessKeyID: qaUser2, SecretAccessKey: "secret", UserID: qaID(qaUser2)},
		)
		if err != nil {
			t.Fatal(err)
		}
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		srv := testkit.StartHandler(t, server.New(server.Config{Store: st, DefaultRegion: "us-east-1", Logger: log, Auth: auth.NewTrusting(creds)}).Handler())
		return &qaEnv{url: srv.URL, boto: srv.Boto(t)}
	}
	first := serve("")
	appID := first.createApp(t, qaUser1, qaInstance, qaPaletteApp("Erin's"))
	first.call(t, qaUser1, "UpdateQAppPermissions", qaIn(qaInstance, map[string]any{"appId": appID,
		"grantPermissions": []any{map[string]any{"action": "read", "principal": qaID(qaUser2)}}}))
	ownerOf := func(e *qaEnv) map[string]any {
		got := e.call(t, qaUser2, "DescribeQAppPermissions", qaIn(qaInstance, map[string]any{"appId": appID}))
		return qaObj(t, qaList(t, got, "permissions")[0].(map[string]any), "principal")
	}
	if owner := ownerOf(first); owner["userId"] != "erin" || owner["email"] != nil {
		t.Fatalf("owner without an email = %v", owner)
	}
	second := serve("erin@example.com")
	if owner := ownerOf(second); owner["userId"] != "erin" || owner["email"] != "erin@example.com" || owner["userType"] != "owner" {
		t.Fatalf("owner once the file names her email = %v", owner)
	}
	// And that email is hers: revoking from it is revoking from the owner.
	berr := second.fail(t, qaUser1, "UpdateQAppPermissions", qaIn(qaInstance, map[string]any{"appId": appID,
		"revokePermissions": []any{map[string]any{"action": "read", "principal": "ERIN@example.com"}}}), "ValidationException", 400)
	qaContains(t, berr.Message, "owner")
}
