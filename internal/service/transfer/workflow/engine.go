// Package workflow runs Transfer Family's managed workflows: the executions
// an upload starts, their COPY, TAG, DELETE and DECRYPT steps on the S3
// domain's object store (objectstore.Store; an EFS file on the local POSIX
// tree, internal/files), and the CUSTOM steps that wait for
// SendWorkflowStepState.
//
// The data plane calls FileUploaded when an upload ends on a server whose
// WorkflowDetails name a workflow (OnUpload, or OnPartialUpload for an
// upload cut short). Each workflow named gets an execution, stored under the
// workflow (workflow/<w-id>/execution/<uuid>) and run on a goroutine that
// records every transition in the store: IN_PROGRESS while the steps run,
// HANDLING_EXCEPTION while the OnExceptionSteps run after a step failed, then
// COMPLETED or EXCEPTION.
//
// Steps act on the object store (an S3 file) or the local files (EFS):
//
//   - COPY copies the object (Store.Copy, or above 5 GiB a multipart
//     upload: content, content type, metadata and tags) to
//     DestinationFileLocation (S3), the key parameterised by
//     ${Transfer:UserName} and ${Transfer:UploadDate}; a key ending in "/"
//     (or empty) is a folder the file keeps its name in. An existing object
//     is ALREADY_EXISTS unless OverwriteExisting is TRUE; a destination
//     bucket that does not exist is created (objectstore.EnsureBucket);
//   - TAG adds the tags to the object's S3 object tags (what
//     GetObjectTagging answers), replacing a tag of the same key; more than
//     10 in all, S3's limit, fails the step with BAD_REQUEST;
//   - DELETE deletes the object (its tags go with it) or the EFS file;
//   - DECRYPT fails with BAD_REQUEST (Ersatz does not decrypt PGP), or with
//     NOT_FOUND when the file does not exist;
//   - CUSTOM pauses the execution until Resume (SendWorkflowStepState) sends
//     SUCCESS or FAILURE with the step's token, or TimeoutSeconds (60 by
//     default: AWS documents none) pass (TIMEOUT). Ersatz does not invoke
//     Lambda functions: the event AWS would send goes to Config.CustomStep,
//     and DescribeExecution shows it in the waiting step's Outputs.
//
// COPY and TAG of an EFS file fail with BAD_REQUEST ("only S3 files can be
// tagged"; copying is supported only on S3). A failed step ends the steps;
// the OnExceptionSteps then run, and a failed exception step ends them.
//
// The engine reads workflows and servers through a Catalog (the Transfer
// service), owns the execution records, and runs its work on
// a background.Group that Close ends: work cut short is recorded as an
// EXCEPTION when the store is still open.
package workflow

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/transferapi"
	"github.com/ersatz-dev/ersatz/internal/files"
	"github.com/ersatz-dev/ersatz/internal/ids"
	"github.com/ersatz-dev/ersatz/internal/objectstore"
	"github.com/ersatz-dev/ersatz/internal/service/transfer/background"
	"github.com/ersatz-dev/ersatz/internal/store"
)

const (
	// KindExecution is the store kind of executions, children of their
	// workflow's record.
	KindExecution = "execution"

	// DefaultCustomStepTimeout is the timeout of a CUSTOM step without
	// TimeoutSeconds.
	DefaultCustomStepTimeout = 60 * time.Second

	// MaxObjectTags is S3's limit of tags per object.
	MaxObjectTags = 10

	// OriginalFile is the SourceFileLocation of a step that works on the
	// uploaded file rather than the previous step's output.
	OriginalFile = "${original.file}"

	phaseSteps     = "STEPS"
	phaseException = "EXCEPTION"
)

// Definition is a workflow as the engine runs it.
type Definition struct {
	// Key is the workflow's store key; its executions are stored below it.
	Key              store.Key
	ID               string
	Steps            []transferapi.WorkflowStep
	OnExceptionSteps []transferapi.WorkflowStep
}

// Trigger is what an upload on a server starts, and what its executions
// record of the server and the user.
type Trigger struct {
	Domain          string // S3 or EFS
	LoggingRole     string
	OnUpload        []transferapi.WorkflowDetail
	OnPartialUpload []transferapi.WorkflowDetail
	PosixProfile    *transferapi.PosixProfile // the user's, when it has one
}

