package amplifybackend

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/ersatz-dev/ersatz/internal/api"
	ab "github.com/ersatz-dev/ersatz/internal/api/amplifybackendapi"
	"github.com/ersatz-dev/ersatz/internal/ids"
	"github.com/ersatz-dev/ersatz/internal/service/svc"
	"github.com/ersatz-dev/ersatz/internal/store"
)

// Job statuses. A job is IN_PROGRESS until it is due (its creation time plus
// the job delay), then COMPLETED, or FAILED with an Error when its change
// could not be made (or UpdateBackendJob cancelled it).
const (
	JobInProgress = "IN_PROGRESS"
	JobCompleted  = "COMPLETED"
	JobFailed     = "FAILED"
)

var jobStatuses = []string{JobInProgress, JobCompleted, JobFailed}

// jobOperations are the operations that run as jobs: a job's Operation is
// the name of the operation that created it.
var jobOperations = []string{
	"CloneBackend", "CreateBackend", "CreateBackendAPI", "CreateBackendAuth", "CreateBackendConfig",
	"CreateBackendStorage", "DeleteBackend", "DeleteBackendAPI", "DeleteBackendAuth", "DeleteBackendStorage",
	"GenerateBackendAPIModels", "ImportBackendAuth", "ImportBackendStorage", "RemoveAllBackends",
	"UpdateBackendAPI", "UpdateBackendAuth", "UpdateBackendStorage",
}

// Change kinds: what a job does when it completes.
const (
	chCreateEnv      = "createEnv"
	chCloneEnv       = "cloneEnv"
	chDeleteEnv      = "deleteEnv"
	chRemoveAll      = "removeAll"
	chPutResource    = "putResource"
	chDeleteResource = "deleteResource"
	chGenerateModels = "generateModels"
	chCreateConfig   = "createConfig"
)

// change is the pending effect of a job, computed and validated when the
// request was accepted and applied when the job completes.
type change struct {
	Kind     string `json:"kind"`
	Env      string `json:"env,omitempty"`
	Target   string `json:"target,omitempty"`   // cloneEnv: the new environment
	Category string `json:"category,omitempty"` // putResource, deleteResource
	Resource string `json:"resource,omitempty"`
	// Create is true when putResource adds a resource (the category must be
	// empty), false when it replaces an existing one.
	Create   bool           `json:"create,omitempty"`
	Auth     *authRecord    `json:"auth,omitempty"`
	Storage  *storageRecord `json:"storage,omitempty"`
	API      *apiRecord     `json:"api,omitempty"`
	Config   *configRecord  `json:"config,omitempty"`
	CleanApp bool           `json:"cleanApp,omitempty"`
	// Seed makes the identifiers a clone invents deterministic, so that
	// settling the same job twice (a retried transaction) gives one result.
	Seed string `json:"seed,omitempty"`
}

type jobRecord struct {
	JobID     string `json:"jobId"`
	AppID     string `json:"appId"`
	Env       string `json:"env,omitempty"` // "" for an app-level job
	Operation string `json:"operation"`
	Status    string `json:"status"`
	Error     string `json:"error,omitempty"`
	// Touches are the environments the job changes; an app-level job
	// touches every environment of its app.
	Touches    []string  `json:"touches,omitempty"`
	AppLevel   bool      `json:"appLevel,omitempty"`
	CreateTime time.Time `json:"createTime"`
	UpdateTime time.Time `json:"updateTime"`
	Due        time.Time `json:"due"`
	Change     *change   `json:"change,omitempty"` // nil once the job ended
}

// pendingRecord indexes a job that is still IN_PROGRESS.
type pendingRecord struct {
	JobID    string    `json:"jobId"`
	AppID    string    `json:"appId"`
	Touches  []string  `json:"touches,omitempty"`
	AppLevel bool      `json:"appLevel,omitempty"`
	Due      time.Time `json:"due"`
}

// newJob describes the job a request starts.
type newJob struct {
	op    string // the operation starting it, the job's Operation
	appID string
	// env is the environment the job is listed under and changes; "" for an
	// app-level job, which touches every environment of its app.
	env  string
	also []string // other environments it changes (CloneBackend's target)
}

// envJob is a job of operation op on environment env of an app (and on the
// environments also names).
func envJob(op, appID, env string, also ...string) newJob {
	return newJob{op: op, appID: appID, env: env, also: also}
}

