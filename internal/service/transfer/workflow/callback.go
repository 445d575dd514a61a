package workflow

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/transferapi"
	"github.com/ersatz-dev/ersatz/internal/files"
)

// CustomStepEvent is what AWS sends a CUSTOM step's Lambda function; Ersatz
// hands it to Config.CustomStep.
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

// ErrNoExecution is Resume's answer for an execution (or workflow) that
// does not exist.
var ErrNoExecution = errors.New("workflow: no such execution")

// TokenError is Resume's answer for a token the execution is not waiting
// for, or one already used.
type TokenError struct{ msg string }

func (e *TokenError) Error() string { return e.msg }

// newCallbackToken makes a CUSTOM step's token (48 hex digits; the model
// allows \w{1,64}).
func newCallbackToken() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// pauseForCallback records that the execution waits for the CUSTOM step's
// callback, hands the Lambda event to the invoker and arms the timeout.
func (e *Engine) pauseForCallback(ctx context.Context, wf *Definition, ex Execution, step transferapi.WorkflowStep) {
	d := step.CustomStepDetails
	timeout := DefaultCustomStepTimeout
	if d.TimeoutSeconds != nil {
		timeout = time.Duration(*d.TimeoutSeconds) * time.Second
	}
	in := ex.Current
	if api.Val(d.SourceFileLocation) == OriginalFile {
		in = ex.Original
	}
	c := api.CallerFrom(ctx)
	ev := CustomStepEvent{
		Account: c.Account, Region: c.Region, Token: newCallbackToken(), WorkflowID: wf.ID,
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
	_, _, ok := e.update(ctx, wf.ID, ex.ExecutionID, func(_ *Definition, x *Execution) bool {
		if x.Phase != phase || x.Next != idx || x.Pending != nil || !x.InProgress() {
			return false
		}
		x.Pending = &pendingStep{Token: ev.Token, Deadline: e.clock().Add(timeout)}
		*x.results() = append(*x.results(), transferapi.ExecutionStepResult{
			StepType: api.Ptr(transferapi.WorkflowStepTypeCustom), Outputs: api.Ptr(string(outputs)),
		})
		return true
	})
	if !ok {
		return
	}
	wfID, exID, token := wf.ID, ex.ExecutionID, ev.Token
	e.bg.Go(c, func(bg context.Context) {
		t := time.NewTimer(timeout)
		defer t.Stop()
		select {
		case <-bg.Done():
			return
		case <-t.C:
		}
		msg := fmt.Sprintf("The custom step's callback did not arrive within %s", timeout)
		if e.resolveCallback(bg, wfID, exID, token, transferapi.ExecutionErrorTypeTimeout, msg) == nil {
			e.run(bg, wfID, exID)
		}
	})
	if fn := e.cfg.CustomStep; fn != nil {
		fn(ctx, ev)
	}
}

// resolveCallback ends the CUSTOM step waiting for token: errType "" is
// SUCCESS, anything else a failure of that type.
func (e *Engine) resolveCallback(ctx context.Context, wfID, exID, token, errType, msg string) error {
	var verdict error
	_, _, ok := e.update(ctx, wfID, exID, func(wf *Definition, x *Execution) bool {
		if slices.Contains(x.UsedTokens, token) {
			verdict = &TokenError{fmt.Sprintf("Token %s was already used for execution %s", token, exID)}
			return false
		}
		if x.Pending == nil || x.Pending.Token != token || !x.InProgress() {
			verdict = &TokenError{fmt.Sprintf("Token %s is not the token of a step execution %s is waiting for", token, exID)}
			return false
		}
		res := transferapi.ExecutionStepResult{StepType: api.Ptr(transferapi.WorkflowStepTypeCustom)}
		if errType != "" {
			res.Error = &transferapi.ExecutionError{Type: api.Ptr(errType), Message: api.Ptr(msg)}
		}
		x.UsedTokens = append(x.UsedTokens, token)
		x.finishStep(wf, res, true, nil)
		return true
	})
	if !ok {
		return ErrNoExecution
	}
	return verdict
}

// Resume ends the CUSTOM step an execution of ctx's caller waits for, as
// SendWorkflowStepState does: success moves on to the next step, a failure
// fails the step (CUSTOM_STEP_FAILED) and runs the exception steps. It
// returns ErrNoExecution or a *TokenError when it cannot; the steps that
// follow run in the background.
func (e *Engine) Resume(ctx context.Context, workflowID, executionID, token string, success bool) error {
	errType, msg := "", ""
	if !success {
		errType, msg = transferapi.ExecutionErrorTypeCustomStepFailed, "The custom step's callback reported FAILURE"
	}
	if err := e.resolveCallback(ctx, workflowID, executionID, token, errType, msg); err != nil {
		return err
	}
	e.bg.Go(api.CallerFrom(ctx), func(bg context.Context) { e.run(bg, workflowID, executionID) })
	return nil
}