// Catalog reads the Transfer resources the engine works from.
type Catalog interface {
	// Workflow reads a workflow; any error (a missing workflow among them)
	// stops what needed it.
	Workflow(tx store.Tx, sc store.Scope, id string) (Definition, error)
	// Trigger reads a server's workflow details and its user's POSIX
	// profile; ok is false when the server does not exist.
	Trigger(tx store.Tx, sc store.Scope, serverID, userName string) (t Trigger, ok bool, err error)
}

// Config configures an Engine.
type Config struct {
	Store store.Store
	// Objects holds the S3 domain's files; Files the EFS domain's. Both
	// are required.
	Objects objectstore.Store
	Files   *files.Store
	Catalog Catalog
	// Service is the store scope's service of the records ("transfer").
	Service string
	// Clock is the time of the records (time.Now unless set).
	Clock func() time.Time
	// CustomStep receives, on a background goroutine, the event AWS would
	// send a CUSTOM step's Lambda function (nil: nobody is told).
	CustomStep func(context.Context, CustomStepEvent)

	// limits choose between Store.Copy and a multipart upload for COPY
	// (the tests make them small).
	limits objectstore.PutLimits
}

// Engine runs workflow executions.
type Engine struct {
	cfg Config
	bg  *background.Group
	// tagMu makes each TAG step's read-modify-write of a tag set whole.
	tagMu sync.Mutex
}

// New returns a running engine; Close stops it.
func New(cfg Config) *Engine {
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	return &Engine{cfg: cfg, bg: background.New()}
}

// Close stops the running steps and custom step timers and waits for them.
// Close the engine before its store.
func (e *Engine) Close() error {
	e.bg.Close()
	return nil
}

func (e *Engine) clock() time.Time { return e.cfg.Clock().UTC().Truncate(time.Millisecond) }

func (e *Engine) scopeOf(account, region string) store.Scope {
	return store.Scope{Account: account, Region: region, Service: e.cfg.Service}
}

// scope is the store scope of ctx's caller.
func (e *Engine) scope(ctx context.Context) store.Scope {
	c := api.CallerFrom(ctx)
	return e.scopeOf(c.Account, c.Region)
}

// ExecutionKey is the store key of an execution of the workflow at
// workflowKey.
func ExecutionKey(workflowKey store.Key, id string) store.Key {
	return workflowKey.Child(KindExecution, id)
}

// Upload is an upload the data plane reports with FileUploaded.
type Upload struct {
	Account   string // the server's account
	Region    string // and region
	ServerID  string
	UserName  string
	SessionID string
	// Path is the file's path in the server's storage domain: "/bucket/key"
	// on an S3 server, "/fs-id/path" on an EFS server.
	Path string
	Size int64
	// Partial is an upload the client did not finish (the server's
	// OnPartialUpload workflows run instead of OnUpload).
	Partial bool
}

// FileUploaded starts the executions of the workflows the server's
// WorkflowDetails name for this upload. It returns once they are recorded;
// the steps run in the background. A server without workflows, or without
// the server, is not an error (nothing runs).
func (e *Engine) FileUploaded(ctx context.Context, ev Upload) error {
	sc := e.scopeOf(ev.Account, ev.Region)
	container, key, err := files.Split(ev.Path)
	if err != nil || key == "" {
		return fmt.Errorf("workflow: FileUploaded: path %q names no file: %w", ev.Path, files.ErrBadPath)
	}
	now := e.clock()
	var started []Execution
	err = e.cfg.Store.Update(ctx, func(tx store.Tx) error {
		started = started[:0]
		trig, ok, err := e.cfg.Catalog.Trigger(tx, sc, ev.ServerID, ev.UserName)
		if err != nil {
			return fmt.Errorf("workflow: read server: %w", err)
		}
		if !ok {
			return nil
		}
		details := trig.OnUpload
		if ev.Partial {
			details = trig.OnPartialUpload
		}
		f := File{Domain: trig.Domain, Container: container, Key: key}
		for _, d := range details {
			wf, err := e.cfg.Catalog.Workflow(tx, sc, api.Val(d.WorkflowId))
			if err != nil {
				continue // cannot happen: a workflow in use cannot be deleted
			}
			ex := Execution{
				ExecutionID: ids.UUID(), WorkflowID: wf.ID, Status: transferapi.ExecutionStatusInProgress,
				ServerID: ev.ServerID, UserName: ev.UserName, SessionID: wireSessionID(ev.SessionID),
				ExecutionRole: api.Val(d.ExecutionRole), LoggingRole: trig.LoggingRole, PosixProfile: trig.PosixProfile,
				Original: f, Current: f, UploadDate: now.Format("2006-01-02"), Phase: phaseSteps,
				StartedAt: now, UpdatedAt: now,
			}
			if err := store.PutJSON(tx, ExecutionKey(wf.Key, ex.ExecutionID), ex); err != nil {
				return fmt.Errorf("workflow: record execution: %w", err)
			}
			started = append(started, ex)
		}
		return nil
	})
	if err != nil {
		return err
	}
	caller := api.Caller{Account: ev.Account, Region: ev.Region}
	for _, ex := range started {
		wfID, exID := ex.WorkflowID, ex.ExecutionID
		if !e.bg.Go(caller, func(bg context.Context) { e.run(bg, wfID, exID) }) {
			e.abandon(api.WithCaller(ctx, caller), wfID, exID)
		}
	}
	return nil
}