// appJob is an app-level job of operation op.
func appJob(op, appID string) newJob { return newJob{op: op, appID: appID} }

// started is what a job-starting operation answers. Its members are those
// of the eleven job responses that name their operation and environment
// (CloneBackend, CreateBackend, ...), in their order, so a *started
// converts to any of them: (*ab.CreateBackendResponse)(&o). BackendEnvironmentName is nil for
// an app-level job; Error is always nil (a job has not failed yet).
type started struct {
	AppId                  *string
	BackendEnvironmentName *string
	Error                  *string
	JobId                  *string
	Operation              *string
	Status                 *string
}

// startedBrief is started for the five job responses without Operation
// and Error (the storage operations and CreateBackendConfig).
type startedBrief struct {
	AppId                  *string
	BackendEnvironmentName *string
	JobId                  *string
	Status                 *string
}

func (o *started) brief() *startedBrief {
	return &startedBrief{AppId: o.AppId, BackendEnvironmentName: o.BackendEnvironmentName, JobId: o.JobId, Status: o.Status}
}

// start runs a job-starting request in one write transaction (see write):
// prepare checks the request in it (and may write what exists at once) and
// returns the change the job makes when it completes; start then records the
// job IN_PROGRESS (startJob). A store error is mapped once, named by the
// job's operation.
func (s *Service) start(ctx context.Context, r req, nj newJob, prepare func(tx store.Tx) (*change, error)) (started, error) {
	spec := jobRecord{JobID: ids.UUIDv7(r.now), AppID: nj.appID, Env: nj.env, Operation: nj.op, AppLevel: nj.env == ""}
	if nj.env != "" {
		spec.Touches = append([]string{nj.env}, nj.also...)
	}
	var j jobRecord
	err := s.write(ctx, r, func(tx store.Tx) error {
		ch, err := prepare(tx)
		if err != nil {
			return err
		}
		spec.Change = ch
		j, err = s.startJob(tx, r, spec)
		return err
	})
	if err != nil {
		return started{}, s.kit.Err(nj.op, err)
	}
	return started{AppId: api.Ptr(j.AppID), BackendEnvironmentName: svc.PtrIf(j.Env), JobId: api.Ptr(j.JobID), Operation: api.Ptr(j.Operation), Status: api.Ptr(j.Status)}, nil
}

// startJob records the job spec describes (ids, operation, environments,
// change) IN_PROGRESS, due after the job delay, and indexes it as pending,
// unless another job of the same app touching the same environment is in
// progress (as AWS does: "There is already a pending job ...").
func (s *Service) startJob(tx store.Tx, r req, spec jobRecord) (jobRecord, error) {
	pending, err := listAll[pendingRecord](tx, pendingKey(r.scope, "x").Collection())
	if err != nil {
		return jobRecord{}, err
	}
	for _, p := range pending {
		if p.AppID != spec.AppID {
			continue
		}
		if p.AppLevel || spec.AppLevel || overlaps(p.Touches, spec.Touches) {
			env := spec.Env
			if env == "" && len(p.Touches) > 0 {
				env = p.Touches[0]
			}
			return jobRecord{}, badRequest("There is already a pending job for the requested appId: %s and backendEnvironmentName: %s, wait for it to complete before creating a new job.", spec.AppID, env)
		}
	}
	j := spec
	j.Status, j.CreateTime, j.UpdateTime, j.Due = JobInProgress, r.now, r.now, r.now.Add(s.jobDelay.pick())
	if err := store.PutJSON(tx, jobKey(r.scope, j.AppID, j.JobID), j); err != nil {
		return jobRecord{}, err
	}
	p := pendingRecord{JobID: j.JobID, AppID: j.AppID, Touches: j.Touches, AppLevel: j.AppLevel, Due: j.Due}
	if err := store.PutJSON(tx, pendingKey(r.scope, j.JobID), p); err != nil {
		return jobRecord{}, err
	}
	return j, nil
}

func overlaps(a, b []string) bool {
	for _, x := range a {
		if slices.Contains(b, x) {
			return true
		}
	}
	return false
}

// anyDue reports whether a job of r's scope is due at r.now.
func anyDue(tx store.Tx, r req) (bool, error) {
	pending, err := listAll[pendingRecord](tx, pendingKey(r.scope, "x").Collection())
	if err != nil {
		return false, err
	}
	for _, p := range pending {
		if !r.now.Before(p.Due) {
			return true, nil
		}
	}
	return false, nil
}

