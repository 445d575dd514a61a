package transfer

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/transferapi"
	"github.com/ersatz-dev/ersatz/internal/files"
	"github.com/ersatz-dev/ersatz/internal/ids"
	"github.com/ersatz-dev/ersatz/internal/store"
)

// Workflow executions.
//
// The data plane calls FileUploaded when an upload ends on a server whose
// WorkflowDetails name a workflow (OnUpload, or OnPartialUpload for an
// upload cut short). Each workflow named gets an execution, stored under
// the workflow and run on a goroutine that records every transition in the
// store: IN_PROGRESS while the steps run, HANDLING_EXCEPTION while the
// OnExceptionSteps run after a step failed, then COMPLETED or EXCEPTION.
//
// Steps act on the local storage (internal/files):
//
//   - COPY copies the file to DestinationFileLocation (S3), the key
//     parameterised by ${Transfer:UserName} and ${Transfer:UploadDate}; a key
//     ending in "/" (or empty) is a folder the file keeps its name in. An
//     existing file is ALREADY_EXISTS unless OverwriteExisting is TRUE;
//   - TAG adds the tags to the file; object tags are kept in the store
//     (objecttags/<bucket/key, path-escaped>), at most 10 per object as S3
//     allows (ObjectTags reads them);
//   - DELETE deletes the file (and its tags);
//   - DECRYPT fails with BAD_REQUEST: Ersatz does not decrypt PGP;
//   - CUSTOM pauses the execution until SendWorkflowStepState sends SUCCESS
//     or FAILURE with the step's token, or TimeoutSeconds (60 by default:
//     AWS documents none) pass (TIMEOUT). Ersatz does not invoke Lambda
//     functions: the event AWS would send goes to WithCustomStepInvoker's
//     function, and DescribeExecution shows it in the waiting step's Outputs.
//
// COPY and TAG of an EFS file fail with BAD_REQUEST ("only S3 files can be
// tagged"; copying is supported only on S3). A failed step ends the steps;
// the OnExceptionSteps then run, and a failed exception step ends them.
// DescribeExecution and ListExecutions show only executions in progress, as
// AWS documents; finished executions stay in the store with their results.

const (
	kindExecution = "execution"
	kindObjTags   = "objecttags"
	rtExecution   = "Execution"

	// DefaultCustomStepTimeout is the timeout of a CUSTOM step without
	// TimeoutSeconds.
	DefaultCustomStepTimeout = 60 * time.Second

	// MaxObjectTags is S3's limit of tags per object.
	MaxObjectTags = 10

	phaseSteps     = "STEPS"
	phaseException = "EXCEPTION"
)

