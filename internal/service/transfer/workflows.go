package transfer

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/transferapi"
	"github.com/ersatz-dev/ersatz/internal/ids"
	"github.com/ersatz-dev/ersatz/internal/service/svc"
	"github.com/ersatz-dev/ersatz/internal/store"
)

const (
	kindWorkflow       = "workflow"
	rtWorkflow         = "Workflow"
	msgUnknownWorkflow = "Unknown workflow"

	// The two values of a step's SourceFileLocation.
	previousFile = "${previous.file}"
	originalFile = "${original.file}"
)

// workflowRecord is a managed workflow: the steps run after an upload and
// the steps run when one of them fails.
type workflowRecord struct {
	WorkflowID       string                     `json:"workflowId"`
	Arn              string                     `json:"arn"`
	Description      string                     `json:"description,omitempty"`
	Steps            []transferapi.WorkflowStep `json:"steps"`
	OnExceptionSteps []transferapi.WorkflowStep `json:"onExceptionSteps,omitempty"`
	CreatedAt        time.Time                  `json:"createdAt"`
}

func workflowKey(sc store.Scope, id string) store.Key {
	return store.Key{Scope: sc, Kind: kindWorkflow, ID: id}
}

func workflowNotFound(id string) error { return notFound(msgUnknownWorkflow, id, rtWorkflow) }

func getWorkflow(tx store.Tx, sc store.Scope, id string) (workflowRecord, error) {
	return getRecord[workflowRecord](tx, workflowKey(sc, id), workflowNotFound)
}

// validateSteps checks each step of a list (field is "Steps" or
// "OnExceptionSteps"): a Type, exactly the details of that type, and the
// members each type needs.
func validateSteps(field string, steps []transferapi.WorkflowStep) error {
	for i, st := range steps {
		f := fmt.Sprintf("%s[%d]", field, i)
		if st.Type == nil {
			return invalid("%s.Type is required (one of %v)", f, transferapi.WorkflowStepTypeValues)
		}
		details := map[string]bool{
			transferapi.WorkflowStepTypeCopy:    st.CopyStepDetails != nil,
			transferapi.WorkflowStepTypeCustom:  st.CustomStepDetails != nil,
			transferapi.WorkflowStepTypeTag:     st.TagStepDetails != nil,
			transferapi.WorkflowStepTypeDelete:  st.DeleteStepDetails != nil,
			transferapi.WorkflowStepTypeDecrypt: st.DecryptStepDetails != nil,
		}
		for _, typ := range transferapi.WorkflowStepTypeValues {
			if details[typ] && typ != *st.Type {
				return invalid("%s is a %s step; it cannot have %s", f, *st.Type, detailsMember(typ))
			}
		}
		if !details[*st.Type] {
			return invalid("%s.%s is required for a %s step", f, detailsMember(*st.Type), *st.Type)
		}
		var source *string
		switch *st.Type {
		case transferapi.WorkflowStepTypeCopy:
			d := st.CopyStepDetails
			source = d.SourceFileLocation
			loc := f + ".CopyStepDetails.DestinationFileLocation"
			if d.DestinationFileLocation == nil {
				return invalid("%s is required", loc)
			}
			if d.DestinationFileLocation.EfsFileLocation != nil || d.DestinationFileLocation.S3FileLocation == nil {
				return invalid("%s must be an S3FileLocation: copying is supported only on S3", loc)
			}
			if api.Val(d.DestinationFileLocation.S3FileLocation.Bucket) == "" {
				return invalid("%s.S3FileLocation.Bucket is required", loc)
			}
		case transferapi.WorkflowStepTypeCustom:
			d := st.CustomStepDetails
			source = d.SourceFileLocation
			if api.Val(d.Target) == "" {
				return invalid("%s.CustomStepDetails.Target (the Lambda function's ARN) is required", f)
			}
		case transferapi.WorkflowStepTypeTag:
			d := st.TagStepDetails
			source = d.SourceFileLocation
			if len(d.Tags) == 0 {
				return invalid("%s.TagStepDetails.Tags must hold 1 to 10 tags", f)
			}
			seen := map[string]bool{}
			for _, t := range d.Tags {
				if seen[api.Val(t.Key)] {
					return invalid("%s.TagStepDetails.Tags lists the key %q more than once", f, api.Val(t.Key))
				}
				seen[api.Val(t.Key)] = true
			}
		case transferapi.WorkflowStepTypeDelete:
			source = st.DeleteStepDetails.SourceFileLocation
		case transferapi.WorkflowStepTypeDecrypt:
			d := st.DecryptStepDetails
			source = d.SourceFileLocation
			loc := f + ".DecryptStepDetails.DestinationFileLocation"
			l := d.DestinationFileLocation
			switch {
			case (l.S3FileLocation == nil) == (l.EfsFileLocation == nil):
				return invalid("%s must have exactly one of S3FileLocation and EfsFileLocation", loc)
			case l.S3FileLocation != nil && api.Val(l.S3FileLocation.Bucket) == "":
				return invalid("%s.S3FileLocation.Bucket is required", loc)
			case l.EfsFileLocation != nil && (api.Val(l.EfsFileLocation.FileSystemId) == "" || api.Val(l.EfsFileLocation.Path) == ""):
				return invalid("%s.EfsFileLocation.FileSystemId and Path are required", loc)
			}
		}
		if source != nil && *source != previousFile && *source != originalFile {
			return invalid("%s SourceFileLocation %q must be %s or %s", f, *source, previousFile, originalFile)
		}
	}
	return nil
}