// settle completes, in creation order, every job of r's scope that is due at
// r.now: it applies the job's change and marks it COMPLETED at its due time,
// or FAILED when the change can no longer be made.
func (s *Service) settle(ctx context.Context, tx store.Tx, r req) error {
	pending, err := listAll[pendingRecord](tx, pendingKey(r.scope, "x").Collection())
	if err != nil {
		return err
	}
	for _, p := range pending {
		if r.now.Before(p.Due) {
			continue
		}
		if err := s.finish(ctx, tx, r, p.AppID, p.JobID, p.Due); err != nil {
			return err
		}
	}
	return nil
}

// finish ends an IN_PROGRESS job at time at: it applies the change and
// records the outcome, and drops the job from the pending index.
func (s *Service) finish(ctx context.Context, tx store.Tx, r req, appID, jobID string, at time.Time) error {
	j, ok, err := svc.Lookup[jobRecord](tx, jobKey(r.scope, appID, jobID))
	if err != nil {
		return err
	}
	if ok && j.Status == JobInProgress {
		failure := ""
		if j.Change != nil {
			failure, err = s.apply(applying{ctx: ctx, tx: tx, sc: r.scope, buckets: s.buckets}, r.region, j, at)
			if err != nil {
				return fmt.Errorf("apply job %s: %w", jobID, err)
			}
		}
		j.Status, j.Error = JobCompleted, ""
		if failure != "" {
			j.Status, j.Error = JobFailed, failure
		}
		j.UpdateTime, j.Change = at, nil
		if err := store.PutJSON(tx, jobKey(r.scope, appID, jobID), j); err != nil {
			return err
		}
	}
	return svc.DeleteIfExists(tx, pendingKey(r.scope, jobID))
}

// apply makes a job's change. It returns a non-empty failure message, having
// written nothing, when the change cannot be made any more. Each change is
// made where its resource lives: environments in backend.go, the Admin UI
// configuration in config.go, generated models in apiops.go, and a
// category's resources by putResource and deleteResource below, with the
// category's own step (resourceDoc.settle) in auth.go, storage.go and
// apiops.go.
func (s *Service) apply(a applying, region string, j jobRecord, at time.Time) (string, error) {
	ch := j.Change
	tx, sc, appID := a.tx, a.sc, j.AppID
	switch ch.Kind {
	case chCreateEnv:
		return applyCreateEnv(tx, sc, appID, ch, at)
	case chCloneEnv:
		return applyClone(a, region, appID, ch, at)
	case chDeleteEnv:
		return applyDeleteEnv(a, appID, ch)
	case chRemoveAll:
		return applyRemoveAll(a, appID, ch)
	case chPutResource:
		return applyPut(a, appID, ch, at)
	case chDeleteResource:
		return applyDelete(a, appID, ch)
	case chGenerateModels:
		return applyGenerateModels(tx, sc, appID, ch, at)
	case chCreateConfig:
		return applyCreateConfig(tx, sc, appID, ch)
	}
	return fmt.Sprintf("unknown change %q", ch.Kind), nil
}

// applying is what a job's change is made with: the context of the request
// that settles it (for the object store), its transaction, the scope, and
// the buckets of storage resources.
type applying struct {
	ctx     context.Context
	tx      store.Tx
	sc      store.Scope
	buckets buckets
}

// resourceDoc is a category's resource as a putResource job stores it.
type resourceDoc interface {
	// settle readies the resource to be stored at time at (create: it is
	// new). A non-empty message refuses the change.
	settle(a applying, appID, env string, create bool, at time.Time) (string, error)
}

// doc is the resource a putResource change stores (nil when it has none).
func (ch *change) doc() resourceDoc {
	switch {
	case ch.Auth != nil:
		return ch.Auth
	case ch.Storage != nil:
		return ch.Storage
	case ch.API != nil:
		return ch.API
	}
	return nil
}

