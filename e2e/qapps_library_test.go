package e2e_test

import (
	"fmt"
	"testing"
)

const (
	qaCatHR        = "549abfe0-f5c4-45a2-bb9b-c05987a49c6d"
	qaCatMarketing = "18cbebaa-196a-4aa5-a840-88d548e07f8f"
)

func TestQAppsCategories(t *testing.T) {
	t.Parallel()
	e := startQApps(t)
	e.call(t, qaUser1, "BatchCreateCategory", qaIn(qaInstance, map[string]any{"categories": []any{
		map[string]any{"id": qaCatMarketing, "title": "Marketing", "color": "#FFFF00"},
		map[string]any{"id": qaCatHR, "title": "HR"},
	}}))
	cats := qaList(t, e.call(t, qaUser2, "ListCategories", qaIn(qaInstance, nil)), "categories")
	want := []any{
		map[string]any{"id": qaCatHR, "title": "HR", "appCount": 0},
		map[string]any{"id": qaCatMarketing, "title": "Marketing", "color": "#FFFF00", "appCount": 0},
	}
	if !qaJSONEqual(cats, want) {
		t.Fatalf("ListCategories = %v, want %v", cats, want)
	}

	bad := []struct {
		name, op string
		cats     []any
		code     string
		status   int
	}{
		{"title taken", "BatchCreateCategory", []any{map[string]any{"title": "hr"}}, "ConflictException", 409},
		{"id taken", "BatchCreateCategory", []any{map[string]any{"id": qaCatHR, "title": "Other"}}, "ConflictException", 409},
		{"colour not hex", "BatchCreateCategory", []any{map[string]any{"title": "IT", "color": "#GGG"}}, "ValidationException", 400},
		{"colour of 4 digits", "BatchCreateCategory", []any{map[string]any{"title": "IT", "color": "#1234"}}, "ValidationException", 400},
		{"title with symbols", "BatchCreateCategory", []any{map[string]any{"title": "R&D"}}, "ValidationException", 400},
		{"update unknown", "BatchUpdateCategory", []any{map[string]any{"id": "c1c4e374-118c-446f-81fb-cba6225d88da", "title": "IT"}}, "ResourceNotFoundException", 404},
		{"update to a taken title", "BatchUpdateCategory", []any{map[string]any{"id": qaCatHR, "title": "MARKETING"}}, "ConflictException", 409},
		{"delete unknown", "BatchDeleteCategory", []any{"c1c4e374-118c-446f-81fb-cba6225d88da"}, "ResourceNotFoundException", 404},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			e.fail(t, qaUser1, tt.op, qaIn(qaInstance, map[string]any{"categories": tt.cats}), tt.code, tt.status)
		})
	}
	// A batch is applied whole or not at all: the second category is taken.
	e.fail(t, qaUser1, "BatchCreateCategory", qaIn(qaInstance, map[string]any{"categories": []any{
		map[string]any{"title": "Finance"}, map[string]any{"title": "Marketing"},
	}}), "ConflictException", 409)
	// At most 10 categories.
	var eight []any
	for i := range 9 {
		eight = append(eight, map[string]any{"title": fmt.Sprintf("Team %d", i)})
	}
	e.fail(t, qaUser1, "BatchCreateCategory", qaIn(qaInstance, map[string]any{"categories": eight}), "ValidationException", 400)
	if got := qaList(t, e.call(t, qaUser1, "ListCategories", qaIn(qaInstance, nil)), "categories"); !qaJSONEqual(got, want) {
		t.Fatalf("refused batches changed the categories: %v", got)
	}

	e.call(t, qaUser1, "BatchUpdateCategory", qaIn(qaInstance, map[string]any{"categories": []any{
		map[string]any{"id": qaCatHR, "title": "HR Management", "color": "#abc"},
	}}))
	e.call(t, qaUser1, "BatchDeleteCategory", qaIn(qaInstance, map[string]any{"categories": []any{qaCatMarketing}}))
	got := qaList(t, e.call(t, qaUser1, "ListCategories", qaIn(qaInstance, nil)), "categories")
	if !qaJSONEqual(got, []any{map[string]any{"id": qaCatHR, "title": "HR Management", "color": "#abc", "appCount": 0}}) {
		t.Fatalf("after update and delete: %v", got)
	}
}

