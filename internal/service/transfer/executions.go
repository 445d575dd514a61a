package transfer

import (
	"context"
	"errors"
	"slices"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/transferapi"
	"github.com/ersatz-dev/ersatz/internal/service/svc"
	"github.com/ersatz-dev/ersatz/internal/service/transfer/workflow"
	"github.com/ersatz-dev/ersatz/internal/store"
)

// Workflow executions: the engine that runs them is package workflow; the
// service gives it the workflows and servers it reads (workflowCatalog),
// hands it the data plane's uploads (FileUploaded) and answers the API's
// DescribeExecution, ListExecutions and SendWorkflowStepState from the
// execution records it keeps. DescribeExecution and ListExecutions show only
// executions in progress, as AWS documents; finished executions stay in the
// store with their results.

const rtExecution = "Execution"

// DefaultCustomStepTimeout is the timeout of a CUSTOM step without
// TimeoutSeconds (AWS documents none).
const DefaultCustomStepTimeout = workflow.DefaultCustomStepTimeout

type (
	// UploadEvent is an upload the data plane reports with FileUploaded.
	UploadEvent = workflow.Upload
	// CustomStepEvent is what AWS sends a CUSTOM step's Lambda function;
	// Ersatz hands it to WithCustomStepInvoker's function.
	CustomStepEvent = workflow.CustomStepEvent

	executionRecord = workflow.Execution
)

func executionKey(sc store.Scope, workflowID, id string) store.Key {
	return workflow.ExecutionKey(workflowKey(sc, workflowID), id)
}

func executionNotFound(id string) error { return notFound("Unknown execution", id, rtExecution) }

// workflowCatalog is what the workflow engine reads of the service's
// resources.
type workflowCatalog struct{}

func (workflowCatalog) Workflow(tx store.Tx, sc store.Scope, id string) (workflow.Definition, error) {
	wf, err := getWorkflow(tx, sc, id)
	if err != nil {
		return workflow.Definition{}, err
	}
	return workflow.Definition{Key: workflowKey(sc, id), ID: wf.WorkflowID, Steps: wf.Steps, OnExceptionSteps: wf.OnExceptionSteps}, nil
}

func (workflowCatalog) Trigger(tx store.Tx, sc store.Scope, serverID, userName string) (workflow.Trigger, bool, error) {
	srv, found, err := svc.Lookup[serverRecord](tx, serverKey(sc, serverID))
	if err != nil || !found || srv.WorkflowDetails == nil {
		return workflow.Trigger{}, false, err
	}
	t := workflow.Trigger{Domain: srv.Domain, LoggingRole: srv.LoggingRole,
		OnUpload: srv.WorkflowDetails.OnUpload, OnPartialUpload: srv.WorkflowDetails.OnPartialUpload}
	if u, err := store.GetJSON[userRecord](tx, userKey(sc, serverID, userName)); err == nil {
		t.PosixProfile = u.PosixProfile
	}
	return t, true, nil
}

// FileUploaded starts the executions of the workflows the server's
// WorkflowDetails name for this upload (see workflow.Engine.FileUploaded).
func (s *Service) FileUploaded(ctx context.Context, ev UploadEvent) error {
	return s.Workflows().FileUploaded(ctx, ev)
}

// SendWorkflowStepState resumes an execution waiting for a CUSTOM step's
// callback: SUCCESS moves on to the next step, FAILURE fails the step
// (CUSTOM_STEP_FAILED) and runs the exception steps. A token that was
// already used, or that the execution is not waiting for, is refused with
// InvalidRequestException.
func (s *Service) SendWorkflowStepState(ctx context.Context, in *transferapi.SendWorkflowStepStateRequest) (*transferapi.SendWorkflowStepStateResponse, error) {
	sc := s.kit.Scope(ctx)
	err := s.store.View(ctx, func(tx store.Tx) error {
		if _, err := getWorkflow(tx, sc, *in.WorkflowId); err != nil {
			return err
		}
		_, err := svc.Get[executionRecord](tx, executionKey(sc, *in.WorkflowId, *in.ExecutionId),
			func() error { return executionNotFound(*in.ExecutionId) })
		return err
	})
	if err != nil {
		return nil, s.kit.Err("read execution", err)
	}
	success := *in.Status != transferapi.CustomStepStatusFailure
	var refused *workflow.TokenError
	switch err := s.Workflows().Resume(ctx, *in.WorkflowId, *in.ExecutionId, *in.Token, success); {
	case errors.Is(err, workflow.ErrNoExecution):
		return nil, executionNotFound(*in.ExecutionId)
	case errors.As(err, &refused):
		return nil, invalid("%s", refused.Error())
	case err != nil:
		return nil, s.kit.Err("resume execution", err)
	}
	return &transferapi.SendWorkflowStepStateResponse{}, nil
}

