package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/transfer"

	"github.com/ersatz-dev/ersatz/internal/auth"
	"github.com/ersatz-dev/ersatz/internal/browser"
	"github.com/ersatz-dev/ersatz/internal/server"
	"github.com/ersatz-dev/ersatz/internal/store/memory"
	"github.com/ersatz-dev/ersatz/internal/testkit"
)

// metricValue is the value of the series whose line starts with series
// (name and labels as Prometheus writes them), or -1.
func metricValue(t *testing.T, body, series string) float64 {
	t.Helper()
	for _, line := range strings.Split(body, "\n") {
		if rest, ok := strings.CutPrefix(line, series+" "); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return v
		}
	}
	return -1
}

// TestMetricsCountRequestsStoreDataPlaneAndJobs: /metrics (Prometheus
// text) counts requests by service, operation and error code with their
// latency, store transactions, data-plane sessions and logins by outcome,
// and Amplify Backend jobs by status.
func TestMetricsCountRequestsStoreDataPlaneAndJobs(t *testing.T) {
	t.Parallel()
	needTool(t, "ssh-keygen")
	e := startSeen(t)
	_, done := e.seed(t)
	defer done()
	for range 3 {
		if _, err := e.TC.DescribeServer(t.Context(), &transfer.DescribeServerInput{ServerId: aws.String("s-0000000000000000f")}); err == nil {
			t.Fatal("DescribeServer of a missing server succeeded")
		}
	}
	status, body := get(t, http.DefaultClient, e.URL+"/metrics")
	if status != http.StatusOK {
		t.Fatalf("/metrics: %d %s", status, body)
	}
	checks := []struct {
		series string
		min    float64
		max    float64
	}{
		{`ersatz_requests_total{error_code="",operation="CreateServer",service="transfer"}`, 2, 2},
		{`ersatz_requests_total{error_code="ResourceNotFoundException",operation="DescribeServer",service="transfer"}`, 3, 3},
		{`ersatz_requests_total{error_code="",operation="CreateQApp",service="qapps"}`, 1, 1},
		{`ersatz_request_duration_seconds_count{operation="DescribeServer",service="transfer"}`, 3, 3},
		{`ersatz_request_duration_seconds_bucket{operation="DescribeServer",service="transfer",le="+Inf"}`, 3, 3},
		{`ersatz_store_transaction_duration_seconds_count{kind="update",outcome="ok"}`, 10, 1e9},
		{`ersatz_store_transaction_duration_seconds_count{kind="view",outcome="ok"}`, 1, 1e9},
		{`ersatz_transfer_sessions{protocol="SFTP"}`, 1, 1},
		{`ersatz_transfer_logins_total{outcome="success",protocol="SFTP"}`, 1, 1},
		{`ersatz_transfer_logins_total{outcome="refused",protocol="SFTP"}`, 1, 1},
		{`ersatz_amplifybackend_jobs{status="COMPLETED"}`, 3, 3},
		{`ersatz_transfer_bytes_total{direction="in",protocol="SFTP"}`, 20, 20},
		{`ersatz_transfer_bytes_total{direction="out",protocol="SFTP"}`, 20, 20},
		{`ersatz_transfer_bytes_total{direction="in",protocol="FTP"}`, 0, 0},
	}
	for _, c := range checks {
		if v := metricValue(t, body, c.series); v < c.min || v > c.max {
			t.Errorf("%s = %v, want %v..%v", c.series, v, c.min, c.max)
		}
	}
	if !strings.Contains(body, "# TYPE ersatz_store_transaction_retries_total counter") {
		t.Errorf("/metrics lacks the store retries counter")
	}
}