func detailsMember(stepType string) string {
	switch stepType {
	case transferapi.WorkflowStepTypeCopy:
		return "CopyStepDetails"
	case transferapi.WorkflowStepTypeCustom:
		return "CustomStepDetails"
	case transferapi.WorkflowStepTypeTag:
		return "TagStepDetails"
	case transferapi.WorkflowStepTypeDelete:
		return "DeleteStepDetails"
	default:
		return "DecryptStepDetails"
	}
}

// CreateWorkflow checks every step and stores the workflow.
func (s *Service) CreateWorkflow(ctx context.Context, in *transferapi.CreateWorkflowRequest) (*transferapi.CreateWorkflowResponse, error) {
	if len(in.Steps) == 0 {
		return nil, invalid("Steps must hold at least one step")
	}
	if err := validateSteps("Steps", in.Steps); err != nil {
		return nil, err
	}
	if err := validateSteps("OnExceptionSteps", in.OnExceptionSteps); err != nil {
		return nil, err
	}
	tags, err := checkNewTags(in.Tags)
	if err != nil {
		return nil, err
	}
	rec := workflowRecord{
		WorkflowID: ids.Hex17("w-"), Description: api.Val(in.Description),
		Steps: slices.Clone(in.Steps), OnExceptionSteps: slices.Clone(in.OnExceptionSteps), CreatedAt: s.clock(),
	}
	rec.Arn = s.kit.ARN(ctx, "workflow/"+rec.WorkflowID)
	key := workflowKey(s.kit.Scope(ctx), rec.WorkflowID)
	err = s.create(ctx, key, &rec, tags, nil)
	if err != nil {
		return nil, s.kit.Err("CreateWorkflow", err)
	}
	return &transferapi.CreateWorkflowResponse{WorkflowId: api.Ptr(rec.WorkflowID)}, nil
}

// DescribeWorkflow returns a workflow's steps and tags.
func (s *Service) DescribeWorkflow(ctx context.Context, in *transferapi.DescribeWorkflowRequest) (*transferapi.DescribeWorkflowResponse, error) {
	sc := s.kit.Scope(ctx)
	out, err := describe(ctx, s.store,
		func(tx store.Tx) (workflowRecord, error) { return getWorkflow(tx, sc, *in.WorkflowId) },
		func(rec *workflowRecord) store.Key { return workflowKey(sc, rec.WorkflowID) },
		func(rec *workflowRecord, tags []transferapi.Tag) *transferapi.DescribedWorkflow {
			return &transferapi.DescribedWorkflow{
				Arn: api.Ptr(rec.Arn), Description: svc.PtrIf(rec.Description), Steps: rec.Steps,
				OnExceptionSteps: rec.OnExceptionSteps, WorkflowId: api.Ptr(rec.WorkflowID), Tags: tags,
			}
		})
	if err != nil {
		return nil, s.kit.Err("DescribeWorkflow", err)
	}
	return &transferapi.DescribeWorkflowResponse{Workflow: out}, nil
}

// ListWorkflows pages through the workflows in ascending order of id.
func (s *Service) ListWorkflows(ctx context.Context, in *transferapi.ListWorkflowsRequest) (*transferapi.ListWorkflowsResponse, error) {
	sc := s.kit.Scope(ctx)
	items, next, err := listPage(ctx, s, inScope(store.Collection{Scope: sc, Kind: kindWorkflow}), in.NextToken, in.MaxResults, []transferapi.ListedWorkflow{},
		func(r *workflowRecord) transferapi.ListedWorkflow {
			return transferapi.ListedWorkflow{
				WorkflowId: api.Ptr(r.WorkflowID), Description: svc.PtrIf(r.Description), Arn: api.Ptr(r.Arn),
			}
		})
	if err != nil {
		return nil, s.kit.Err("ListWorkflows", err)
	}
	return &transferapi.ListWorkflowsResponse{Workflows: items, NextToken: next}, nil
}

// DeleteWorkflow deletes a workflow with its executions. A workflow a
// server's WorkflowDetails names cannot vanish: AWS refuses with
// InvalidRequestException "Workflow is still in use by server s-...".
func (s *Service) DeleteWorkflow(ctx context.Context, in *transferapi.DeleteWorkflowRequest) error {
	sc := s.kit.Scope(ctx)
	err := s.store.Update(ctx, func(tx store.Tx) error {
		if _, err := getWorkflow(tx, sc, *in.WorkflowId); err != nil {
			return err
		}
		servers, _, err := store.ListJSON[serverRecord](tx, store.Collection{Scope: sc, Kind: "server"}, store.Page{})
		if err != nil {
			return err
		}
		for _, srv := range servers {
			if usesWorkflow(srv.WorkflowDetails, *in.WorkflowId) {
				return invalid("Workflow is still in use by server %s", srv.ServerID)
			}
		}
		return tx.Delete(workflowKey(sc, *in.WorkflowId))
	})
	return s.kit.Err("DeleteWorkflow", err)
}

func usesWorkflow(wd *transferapi.WorkflowDetails, id string) bool {
	if wd == nil {
		return false
	}
	for _, d := range slices.Concat(wd.OnUpload, wd.OnPartialUpload) {
		if api.Val(d.WorkflowId) == id {
			return true
		}
	}
	return false
}

// checkWorkflowDetails is CreateServer's and UpdateServer's check of
// WorkflowDetails: every workflow it names must exist
// (ResourceNotFoundException otherwise).
func checkWorkflowDetails(tx store.Tx, sc store.Scope, wd *transferapi.WorkflowDetails) error {
	if wd == nil {
		return nil
	}
	for _, d := range slices.Concat(wd.OnUpload, wd.OnPartialUpload) {
		if _, err := getWorkflow(tx, sc, api.Val(d.WorkflowId)); err != nil {
			return err
		}
	}
	return nil
}
