package e2e_test

import (
	"testing"
	"time"

	"github.com/ersatz-dev/ersatz/internal/testkit"
)

// TestAmplifyBackendJobLifecycle drives jobs through boto3 against a server
// whose clock the test moves: a job is IN_PROGRESS and its effect invisible
// until its delay has passed, then COMPLETED with its effect visible.
func TestAmplifyBackendJobLifecycle(t *testing.T) {
	t.Parallel()
	srv, clk := abStartClocked(t)
	c := newABClient(t, srv, abAcct1)
	app := map[string]any{"AppId": abApp}
	dev := map[string]any{"AppId": abApp, "BackendEnvironmentName": "dev"}

	out := c.must("CreateBackend", map[string]any{"AppId": abApp, "AppName": "Example", "BackendEnvironmentName": "dev"})
	if out["AppId"] != abApp || out["BackendEnvironmentName"] != "dev" || out["Operation"] != "CreateBackend" || out["Status"] != "IN_PROGRESS" {
		t.Fatalf("CreateBackend = %v", out)
	}
	jobID := abStr(out, "JobId")
	job := map[string]any{"AppId": abApp, "BackendEnvironmentName": "dev", "JobId": jobID}

	// In progress: the environment is not there yet.
	if j := c.must("GetBackendJob", job); j["Status"] != "IN_PROGRESS" || j["Operation"] != "CreateBackend" || j["CreateTime"] == "" {
		t.Fatalf("GetBackendJob = %v", j)
	}
	if b := c.must("GetBackend", app); b["AppName"] != "Example" || len(abList(b["BackendEnvironmentList"])) != 0 {
		t.Fatalf("GetBackend while in progress = %v", b)
	}
	// A call on the environment names the pending job that creates it.
	c.fails("GetBackend", dev, "BadRequestException", "pending job", jobID, "CreateBackend", "backendEnvironmentName: dev")
	c.fails("CreateBackendStorage", map[string]any{"AppId": abApp, "BackendEnvironmentName": "dev", "ResourceName": "files",
		"ResourceConfig": map[string]any{"ServiceName": "S3", "Permissions": map[string]any{"Authenticated": []string{"READ"}}}},
		"BadRequestException", "pending job", jobID)

	clk.advance(59 * time.Second)
	if j := c.must("GetBackendJob", job); j["Status"] != "IN_PROGRESS" {
		t.Fatalf("one second before its delay the job is %v", j["Status"])
	}
	clk.advance(time.Second)
	j := c.must("GetBackendJob", job)
	if j["Status"] != "COMPLETED" || j["UpdateTime"] != "2025-06-01T09:01:00.000Z" || j["CreateTime"] != "2025-06-01T09:00:00.000Z" {
		t.Fatalf("GetBackendJob after the delay = %v", j)
	}
	if b := c.must("GetBackend", dev); b["BackendEnvironmentName"] != "dev" || len(abList(b["BackendEnvironmentList"])) != 1 {
		t.Fatalf("GetBackend after the job = %v", b)
	}

	// A second job on the same environment waits for the first.
	c.must("CreateBackendAPI", map[string]any{"AppId": abApp, "BackendEnvironmentName": "dev", "ResourceName": "data", "ResourceConfig": map[string]any{}})
	c.fails("DeleteBackend", dev, "BadRequestException", "already a pending job")
	cancel := c.must("CreateBackend", map[string]any{"AppId": abApp, "AppName": "Example", "BackendEnvironmentName": "prod"})
	clk.advance(time.Minute)
	c.must("DeleteBackendAPI", map[string]any{"AppId": abApp, "BackendEnvironmentName": "dev", "ResourceName": "data"})

	t.Run("UpdateBackendJob", func(t *testing.T) {
		c := c.as(abAcct1)
		c.t = t
		// prod is COMPLETED by now; cancelling a fresh job drops its change.
		c.fails("UpdateBackendJob", map[string]any{"AppId": abApp, "BackendEnvironmentName": "prod", "JobId": abStr(cancel, "JobId"), "Status": "FAILED"},
			"BadRequestException", "already ended")
		del := c.must("DeleteBackend", map[string]any{"AppId": abApp, "BackendEnvironmentName": "prod"})
		upd := c.must("UpdateBackendJob", map[string]any{"AppId": abApp, "BackendEnvironmentName": "prod", "JobId": abStr(del, "JobId"),
			"Operation": "DeleteBackend", "Status": "FAILED"})
		if upd["Status"] != "FAILED" || abStr(upd, "Error") == "" {
			t.Fatalf("UpdateBackendJob = %v", upd)
		}
		clk.advance(time.Minute)
		if b := c.must("GetBackend", map[string]any{"AppId": abApp, "BackendEnvironmentName": "prod"}); b["BackendEnvironmentName"] != "prod" {
			t.Fatalf("the cancelled deletion happened: %v", b)
		}
		c.fails("UpdateBackendJob", map[string]any{"AppId": abApp, "BackendEnvironmentName": "prod", "JobId": abStr(del, "JobId"), "Status": "DONE"},
			"BadRequestException", "DONE")
		c.fails("UpdateBackendJob", map[string]any{"AppId": abApp, "BackendEnvironmentName": "prod", "JobId": abStr(del, "JobId"), "Operation": "CreateBackend"},
			"BadRequestException", "DeleteBackend")
		c.fails("UpdateBackendJob", map[string]any{"AppId": abApp, "BackendEnvironmentName": "prod", "JobId": "nope"}, "NotFoundException")
	})

	t.Run("ListBackendJobs", func(t *testing.T) {
		c := c.as(abAcct1)
		c.t = t
		all := c.must("ListBackendJobs", dev)
		ops := []string{}
		for _, j := range abList(all["Jobs"]) {
			ops = append(ops, abStr(j.(map[string]any), "Operation")+":"+abStr(j.(map[string]any), "Status"))
		}
		if got := len(ops); got != 3 || ops[0] != "CreateBackend:COMPLETED" || ops[1] != "CreateBackendAPI:COMPLETED" || ops[2] != "DeleteBackendAPI:COMPLETED" {
			t.Fatalf("jobs of dev = %v (other environments' jobs must not show)", ops)
		}
		tests := []struct {
			name   string
			filter map[string]any
			want   int
		}{
			{"by operation", map[string]any{"Operation": "CreateBackendAPI"}, 1},
			{"by status", map[string]any{"Status": "COMPLETED"}, 3},
			{"by status none", map[string]any{"Status": "FAILED"}, 0},
			{"by job id", map[string]any{"JobId": jobID}, 1},
		}
		for _, tc := range tests {
			params := map[string]any{"AppId": abApp, "BackendEnvironmentName": "dev"}
			for k, v := range tc.filter {
				params[k] = v
			}
			if got := len(abList(c.must("ListBackendJobs", params)["Jobs"])); got != tc.want {
				t.Fatalf("%s: %d jobs, want %d", tc.name, got, tc.want)
			}
		}
		// Paging one at a time walks the same jobs in the same order.
		var paged []string
		token := ""
		for i := 0; i < 10; i++ {
			params := map[string]any{"AppId": abApp, "BackendEnvironmentName": "dev", "MaxResults": 1}
			if token != "" {
				params["NextToken"] = token
			}
			page := c.must("ListBackendJobs", params)
			for _, j := range abList(page["Jobs"]) {
				paged = append(paged, abStr(j.(map[string]any), "JobId"))
			}
			if token = abStr(page, "NextToken"); token == "" {
				break
			}
		}
		if len(paged) != 3 || paged[0] != jobID {
			t.Fatalf("paged job ids %v", paged)
		}
		c.fails("ListBackendJobs", map[string]any{"AppId": abApp, "BackendEnvironmentName": "dev", "NextToken": "garbage"}, "BadRequestException", "nextToken")
		c.fails("ListBackendJobs", map[string]any{"AppId": abApp, "BackendEnvironmentName": "dev", "MaxResults": 26}, "BadRequestException", "maxResults")
		c.fails("ListBackendJobs", map[string]any{"AppId": abApp, "BackendEnvironmentName": "dev", "MaxResults": 0}, "BadRequestException", "maxResults")
		c.fails("ListBackendJobs", map[string]any{"AppId": abApp, "BackendEnvironmentName": "dev", "Status": "DONE"}, "BadRequestException", "DONE")
		c.fails("ListBackendJobs", map[string]any{"AppId": abApp, "BackendEnvironmentName": "dev", "Operation": "Nope"}, "BadRequestException", "Nope")
		c.fails("ListBackendJobs", map[string]any{"AppId": "d1unknown", "BackendEnvironmentName": "dev"}, "NotFoundException")
		c.fails("GetBackendJob", map[string]any{"AppId": abApp, "BackendEnvironmentName": "prod", "JobId": jobID}, "NotFoundException")
	})
}

// TestAmplifyBackendJobRealTiming runs a job on the default wiring: it
// completes on its own within the default delay.
func TestAmplifyBackendJobRealTiming(t *testing.T) {
	t.Parallel()
	srv := testkit.Start(t)
	c := newABClient(t, srv, abAcct1)
	start := time.Now()
	out := c.must("CreateBackend", map[string]any{"AppId": abApp, "AppName": "Example", "BackendEnvironmentName": "dev"})
	j := c.wait(abApp, "dev", abStr(out, "JobId"))
	if j["Status"] != "COMPLETED" || abStr(j, "UpdateTime") < abStr(j, "CreateTime") {
		t.Fatalf("job = %v", j)
	}
	if took := time.Since(start); took < 100*time.Millisecond {
		t.Fatalf("the job completed after %v, before the default delay of 100ms", took)
	}
	if b := c.must("GetBackend", map[string]any{"AppId": abApp}); len(abList(b["BackendEnvironmentList"])) != 1 {
		t.Fatalf("GetBackend = %v", b)
	}
}

func abList(v any) []any {
	l, _ := v.([]any)
	return l
}