// abandon ends an execution that cannot run (Ersatz is closing).
func (e *Engine) abandon(ctx context.Context, wfID, exID string) {
	e.update(ctx, wfID, exID, func(_ *Definition, x *Execution) bool {
		if !x.InProgress() {
			return false
		}
		*x.results() = append(*x.results(), transferapi.ExecutionStepResult{Error: &transferapi.ExecutionError{
			Type:    api.Ptr(transferapi.ExecutionErrorTypeInternalServerError),
			Message: api.Ptr("Ersatz is shutting down; the execution was stopped"),
		}})
		x.Status, x.Pending = transferapi.ExecutionStatusException, nil
		return true
	})
}

// update applies fn to a stored execution in one transaction (fn reports
// whether it changed anything). It returns the execution as stored
// afterwards, or false when it (or its workflow) is gone.
func (e *Engine) update(ctx context.Context, wfID, exID string, fn func(*Definition, *Execution) bool) (Execution, Definition, bool) {
	sc := e.scope(ctx)
	wctx, cancel := background.StoreContext(ctx)
	defer cancel()
	var ex Execution
	var wf Definition
	err := e.cfg.Store.Update(wctx, func(tx store.Tx) error {
		var err error
		if wf, err = e.cfg.Catalog.Workflow(tx, sc, wfID); err != nil {
			return err
		}
		if ex, err = store.GetJSON[Execution](tx, ExecutionKey(wf.Key, exID)); err != nil {
			return err
		}
		if !fn(&wf, &ex) {
			return nil
		}
		ex.UpdatedAt = e.clock()
		return store.PutJSON(tx, ExecutionKey(wf.Key, exID), ex)
	})
	return ex, wf, err == nil
}

// run runs an execution's steps until it ends or waits for a CUSTOM step's
// callback.
func (e *Engine) run(ctx context.Context, wfID, exID string) {
	for ctx.Err() == nil {
		ex, wf, ok := e.update(ctx, wfID, exID, func(wf *Definition, x *Execution) bool {
			if !x.InProgress() || x.Pending != nil {
				return false
			}
			if x.Next < len(wf.steps(x.Phase)) {
				return false
			}
			if x.Phase == phaseSteps {
				x.Status = transferapi.ExecutionStatusCompleted
			} else {
				x.Status = transferapi.ExecutionStatusException
			}
			return true
		})
		if !ok || !ex.InProgress() || ex.Pending != nil {
			return
		}
		phase, idx := ex.Phase, ex.Next
		step := wf.steps(phase)[idx]
		if api.Val(step.Type) == transferapi.WorkflowStepTypeCustom {
			e.pauseForCallback(ctx, &wf, ex, step)
			return
		}
		res, out := e.runStep(ctx, &ex, step)
		_, _, ok = e.update(ctx, wfID, exID, func(wf *Definition, x *Execution) bool {
			if x.Phase != phase || x.Next != idx || !x.InProgress() {
				return false // someone else moved it on
			}
			x.finishStep(wf, res, false, out)
			return true
		})
		if !ok {
			return
		}
	}
}

// steps are the steps of a phase.
func (d *Definition) steps(phase string) []transferapi.WorkflowStep {
	if phase == phaseException {
		return d.OnExceptionSteps
	}
	return d.Steps
}