func TestQAppsLibrary(t *testing.T) {
	t.Parallel()
	e := startQApps(t)
	owner, user := qaUser1, qaUser2
	e.call(t, owner, "BatchCreateCategory", qaIn(qaInstance, map[string]any{"categories": []any{
		map[string]any{"id": qaCatHR, "title": "HR"}, map[string]any{"id": qaCatMarketing, "title": "Marketing"},
	}}))
	appID := e.createApp(t, owner, qaInstance, qaPaletteApp("Palette"))
	second := e.createApp(t, owner, qaInstance, qaPaletteApp("Second"))
	get := qaIn(qaInstance, map[string]any{"appId": appID})

	e.fail(t, user, "GetQApp", get, "AccessDeniedException", 403)
	e.fail(t, owner, "CreateLibraryItem", qaIn(qaInstance, map[string]any{"appId": appID, "appVersion": 2, "categories": []any{qaCatHR}}), "ResourceNotFoundException", 404)
	e.fail(t, owner, "CreateLibraryItem", qaIn(qaInstance, map[string]any{"appId": appID, "appVersion": 1, "categories": []any{"c1c4e374-118c-446f-81fb-cba6225d88da"}}), "ResourceNotFoundException", 404)
	e.fail(t, owner, "CreateLibraryItem", qaIn(qaInstance, map[string]any{"appId": appID, "appVersion": 1, "categories": []any{qaCatHR, qaCatHR}}), "ValidationException", 400)

	item := e.call(t, owner, "CreateLibraryItem", qaIn(qaInstance, map[string]any{"appId": appID, "appVersion": 1, "categories": []any{qaCatHR}}))
	itemID := qaStr(t, item, "libraryItemId")
	if item["status"] != "PUBLISHED" || qaNum(t, item, "ratingCount") != 0 || item["isVerified"] != false || item["createdBy"] != qaID(owner) {
		t.Fatalf("CreateLibraryItem = %v", item)
	}
	e.call(t, owner, "CreateLibraryItem", qaIn(qaInstance, map[string]any{"appId": second, "appVersion": 1, "categories": []any{qaCatMarketing, qaCatHR}}))

	// Published: everyone reads and runs the published version, even after the owner edits.
	e.call(t, owner, "UpdateQApp", qaIn(qaInstance, map[string]any{"appId": appID, "title": "Palette v2"}))
	got := e.call(t, user, "GetQApp", get)
	if qaNum(t, got, "appVersion") != 1 || got["title"] != "Palette" || got["status"] != "PUBLISHED" || qaObj(t, got, "appDefinition")["canEdit"] != false {
		t.Fatalf("GetQApp of a published app as another user = %v", got)
	}
	e.fail(t, user, "GetQApp", qaIn(qaInstance, map[string]any{"appId": appID, "appVersion": 2}), "AccessDeniedException", 403)
	e.fail(t, user, "UpdateQApp", qaIn(qaInstance, map[string]any{"appId": appID, "title": "mine"}), "AccessDeniedException", 403)
	e.call(t, user, "StartQAppSession", qaIn(qaInstance, map[string]any{"appId": appID, "appVersion": 1}))
	e.fail(t, user, "StartQAppSession", qaIn(qaInstance, map[string]any{"appId": appID, "appVersion": 2}), "AccessDeniedException", 403)
	e.call(t, user, "AssociateQAppWithUser", get)

	// Listing, filtering by category, paging.
	all := qaList(t, e.call(t, user, "ListLibraryItems", qaIn(qaInstance, nil)), "libraryItems")
	if len(all) != 2 {
		t.Fatalf("ListLibraryItems = %v", all)
	}
	hr := qaList(t, e.call(t, user, "ListLibraryItems", qaIn(qaInstance, map[string]any{"categoryId": qaCatHR})), "libraryItems")
	mk := qaList(t, e.call(t, user, "ListLibraryItems", qaIn(qaInstance, map[string]any{"categoryId": qaCatMarketing})), "libraryItems")
	if len(hr) != 2 || len(mk) != 1 || mk[0].(map[string]any)["appId"] != second {
		t.Fatalf("by category: HR %v, Marketing %v", hr, mk)
	}
	page1 := e.call(t, user, "ListLibraryItems", qaIn(qaInstance, map[string]any{"limit": 1, "categoryId": qaCatHR}))
	page2 := e.call(t, user, "ListLibraryItems", qaIn(qaInstance, map[string]any{"limit": 1, "categoryId": qaCatHR, "nextToken": qaStr(t, page1, "nextToken")}))
	p1, p2 := qaList(t, page1, "libraryItems"), qaList(t, page2, "libraryItems")
	if len(p1) != 1 || len(p2) != 1 || p1[0].(map[string]any)["libraryItemId"] == p2[0].(map[string]any)["libraryItemId"] || page2["nextToken"] != nil {
		t.Fatalf("pages: %v / %v", page1, page2)
	}
	e.fail(t, user, "ListLibraryItems", qaIn(qaInstance, map[string]any{"categoryId": "c1c4e374-118c-446f-81fb-cba6225d88da"}), "ResourceNotFoundException", 404)
	cats := qaList(t, e.call(t, user, "ListCategories", qaIn(qaInstance, nil)), "categories")
	if cats[0].(map[string]any)["appCount"] != 2.0 || cats[1].(map[string]any)["appCount"] != 1.0 {
		t.Fatalf("appCount: %v", cats)
	}

	// Ratings are per user.
	rate := qaIn(qaInstance, map[string]any{"libraryItemId": itemID})
	e.call(t, user, "AssociateLibraryItemReview", rate)
	e.fail(t, user, "AssociateLibraryItemReview", rate, "ConflictException", 409)
	byUser := e.call(t, user, "GetLibraryItem", rate)
	byOwner := e.call(t, owner, "GetLibraryItem", qaIn(qaInstance, map[string]any{"libraryItemId": itemID, "appId": appID}))
	if qaNum(t, byUser, "ratingCount") != 1 || byUser["isRatedByUser"] != true || byOwner["isRatedByUser"] != false || qaNum(t, byOwner, "ratingCount") != 1 {
		t.Fatalf("ratings: user sees %v, owner sees %v", byUser, byOwner)
	}
	if qaNum(t, byUser, "userCount") != 2 || !qaJSONEqual(byUser["categories"], []any{map[string]any{"id": qaCatHR, "title": "HR"}}) {
		t.Fatalf("GetLibraryItem = %v", byUser)
	}
	e.fail(t, owner, "GetLibraryItem", qaIn(qaInstance, map[string]any{"libraryItemId": itemID, "appId": second}), "ResourceNotFoundException", 404)
	e.call(t, user, "DisassociateLibraryItemReview", rate)
	e.fail(t, user, "DisassociateLibraryItemReview", rate, "ConflictException", 409)
	if got := e.call(t, owner, "GetLibraryItem", rate); qaNum(t, got, "ratingCount") != 0 {
		t.Fatalf("after unrating: %v", got)
	}

	// Verification, categories and status.
	e.call(t, user, "UpdateLibraryItemMetadata", qaIn(qaInstance, map[string]any{"libraryItemId": itemID, "isVerified": true}))
	if got := e.call(t, owner, "GetLibraryItem", rate); got["isVerified"] != true {
		t.Fatalf("after verification: %v", got)
	}
	e.fail(t, user, "UpdateLibraryItem", qaIn(qaInstance, map[string]any{"libraryItemId": itemID, "status": "DISABLED"}), "AccessDeniedException", 403)
	e.fail(t, user, "DeleteLibraryItem", rate, "AccessDeniedException", 403)
	e.fail(t, owner, "BatchDeleteCategory", qaIn(qaInstance, map[string]any{"categories": []any{qaCatHR}}), "ConflictException", 409)
	upd := e.call(t, owner, "UpdateLibraryItem", qaIn(qaInstance, map[string]any{"libraryItemId": itemID, "status": "DISABLED", "categories": []any{qaCatMarketing}}))
	if upd["status"] != "DISABLED" || !qaJSONEqual(upd["categories"], []any{map[string]any{"id": qaCatMarketing, "title": "Marketing"}}) || upd["isVerified"] != true {
		t.Fatalf("UpdateLibraryItem = %v", upd)
	}
	if items := qaList(t, e.call(t, user, "ListLibraryItems", qaIn(qaInstance, nil)), "libraryItems"); len(items) != 1 {
		t.Fatalf("a DISABLED item is still listed: %v", items)
	}
	e.fail(t, user, "GetQApp", get, "AccessDeniedException", 403)
	if got := e.call(t, owner, "GetQApp", get); got["status"] != "DRAFT" {
		t.Fatalf("app of a DISABLED item: %v", got)
	}

	// Publishing again updates the same item.
	again := e.call(t, owner, "CreateLibraryItem", qaIn(qaInstance, map[string]any{"appId": appID, "appVersion": 2, "categories": []any{}}))
	if again["libraryItemId"] != itemID || again["status"] != "PUBLISHED" {
		t.Fatalf("republishing = %v", again)
	}
	if got := e.call(t, user, "GetQApp", get); qaNum(t, got, "appVersion") != 2 {
		t.Fatalf("after republishing version 2: %v", got)
	}
	apps := qaList(t, e.call(t, user, "ListQApps", qaIn(qaInstance, nil)), "apps")
	if len(apps) != 1 || apps[0].(map[string]any)["isVerified"] != true || apps[0].(map[string]any)["status"] != "PUBLISHED" {
		t.Fatalf("ListQApps of the associated library app: %v", apps)
	}

	// Deleting the item returns the app to DRAFT; deleting the app removes its item.
	e.call(t, owner, "DeleteLibraryItem", rate)
	e.fail(t, owner, "GetLibraryItem", rate, "ResourceNotFoundException", 404)
	e.fail(t, owner, "DeleteLibraryItem", rate, "ResourceNotFoundException", 404)
	if got := e.call(t, owner, "GetQApp", get); got["status"] != "DRAFT" {
		t.Fatalf("after deleting the item: %v", got)
	}
	items := qaList(t, e.call(t, owner, "ListLibraryItems", qaIn(qaInstance, nil)), "libraryItems")
	e.call(t, owner, "DeleteQApp", qaIn(qaInstance, map[string]any{"appId": second}))
	if left := qaList(t, e.call(t, owner, "ListLibraryItems", qaIn(qaInstance, nil)), "libraryItems"); len(items) != 1 || len(left) != 0 {
		t.Fatalf("library before/after deleting the app: %v / %v", items, left)
	}
}
