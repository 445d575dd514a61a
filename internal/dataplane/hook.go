package dataplane

import (
	"context"

	"github.com/ersatz-dev/ersatz/internal/service/transfer"
)

// UploadNotifier is the transfer service's entry point for OnUpload and
// OnPartialUpload workflows.
type UploadNotifier interface {
	FileUploaded(ctx context.Context, ev transfer.UploadEvent) error
}

// UploadHookFor adapts n into an UploadHook (nil for a nil n).
func UploadHookFor(n UploadNotifier) UploadHook {
	if n == nil {
		return nil
	}
	return func(ctx context.Context, u Upload) error {
		return n.FileUploaded(ctx, transfer.UploadEvent{
			Account: u.Account, Region: u.Region, ServerID: u.ServerID, UserName: u.UserName,
			SessionID: u.SessionID, Path: "/" + u.Bucket + "/" + u.Key, Size: u.Size, Partial: u.Partial,
		})
	}
}
