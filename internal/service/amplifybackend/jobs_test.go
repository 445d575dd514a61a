package amplifybackend

import (
	"context"
	"errors"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ersatz-dev/ersatz/internal/api"
	ab "github.com/ersatz-dev/ersatz/internal/api/amplifybackendapi"
	"github.com/ersatz-dev/ersatz/internal/ids"
	"github.com/ersatz-dev/ersatz/internal/store"
	"github.com/ersatz-dev/ersatz/internal/store/memory"
)

// fakeClock is the injected clock of these tests.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

// countingStore counts the read-write transactions.
type countingStore struct {
	store.Store
	updates atomic.Int64
}

func (c *countingStore) Update(ctx context.Context, fn func(store.Tx) error) error {
	c.updates.Add(1)
	return c.Store.Update(ctx, fn)
}

const (
	testApp   = "d1testapp"
	testDelay = 100 * time.Millisecond
)

type fixture struct {
	t   testing.TB
	s   *Service
	clk *fakeClock
	st  *countingStore
	ctx context.Context
}

func newFixture(t testing.TB, opts ...Option) *fixture {
	t.Helper()
	clk := &fakeClock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	st := &countingStore{Store: memory.New()}
	t.Cleanup(func() { _ = st.Close() })
	s := New(st, append([]Option{WithClock(clk.now), WithJobDelay(testDelay)}, opts...)...)
	ctx := api.WithCaller(context.Background(), api.Caller{Account: "111111111111", Region: "us-east-1"})
	return &fixture{t: t, s: s, clk: clk, st: st, ctx: ctx}
}

func (f *fixture) job(env, jobID string) *ab.GetBackendJobResponse {
	f.t.Helper()
	j, err := f.s.GetBackendJob(f.ctx, &ab.GetBackendJobRequest{AppId: api.Ptr(testApp), BackendEnvironmentName: api.Ptr(env), JobId: api.Ptr(jobID)})
	if err != nil {
		f.t.Fatalf("GetBackendJob %s: %v", jobID, err)
	}
	return j
}

// createEnv creates an environment and lets its job complete.
func (f *fixture) createEnv(env string) {
	f.t.Helper()
	out, err := f.s.CreateBackend(f.ctx, &ab.CreateBackendRequest{AppId: api.Ptr(testApp), AppName: api.Ptr("Test App"), BackendEnvironmentName: api.Ptr(env)})
	if err != nil {
		f.t.Fatalf("CreateBackend %s: %v", env, err)
	}
	f.clk.advance(testDelay)
	if j := f.job(env, *out.JobId); *j.Status != JobCompleted {
		f.t.Fatalf("CreateBackend job %+v, want COMPLETED", j)
	}
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var se api.ServiceError
	if !errors.As(err, &se) || se.ErrorCode() != code {
		t.Fatalf("error %v, want %s", err, code)
	}
}

func TestJobInProgressUntilDueThenCompletedWithEffect(t *testing.T) {
	f := newFixture(t)
	t0 := f.clk.t
	out, err := f.s.CreateBackend(f.ctx, &ab.CreateBackendRequest{AppId: api.Ptr(testApp), AppName: api.Ptr("Test App"), BackendEnvironmentName: api.Ptr("dev")})
	if err != nil {
		t.Fatal(err)
	}
	if *out.Status != JobInProgress || *out.Operation != "CreateBackend" || *out.BackendEnvironmentName != "dev" || *out.JobId == "" {
		t.Fatalf("CreateBackend = %+v", out)
	}
	steps := []struct {
		at         time.Duration
		wantStatus string
		wantEnvs   int
	}{
		{0, JobInProgress, 0},
		{testDelay - time.Millisecond, JobInProgress, 0},
		{testDelay, JobCompleted, 1},
		{3 * testDelay, JobCompleted, 1},
	}
	for _, st := range steps {
		f.clk.t = t0.Add(st.at)
		j := f.job("dev", *out.JobId)
		if *j.Status != st.wantStatus {
			t.Fatalf("at +%v status %s, want %s", st.at, *j.Status, st.wantStatus)
		}
		b, err := f.s.GetBackend(f.ctx, &ab.GetBackendRequest{AppId: api.Ptr(testApp)})
		if err != nil {
			t.Fatal(err)
		}
		if len(b.BackendEnvironmentList) != st.wantEnvs {
			t.Fatalf("at +%v environments %v, want %d", st.at, b.BackendEnvironmentList, st.wantEnvs)
		}
		if st.wantStatus == JobCompleted {
			// A job completes at its due time, whoever observes it later.
			if *j.UpdateTime != timeString(t0.Add(testDelay)) || *j.CreateTime != timeString(t0) {
				t.Fatalf("times %s..%s, want %s..%s", *j.CreateTime, *j.UpdateTime, timeString(t0), timeString(t0.Add(testDelay)))
			}
		}
	}
}

