package e2e_test

import (
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/gateway"
	"github.com/ersatz-dev/ersatz/internal/objectstore"
	"github.com/ersatz-dev/ersatz/internal/objectstore/localfs"
	"github.com/ersatz-dev/ersatz/internal/service/amplifybackend"
	"github.com/ersatz-dev/ersatz/internal/store/memory"
	"github.com/ersatz-dev/ersatz/internal/testkit"
)

// Accounts of the Amplify Backend tests (access keys that are account ids).
const (
	abAcct1 = "111111111111"
	abAcct2 = "222222222222"
	abApp   = "d1exampleapp"
)

// abClient calls Amplify Backend through boto3 as one account.
type abClient struct {
	t    *testing.T
	boto *testkit.Boto
	key  string
}

func newABClient(t *testing.T, srv *testkit.Server, key string) *abClient {
	t.Helper()
	return &abClient{t: t, boto: srv.Boto(t), key: key}
}

// as is the same worker calling as another account.
func (c *abClient) as(key string) *abClient { return &abClient{t: c.t, boto: c.boto, key: key} }

func (c *abClient) call(op string, params map[string]any) (map[string]any, *testkit.BotoError) {
	c.t.Helper()
	return c.boto.Call(c.t, testkit.BotoRequest{Service: "amplifybackend", Op: op, Params: params, AccessKey: c.key, Region: "us-east-1"})
}

// raw sends params without botocore's own validation, so that the server's
// answer to what botocore would refuse can be seen.
func (c *abClient) raw(op string, params map[string]any) (map[string]any, *testkit.BotoError) {
	c.t.Helper()
	return c.boto.Call(c.t, testkit.BotoRequest{Service: "amplifybackend", Op: op, Params: params, AccessKey: c.key, Region: "us-east-1", NoValidation: true})
}

func (c *abClient) must(op string, params map[string]any) map[string]any {
	c.t.Helper()
	out, err := c.call(op, params)
	if err != nil {
		c.t.Fatalf("%s(%v): %v", op, params, err)
	}
	return out
}

// fails expects the error code (and HTTP status) and every fragment in the message.
func (c *abClient) fails(op string, params map[string]any, code string, fragments ...string) *testkit.BotoError {
	c.t.Helper()
	_, err := c.raw(op, params)
	checkABError(c.t, op, err, code, fragments...)
	return err
}

func checkABError(t *testing.T, op string, err *testkit.BotoError, code string, fragments ...string) {
	t.Helper()
	status := map[string]int{"BadRequestException": 400, "NotFoundException": 404}[code]
	if err == nil || err.Code != code || (status != 0 && err.Status != status) {
		t.Fatalf("%s: error %+v, want %s (%d)", op, err, code, status)
	}
	for _, f := range fragments {
		if !strings.Contains(err.Message, f) {
			t.Fatalf("%s: message %q does not contain %q", op, err.Message, f)
		}
	}
}

// wait polls GetBackendJob until the job ends (5 s at most) and returns it.
func (c *abClient) wait(appID, env, jobID string) map[string]any {
	c.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		j := c.must("GetBackendJob", map[string]any{"AppId": appID, "BackendEnvironmentName": env, "JobId": jobID})
		if j["Status"] != "IN_PROGRESS" {
			return j
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("job %s still IN_PROGRESS after 5 s: %v", jobID, j)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// done runs a job-starting operation and waits for its job to complete.
func (c *abClient) done(op string, params map[string]any) map[string]any {
	c.t.Helper()
	out := c.must(op, params)
	jobID, _ := out["JobId"].(string)
	env, _ := out["BackendEnvironmentName"].(string)
	if jobID == "" || env == "" || out["Status"] != "IN_PROGRESS" {
		c.t.Fatalf("%s answered %v, want a job IN_PROGRESS", op, out)
	}
	if j := c.wait(abStr(out, "AppId"), env, jobID); j["Status"] != "COMPLETED" {
		c.t.Fatalf("%s job ended %v", op, j)
	}
	return out
}

// backend creates an environment and waits for it.
func (c *abClient) backend(appID, env string) {
	c.t.Helper()
	c.done("CreateBackend", map[string]any{"AppId": appID, "AppName": "Example", "BackendEnvironmentName": env})
}

func abStr(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}

// abClock is a settable clock for a server whose jobs only complete when the
// test says so.
type abClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *abClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *abClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// abStartClocked serves Amplify Backend alone over a memory store and an
// object store in a temporary folder, with an injected clock (jobs take one
// minute of it) and the given options.
func abStartClocked(t *testing.T, opts ...amplifybackend.Option) (*testkit.Server, *abClock) {
	t.Helper()
	srv, clk, _ := abStartClockedObjects(t, opts...)
	return srv, clk
}

// abStartClockedObjects is abStartClocked, also returning the object store
// so that a test can set up buckets the service did not make.
func abStartClockedObjects(t *testing.T, opts ...amplifybackend.Option) (*testkit.Server, *abClock, objectstore.Store) {
	t.Helper()
	clk := &abClock{t: time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)}
	st := memory.New()
	t.Cleanup(func() { _ = st.Close() })
	objs := localfs.New(t.TempDir())
	base := []amplifybackend.Option{amplifybackend.WithClock(clk.now), amplifybackend.WithJobDelay(time.Minute), amplifybackend.WithObjects(objs)}
	svc := amplifybackend.New(st, append(base, opts...)...)
	gw := gateway.New(gateway.Options{
		Services:      []*api.Service{svc.API()},
		DefaultRegion: "us-east-1",
		Logger:        slog.New(slog.DiscardHandler),
	})
	srv := testkit.StartHandler(t, gw)
	srv.Store = st
	return srv, clk, objs
}