// UploadEvent is an upload the data plane reports with FileUploaded.
type UploadEvent struct {
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

// CustomStepEvent is what AWS sends a CUSTOM step's Lambda function; Ersatz
// hands it to WithCustomStepInvoker's function.
type CustomStepEvent struct {
	Account        string `json:"-"`
	Region         string `json:"-"`
	Token          string `json:"token"`
	WorkflowID     string `json:"workflowId"`
	ExecutionID    string `json:"executionId"`
	Target         string `json:"target"`
	TimeoutSeconds int32  `json:"timeoutSeconds"`
	ServerID       string `json:"serverId"`
	UserName       string `json:"userName"`
	SessionID      string `json:"sessionId,omitempty"`
	Domain         string `json:"domain"`
	Bucket         string `json:"bucket,omitempty"`
	Key            string `json:"key,omitempty"`
	FileSystemID   string `json:"fileSystemId,omitempty"`
	FilePath       string `json:"path,omitempty"`
}

// execFile is a file an execution works on.
type execFile struct {
	Domain    string `json:"domain"`    // S3 or EFS
	Container string `json:"container"` // bucket or file system id
	Key       string `json:"key"`       // key or path inside it
}

func (f execFile) String() string { return "/" + f.Container + "/" + f.Key }

func (f execFile) location() *transferapi.FileLocation {
	if f.Domain == string(files.EFS) {
		return &transferapi.FileLocation{EfsFileLocation: &transferapi.EfsFileLocation{
			FileSystemId: api.Ptr(f.Container), Path: api.Ptr("/" + f.Key),
		}}
	}
	return &transferapi.FileLocation{S3FileLocation: &transferapi.S3FileLocation{Bucket: api.Ptr(f.Container), Key: api.Ptr(f.Key)}}
}

// pendingStep is a CUSTOM step waiting for its callback.
type pendingStep struct {
	Token    string    `json:"token"`
	Deadline time.Time `json:"deadline"`
}

// executionRecord is one run of a workflow.
type executionRecord struct {
	ExecutionID   string                       `json:"executionId"`
	WorkflowID    string                       `json:"workflowId"`
	Status        string                       `json:"status"`
	ServerID      string                       `json:"serverId"`
	UserName      string                       `json:"userName"`
	SessionID     string                       `json:"sessionId,omitempty"`
	ExecutionRole string                       `json:"executionRole,omitempty"`
	LoggingRole   string                       `json:"loggingRole,omitempty"`
	PosixProfile  *transferapi.PosixProfile    `json:"posixProfile,omitempty"`
	Original      execFile                     `json:"original"`
	Current       execFile                     `json:"current"`
	UploadDate    string                       `json:"uploadDate"`
	Phase         string                       `json:"phase"`
	Next          int                          `json:"next"` // index of the next step of Phase
	Results       transferapi.ExecutionResults `json:"results"`
	Pending       *pendingStep                 `json:"pending,omitempty"`
	UsedTokens    []string                     `json:"usedTokens,omitempty"`
	StartedAt     time.Time                    `json:"startedAt"`
	UpdatedAt     time.Time                    `json:"updatedAt"`
}

func (e *executionRecord) inProgress() bool {
	return e.Status == transferapi.ExecutionStatusInProgress || e.Status == transferapi.ExecutionStatusHandlingException
}

// results returns the result list of the execution's phase.
func (e *executionRecord) results() *[]transferapi.ExecutionStepResult {
	if e.Phase == phaseException {
		return &e.Results.OnExceptionSteps
	}
	return &e.Results.Steps
}

// finishStep records the result of the step at e.Next and moves on: to the
// next step, to the exception steps (the first failure of the steps), or
// to the end (a failure of an exception step, or no exception steps).
func (e *executionRecord) finishStep(wf *workflowRecord, res transferapi.ExecutionStepResult, replace bool, out *execFile) {
	r := e.results()
	if replace && len(*r) > 0 {
		(*r)[len(*r)-1] = res
	} else {
		*r = append(*r, res)
	}
	e.Pending = nil
	if res.Error == nil {
		e.Next++
		if out != nil {
			e.Current = *out
		}
		return
	}
	if e.Phase == phaseSteps && len(wf.OnExceptionSteps) > 0 {
		e.Phase, e.Next, e.Status = phaseException, 0, transferapi.ExecutionStatusHandlingException
		return
	}
	e.Status = transferapi.ExecutionStatusException
}

func executionKey(sc store.Scope, workflowID, id string) store.Key {
	return workflowKey(sc, workflowID).Child(kindExecution, id)
}

func executionNotFound(id string) error { return notFound("Unknown execution", id, rtExecution) }

// FileUploaded starts the executions of the workflows the server's
// WorkflowDetails name for this upload. It returns once they are recorded;
// the steps run in the background. A server without workflows, or without
// the server, is not an error (nothing runs).
func (s *Service) FileUploaded(ctx context.Context, ev UploadEvent) error {
	sc := scopeOf(ev.Account, ev.Region)
	container, key, err := files.Split(ev.Path)
	if err != nil || key == "" {
		return fmt.Errorf("transfer: FileUploaded: path %q names no file: %w", ev.Path, files.ErrBadPath)
	}
	now := s.clock()
	var started []executionRecord
	err = s.store.Update(ctx, func(tx store.Tx) error {
		started = started[:0]
		srv, err := store.GetJSON[serverRecord](tx, serverKey(sc, ev.ServerID))
		if isNotFound(err) {
			return nil
		}
		if err != nil {
			return storeErr("read server", err)
		}
		if srv.WorkflowDetails == nil {
			return nil
		}
		details := srv.WorkflowDetails.OnUpload
		if ev.Partial {
			details = srv.WorkflowDetails.OnPartialUpload
		}
		var posix *transferapi.PosixProfile
		if u, err := store.GetJSON[userRecord](tx, userKey(sc, ev.ServerID, ev.UserName)); err == nil {
			posix = u.PosixProfile
		}
		f := execFile{Domain: srv.Domain, Container: container, Key: key}
		for _, d := range details {
			wfID := api.Val(d.WorkflowId)
			if _, err := getWorkflow(tx, sc, wfID); err != nil {
				continue // cannot happen: a workflow in use cannot be deleted
			}
			ex := executionRecord{
				ExecutionID: ids.UUID(), WorkflowID: wfID, Status: transferapi.ExecutionStatusInProgress,
				ServerID: ev.ServerID, UserName: ev.UserName, SessionID: wireSessionID(ev.SessionID),
				ExecutionRole: api.Val(d.ExecutionRole), LoggingRole: srv.LoggingRole, PosixProfile: posix,
				Original: f, Current: f, UploadDate: now.Format("2006-01-02"), Phase: phaseSteps,
				StartedAt: now, UpdatedAt: now,
			}
			if err := store.PutJSON(tx, executionKey(sc, wfID, ex.ExecutionID), ex); err != nil {
				return storeErr("record execution", err)
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
		if !s.spawn(caller, func(bg context.Context) { s.runExecution(bg, wfID, exID) }) {
			s.abandonExecution(api.WithCaller(ctx, caller), wfID, exID)
		}
	}
	return nil
}

// abandonExecution ends an execution that cannot run (Ersatz is closing).
func (s *Service) abandonExecution(ctx context.Context, wfID, exID string) {
	s.updateExecution(ctx, wfID, exID, func(_ *workflowRecord, e *executionRecord) bool {
		if !e.inProgress() {
			return false
		}
		*e.results() = append(*e.results(), transferapi.ExecutionStepResult{Error: &transferapi.ExecutionError{
			Type:    api.Ptr(transferapi.ExecutionErrorTypeInternalServerError),
			Message: api.Ptr("Ersatz is shutting down; the execution was stopped"),
		}})
		e.Status, e.Pending = transferapi.ExecutionStatusException, nil
		return true
	})
}

// updateExecution applies fn to a stored execution in one transaction
// (fn reports whether it changed anything). It returns the execution as
// stored afterwards, or false when it (or its workflow) is gone.
func (s *Service) updateExecution(ctx context.Context, wfID, exID string, fn func(*workflowRecord, *executionRecord) bool) (executionRecord, workflowRecord, bool) {
	sc := scope(ctx)
	wctx, cancel := storeCtx(ctx)
	defer cancel()
	var ex executionRecord
	var wf workflowRecord
	err := s.store.Update(wctx, func(tx store.Tx) error {
		var err error
		if wf, err = getWorkflow(tx, sc, wfID); err != nil {
			return err
		}
		if ex, err = store.GetJSON[executionRecord](tx, executionKey(sc, wfID, exID)); err != nil {
			return err
		}
		if !fn(&wf, &ex) {
			return nil
		}
		ex.UpdatedAt = s.clock()
		return store.PutJSON(tx, executionKey(sc, wfID, exID), ex)
	})
	return ex, wf, err == nil
}

// runExecution runs an execution's steps until it ends or waits for a
// CUSTOM step's callback.
func (s *Service) runExecution(ctx context.Context, wfID, exID string) {
	for ctx.Err() == nil {
		ex, wf, ok := s.updateExecution(ctx, wfID, exID, func(wf *workflowRecord, e *executionRecord) bool {
			if !e.inProgress() || e.Pending != nil {
				return false
			}
			if e.Next < len(stepsOf(wf, e.Phase)) {
				return false
			}
			if e.Phase == phaseSteps {
				e.Status = transferapi.ExecutionStatusCompleted
			} else {
				e.Status = transferapi.ExecutionStatusException
			}
			return true
		})
		if !ok || !ex.inProgress() || ex.Pending != nil {
			return
		}
		phase, idx := ex.Phase, ex.Next
		step := stepsOf(&wf, phase)[idx]
		if api.Val(step.Type) == transferapi.WorkflowStepTypeCustom {
			s.pauseForCallback(ctx, &wf, ex, step)
			return
		}
		res, out := s.runStep(ctx, &ex, step)
		_, _, ok = s.updateExecution(ctx, wfID, exID, func(wf *workflowRecord, e *executionRecord) bool {
			if e.Phase != phase || e.Next != idx || !e.inProgress() {
				return false // someone else moved it on
			}
			e.finishStep(wf, res, false, out)
			return true
		})
		if !ok {
			return
		}
	}
}

func stepsOf(wf *workflowRecord, phase string) []transferapi.WorkflowStep {
	if phase == phaseException {
		return wf.OnExceptionSteps
	}
	return wf.Steps
}

// newCallbackToken makes a CUSTOM step's token (48 hex digits; the model
// allows \w{1,64}).
func newCallbackToken() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// pauseForCallback records that the execution waits for the CUSTOM step's
// callback, hands the Lambda event to the invoker and arms the timeout.
func (s *Service) pauseForCallback(ctx context.Context, wf *workflowRecord, ex executionRecord, step transferapi.WorkflowStep) {
	d := step.CustomStepDetails
	timeout := DefaultCustomStepTimeout
	if d.TimeoutSeconds != nil {
		timeout = time.Duration(*d.TimeoutSeconds) * time.Second
	}
	in := ex.Current
	if api.Val(d.SourceFileLocation) == originalFile {
		in = ex.Original
	}
	c := api.CallerFrom(ctx)
	ev := CustomStepEvent{
		Account: c.Account, Region: c.Region, Token: newCallbackToken(), WorkflowID: wf.WorkflowID,
		ExecutionID: ex.ExecutionID, Target: api.Val(d.Target), TimeoutSeconds: int32(timeout / time.Second),
		ServerID: ex.ServerID, UserName: ex.UserName, SessionID: ex.SessionID, Domain: in.Domain,
	}
	if in.Domain == string(files.EFS) {
		ev.FileSystemID, ev.FilePath = in.Container, "/"+in.Key
	} else {
		ev.Bucket, ev.Key = in.Container, in.Key
	}
	outputs, _ := json.Marshal(struct {
		Status string `json:"status"`
		CustomStepEvent
	}{"WAITING_FOR_CALLBACK", ev})
	phase, idx := ex.Phase, ex.Next
	_, _, ok := s.updateExecution(ctx, wf.WorkflowID, ex.ExecutionID, func(_ *workflowRecord, e *executionRecord) bool {
		if e.Phase != phase || e.Next != idx || e.Pending != nil || !e.inProgress() {
			return false
		}
		e.Pending = &pendingStep{Token: ev.Token, Deadline: s.clock().Add(timeout)}
		*e.results() = append(*e.results(), transferapi.ExecutionStepResult{
			StepType: api.Ptr(transferapi.WorkflowStepTypeCustom), Outputs: api.Ptr(string(outputs)),
		})
		return true
	})
	if !ok {
		return
	}
	wfID, exID, token := wf.WorkflowID, ex.ExecutionID, ev.Token
	s.spawn(c, func(bg context.Context) {
		t := time.NewTimer(timeout)
		defer t.Stop()
		select {
		case <-bg.Done():
			return
		case <-t.C:
		}
		msg := fmt.Sprintf("The custom step's callback did not arrive within %s", timeout)
		if s.resolveCallback(bg, wfID, exID, token, transferapi.ExecutionErrorTypeTimeout, msg) == nil {
			s.runExecution(bg, wfID, exID)
		}
	})
	if fn := s.b2bConf().customStep; fn != nil {
		fn(ctx, ev)
	}
}

// resolveCallback ends the CUSTOM step waiting for token: errType "" is
// SUCCESS, anything else a failure of that type.
func (s *Service) resolveCallback(ctx context.Context, wfID, exID, token, errType, msg string) error {
	var verdict error
	_, _, ok := s.updateExecution(ctx, wfID, exID, func(wf *workflowRecord, e *executionRecord) bool {
		if slices.Contains(e.UsedTokens, token) {
			verdict = invalid("Token %s was already used for execution %s", token, exID)
			return false
		}
		if e.Pending == nil || e.Pending.Token != token || !e.inProgress() {
			verdict = invalid("Token %s is not the token of a step execution %s is waiting for", token, exID)
			return false
		}
		res := transferapi.ExecutionStepResult{StepType: api.Ptr(transferapi.WorkflowStepTypeCustom)}
		if errType != "" {
			res.Error = &transferapi.ExecutionError{Type: api.Ptr(errType), Message: api.Ptr(msg)}
		}
		e.UsedTokens = append(e.UsedTokens, token)
		e.finishStep(wf, res, true, nil)
		return true
	})
	if !ok {
		return executionNotFound(exID)
	}
	return verdict
}

// SendWorkflowStepState resumes an execution waiting for a CUSTOM step's
// callback: SUCCESS moves on to the next step, FAILURE fails the step
// (CUSTOM_STEP_FAILED) and runs the exception steps. A token that was
// already used, or that the execution is not waiting for, is refused with
// InvalidRequestException.
func (s *Service) SendWorkflowStepState(ctx context.Context, in *transferapi.SendWorkflowStepStateRequest) (*transferapi.SendWorkflowStepStateResponse, error) {
	sc := scope(ctx)
	err := s.store.View(ctx, func(tx store.Tx) error {
		if _, err := getWorkflow(tx, sc, *in.WorkflowId); err != nil {
			return err
		}
		_, err := store.GetJSON[executionRecord](tx, executionKey(sc, *in.WorkflowId, *in.ExecutionId))
		if isNotFound(err) {
			return executionNotFound(*in.ExecutionId)
		}
		if err != nil {
			return storeErr("read execution", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	errType, msg := "", ""
	if *in.Status == transferapi.CustomStepStatusFailure {
		errType, msg = transferapi.ExecutionErrorTypeCustomStepFailed, "The custom step's callback reported FAILURE"
	}
	if err := s.resolveCallback(ctx, *in.WorkflowId, *in.ExecutionId, *in.Token, errType, msg); err != nil {
		return nil, err
	}
	wfID, exID := *in.WorkflowId, *in.ExecutionId
	s.spawn(api.CallerFrom(ctx), func(bg context.Context) { s.runExecution(bg, wfID, exID) })
	return &transferapi.SendWorkflowStepStateResponse{}, nil
}

func stepError(typ, format string, args ...any) transferapi.ExecutionStepResult {
	return transferapi.ExecutionStepResult{Error: &transferapi.ExecutionError{
		Type: api.Ptr(typ), Message: api.Ptr(fmt.Sprintf(format, args...)),
	}}
}

// runStep does one COPY, TAG, DELETE or DECRYPT step on the local storage.
// It returns the step's result and, on success, the file the next step's
// ${previous.file} is.
func (s *Service) runStep(ctx context.Context, ex *executionRecord, step transferapi.WorkflowStep) (transferapi.ExecutionStepResult, *execFile) {
	typ := api.Val(step.Type)
	var source *string
	switch typ {
	case transferapi.WorkflowStepTypeCopy:
		source = step.CopyStepDetails.SourceFileLocation
	case transferapi.WorkflowStepTypeTag:
		source = step.TagStepDetails.SourceFileLocation
	case transferapi.WorkflowStepTypeDelete:
		source = step.DeleteStepDetails.SourceFileLocation
	case transferapi.WorkflowStepTypeDecrypt:
		source = step.DecryptStepDetails.SourceFileLocation
	}
	in := ex.Current
	if api.Val(source) == originalFile {
		in = ex.Original
	}
	var res transferapi.ExecutionStepResult
	var out *execFile
	switch typ {
	case transferapi.WorkflowStepTypeCopy:
		res, out = s.copyStep(ex, in, step.CopyStepDetails)
	case transferapi.WorkflowStepTypeTag:
		res, out = s.tagStep(ctx, in, step.TagStepDetails)
	case transferapi.WorkflowStepTypeDelete:
		res, out = s.deleteStep(ctx, in)
	default:
		res = stepError(transferapi.ExecutionErrorTypeBadRequest,
			"DECRYPT steps are not emulated by Ersatz: %s was not decrypted", in)
	}
	res.StepType = api.Ptr(typ)
	return res, out
}

func (s *Service) openContainer(f execFile) (*os.Root, error) {
	return s.b2bConf().files.Container(files.Domain(f.Domain), f.Container)
}

func (s *Service) copyStep(ex *executionRecord, in execFile, d *transferapi.CopyStepDetails) (transferapi.ExecutionStepResult, *execFile) {
	if in.Domain != string(files.S3) {
		return stepError(transferapi.ExecutionErrorTypeBadRequest, "copying is supported only on S3; %s is an EFS file", in), nil
	}
	dst := d.DestinationFileLocation.S3FileLocation
	key := api.Val(dst.Key)
	key = strings.ReplaceAll(key, "${Transfer:UserName}", ex.UserName)
	key = strings.ReplaceAll(key, "${Transfer:UploadDate}", ex.UploadDate)
	if key == "" || strings.HasSuffix(key, "/") {
		key += path.Base(in.Key)
	}
	out := execFile{Domain: string(files.S3), Container: api.Val(dst.Bucket), Key: strings.TrimPrefix(path.Clean("/"+key), "/")}
	src, err := s.openContainer(in)
	if err != nil {
		return stepError(transferapi.ExecutionErrorTypeInternalServerError, "cannot open %s: %v", in, err), nil
	}
	defer src.Close()
	r, err := src.Open(in.Key)
	if errors.Is(err, os.ErrNotExist) {
		return stepError(transferapi.ExecutionErrorTypeNotFound, "the source file %s does not exist", in), nil
	}
	if err != nil {
		return stepError(transferapi.ExecutionErrorTypeInternalServerError, "cannot read %s: %v", in, err), nil
	}
	defer r.Close()
	if api.Val(d.OverwriteExisting) != transferapi.OverwriteExistingTrue {
		root, err := s.openContainer(out)
		if err != nil {
			return stepError(transferapi.ExecutionErrorTypeInternalServerError, "cannot open %s: %v", out, err), nil
		}
		_, serr := root.Stat(out.Key)
		_ = root.Close()
		if serr == nil {
			return stepError(transferapi.ExecutionErrorTypeAlreadyExists,
				"%s already exists and OverwriteExisting is not TRUE", out), nil
		}
	}
	if err := s.writeLocal(out.Container, out.Key, func(w io.Writer) error { _, err := io.Copy(w, r); return err }); err != nil {
		return stepError(transferapi.ExecutionErrorTypeInternalServerError, "copying %s to %s failed: %v", in, out, err), nil
	}
	return transferapi.ExecutionStepResult{}, &out
}

// objTagsKey is the store key of an S3 object's tags.
func objTagsKey(sc store.Scope, bucket, key string) store.Key {
	return store.Key{Scope: sc, Kind: kindObjTags, ID: url.PathEscape(bucket + "/" + key)}
}

type objectTags struct {
	Tags []transferapi.S3Tag `json:"tags"`
}

func (s *Service) tagStep(ctx context.Context, in execFile, d *transferapi.TagStepDetails) (transferapi.ExecutionStepResult, *execFile) {
	if in.Domain != string(files.S3) {
		return stepError(transferapi.ExecutionErrorTypeBadRequest, "only S3 files can be tagged; %s is an EFS file", in), nil
	}
	root, err := s.openContainer(in)
	if err != nil {
		return stepError(transferapi.ExecutionErrorTypeInternalServerError, "cannot open %s: %v", in, err), nil
	}
	_, serr := root.Stat(in.Key)
	_ = root.Close()
	if serr != nil {
		return stepError(transferapi.ExecutionErrorTypeNotFound, "the file %s to tag does not exist", in), nil
	}
	sc := scope(ctx)
	var tooMany int
	wctx, cancel := storeCtx(ctx)
	defer cancel()
	err = s.store.Update(wctx, func(tx store.Tx) error {
		tooMany = 0
		k := objTagsKey(sc, in.Container, in.Key)
		have, err := store.GetJSON[objectTags](tx, k)
		if err != nil && !isNotFound(err) {
			return err
		}
		for _, t := range d.Tags {
			i := slices.IndexFunc(have.Tags, func(h transferapi.S3Tag) bool { return api.Val(h.Key) == api.Val(t.Key) })
			if i >= 0 {
				have.Tags[i] = t
			} else {
				have.Tags = append(have.Tags, t)
			}
		}
		if len(have.Tags) > MaxObjectTags {
			tooMany = len(have.Tags)
			return nil
		}
		return store.PutJSON(tx, k, have)
	})
	if err != nil {
		return stepError(transferapi.ExecutionErrorTypeInternalServerError, "tagging %s failed: %v", in, err), nil
	}
	if tooMany > 0 {
		return stepError(transferapi.ExecutionErrorTypeBadRequest, "%s would have %d tags; an object can have at most %d", in, tooMany, MaxObjectTags), nil
	}
	outputs, _ := json.Marshal(struct {
		Tags []transferapi.S3Tag `json:"tags"`
	}{d.Tags})
	return transferapi.ExecutionStepResult{Outputs: api.Ptr(string(outputs))}, &in
}

func (s *Service) deleteStep(ctx context.Context, in execFile) (transferapi.ExecutionStepResult, *execFile) {
	root, err := s.openContainer(in)
	if err != nil {
		return stepError(transferapi.ExecutionErrorTypeInternalServerError, "cannot open %s: %v", in, err), nil
	}
	defer root.Close()
	if st, err := root.Stat(in.Key); err != nil {
		return stepError(transferapi.ExecutionErrorTypeNotFound, "the file %s to delete does not exist", in), nil
	} else if st.IsDir() {
		return stepError(transferapi.ExecutionErrorTypeBadRequest, "%s is a directory, not a file", in), nil
	}
	if err := root.Remove(in.Key); err != nil {
		return stepError(transferapi.ExecutionErrorTypeInternalServerError, "deleting %s failed: %v", in, err), nil
	}
	if in.Domain == string(files.S3) {
		sc := scope(ctx)
		wctx, cancel := storeCtx(ctx)
		defer cancel()
		_ = s.store.Update(wctx, func(tx store.Tx) error {
			if err := tx.Delete(objTagsKey(sc, in.Container, in.Key)); err != nil && !isNotFound(err) {
				return err
			}
			return nil
		})
	}
	return transferapi.ExecutionStepResult{}, &in
}

// ObjectTags returns the tags workflow TAG steps put on an object of the
// local S3 storage, in the caller's account and region (ctx's caller).
func (s *Service) ObjectTags(ctx context.Context, bucket, key string) (map[string]string, error) {
	out := map[string]string{}
	err := s.store.View(ctx, func(tx store.Tx) error {
		t, err := store.GetJSON[objectTags](tx, objTagsKey(scope(ctx), bucket, key))
		if isNotFound(err) {
			return nil
		}
		if err != nil {
			return storeErr("read object tags", err)
		}
		for _, tag := range t.Tags {
			out[api.Val(tag.Key)] = api.Val(tag.Value)
		}
		return nil
	})
	return out, err
}

func (s *Service) describedExecution(e *executionRecord) *transferapi.DescribedExecution {
	d := &transferapi.DescribedExecution{
		ExecutionId: api.Ptr(e.ExecutionID), InitialFileLocation: e.Original.location(),
		ServiceMetadata: &transferapi.ServiceMetadata{UserDetails: &transferapi.UserDetails{
			UserName: api.Ptr(e.UserName), ServerId: api.Ptr(e.ServerID), SessionId: ptrIf(e.SessionID),
		}},
		ExecutionRole: ptrIf(e.ExecutionRole), PosixProfile: e.PosixProfile, Status: api.Ptr(e.Status),
		LoggingConfiguration: &transferapi.LoggingConfiguration{
			LoggingRole: ptrIf(e.LoggingRole), LogGroupName: api.Ptr("/aws/transfer/" + e.ServerID),
		},
	}
	if len(e.Results.Steps) > 0 || len(e.Results.OnExceptionSteps) > 0 {
		r := e.Results
		d.Results = &r
	}
	return d
}

// DescribeExecution returns an execution in progress ("This API call only
// returns details for in-progress workflows"); a finished one, or one of
// another workflow, is ResourceNotFoundException.
func (s *Service) DescribeExecution(ctx context.Context, in *transferapi.DescribeExecutionRequest) (*transferapi.DescribeExecutionResponse, error) {
	sc := scope(ctx)
	var out *transferapi.DescribedExecution
	err := s.store.View(ctx, func(tx store.Tx) error {
		if _, err := getWorkflow(tx, sc, *in.WorkflowId); err != nil {
			return err
		}
		ex, err := store.GetJSON[executionRecord](tx, executionKey(sc, *in.WorkflowId, *in.ExecutionId))
		if isNotFound(err) || (err == nil && !ex.inProgress()) {
			return executionNotFound(*in.ExecutionId)
		}
		if err != nil {
			return storeErr("read execution", err)
		}
		out = s.describedExecution(&ex)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &transferapi.DescribeExecutionResponse{WorkflowId: in.WorkflowId, Execution: out}, nil
}

// ListExecutions pages through a workflow's executions in progress, in
// ascending order of id.
func (s *Service) ListExecutions(ctx context.Context, in *transferapi.ListExecutionsRequest) (*transferapi.ListExecutionsResponse, error) {
	sc := scope(ctx)
	out := &transferapi.ListExecutionsResponse{WorkflowId: in.WorkflowId, Executions: []transferapi.ListedExecution{}}
	err := s.store.View(ctx, func(tx store.Tx) error {
		if _, err := getWorkflow(tx, sc, *in.WorkflowId); err != nil {
			return err
		}
		coll := store.Collection{Scope: sc, Parent: workflowKey(sc, *in.WorkflowId).Path(), Kind: kindExecution}
		all, _, err := store.ListJSON[executionRecord](tx, coll, store.Page{})
		if err != nil {
			return storeErr("list executions", err)
		}
		all = slices.DeleteFunc(all, func(e executionRecord) bool { return !e.inProgress() })
		page, next, err := pageSorted(coll, all, func(e executionRecord) string { return e.ExecutionID },
			api.Val(in.NextToken), listLimit(in.MaxResults))
		if err != nil {
			return err
		}
		for i := range page {
			d := s.describedExecution(&page[i])
			out.Executions = append(out.Executions, transferapi.ListedExecution{
				ExecutionId: d.ExecutionId, InitialFileLocation: d.InitialFileLocation,
				ServiceMetadata: d.ServiceMetadata, Status: d.Status,
			})
		}
		out.NextToken = ptrIf(next)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