// TestRequestLogEndpoint: GET /_ersatz/requests lists the last requests,
// newest first, with account, region, service, operation, status, error
// code and message, latency and request id; it filters by service and
// status and names the field it refuses; the ring keeps only its size; the
// info-level log line of each request carries its error code.
func TestRequestLogEndpoint(t *testing.T) {
	t.Parallel()
	e := startSeen(t, func(c *server.Config) { c.RequestLog = 5 })
	ctx := t.Context()
	for range 4 {
		if _, err := e.TC.CreateServer(ctx, &transfer.CreateServerInput{}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := e.TC.DescribeServer(ctx, &transfer.DescribeServerInput{ServerId: aws.String("s-0000000000000000f")})
	if err == nil {
		t.Fatal("DescribeServer of a missing server succeeded")
	}
	boto := (&testkit.Server{URL: e.URL}).Boto(t)
	if _, berr := boto.Call(t, testkit.BotoRequest{Service: "qapps", Op: "ListQApps", AccessKey: qaUser1,
		Params: map[string]any{"instanceId": qaInstance}}); berr != nil {
		t.Fatal(berr)
	}
	type entry struct {
		Time         time.Time `json:"time"`
		RequestID    string    `json:"requestId"`
		Account      string    `json:"account"`
		Region       string    `json:"region"`
		Service      string    `json:"service"`
		Operation    string    `json:"operation"`
		Status       int       `json:"status"`
		ErrorCode    string    `json:"errorCode"`
		ErrorMessage string    `json:"errorMessage"`
		LatencyMs    float64   `json:"latencyMs"`
	}
	list := func(query string) (int, []entry, string) {
		status, body := get(t, http.DefaultClient, e.URL+"/_ersatz/requests?"+query)
		var out struct {
			Size     int     `json:"size"`
			Requests []entry `json:"requests"`
		}
		if status == http.StatusOK {
			if err := json.Unmarshal([]byte(body), &out); err != nil {
				t.Fatalf("%s: %v", body, err)
			}
			if out.Size != 5 {
				t.Fatalf("size %d, want 5", out.Size)
			}
		}
		return status, out.Requests, body
	}
	_, all, _ := list("")
	if len(all) != 5 || all[0].Operation != "ListQApps" || all[1].Operation != "DescribeServer" {
		t.Fatalf("the log holds %+v, want the last 5 requests newest first", all)
	}
	miss := all[1]
	if miss.Status != 404 || miss.ErrorCode != "ResourceNotFoundException" || miss.ErrorMessage != "Unknown server" ||
		miss.Account != acctA || miss.Region != "us-east-1" || miss.Service != "transfer" || miss.RequestID == "" ||
		miss.LatencyMs <= 0 || time.Since(miss.Time) > time.Minute {
		t.Fatalf("the failed request is logged as %+v", miss)
	}
	for query, want := range map[string][]string{
		"status=4xx":                   {"DescribeServer"},
		"status=error&service=qapps":   {},
		"status=ok&service=qapps":      {"ListQApps"},
		"service=transfer&status=200":  {"CreateServer", "CreateServer", "CreateServer"},
		"service=transfer&limit=2":     {"DescribeServer", "CreateServer"},
		"status=404&service=transfer":  {"DescribeServer"},
		"service=amplifybackend":       {},
		"status=error&service=nothing": {},
	} {
		_, got, _ := list(query)
		var ops []string
		for _, g := range got {
			ops = append(ops, g.Operation)
		}
		if strings.Join(ops, ",") != strings.Join(want, ",") {
			t.Errorf("?%s lists %v, want %v", query, ops, want)
		}
	}
	for query, field := range map[string]string{"status=teapot": "status", "limit=-3": "limit", "status=7xx": "status"} {
		status, _, body := list(query)
		if status != http.StatusBadRequest || !strings.Contains(body, "ValidationException") || !strings.Contains(body, field) {
			t.Errorf("?%s: %d %s, want a 400 naming %s", query, status, body, field)
		}
	}
	if !regexp.MustCompile(`level=INFO msg=request id=` + miss.RequestID + ` service=transfer operation=DescribeServer status=404 error=ResourceNotFoundException`).MatchString(e.log.String()) {
		t.Errorf("no info log line with the error code for %s:\n%s", miss.RequestID, e.log.String())
	}
}

// TestBrowserLoginUnderSigV4: with --auth sigv4 the browser's pages send a
// browser without a session to the login form; only an admin credential's
// key and secret open a session, whose cookie is HttpOnly and
// SameSite=Strict; the admin endpoints (/metrics, /_ersatz/requests)
// accept the session as a signed admin request; a cross-site login or a
// state-changing request that is not JSON is still refused; logging out
// ends the session.
func TestBrowserLoginUnderSigV4(t *testing.T) {
	t.Parallel()
	creds, err := auth.New(
		auth.Credential{AccessKeyID: adminKey, SecretAccessKey: adminSecret, Admin: true},
		auth.Credential{AccessKeyID: plainKey, SecretAccessKey: plainSecret},
	)
	if err != nil {
		t.Fatal(err)
	}
	st := memory.New()
	srv := server.New(server.Config{Store: st, DefaultRegion: "us-east-1", Metrics: true, RequestLog: 50, DataDir: t.TempDir(),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Auth: auth.NewSigV4(creds, server.Services(nil))})
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		hs.Close()
		_ = srv.Close()
		_ = st.Close()
	})
	tc := transfer.NewFromConfig(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(hs.URL), RetryMaxAttempts: 1,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: plainKey, SecretAccessKey: plainSecret}, nil
		})})
	created, err := tc.CreateServer(t.Context(), &transfer.CreateServerInput{})
	if err != nil {
		t.Fatal(err)
	}
	// An object of the plain key's account, put with a signed S3 request.
	s3c := s3.NewFromConfig(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(hs.URL), RetryMaxAttempts: 1,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: plainKey, SecretAccessKey: plainSecret}, nil
		})}, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := s3c.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String("guarded-bucket")}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	if _, err := s3c.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String("guarded-bucket"), Key: aws.String("secret.txt"),
		Body: strings.NewReader("only for admins")}); err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	objectURL := "/_ersatz/ui/s3/" + auth.AccountOf(plainKey) + "/guarded-bucket/object?key=secret.txt"
	jar, _ := cookiejar.New(nil)
	noRedirect := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c := &http.Client{Jar: jar, CheckRedirect: noRedirect}

	resp, err := c.Get(hs.URL + "/_ersatz/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/_ersatz/login") {
		t.Fatalf("/_ersatz/ without a session: %d %s, want a redirect to the login form", resp.StatusCode, resp.Header.Get("Location"))
	}
	for _, p := range []string{"/_ersatz/requests", "/metrics", "/_ersatz/ui/" + browserURLPart(plainKey), objectURL,
		"/_ersatz/ui/s3/" + auth.AccountOf(plainKey) + "/guarded-bucket/"} {
		if status, body := get(t, c, hs.URL+p); status != http.StatusForbidden && status != http.StatusSeeOther || strings.Contains(body, "only for admins") {
			t.Errorf("%s without a session: %d %s", p, status, body)
		}
	}
	if status, body := get(t, c, hs.URL+"/_ersatz/login"); status != http.StatusOK || !strings.Contains(body, `<label for="secretAccessKey"`) {
		t.Fatalf("login form: %d %s", status, body)
	}
	login := func(key, secret string, header http.Header) *http.Response {
		form := url.Values{"accessKeyId": {key}, "secretAccessKey": {secret}, "next": {"/_ersatz/ui/requests"}}
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, hs.URL+"/_ersatz/login", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range header {
			req.Header[k] = v
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for name, r := range map[string]*http.Response{
		"a wrong secret":           login(adminKey, "wrong", nil),
		"a key that is not admin":  login(plainKey, plainSecret, nil),
		"an unknown key":           login("AKIDNOBODY", adminSecret, nil),
		"a cross-site origin":      login(adminKey, adminSecret, http.Header{"Origin": {"http://evil.example"}}),
		"a cross-site fetch":       login(adminKey, adminSecret, http.Header{"Sec-Fetch-Site": {"cross-site"}}),
		"a page of a rebound name": login(adminKey, adminSecret, http.Header{"Origin": {"http://rebound.example"}, "Host": {"rebound.example"}}),
		"an empty secret":          login(adminKey, "", nil),
	} {
		if r.StatusCode < 400 || len(r.Cookies()) > 0 {
			t.Errorf("login with %s: %d, cookies %v", name, r.StatusCode, r.Cookies())
		}
	}
	r := login(adminKey, adminSecret, http.Header{"Origin": {hs.URL}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/_ersatz/ui/requests" {
		t.Fatalf("admin login: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	var sc *http.Cookie
	for _, ck := range r.Cookies() {
		if ck.Name == browser.CookieName {
			sc = ck
		}
	}
	if sc == nil || !sc.HttpOnly || sc.SameSite != http.SameSiteStrictMode || len(sc.Value) < 32 {
		t.Fatalf("session cookie %+v, want HttpOnly and SameSite=Strict", sc)
	}
	if status, body := get(t, c, hs.URL+"/_ersatz/ui/"+browserURLPart(plainKey)); status != http.StatusOK || !strings.Contains(body, aws.ToString(created.ServerId)) {
		t.Fatalf("the lists with a session: %d, want the server %s:\n%s", status, aws.ToString(created.ServerId), body)
	}
	if status, body := get(t, c, hs.URL+objectURL); status != http.StatusOK || body != "only for admins" {
		t.Fatalf("the download with a session: %d %q", status, body)
	}
	if status, body := get(t, c, hs.URL+"/_ersatz/requests?service=transfer"); status != http.StatusOK || !strings.Contains(body, "CreateServer") {
		t.Fatalf("/_ersatz/requests with a session: %d %s", status, body)
	}
	if status, body := get(t, c, hs.URL+"/metrics"); status != http.StatusOK || !strings.Contains(body, "ersatz_requests_total") {
		t.Fatalf("/metrics with a session: %d", status)
	}
	// A session changes nothing a web page could not: a reset that is not
	// JSON is refused, and the server is still there.
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, hs.URL+"/_ersatz/reset", strings.NewReader("x"))
	req.Header.Set("Content-Type", "text/plain")
	if resp, err := c.Do(req); err != nil || resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Fatalf("a form reset with a session: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	if _, err := tc.DescribeServer(t.Context(), &transfer.DescribeServerInput{ServerId: created.ServerId}); err != nil {
		t.Fatalf("the server is gone: %v", err)
	}
	// Logging out ends the session, for the old cookie too.
	req, _ = http.NewRequestWithContext(t.Context(), http.MethodPost, hs.URL+"/_ersatz/logout", nil)
	if resp, err := c.Do(req); err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	req, _ = http.NewRequestWithContext(t.Context(), http.MethodGet, hs.URL+"/_ersatz/requests", nil)
	req.AddCookie(&http.Cookie{Name: browser.CookieName, Value: sc.Value})
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(b), "log in again") {
		t.Fatalf("the ended session's cookie: %d %s", resp.StatusCode, b)
	}
}

// browserURLPart is the "<account>/<region>/" of the lists of a key's
// account in us-east-1.
func browserURLPart(key string) string {
	return fmt.Sprintf("%s/us-east-1/", auth.AccountOf(key))
}
