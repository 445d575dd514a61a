package e2e_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestQAppsNotFound: every operation on an id that does not exist is a
// ResourceNotFoundException (404).
func TestQAppsNotFound(t *testing.T) {
	t.Parallel()
	e := startQApps(t)
	const missing = "393e77fb-0a30-4f47-ad30-75d71aeaed8a"
	app := map[string]any{"appId": missing}
	item := map[string]any{"libraryItemId": missing}
	sess := map[string]any{"sessionId": missing}
	cases := []struct {
		op     string
		params map[string]any
	}{
		{"GetQApp", app},
		{"UpdateQApp", map[string]any{"appId": missing, "title": "x"}},
		{"DeleteQApp", app},
		{"DescribeQAppPermissions", app},
		{"UpdateQAppPermissions", map[string]any{"appId": missing, "grantPermissions": []any{}}},
		{"AssociateQAppWithUser", app},
		{"DisassociateQAppFromUser", app},
		{"StartQAppSession", map[string]any{"appId": missing, "appVersion": 1}},
		{"CreateLibraryItem", map[string]any{"appId": missing, "appVersion": 1, "categories": []any{}}},
		{"GetLibraryItem", item},
		{"UpdateLibraryItem", map[string]any{"libraryItemId": missing, "status": "DISABLED"}},
		{"UpdateLibraryItemMetadata", map[string]any{"libraryItemId": missing, "isVerified": true}},
		{"DeleteLibraryItem", item},
		{"AssociateLibraryItemReview", item},
		{"DisassociateLibraryItemReview", item},
		{"GetQAppSession", sess},
		{"GetQAppSessionMetadata", sess},
		{"UpdateQAppSession", map[string]any{"sessionId": missing, "values": []any{}}},
		{"UpdateQAppSessionMetadata", map[string]any{"sessionId": missing, "sharingConfiguration": map[string]any{"enabled": true}}},
		{"StopQAppSession", sess},
		{"ListQAppSessionData", sess},
		{"ExportQAppSessionData", sess},
		{"ImportDocument", map[string]any{"appId": missing, "cardId": qaCardFile, "fileContentsBase64": "aGk=", "fileName": "a", "scope": "APPLICATION"}},
		{"CreatePresignedUrl", map[string]any{"appId": missing, "cardId": qaCardFile, "fileContentsSha256": strings.Repeat("A", 43) + "=", "fileName": "a", "scope": "APPLICATION"}},
	}
	for _, c := range cases {
		t.Run(c.op, func(t *testing.T) {
			berr := e.fail(t, qaUser1, c.op, qaIn(qaInstance, c.params), "ResourceNotFoundException", 404)
			if berr.Body["resourceId"] == nil || berr.Body["resourceType"] == nil {
				t.Fatalf("%s: the error lacks resourceId/resourceType: %v", c.op, berr.Body)
			}
		})
	}
}

// TestQAppsUnsignedRequest: Q Apps acts for a user, so a request without
// credentials is an UnauthorizedException.
func TestQAppsUnsignedRequest(t *testing.T) {
	t.Parallel()
	e := startQApps(t)
	req, _ := http.NewRequest(http.MethodGet, e.url+"/apps.list", nil)
	req.Header.Set("instance-id", qaInstance)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(body, &m)
	if resp.StatusCode != 401 || resp.Header.Get("X-Amzn-ErrorType") != "UnauthorizedException" || m["message"] == nil {
		t.Fatalf("unsigned ListQApps: %d %s %s", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), body)
	}
}
