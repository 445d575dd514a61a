package e2e_test

import (
	"log/slog"
	"reflect"
	"testing"
	"time"

	"github.com/ersatz-dev/ersatz/internal/server"
	"github.com/ersatz-dev/ersatz/internal/service/amplifybackend"
	"github.com/ersatz-dev/ersatz/internal/store/memory"
	"github.com/ersatz-dev/ersatz/internal/testkit"
)

// TestAmplifyBackendPendingCreation: a call on an environment or a resource
// whose create job is IN_PROGRESS is the pending-job 400 naming that job
// (not a 404), and changes nothing; once the job completes the call works.
func TestAmplifyBackendPendingCreation(t *testing.T) {
	t.Parallel()
	srv, clk := abStartClocked(t)
	c := newABClient(t, srv, abAcct1)
	jobs := func() []any {
		return abList(c.must("ListBackendJobs", map[string]any{"AppId": abApp, "BackendEnvironmentName": "dev"})["Jobs"])
	}
	created := c.must("CreateBackend", map[string]any{"AppId": abApp, "AppName": "Example", "BackendEnvironmentName": "dev"})
	envJob := abStr(created, "JobId")
	before := jobs()
	storage := abStorageParams("dev", "files", []string{"READ"}, nil)
	get := map[string]any{"AppId": abApp, "BackendEnvironmentName": "dev", "ResourceName": "files"}
	for _, call := range []struct {
		op     string
		params map[string]any
	}{
		{"GetBackend", map[string]any{"AppId": abApp, "BackendEnvironmentName": "dev"}},
		{"CreateBackendStorage", storage},
		{"GetBackendStorage", get},
		{"CreateBackendAPI", map[string]any{"AppId": abApp, "BackendEnvironmentName": "dev", "ResourceName": "data", "ResourceConfig": map[string]any{}}},
	} {
		c.fails(call.op, call.params, "BadRequestException", "pending job", envJob, "CreateBackend", "backend environment dev")
	}
	if after := jobs(); !reflect.DeepEqual(after, before) {
		t.Fatalf("refused calls changed the jobs: %v -> %v", before, after)
	}

	clk.advance(time.Minute)
	storageJob := abStr(c.must("CreateBackendStorage", storage), "JobId")
	c.fails("GetBackendStorage", get, "BadRequestException", "pending job", storageJob, "CreateBackendStorage", "Storage resource files")
	// What no job creates is still a 404.
	c.fails("GetBackendStorage", map[string]any{"AppId": abApp, "BackendEnvironmentName": "dev", "ResourceName": "other"}, "NotFoundException")
	clk.advance(time.Minute)
	if st := c.must("GetBackendStorage", get); st["ResourceName"] != "files" {
		t.Fatalf("GetBackendStorage once the job completed = %v", st)
	}

	// A clone's target environment is pending the same way.
	clone := c.must("CloneBackend", map[string]any{"AppId": abApp, "BackendEnvironmentName": "dev", "TargetEnvironmentName": "prod"})
	c.fails("GetBackend", map[string]any{"AppId": abApp, "BackendEnvironmentName": "prod"}, "BadRequestException",
		abStr(clone, "JobId"), "CloneBackend", "backend environment prod")
	clk.advance(time.Minute)
	if b := c.must("GetBackend", map[string]any{"AppId": abApp, "BackendEnvironmentName": "prod"}); b["BackendEnvironmentName"] != "prod" {
		t.Fatalf("GetBackend prod = %v", b)
	}
}

// TestAmplifyBackendJobDelayJitter: with a delay range every job takes a
// duration within it, not all the same.
func TestAmplifyBackendJobDelayJitter(t *testing.T) {
	t.Parallel()
	srv, clk := abStartClocked(t, amplifybackend.WithJobDelayRange(amplifybackend.JobDelay{Min: 2 * time.Second, Max: 5 * time.Second}))
	c := newABClient(t, srv, abAcct1)
	envs := []string{"deva", "devb", "devc", "devd", "deve", "devf"}
	ids := map[string]string{}
	for _, env := range envs {
		ids[env] = abStr(c.must("CreateBackend", map[string]any{"AppId": abApp, "AppName": "Example", "BackendEnvironmentName": env}), "JobId")
	}
	clk.advance(1999 * time.Millisecond)
	for _, env := range envs {
		if j := c.must("GetBackendJob", map[string]any{"AppId": abApp, "BackendEnvironmentName": env, "JobId": ids[env]}); j["Status"] != "IN_PROGRESS" {
			t.Fatalf("job of %s is %v before the range's start", env, j["Status"])
		}
	}
	clk.advance(3001 * time.Millisecond)
	took := map[time.Duration]bool{}
	for _, env := range envs {
		j := c.must("GetBackendJob", map[string]any{"AppId": abApp, "BackendEnvironmentName": env, "JobId": ids[env]})
		created, err1 := time.Parse(time.RFC3339, abStr(j, "CreateTime"))
		updated, err2 := time.Parse(time.RFC3339, abStr(j, "UpdateTime"))
		if j["Status"] != "COMPLETED" || err1 != nil || err2 != nil {
			t.Fatalf("job of %s after the range = %v", env, j)
		}
		d := updated.Sub(created)
		if d < 2*time.Second || d > 5*time.Second {
			t.Fatalf("job of %s took %v, outside 2s~5s", env, d)
		}
		took[d] = true
	}
	if len(took) < 2 {
		t.Fatalf("every job took the same %v: no jitter", took)
	}
}

// TestAmplifyBackendJobDelayZero: a zero delay in the server's wiring (what
// --amplify-job-delay 0 sets) makes jobs complete at once, not after the
// default 100 ms.
func TestAmplifyBackendJobDelayZero(t *testing.T) {
	t.Parallel()
	st := memory.New()
	t.Cleanup(func() { _ = st.Close() })
	h := server.New(server.Config{Store: st, DefaultRegion: "us-east-1", Logger: slog.New(slog.DiscardHandler),
		AmplifyJobDelay: &amplifybackend.JobDelay{}}).Handler()
	c := newABClient(t, testkit.StartHandler(t, h), abAcct1)
	out := c.must("CreateBackend", map[string]any{"AppId": abApp, "AppName": "Example", "BackendEnvironmentName": "dev"})
	j := c.must("GetBackendJob", map[string]any{"AppId": abApp, "BackendEnvironmentName": "dev", "JobId": abStr(out, "JobId")})
	if j["Status"] != "COMPLETED" || j["UpdateTime"] != j["CreateTime"] {
		t.Fatalf("job with a zero delay = %v", j)
	}
}