// applyPut stores a category's resource: a new one when the category is
// still empty, or a replacement of one that still exists.
func applyPut(a applying, appID string, ch *change, at time.Time) (string, error) {
	tx, sc := a.tx, a.sc
	if _, ok, err := svc.Lookup[envRecord](tx, envKey(sc, appID, ch.Env)); err != nil || !ok {
		return fmt.Sprintf("Backend environment %s no longer exists", ch.Env), err
	}
	key := resourceKey(sc, appID, ch.Env, ch.Category, ch.Resource)
	if ch.Create {
		items, _, err := tx.List(categoryCollection(sc, appID, ch.Env, ch.Category), store.Page{Limit: 1})
		if err != nil {
			return "", err
		}
		if len(items) > 0 {
			return fmt.Sprintf("Backend environment %s already has a %s resource", ch.Env, ch.Category), nil
		}
	} else if _, err := tx.Get(key); err != nil {
		if svc.IsNotFound(err) {
			return fmt.Sprintf("%s resource %s no longer exists", categoryTitle(ch.Category), ch.Resource), nil
		}
		return "", err
	}
	doc := ch.doc()
	if doc == nil {
		return "nothing to store", nil
	}
	if msg, err := doc.settle(a, appID, ch.Env, ch.Create, at); err != nil || msg != "" {
		return msg, err
	}
	return "", store.PutJSON(tx, key, doc)
}

// applyDelete deletes a category's resource (a storage resource's bucket
// goes with it, see releaseStorage).
func applyDelete(a applying, appID string, ch *change) (string, error) {
	key := resourceKey(a.sc, appID, ch.Env, ch.Category, ch.Resource)
	if ch.Category == catStorage {
		if st, ok, err := svc.Lookup[storageRecord](a.tx, key); err != nil || ok {
			if err != nil {
				return "", err
			}
			if msg, err := releaseStorage(a, []storageRecord{st}, func(ref bucketRef) bool { return ref.AppID == appID && ref.Env == ch.Env }); err != nil || msg != "" {
				return msg, err
			}
		}
	}
	if err := a.tx.Delete(key); err != nil {
		if svc.IsNotFound(err) {
			return fmt.Sprintf("%s resource %s no longer exists", categoryTitle(ch.Category), ch.Resource), nil
		}
		return "", err
	}
	return "", nil
}

// The job operations.

func (j jobRecord) resp(env string) ab.BackendJobRespObj {
	if j.Env != "" {
		env = j.Env
	}
	o := ab.BackendJobRespObj{
		AppId: api.Ptr(j.AppID), BackendEnvironmentName: api.Ptr(env), JobId: api.Ptr(j.JobID),
		Operation: api.Ptr(j.Operation), Status: api.Ptr(j.Status),
		CreateTime: api.Ptr(timeString(j.CreateTime)), UpdateTime: api.Ptr(timeString(j.UpdateTime)),
	}
	if j.Error != "" {
		o.Error = api.Ptr(j.Error)
	}
	return o
}

// loadJob finds a job of an environment (or an app-level job, which every
// environment name of its app reaches).
func loadJob(tx store.Tx, sc store.Scope, appID, env, jobID string) (jobRecord, error) {
	j, ok, err := svc.Lookup[jobRecord](tx, jobKey(sc, appID, jobID))
	if err != nil {
		return j, err
	}
	if !ok || (j.Env != "" && j.Env != env) {
		return j, notFound(rtJob, "Job %s not found for app %s and backend environment %s", jobID, appID, env)
	}
	return j, nil
}

// GetBackendJob returns a job as it stands once due jobs are settled.
func (s *Service) GetBackendJob(ctx context.Context, in *ab.GetBackendJobRequest) (*ab.GetBackendJobResponse, error) {
	r := s.begin(ctx)
	appID, env, jobID := api.Val(in.AppId), api.Val(in.BackendEnvironmentName), api.Val(in.JobId)
	j, err := view(ctx, s, r, "GetBackendJob", func(tx store.Tx) (jobRecord, error) {
		return loadJob(tx, r.scope, appID, env, jobID)
	})
	if err != nil {
		return nil, err
	}
	o := j.resp(env) // a BackendJobRespObj has the response's members
	return (*ab.GetBackendJobResponse)(&o), nil
}

