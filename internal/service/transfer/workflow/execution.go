package workflow

import (
	"time"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/transferapi"
	"github.com/ersatz-dev/ersatz/internal/files"
)

// File is a file an execution works on.
type File struct {
	Domain    string `json:"domain"`    // S3 or EFS
	Container string `json:"container"` // bucket or file system id
	Key       string `json:"key"`       // key or path inside it
}

func (f File) String() string { return "/" + f.Container + "/" + f.Key }

// Location is the file as the API's FileLocation.
func (f File) Location() *transferapi.FileLocation {
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

// Execution is one run of a workflow, as stored.
type Execution struct {
	ExecutionID   string                       `json:"executionId"`
	WorkflowID    string                       `json:"workflowId"`
	Status        string                       `json:"status"`
	ServerID      string                       `json:"serverId"`
	UserName      string                       `json:"userName"`
	SessionID     string                       `json:"sessionId,omitempty"`
	ExecutionRole string                       `json:"executionRole,omitempty"`
	LoggingRole   string                       `json:"loggingRole,omitempty"`
	PosixProfile  *transferapi.PosixProfile    `json:"posixProfile,omitempty"`
	Original      File                         `json:"original"`
	Current       File                         `json:"current"`
	UploadDate    string                       `json:"uploadDate"`
	Phase         string                       `json:"phase"`
	Next          int                          `json:"next"` // index of the next step of Phase
	Results       transferapi.ExecutionResults `json:"results"`
	Pending       *pendingStep                 `json:"pending,omitempty"`
	UsedTokens    []string                     `json:"usedTokens,omitempty"`
	StartedAt     time.Time                    `json:"startedAt"`
	UpdatedAt     time.Time                    `json:"updatedAt"`
}

// InProgress reports whether the execution still runs (IN_PROGRESS or
// HANDLING_EXCEPTION).
func (x *Execution) InProgress() bool {
	return x.Status == transferapi.ExecutionStatusInProgress || x.Status == transferapi.ExecutionStatusHandlingException
}

// results returns the result list of the execution's phase.
func (x *Execution) results() *[]transferapi.ExecutionStepResult {
	if x.Phase == phaseException {
		return &x.Results.OnExceptionSteps
	}
	return &x.Results.Steps
}

// finishStep records the result of the step at x.Next and moves on: to the
// next step, to the exception steps (the first failure of the steps), or
// to the end (a failure of an exception step, or no exception steps).
func (x *Execution) finishStep(wf *Definition, res transferapi.ExecutionStepResult, replace bool, out *File) {
	r := x.results()
	if replace && len(*r) > 0 {
		(*r)[len(*r)-1] = res
	} else {
		*r = append(*r, res)
	}
	x.Pending = nil
	if res.Error == nil {
		x.Next++
		if out != nil {
			x.Current = *out
		}
		return
	}
	if x.Phase == phaseSteps && len(wf.OnExceptionSteps) > 0 {
		x.Phase, x.Next, x.Status = phaseException, 0, transferapi.ExecutionStatusHandlingException
		return
	}
	x.Status = transferapi.ExecutionStatusException
}
