package amplifybackend

import (
	"github.com/ersatz-dev/ersatz/internal/service/svc"
	"github.com/ersatz-dev/ersatz/internal/store"
)

// A call on an environment or a resource whose create job is still
// IN_PROGRESS is answered with the pending-job 400 naming that job, not a
// 404: the environment or resource exists as soon as the job completes.

// pendingCreation returns the IN_PROGRESS job of appID whose change creates
// what creates accepts.
func pendingCreation(tx store.Tx, sc store.Scope, appID string, creates func(*change) bool) (jobRecord, bool, error) {
	pending, err := listAll[pendingRecord](tx, pendingKey(sc, "x").Collection())
	if err != nil {
		return jobRecord{}, false, err
	}
	for _, p := range pending {
		if p.AppID != appID {
			continue
		}
		j, ok, err := svc.Lookup[jobRecord](tx, jobKey(sc, appID, p.JobID))
		if err != nil {
			return jobRecord{}, false, err
		}
		if ok && j.Status == JobInProgress && j.Change != nil && creates(j.Change) {
			return j, true, nil
		}
	}
	return jobRecord{}, false, nil
}

// createsEnv accepts a change that creates environment env.
func createsEnv(env string) func(*change) bool {
	return func(c *change) bool {
		return (c.Kind == chCreateEnv && c.Env == env) || (c.Kind == chCloneEnv && c.Target == env)
	}
}

// createsResource accepts a change that adds a resource of a category.
func createsResource(env, category, name string) func(*change) bool {
	return func(c *change) bool {
		return c.Kind == chPutResource && c.Create && c.Env == env && c.Category == category && c.Resource == name
	}
}

// pendingJobError is the 400 for a call on what job j is still creating.
func pendingJobError(j jobRecord, env, what string) error {
	return badRequest("There is already a pending job for the requested appId: %s and backendEnvironmentName: %s: "+
		"job %s (%s) is %s and creates %s; wait for it to complete.", j.AppID, env, j.JobID, j.Operation, JobInProgress, what)
}
