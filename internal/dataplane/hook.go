package dataplane

import (
	"context"

	"github.com/ersatz-dev/ersatz/internal/service/transfer/workflow"
)

// UploadNotifier starts the OnUpload and OnPartialUpload workflows of an
// upload: the Transfer service's workflow engine (workflow.Engine).
type UploadNotifier interface {
	FileUploaded(ctx context.Context, ev workflow.Upload) error
}

// UploadHookFor adapts n into an UploadHook (nil for a nil n).
func UploadHookFor(n UploadNotifier) UploadHook {
	if n == nil {
		return nil
	}
	return func(ctx context.Context, u Upload) error {
		return n.FileUploaded(ctx, workflow.Upload{
			Account: u.Account, Region: u.Region, ServerID: u.ServerID, UserName: u.UserName,
			SessionID: u.SessionID, Path: "/" + u.Bucket + "/" + u.Key, Size: u.Size, Partial: u.Partial,
		})
	}
}