func TestReadsDoNotWriteUnlessAJobIsDue(t *testing.T) {
	f := newFixture(t)
	out, err := f.s.CreateBackend(f.ctx, &ab.CreateBackendRequest{AppId: api.Ptr(testApp), AppName: api.Ptr("A"), BackendEnvironmentName: api.Ptr("dev")})
	if err != nil {
		t.Fatal(err)
	}
	before := f.st.updates.Load()
	f.job("dev", *out.JobId)
	if got := f.st.updates.Load() - before; got != 0 {
		t.Fatalf("a read with nothing due ran %d read-write transactions", got)
	}
	f.clk.advance(testDelay)
	f.job("dev", *out.JobId)
	if got := f.st.updates.Load() - before; got != 1 {
		t.Fatalf("the read that settles ran %d read-write transactions, want 1", got)
	}
	f.job("dev", *out.JobId)
	if got := f.st.updates.Load() - before; got != 1 {
		t.Fatalf("a read after settling wrote again (%d)", got)
	}
}

func TestOnePendingJobPerEnvironment(t *testing.T) {
	f := newFixture(t)
	f.createEnv("dev")
	f.createEnv("prod")
	perms := &ab.BackendStoragePermissions{Authenticated: []string{"READ"}}
	create := func(env string) (*ab.CreateBackendStorageResponse, error) {
		return f.s.CreateBackendStorage(f.ctx, &ab.CreateBackendStorageRequest{AppId: api.Ptr(testApp), BackendEnvironmentName: api.Ptr(env),
			ResourceName: api.Ptr("files"), ResourceConfig: &ab.CreateBackendStorageResourceConfig{ServiceName: api.Ptr("S3"), Permissions: perms}})
	}
	if _, err := create("dev"); err != nil {
		t.Fatal(err)
	}
	_, err := f.s.DeleteBackend(f.ctx, &ab.DeleteBackendRequest{AppId: api.Ptr(testApp), BackendEnvironmentName: api.Ptr("dev")})
	wantCode(t, err, "BadRequestException")
	if !strings.Contains(err.Error(), "already a pending job") {
		t.Fatalf("conflict message %q", err)
	}
	if _, err := create("prod"); err != nil {
		t.Fatalf("another environment is independent: %v", err)
	}
	_, err = f.s.RemoveAllBackends(f.ctx, &ab.RemoveAllBackendsRequest{AppId: api.Ptr(testApp)})
	wantCode(t, err, "BadRequestException")
	f.clk.advance(testDelay)
	if _, err := f.s.DeleteBackend(f.ctx, &ab.DeleteBackendRequest{AppId: api.Ptr(testApp), BackendEnvironmentName: api.Ptr("dev")}); err != nil {
		t.Fatalf("after the job completed: %v", err)
	}
}

