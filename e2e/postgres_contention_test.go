package e2e_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/smithy-go"
	"github.com/jackc/pgx/v5"

	"github.com/ersatz-dev/ersatz/internal/bench"
	"github.com/ersatz-dev/ersatz/internal/testkit/pgtest"
)

// The contention tests: pgWriters clients grant Q Apps permissions on one app
// at once, half through each of two Ersatz processes sharing one PostgreSQL
// database whose pools hold at most 32 connections each.
const (
	pgWriters  = 64
	pgPoolConn = 32
	pgInstance = "pg-contention"
	pgOwner    = "AKIDPGOWNER00000001"
)

// withPool adds pool_max_conns to a URL DSN.
func withPool(t *testing.T, dsn string, conns int) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("pool_max_conns", fmt.Sprint(conns))
	u.RawQuery = q.Encode()
	return u.String()
}

// pgGrants drives the writers: each sends UpdateQAppPermissions granting one
// principal of its own per request, through process i%2, until stop returns
// true (checked before each request). It returns every granted principal and
// every request that did not answer 2xx.
type pgGrants struct {
	clients []*bench.Client
	appID   string
	sent    atomic.Int64
}

func newPgGrants(t *testing.T, urls ...string) *pgGrants {
	t.Helper()
	g := &pgGrants{}
	for _, u := range urls {
		g.clients = append(g.clients, bench.NewClient(u, bench.Credentials{AccessKeyID: pgOwner, SecretAccessKey: "secret", Region: "us-east-1"}, pgWriters, nil))
	}
	var out struct {
		AppID string `json:"appId"`
	}
	o := g.clients[0].REST(t.Context(), "qapps", "POST", "/apps.create", pgHeader(), map[string]any{
		"title": "contended",
		"appDefinition": map[string]any{"cards": []any{map[string]any{"textInput": map[string]any{
			"title": "question", "id": "3f5a2b8c-1d4e-4f6a-9b7c-0d1e2f3a4b5c", "type": "text-input"}}}},
	}, &out)
	if !o.OK() || out.AppID == "" {
		t.Fatalf("CreateQApp: %s", o)
	}
	g.appID = out.AppID
	return g
}

// pgRestartRounds bounds the rounds of a writer in the restart test: the
// users granted must exist, so the credentials file lists this many per
// writer (a writer going on through the restart sends a few dozen at most).
const pgRestartRounds = 256

// pgUsersFile writes a credentials file naming the owner's key and, as Q Apps
// users of its account, every principal a writer grants in its first rounds
// (writer-WW-RRRR): a grant names a user that exists.
func pgUsersFile(t *testing.T, rounds int) string {
	t.Helper()
	creds := []map[string]any{{"accessKeyId": pgOwner, "secretAccessKey": "secret"}}
	for w := range pgWriters {
		for r := range rounds {
			id := fmt.Sprintf("writer-%02d-%04d", w, r)
			creds = append(creds, map[string]any{"accessKeyId": "AKID" + strings.ReplaceAll(strings.ToUpper(id), "-", ""), "secretAccessKey": "secret", "userId": id})
		}
	}
	b, err := json.Marshal(map[string]any{"credentials": creds})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "credentials.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func pgHeader() http.Header { return http.Header{"Instance-Id": {pgInstance}} }

func (g *pgGrants) run(ctx context.Context, stop func(writer, round int) bool) (granted []string, failures []string) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := make(chan struct{})
	for w := range pgWriters {
		wg.Go(func() {
			<-start
			c := g.clients[w%len(g.clients)]
			for r := 0; !stop(w, r); r++ {
				p := fmt.Sprintf("writer-%02d-%04d", w, r)
				g.sent.Add(1)
				o := c.REST(ctx, "qapps", "POST", "/apps.updateQAppPermissions", pgHeader(), map[string]any{
					"appId": g.appID, "grantPermissions": []any{map[string]any{"action": "read", "principal": p}},
				}, nil)
				mu.Lock()
				if o.OK() {
					granted = append(granted, p)
				} else {
					failures = append(failures, fmt.Sprintf("writer %d round %d: %s", w, r, o))
				}
				mu.Unlock()
			}
		})
	}
	close(start)
	wg.Wait()
	return granted, failures
}

