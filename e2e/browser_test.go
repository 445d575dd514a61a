package e2e_test

import (
	"bytes"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
)

// TestResourceBrowserInChromium: headless Chromium opens the resource
// browser of a server holding resources of all three services; the index,
// every list and one detail page of each kind show them, the detail page
// shows exactly what the Describe/Get operation answers a client, and the
// data plane and request pages show listeners, the open session, the
// refused login with its reason, and the requests with their error codes;
// the S3 buckets of an account list their objects by folder, and an
// object's download link answers its bytes.
func TestResourceBrowserInChromium(t *testing.T) {
	t.Parallel()
	bin := chromium(t)
	needTool(t, "ssh-keygen")
	e := startSeen(t)
	s, done := e.seed(t)
	defer done()
	// A failing call, for the request log.
	if _, err := e.TC.DescribeServer(t.Context(), &transfer.DescribeServerInput{ServerId: aws.String("s-0000000000000000f")}); err == nil {
		t.Fatal("DescribeServer of a missing server succeeded")
	}

	objects := putBrowserObjects(t, e.URL)

	index := dom(t, bin, e.URL+"/_ersatz/")
	scopeURL := "/_ersatz/ui/" + acctA + "/us-east-1/"
	for _, want := range []string{`href="` + scopeURL + `"`, "<h1>Resources by account and region</h1>", "CreateQApp",
		"ResourceNotFoundException", `lang="en"`} {
		if !strings.Contains(index, want) {
			t.Errorf("index lacks %q", want)
		}
	}

	// Transfer and Amplify Backend were called as account acctA, Q Apps
	// with keys that are not account ids (account 000000000000).
	qaScopeURL := "/_ersatz/ui/000000000000/us-east-1/"
	for _, want := range []string{`href="` + qaScopeURL + `"`} {
		if !strings.Contains(index, want) {
			t.Errorf("index lacks %q", want)
		}
	}
	scope := dom(t, bin, e.URL+scopeURL)
	for _, want := range []string{s.serverID, "ONLINE", "SFTP 127.0.0.1:", "SHA256:", s.userName,
		s.dirServerID, s.externalID, "/browser-bucket/shared", "s3:GetObject", s.workflowID, "browser workflow",
		s.appID, "Browser example", s.storage, s.api, "COMPLETED", "CreateBackendStorage"} {
		if !strings.Contains(scope, want) {
			t.Errorf("the lists of %s lack %q", scopeURL, want)
		}
	}
	for _, id := range s.jobIDs {
		if !strings.Contains(scope, id) {
			t.Errorf("the jobs lack %s", id)
		}
	}
	qaScope := dom(t, bin, e.URL+qaScopeURL)
	for _, want := range []string{s.qappID, s.qappTitle, qaID(qaUser2), s.libraryItemID, "PUBLISHED", s.sessionID} {
		if !strings.Contains(qaScope, want) {
			t.Errorf("the lists of %s lack %q", qaScopeURL, want)
		}
	}

	// A detail page of each kind answers 200 and shows its resource.
	linkRE := regexp.MustCompile(`href="(/_ersatz/ui/[0-9]+/us-east-1/([a-z]+)/([a-z]+)\?path=([^"]+))"`)
	links := append(linkRE.FindAllStringSubmatch(scope, -1), linkRE.FindAllStringSubmatch(qaScope, -1)...)
	detail := func(kind, id string) string {
		for _, l := range links {
			path, _ := url.QueryUnescape(html.UnescapeString(l[4]))
			if l[2]+"/"+l[3] == kind && strings.Contains(path, id) {
				return html.UnescapeString(l[1])
			}
		}
		t.Errorf("the lists link no %s detail page of %s", kind, id)
		return ""
	}
	seen := map[string]string{}
	for _, c := range []struct{ kind, id, want string }{
		{"transfer/server", s.serverID, `"Protocols"`}, {"transfer/user", s.userName, `"SshPublicKeys"`},
		{"transfer/access", s.externalID, "/browser-bucket/shared"}, {"transfer/hostkey", s.serverID, `"HostKeyFingerprint"`},
		{"transfer/workflow", s.workflowID, "browser workflow"}, {"amplifybackend/backend", s.appID, "Browser example"},
		{"amplifybackend/storage", s.storage, `"bucketName"`}, {"amplifybackend/api", s.api, `"resourceConfig"`},
		{"amplifybackend/job", s.jobIDs[0], "COMPLETED"}, {"qapps/app", s.qappID, s.qappTitle},
		{"qapps/permissions", s.qappID, qaID(qaUser2)}, {"qapps/library", s.libraryItemID, "PUBLISHED"},
		{"qapps/session", s.sessionID, `"cardStatus"`},
	} {
		link := detail(c.kind, c.id)
		if link == "" {
			continue
		}
		seen[c.kind] = link
		page := dom(t, bin, e.URL+link)
		if !strings.Contains(page, "<dd>200</dd>") || !strings.Contains(page, c.want) || !strings.Contains(page, c.id) {
			t.Errorf("detail page %s (%s) lacks status 200, %q or %q:\n%s", c.kind, link, c.id, c.want, page)
		}
	}

	// The detail page's answer is the operation's answer to a client.
	for kind, call := range map[string][2]string{
		"transfer/server": {"DescribeServer", `{"ServerId":"` + s.serverID + `"}`},
		"transfer/access": {"DescribeAccess", `{"ServerId":"` + s.dirServerID + `","ExternalId":"` + s.externalID + `"}`},
	} {
		page := dom(t, bin, e.URL+seen[kind])
		m := regexp.MustCompile(`(?s)<pre class="json"[^>]*>(.*?)</pre>`).FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("detail page %s has no answer", kind)
		}
		if got, want := compactJSON(t, html.UnescapeString(m[1])), compactJSON(t, rawTransfer(t, e.URL, call[0], call[1])); got != want {
			t.Errorf("%s detail page shows\n%s\nbut %s answers a client\n%s", kind, got, call[0], want)
		}
	}

	dp := dom(t, bin, e.URL+"/_ersatz/ui/dataplane")
	for _, want := range []string{s.serverID, s.addr, "<td>yes</td>", "<td>" + s.userName + "</td><td>publickey</td>",
		"refused", "is not one of the user's 1 keys",
		"<td>write</td><td><code>/bucket/home/" + s.userName + "/seen.txt</code></td><td class=\"num\">20</td>",
		"<td>read</td><td><code>/bucket/home/" + s.userName + "/seen.txt</code></td><td class=\"num\">20</td>",
		"<td>rename</td><td><code>/bucket/home/" + s.userName + "/seen.txt</code> → <code>/bucket/home/" + s.userName + "/kept.txt</code>",
		"SFTP 20 in, 20 out"} {
		if !strings.Contains(dp, want) {
			t.Errorf("the data plane page lacks %q:\n%s", want, dp)
		}
	}

	reqs := dom(t, bin, e.URL+"/_ersatz/ui/requests?status=4xx&service=transfer")
	if !strings.Contains(reqs, "ResourceNotFoundException") || strings.Contains(reqs, "<td>CreateServer</td>") {
		t.Errorf("the 4xx transfer requests lack the error or show a success:\n%s", reqs)
	}
	if all := dom(t, bin, e.URL+"/_ersatz/ui/requests"); !strings.Contains(all, "<td>CreateServer</td>") ||
		!strings.Contains(all, "<td>StartQAppSession</td>") {
		t.Errorf("the request page lacks CreateServer or StartQAppSession")
	}

	s3Pages := checkBrowserObjects(t, bin, e.URL, index, objects)

	// Basic accessibility of every page: a language, one h1, labelled
	// controls, column headers with a scope.
	for _, page := range append([]string{index, scope, qaScope, dp, reqs}, s3Pages...) {
		checkAccessible(t, page)
	}

	// Screenshots at desktop and phone width; ERSATZ_SCREENSHOTS=docs keeps
	// them (the pictures in docs/browser.md).
	dir := os.Getenv("ERSATZ_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	screenshot(t, bin, e.URL+scopeURL, dir, "browser-resources.png", 1280, 1400)
	screenshot(t, bin, e.URL+"/_ersatz/ui/dataplane", dir, "browser-dataplane.png", 1280, 700)
	screenshot(t, bin, e.URL+"/_ersatz/ui/requests", dir, "browser-requests.png", 1280, 800)
	screenshot(t, bin, e.URL+seen["transfer/access"], dir, "browser-detail-phone.png", 390, 844)
	screenshot(t, bin, e.URL+"/_ersatz/ui/s3/"+acctA+"/"+objects.bucket+"/?prefix=reports%2F2026%2F", dir, "browser-objects.png", 1280, 500)
}

func checkAccessible(t *testing.T, page string) {
	t.Helper()
	if !strings.Contains(page, `<html lang="en">`) || strings.Count(page, "<h1") != 1 {
		t.Errorf("a page has no language or not one h1")
	}
	for _, id := range regexp.MustCompile(`<(?:input|select)[^>]*\bid="([^"]+)"`).FindAllStringSubmatch(page, -1) {
		if !strings.Contains(page, `<label for="`+id[1]+`"`) {
			t.Errorf("control %s has no label", id[1])
		}
	}
	if n := strings.Count(page, "<th>"); n > 0 {
		t.Errorf("%d column headers have no scope", n)
	}
}

func compactJSON(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, s)
	}
	return b.String()
}

// rawTransfer sends one Transfer request as the AWS CLI would (auth off
// trusts the credential scope) and returns the answer's body.
func rawTransfer(t *testing.T, base, op, body string) string {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, base+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "TransferService."+op)
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+acctA+"/20260101/us-east-1/transfer/aws4_request, SignedHeaders=host, Signature=00")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d %s", op, resp.StatusCode, b)
	}
	return string(b)
}