func TestUpdateBackendJob(t *testing.T) {
	f := newFixture(t)
	f.createEnv("dev")
	startAPI := func() string {
		out, err := f.s.CreateBackendAPI(f.ctx, &ab.CreateBackendAPIRequest{AppId: api.Ptr(testApp), BackendEnvironmentName: api.Ptr("dev"),
			ResourceName: api.Ptr("data"), ResourceConfig: &ab.BackendAPIResourceConfig{}})
		if err != nil {
			t.Fatal(err)
		}
		return *out.JobId
	}
	update := func(jobID string, op, status *string) (*ab.UpdateBackendJobResponse, error) {
		return f.s.UpdateBackendJob(f.ctx, &ab.UpdateBackendJobRequest{AppId: api.Ptr(testApp), BackendEnvironmentName: api.Ptr("dev"),
			JobId: api.Ptr(jobID), Operation: op, Status: status})
	}
	getAPI := func() error {
		_, err := f.s.GetBackendAPI(f.ctx, &ab.GetBackendAPIRequest{AppId: api.Ptr(testApp), BackendEnvironmentName: api.Ptr("dev"), ResourceName: api.Ptr("data")})
		return err
	}

	// Cancelling drops the change, for good.
	id := startAPI()
	out, err := update(id, api.Ptr("CreateBackendAPI"), api.Ptr(JobFailed))
	if err != nil || *out.Status != JobFailed || api.Val(out.Error) == "" {
		t.Fatalf("cancel = %+v, %v", out, err)
	}
	f.clk.advance(2 * testDelay)
	wantCode(t, getAPI(), "NotFoundException")
	if j := f.job("dev", id); *j.Status != JobFailed {
		t.Fatalf("cancelled job later reads %s", *j.Status)
	}

	// Completing early applies it at once.
	id = startAPI()
	if _, err := update(id, nil, api.Ptr(JobCompleted)); err != nil {
		t.Fatal(err)
	}
	if err := getAPI(); err != nil {
		t.Fatalf("completed early, the API is not there: %v", err)
	}

	for _, tc := range []struct {
		name      string
		op, state *string
	}{
		{"ended job", nil, api.Ptr(JobFailed)},
		{"wrong operation", api.Ptr("DeleteBackend"), nil},
		{"unknown status", nil, api.Ptr("DONE")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := update(id, tc.op, tc.state)
			wantCode(t, err, "BadRequestException")
		})
	}
	_, err = update("0190c8e4-0000-7000-8000-000000000000", nil, nil)
	wantCode(t, err, "NotFoundException")
}

func TestJobFailsWhenItsChangeCannotBeMade(t *testing.T) {
	f := newFixture(t)
	f.createEnv("dev")
	out, err := f.s.DeleteBackend(f.ctx, &ab.DeleteBackendRequest{AppId: api.Ptr(testApp), BackendEnvironmentName: api.Ptr("dev")})
	if err != nil {
		t.Fatal(err)
	}
	// The environment vanishes behind the job's back.
	sc := store.Scope{Account: "111111111111", Region: "us-east-1", Service: serviceName}
	if err := f.st.Store.Update(f.ctx, func(tx store.Tx) error { return tx.Delete(envKey(sc, testApp, "dev")) }); err != nil {
		t.Fatal(err)
	}
	f.clk.advance(testDelay)
	j := f.job("dev", *out.JobId)
	if *j.Status != JobFailed || !strings.Contains(api.Val(j.Error), "no longer exists") {
		t.Fatalf("job = %+v, want FAILED with an Error", j)
	}
}