// check fails the test unless every request succeeded and every grant is in
// the app's permissions (no update lost another's).
func (g *pgGrants) check(t *testing.T, granted, failures []string) {
	t.Helper()
	for i, f := range failures {
		if i == 10 {
			t.Errorf("... and %d more", len(failures)-10)
			break
		}
		t.Error(f)
	}
	if len(failures) > 0 {
		t.Fatalf("%d of %d requests failed, want 0", len(failures), g.sent.Load())
	}
	var out struct {
		Permissions []struct {
			Principal struct {
				UserID string `json:"userId"`
			} `json:"principal"`
		} `json:"permissions"`
	}
	for i, c := range g.clients {
		o := c.REST(t.Context(), "qapps", "GET", "/apps.describeQAppPermissions?appId="+url.QueryEscape(g.appID), pgHeader(), nil, &out)
		if !o.OK() {
			t.Fatalf("DescribeQAppPermissions through process %d: %s", i, o)
		}
		have := map[string]bool{}
		for _, p := range out.Permissions {
			have[p.Principal.UserID] = true
		}
		for _, p := range granted {
			if !have[p] {
				t.Fatalf("process %d: the acknowledged grant to %s is lost (%d permissions listed, %d granted)", i, p, len(out.Permissions)-1, len(granted))
			}
		}
		if len(out.Permissions) != len(granted)+1 {
			t.Fatalf("process %d lists %d permissions, want the owner and %d grants", i, len(out.Permissions), len(granted))
		}
	}
}

// TestPostgresContentionOneResource: 64 writers update one Q App through two
// processes on one database; every request succeeds and no grant is lost.
// ERSATZ_PG_CONTENTION_ROUNDS=N has each writer send N requests (the long
// run; default 8).
func TestPostgresContentionOneResource(t *testing.T) {
	t.Parallel()
	rounds := 8
	if v := os.Getenv("ERSATZ_PG_CONTENTION_ROUNDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("ERSATZ_PG_CONTENTION_ROUNDS=%q is not a positive number", v)
		}
		rounds = n
	}
	dsn := withPool(t, pgtest.PostgresSchema(t), pgPoolConn)
	bin := buildErsatz(t)
	users := pgUsersFile(t, rounds)
	a := startErsatz(t, bin, "--store", dsn, "--credentials", users)
	b := startErsatz(t, bin, "--store", dsn, "--credentials", users)
	g := newPgGrants(t, a.url, b.url)
	begin := time.Now()
	granted, failures := g.run(t.Context(), func(_, r int) bool { return r == rounds })
	t.Logf("%d writers x %d grants on one app through 2 processes: %d failed, %v (%.0f requests/s)",
		pgWriters, rounds, len(failures), time.Since(begin).Round(time.Millisecond), float64(g.sent.Load())/time.Since(begin).Seconds())
	g.check(t, granted, failures)
}

// TestPostgresRestartRetriesDeadConnections restarts PostgreSQL while 64
// writers work through two processes: the pooled connections die with it,
// and every request still succeeds (none is answered from a dead connection).
func TestPostgresRestartRetriesDeadConnections(t *testing.T) {
	t.Parallel()
	cluster := pgtest.StartPostgresCluster(t)
	dsn := withPool(t, cluster.DSN, pgPoolConn)
	bin := buildErsatz(t)
	users := pgUsersFile(t, pgRestartRounds)
	a := startErsatz(t, bin, "--store", dsn, "--credentials", users)
	b := startErsatz(t, bin, "--store", dsn, "--credentials", users)
	g := newPgGrants(t, a.url, b.url)
	// Every writer sends 4 requests; then PostgreSQL restarts. Even writers
	// wait for the restart to end (their next requests meet the pooled
	// connections it killed), odd ones go on through it (theirs meet the
	// shutdown and the refused connections). Each sends 4 more after it.
	const before, after = 4, 4
	var arrived sync.WaitGroup
	arrived.Add(pgWriters)
	restarted := make(chan struct{})
	go func() {
		arrived.Wait()
		cluster.Restart(t)
		close(restarted)
	}()
	since := make([]int, pgWriters) // the round each writer first saw the restart done
	granted, failures := g.run(t.Context(), func(w, r int) bool {
		if r == before {
			arrived.Done()
			if w%2 == 0 {
				<-restarted
			}
		}
		if since[w] == 0 {
			select {
			case <-restarted:
				since[w] = r
			default:
			}
		}
		if r == pgRestartRounds {
			t.Errorf("writer %d: still no restart after %d rounds", w, r)
			return true
		}
		return since[w] > 0 && r == since[w]+after
	})
	t.Logf("%d writers, PostgreSQL restarted after %d grants each, %d more each after it: %d of %d requests failed",
		pgWriters, before, after, len(failures), g.sent.Load())
	g.check(t, granted, failures)
}