func (s *Service) describedExecution(e *executionRecord) *transferapi.DescribedExecution {
	d := &transferapi.DescribedExecution{
		ExecutionId: api.Ptr(e.ExecutionID), InitialFileLocation: e.Original.Location(),
		ServiceMetadata: &transferapi.ServiceMetadata{UserDetails: &transferapi.UserDetails{
			UserName: api.Ptr(e.UserName), ServerId: api.Ptr(e.ServerID), SessionId: svc.PtrIf(e.SessionID),
		}},
		ExecutionRole: svc.PtrIf(e.ExecutionRole), PosixProfile: e.PosixProfile, Status: api.Ptr(e.Status),
		LoggingConfiguration: &transferapi.LoggingConfiguration{
			LoggingRole: svc.PtrIf(e.LoggingRole), LogGroupName: api.Ptr("/aws/transfer/" + e.ServerID),
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
	sc := s.kit.Scope(ctx)
	var out *transferapi.DescribedExecution
	err := s.store.View(ctx, func(tx store.Tx) error {
		if _, err := getWorkflow(tx, sc, *in.WorkflowId); err != nil {
			return err
		}
		ex, found, err := svc.Lookup[executionRecord](tx, executionKey(sc, *in.WorkflowId, *in.ExecutionId))
		if err != nil {
			return err
		}
		if !found || !ex.InProgress() {
			return executionNotFound(*in.ExecutionId)
		}
		out = s.describedExecution(&ex)
		return nil
	})
	if err != nil {
		return nil, s.kit.Err("read execution", err)
	}
	return &transferapi.DescribeExecutionResponse{WorkflowId: in.WorkflowId, Execution: out}, nil
}

// ListExecutions pages through a workflow's executions in progress, in
// ascending order of id.
func (s *Service) ListExecutions(ctx context.Context, in *transferapi.ListExecutionsRequest) (*transferapi.ListExecutionsResponse, error) {
	sc := s.kit.Scope(ctx)
	out := &transferapi.ListExecutionsResponse{WorkflowId: in.WorkflowId, Executions: []transferapi.ListedExecution{}}
	err := s.store.View(ctx, func(tx store.Tx) error {
		if _, err := getWorkflow(tx, sc, *in.WorkflowId); err != nil {
			return err
		}
		coll := store.Collection{Scope: sc, Parent: workflowKey(sc, *in.WorkflowId).Path(), Kind: workflow.KindExecution}
		all, _, err := store.ListJSON[executionRecord](tx, coll, store.Page{})
		if err != nil {
			return err
		}
		all = slices.DeleteFunc(all, func(e executionRecord) bool { return !e.InProgress() })
		cur, err := s.kit.Cursor(coll, api.Val(in.NextToken), s.kit.Limit(in.MaxResults))
		if err != nil {
			return err
		}
		var page []executionRecord
		page, out.NextToken = svc.Page(cur, all, func(e executionRecord) string { return e.ExecutionID })
		for i := range page {
			d := s.describedExecution(&page[i])
			out.Executions = append(out.Executions, transferapi.ListedExecution{
				ExecutionId: d.ExecutionId, InitialFileLocation: d.InitialFileLocation,
				ServiceMetadata: d.ServiceMetadata, Status: d.Status,
			})
		}
		return nil
	})
	if err != nil {
		return nil, s.kit.Err("list executions", err)
	}
	return out, nil
}