// UpdateBackendJob updates a job. Operation, when given, must be the job's
// operation (a guard, as the model describes it as a filter). Status, when
// given, moves a job that is IN_PROGRESS: COMPLETED completes it at once
// (applying its change), FAILED cancels it (its change is dropped and Error
// says so), IN_PROGRESS leaves it. A job that has ended keeps its status;
// asking for another one is a BadRequestException.
func (s *Service) UpdateBackendJob(ctx context.Context, in *ab.UpdateBackendJobRequest) (*ab.UpdateBackendJobResponse, error) {
	r := s.begin(ctx)
	appID, env, jobID := api.Val(in.AppId), api.Val(in.BackendEnvironmentName), api.Val(in.JobId)
	if in.Status != nil && !slices.Contains(jobStatuses, *in.Status) {
		return nil, badRequest("Invalid status %q: status must be one of %v", *in.Status, jobStatuses)
	}
	var j jobRecord
	err := s.write(ctx, r, func(tx store.Tx) error {
		var err error
		j, err = loadJob(tx, r.scope, appID, env, jobID)
		if err != nil {
			return err
		}
		if in.Operation != nil && *in.Operation != j.Operation {
			return badRequest("Invalid operation %q: job %s is a %s job", *in.Operation, jobID, j.Operation)
		}
		want := api.Val(in.Status)
		if want == "" || want == j.Status {
			return nil
		}
		if j.Status != JobInProgress {
			return badRequest("Invalid status %q: job %s has already ended with status %s", want, jobID, j.Status)
		}
		switch want {
		case JobCompleted:
			if err := s.finish(ctx, tx, r, appID, jobID, r.now); err != nil {
				return err
			}
		case JobFailed:
			j.Status, j.Error, j.UpdateTime, j.Change = JobFailed, "Job cancelled by UpdateBackendJob", r.now, nil
			if err := store.PutJSON(tx, jobKey(r.scope, appID, jobID), j); err != nil {
				return err
			}
			if err := svc.DeleteIfExists(tx, pendingKey(r.scope, jobID)); err != nil {
				return err
			}
		}
		j, err = loadJob(tx, r.scope, appID, env, jobID)
		return err
	})
	if err != nil {
		return nil, s.kit.Err("UpdateBackendJob", err)
	}
	o := j.resp(env) // a BackendJobRespObj has the response's members
	return (*ab.UpdateBackendJobResponse)(&o), nil
}

// defaultJobPage is how many jobs ListBackendJobs returns without MaxResults.
const defaultJobPage = 25

// ListBackendJobs lists the jobs of an environment (and the app-level jobs
// of its app), oldest first, filtered by JobId, Operation and Status.
func (s *Service) ListBackendJobs(ctx context.Context, in *ab.ListBackendJobsRequest) (*ab.ListBackendJobsResponse, error) {
	r := s.begin(ctx)
	appID, env := api.Val(in.AppId), api.Val(in.BackendEnvironmentName)
	if in.Status != nil && !slices.Contains(jobStatuses, *in.Status) {
		return nil, badRequest("Invalid status filter %q: status must be one of %v", *in.Status, jobStatuses)
	}
	if in.Operation != nil && !slices.Contains(jobOperations, *in.Operation) {
		return nil, badRequest("Invalid operation filter %q: operation must be the name of an operation that runs as a job", *in.Operation)
	}
	limit := defaultJobPage
	if in.MaxResults != nil {
		limit = int(*in.MaxResults)
	}
	coll := jobCollection(r.scope, appID)
	cur, err := s.kit.Cursor(coll, api.Val(in.NextToken), limit)
	if err != nil {
		return nil, err
	}
	out := &ab.ListBackendJobsResponse{Jobs: []ab.BackendJobRespObj{}}
	err = s.read(ctx, r, func(tx store.Tx) error {
		out.Jobs, out.NextToken = []ab.BackendJobRespObj{}, nil
		jobs, err := listAll[jobRecord](tx, coll)
		if err != nil {
			return err
		}
		if len(jobs) == 0 {
			if _, err := loadApp(tx, r.scope, appID); err != nil {
				return err
			}
		}
		jobs = slices.DeleteFunc(jobs, func(j jobRecord) bool {
			return (j.Env != "" && j.Env != env) || (in.JobId != nil && j.JobID != *in.JobId) ||
				(in.Operation != nil && j.Operation != *in.Operation) || (in.Status != nil && j.Status != *in.Status)
		})
		var page []jobRecord
		page, out.NextToken = svc.Page(cur, jobs, func(j jobRecord) string { return j.JobID })
		for _, j := range page {
			out.Jobs = append(out.Jobs, j.resp(env))
		}
		return nil
	})
	if err != nil {
		return nil, s.kit.Err("ListBackendJobs", err)
	}
	return out, nil
}