// TestPostgresBusyAnswersThrottling: while another session holds a lock on
// the resources table longer than lock_timeout, writes through each service
// answer its modelled throttling error (retryable by the SDKs), never 500,
// and keep nothing; once the lock is gone the same requests succeed.
func TestPostgresBusyAnswersThrottling(t *testing.T) {
	t.Parallel()
	schema := pgtest.PostgresSchema(t)
	u, err := url.Parse(schema)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("lock_timeout", "300") // milliseconds
	u.RawQuery = q.Encode()
	users := filepath.Join(t.TempDir(), "credentials.json")
	if err := os.WriteFile(users, []byte(`{"credentials": [{"accessKeyId": "`+pgOwner+`", "secretAccessKey": "secret"},
		{"accessKeyId": "AKIDBUSYUSER", "secretAccessKey": "secret", "userId": "busy-user"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startErsatz(t, buildErsatz(t), "--store", u.String(), "--credentials", users)
	g := newPgGrants(t, p.url)
	tc := p.client()
	qa := g.clients[0]
	ab := bench.NewClient(p.url, bench.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret", Region: "us-east-1"}, 1, nil)

	conn, err := pgx.Connect(t.Context(), schema)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	hold, err := conn.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	// SHARE lets readers in and keeps every writer waiting.
	if _, err := hold.Exec(t.Context(), `LOCK TABLE resources IN SHARE MODE`); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	grant := map[string]any{"appId": g.appID, "grantPermissions": []any{map[string]any{"action": "read", "principal": "busy-user"}}}
	backend := map[string]any{"appId": "dbusyapp", "appName": "busy", "backendEnvironmentName": "dev"}

	_, err = tc.CreateServer(ctx, &transfer.CreateServerInput{})
	var ae smithy.APIError
	var re *awshttp.ResponseError
	if !errors.As(err, &ae) || ae.ErrorCode() != "ThrottlingException" || !errors.As(err, &re) || re.HTTPStatusCode() != 429 {
		t.Errorf("transfer CreateServer behind the lock: %v, want 429 ThrottlingException", err)
	} else if retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) != aws.TrueTernary {
		t.Errorf("the Go SDK does not take %v for throttling", err)
	}
	for _, c := range []struct {
		name string
		o    bench.Outcome
		code string
	}{
		{"qapps UpdateQAppPermissions", qa.REST(ctx, "qapps", "POST", "/apps.updateQAppPermissions", pgHeader(), grant, nil), "ThrottlingException"},
		{"amplifybackend CreateBackend", ab.REST(ctx, "amplifybackend", "POST", "/backend", nil, backend, nil), "TooManyRequestsException"},
	} {
		if c.o.Status != 429 || c.o.Code != c.code {
			t.Errorf("%s behind the lock: %s, want 429 %s", c.name, c.o, c.code)
		}
	}
	if err := hold.Rollback(t.Context()); err != nil {
		t.Fatal(err)
	}

	// Nothing was kept; now the same requests succeed.
	list, err := tc.ListServers(ctx, &transfer.ListServersInput{})
	if err != nil || len(list.Servers) != 0 {
		t.Fatalf("servers after the throttled CreateServer: %+v %v, want none", list, err)
	}
	var perms struct {
		Permissions []any `json:"permissions"`
	}
	if o := qa.REST(ctx, "qapps", "GET", "/apps.describeQAppPermissions?appId="+url.QueryEscape(g.appID), pgHeader(), nil, &perms); !o.OK() || len(perms.Permissions) != 1 {
		t.Fatalf("permissions after the throttled grant: %s %v, want the owner only", o, perms.Permissions)
	}
	if o := ab.REST(ctx, "amplifybackend", "POST", "/backend/dbusyapp/details", nil, map[string]any{"backendEnvironmentName": "dev"}, nil); o.Status != 404 {
		t.Fatalf("GetBackend after the throttled CreateBackend: %s, want 404", o)
	}
	if _, err := tc.CreateServer(ctx, &transfer.CreateServerInput{}); err != nil {
		t.Errorf("CreateServer once the lock is gone: %v", err)
	}
	if o := qa.REST(ctx, "qapps", "POST", "/apps.updateQAppPermissions", pgHeader(), grant, nil); !o.OK() {
		t.Errorf("UpdateQAppPermissions once the lock is gone: %s", o)
	}
	if o := ab.REST(ctx, "amplifybackend", "POST", "/backend", nil, backend, nil); !o.OK() {
		t.Errorf("CreateBackend once the lock is gone: %s", o)
	}
}