func TestSettlingAppliesJobsInOrder(t *testing.T) {
	f := newFixture(t)
	f.createEnv("dev")
	in := &ab.CreateBackendStorageRequest{AppId: api.Ptr(testApp), BackendEnvironmentName: api.Ptr("dev"), ResourceName: api.Ptr("files"),
		ResourceConfig: &ab.CreateBackendStorageResourceConfig{ServiceName: api.Ptr("S3"), BucketName: api.Ptr("files-bucket"),
			Permissions: &ab.BackendStoragePermissions{Authenticated: []string{"READ"}}}}
	if _, err := f.s.CreateBackendStorage(f.ctx, in); err != nil {
		t.Fatal(err)
	}
	f.clk.advance(testDelay)
	upd, err := f.s.UpdateBackendStorage(f.ctx, &ab.UpdateBackendStorageRequest{AppId: api.Ptr(testApp), BackendEnvironmentName: api.Ptr("dev"),
		ResourceName: api.Ptr("files"), ResourceConfig: &ab.UpdateBackendStorageResourceConfig{ServiceName: api.Ptr("S3"),
			Permissions: &ab.BackendStoragePermissions{Authenticated: []string{"READ", "DELETE"}, UnAuthenticated: []string{"READ"}}}})
	if err != nil {
		t.Fatal(err)
	}
	get := func() *ab.GetBackendStorageResponse {
		out, err := f.s.GetBackendStorage(f.ctx, &ab.GetBackendStorageRequest{AppId: api.Ptr(testApp), BackendEnvironmentName: api.Ptr("dev"), ResourceName: api.Ptr("files")})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	if got := get().ResourceConfig.Permissions.Authenticated; len(got) != 1 {
		t.Fatalf("the update is visible before its job completed: %v", got)
	}
	f.clk.advance(testDelay)
	got := get().ResourceConfig
	if len(got.Permissions.Authenticated) != 2 || got.Permissions.UnAuthenticated[0] != "READ" || *got.BucketName != "files-bucket" || *got.Imported {
		t.Fatalf("after the job: %+v", got)
	}
	jobs, err := f.s.ListBackendJobs(f.ctx, &ab.ListBackendJobsRequest{AppId: api.Ptr(testApp), BackendEnvironmentName: api.Ptr("dev")})
	if err != nil {
		t.Fatal(err)
	}
	var ops []string
	for _, j := range jobs.Jobs {
		ops = append(ops, *j.Operation+":"+*j.Status)
	}
	want := "CreateBackend:COMPLETED CreateBackendStorage:COMPLETED UpdateBackendStorage:COMPLETED"
	if strings.Join(ops, " ") != want || *jobs.Jobs[2].JobId != *upd.JobId {
		t.Fatalf("jobs %v, want %s", ops, want)
	}
}

func TestJobIDsSortByCreationTime(t *testing.T) {
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var jobIDs []string
	for i := 0; i < 50; i++ {
		jobIDs = append(jobIDs, ids.UUIDv7(base.Add(time.Duration(i)*300*time.Microsecond)))
	}
	if !sort.StringsAreSorted(jobIDs) {
		t.Fatalf("job ids are not in creation order: %v", jobIDs)
	}
	if len(jobIDs[0]) != 36 || jobIDs[0][14] != '7' {
		t.Fatalf("%s is not a version 7 UUID", jobIDs[0])
	}
}

func TestTokenExpiresAfterTTL(t *testing.T) {
	f := newFixture(t, WithTokenTTL(time.Minute))
	f.createEnv("dev")
	tok, err := f.s.CreateToken(f.ctx, &ab.CreateTokenRequest{AppId: api.Ptr(testApp)})
	if err != nil {
		t.Fatal(err)
	}
	if want := f.clk.t.Add(time.Minute).Unix(); *tok.Ttl != strconv.FormatInt(want, 10) {
		t.Fatalf("Ttl %s, want %d", *tok.Ttl, want)
	}
	get := func() error {
		_, err := f.s.GetToken(f.ctx, &ab.GetTokenRequest{AppId: api.Ptr(testApp), SessionId: tok.SessionId})
		return err
	}
	f.clk.advance(time.Minute - time.Second)
	if err := get(); err != nil {
		t.Fatalf("before the TTL: %v", err)
	}
	f.clk.advance(time.Second)
	wantCode(t, get(), "NotFoundException")
	_, err = f.s.DeleteToken(f.ctx, &ab.DeleteTokenRequest{AppId: api.Ptr(testApp), SessionId: tok.SessionId})
	wantCode(t, err, "NotFoundException")

	tok2, err := f.s.CreateToken(f.ctx, &ab.CreateTokenRequest{AppId: api.Ptr(testApp)})
	if err != nil {
		t.Fatal(err)
	}
	del, err := f.s.DeleteToken(f.ctx, &ab.DeleteTokenRequest{AppId: api.Ptr(testApp), SessionId: tok2.SessionId})
	if err != nil || !*del.IsSuccess {
		t.Fatalf("DeleteToken = %+v, %v", del, err)
	}
	_, err = f.s.GetToken(f.ctx, &ab.GetTokenRequest{AppId: api.Ptr(testApp), SessionId: tok2.SessionId})
	wantCode(t, err, "NotFoundException")
}
