package transfer

import (
	"context"
	"fmt"
	"path"
	"time"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/transferapi"
	"github.com/ersatz-dev/ersatz/internal/files"
	"github.com/ersatz-dev/ersatz/internal/ids"
	"github.com/ersatz-dev/ersatz/internal/service/svc"
	"github.com/ersatz-dev/ersatz/internal/service/transfer/connector"
	"github.com/ersatz-dev/ersatz/internal/store"
)

// Connector operations: StartFileTransfer, StartDirectoryListing,
// StartRemoteDelete and StartRemoteMove check the request, record an
// operation (QUEUED), answer at once, and hand it to the connector runner
// (package connector), which does the work in the background and records
// each state change (IN_PROGRESS, then COMPLETED or FAILED with the reason)
// in the store. ListFileTransferResults reads those records.
//
// Local paths ("/bucket/key", "bucket/key") are objects of the S3 domain's
// object store (WithObjects). Remote paths are the SFTP server's.

const (
	rtOp = "Transfer"

	// DefaultListingMaxItems is StartDirectoryListing's MaxItems default
	// ("The default value is 1,000"), MaxListingItems its largest value
	// ("up to the maximum allowed list size of 200,000 items").
	DefaultListingMaxItems = 1000
	MaxListingItems        = 200000

	// OpResultRetention is how long operation results stay readable: "File
	// transfer results are available up to 7 days after an operation has
	// been requested."
	OpResultRetention = 7 * 24 * time.Hour
)

type (
	opRecord   = connector.Op
	fileResult = connector.FileResult
)

func opKey(sc store.Scope, connectorID, opID string) store.Key {
	return connector.OpKey(connectorKey(sc, connectorID), opID)
}

// localFile splits a local (S3 storage) path into its bucket and key; field
// names the request member for the error.
func localFile(p, field string, keyRequired bool) (bucket, key string, err error) {
	bucket, key, err = files.Split(p)
	if err != nil || (keyRequired && key == "") {
		what := "a path"
		if keyRequired {
			what = "a file path"
		}
		return "", "", invalid("%s %q must be %s in S3 storage: /<bucket>/<key>", field, p, what)
	}
	return bucket, key, nil
}

// readConnector reads the connector an operation names.
func (s *Service) readConnector(ctx context.Context, id string) (connectorRecord, error) {
	sc := s.kit.Scope(ctx)
	var rec connectorRecord
	err := s.store.View(ctx, func(tx store.Tx) error {
		var err error
		rec, err = getConnector(tx, sc, id)
		return err
	})
	return rec, err
}

// sftpConnectorFor reads a connector for an operation only SFTP connectors do.
func (s *Service) sftpConnectorFor(ctx context.Context, id, op string) (connectorRecord, error) {
	rec, err := s.readConnector(ctx, id)
	if err != nil {
		return rec, err
	}
	if !rec.isSFTP() {
		return rec, invalid("%s is only supported for SFTP connectors; %s is an AS2 connector", op, id)
	}
	return rec, nil
}

// startOp stores a new operation and, when run is set, hands it to the
// connector runner (which records it as FAILED at once when the service is
// closed).
func (s *Service) startOp(ctx context.Context, op *opRecord, run bool) error {
	sc := s.kit.Scope(ctx)
	now := s.clock()
	op.CreatedAt, op.UpdatedAt = now, now
	err := s.store.Update(ctx, func(tx store.Tx) error {
		if _, err := getConnector(tx, sc, op.ConnectorID); err != nil {
			return err
		}
		return store.PutJSON(tx, opKey(sc, op.ConnectorID, op.OpID), op)
	})
	if err != nil {
		return s.kit.Err("record connector operation", err)
	}
	if run {
		s.connectors().Start(ctx, *op)
	}
	return nil
}

// StartFileTransfer sends local files to an SFTP connector's server
// (SendFilePaths, optional RemoteDirectoryPath: the user's home directory by
// default) or retrieves remote files into the object store (RetrieveFilePaths
// and LocalDirectoryPath). For an AS2 connector the transfer is recorded
// with every file FAILED (AS2_NOT_EMULATED): Ersatz does not send AS2
// messages, and says so rather than pretend.
func (s *Service) StartFileTransfer(ctx context.Context, in *transferapi.StartFileTransferRequest) (*transferapi.StartFileTransferResponse, error) {
	conn, err := s.readConnector(ctx, *in.ConnectorId)
	if err != nil {
		return nil, s.kit.Err("StartFileTransfer", err)
	}
	op := &opRecord{OpID: ids.UUID(), ConnectorID: conn.ConnectorID, Kind: connector.KindTransfer}
	run := conn.isSFTP()
	if run {
		err = planSFTPTransfer(in, op)
	} else {
		err = planAS2Transfer(&conn, in, op)
	}
	if err != nil {
		return nil, err
	}
	if err := s.startOp(ctx, op, run); err != nil {
		return nil, err
	}
	return &transferapi.StartFileTransferResponse{TransferId: api.Ptr(op.OpID)}, nil
}

func planAS2Transfer(conn *connectorRecord, in *transferapi.StartFileTransferRequest, op *opRecord) error {
	switch {
	case len(in.SendFilePaths) == 0:
		return invalid("SendFilePaths is required for an AS2 connector")
	case in.RetrieveFilePaths != nil:
		return invalid("RetrieveFilePaths can only be used with SFTP connectors")
	case in.LocalDirectoryPath != nil || in.RemoteDirectoryPath != nil:
		return invalid("LocalDirectoryPath and RemoteDirectoryPath can only be used with SFTP connectors")
	}
	for i, p := range in.SendFilePaths {
		if _, _, err := localFile(p, fmt.Sprintf("SendFilePaths[%d]", i), true); err != nil {
			return err
		}
		op.Files = append(op.Files, fileResult{
			Source: p, Path: p, Status: transferapi.TransferTableStatusFailed, FailureCode: connector.CodeAS2,
			FailureMessage: fmt.Sprintf("AS2 sending is not emulated by Ersatz: %s was not sent to %s", p, conn.URL),
		})
	}
	op.Direction = connector.DirSend
	return nil
}

func planSFTPTransfer(in *transferapi.StartFileTransferRequest, op *opRecord) error {
	if len(in.CustomHttpHeaders) > 0 {
		return invalid("CustomHttpHeaders can only be used with AS2 connectors")
	}
	send, retrieve := len(in.SendFilePaths) > 0, len(in.RetrieveFilePaths) > 0
	switch {
	case send && retrieve:
		return invalid("Specify either SendFilePaths or RetrieveFilePaths, not both")
	case !send && !retrieve:
		return invalid("Either SendFilePaths (with an optional RemoteDirectoryPath) or RetrieveFilePaths (with LocalDirectoryPath) is required")
	case send && in.LocalDirectoryPath != nil:
		return invalid("LocalDirectoryPath is for RetrieveFilePaths; to send files use RemoteDirectoryPath")
	case retrieve && in.RemoteDirectoryPath != nil:
		return invalid("RemoteDirectoryPath is for SendFilePaths; to retrieve files use LocalDirectoryPath")
	case retrieve && in.LocalDirectoryPath == nil:
		return invalid("LocalDirectoryPath is required with RetrieveFilePaths")
	}
	queued := transferapi.TransferTableStatusQueued
	if send {
		op.Direction, op.RemoteDir = connector.DirSend, api.Val(in.RemoteDirectoryPath)
		for i, p := range in.SendFilePaths {
			if _, _, err := localFile(p, fmt.Sprintf("SendFilePaths[%d]", i), true); err != nil {
				return err
			}
			remote := path.Base(p)
			if op.RemoteDir != "" {
				remote = path.Join(op.RemoteDir, remote)
			}
			op.Files = append(op.Files, fileResult{Source: p, Path: remote, Status: queued})
		}
		return nil
	}
	op.Direction, op.LocalDir = connector.DirRetrieve, *in.LocalDirectoryPath
	if _, _, err := localFile(op.LocalDir, "LocalDirectoryPath", false); err != nil {
		return err
	}
	for _, p := range in.RetrieveFilePaths {
		op.Files = append(op.Files, fileResult{Source: p, Path: p, Status: queued})
	}
	return nil
}

// StartDirectoryListing lists one level of a remote directory (at most
// MaxItems entries, 1,000 by default, in name order) into the JSON file
// <connector-id>-<listing-id>.json of OutputDirectoryPath.
func (s *Service) StartDirectoryListing(ctx context.Context, in *transferapi.StartDirectoryListingRequest) (*transferapi.StartDirectoryListingResponse, error) {
	conn, err := s.sftpConnectorFor(ctx, *in.ConnectorId, "StartDirectoryListing")
	if err != nil {
		return nil, s.kit.Err("StartDirectoryListing", err)
	}
	if _, _, err := localFile(*in.OutputDirectoryPath, "OutputDirectoryPath", false); err != nil {
		return nil, err
	}
	maxItems := DefaultListingMaxItems
	if in.MaxItems != nil {
		if *in.MaxItems > MaxListingItems {
			return nil, invalid("MaxItems is %d; the maximum is %d", *in.MaxItems, MaxListingItems)
		}
		maxItems = int(*in.MaxItems)
	}
	op := &opRecord{
		OpID: ids.UUID(), ConnectorID: conn.ConnectorID, Kind: connector.KindListing, RemoteDir: *in.RemoteDirectoryPath,
		OutputDir: *in.OutputDirectoryPath, MaxItems: maxItems,
		Files: []fileResult{{Source: *in.RemoteDirectoryPath, Path: *in.RemoteDirectoryPath, Status: transferapi.TransferTableStatusQueued}},
	}
	op.OutputFile = conn.ConnectorID + "-" + op.OpID + ".json"
	if err := s.startOp(ctx, op, true); err != nil {
		return nil, err
	}
	return &transferapi.StartDirectoryListingResponse{ListingId: api.Ptr(op.OpID), OutputFileName: api.Ptr(op.OutputFile)}, nil
}

// StartRemoteDelete deletes a file, or an empty directory, on the remote
// server.
func (s *Service) StartRemoteDelete(ctx context.Context, in *transferapi.StartRemoteDeleteRequest) (*transferapi.StartRemoteDeleteResponse, error) {
	conn, err := s.sftpConnectorFor(ctx, *in.ConnectorId, "StartRemoteDelete")
	if err != nil {
		return nil, s.kit.Err("StartRemoteDelete", err)
	}
	op := &opRecord{
		OpID: ids.UUID(), ConnectorID: conn.ConnectorID, Kind: connector.KindDelete,
		Files: []fileResult{{Source: *in.DeletePath, Path: *in.DeletePath, Status: transferapi.TransferTableStatusQueued}},
	}
	if err := s.startOp(ctx, op, true); err != nil {
		return nil, err
	}
	return &transferapi.StartRemoteDeleteResponse{DeleteId: api.Ptr(op.OpID)}, nil
}

// StartRemoteMove moves or renames a file or directory on the remote server.
func (s *Service) StartRemoteMove(ctx context.Context, in *transferapi.StartRemoteMoveRequest) (*transferapi.StartRemoteMoveResponse, error) {
	conn, err := s.sftpConnectorFor(ctx, *in.ConnectorId, "StartRemoteMove")
	if err != nil {
		return nil, s.kit.Err("StartRemoteMove", err)
	}
	if path.Clean(*in.SourcePath) == path.Clean(*in.TargetPath) {
		return nil, invalid("SourcePath and TargetPath are the same path: %s", *in.SourcePath)
	}
	op := &opRecord{
		OpID: ids.UUID(), ConnectorID: conn.ConnectorID, Kind: connector.KindMove, Target: *in.TargetPath,
		Files: []fileResult{{Source: *in.SourcePath, Path: *in.SourcePath, Status: transferapi.TransferTableStatusQueued}},
	}
	if err := s.startOp(ctx, op, true); err != nil {
		return nil, err
	}
	return &transferapi.StartRemoteMoveResponse{MoveId: api.Ptr(op.OpID)}, nil
}

// ListFileTransferResults pages through the files of a transfer, in the
// order the request named them, with their status. Ersatz also answers it
// for the ids of StartDirectoryListing, StartRemoteDelete and
// StartRemoteMove (one result: the path acted on), since it has no
// EventBridge or CloudWatch to report those outcomes in. Results older than
// seven days are gone (ResourceNotFoundException).
func (s *Service) ListFileTransferResults(ctx context.Context, in *transferapi.ListFileTransferResultsRequest) (*transferapi.ListFileTransferResultsResponse, error) {
	sc := s.kit.Scope(ctx)
	out := &transferapi.ListFileTransferResultsResponse{FileTransferResults: []transferapi.ConnectorFileTransferResult{}}
	err := s.store.View(ctx, func(tx store.Tx) error {
		if _, err := getConnector(tx, sc, *in.ConnectorId); err != nil {
			return err
		}
		key := opKey(sc, *in.ConnectorId, *in.TransferId)
		op, found, err := svc.Lookup[opRecord](tx, key)
		if err != nil {
			return err
		}
		if !found || s.clock().Sub(op.CreatedAt) > OpResultRetention {
			return notFound("Unknown transfer", *in.TransferId, rtOp)
		}
		type indexed struct {
			id string
			r  fileResult
		}
		items := make([]indexed, len(op.Files))
		for i, f := range op.Files {
			items[i] = indexed{id: fmt.Sprintf("%06d", i), r: f}
		}
		coll := store.Collection{Scope: sc, Parent: key.Path(), Kind: "result"}
		cur, err := s.kit.Cursor(coll, api.Val(in.NextToken), s.kit.Limit(in.MaxResults))
		if err != nil {
			return err
		}
		var page []indexed
		page, out.NextToken = svc.Page(cur, items, func(it indexed) string { return it.id })
		for _, it := range page {
			out.FileTransferResults = append(out.FileTransferResults, transferapi.ConnectorFileTransferResult{
				FilePath: api.Ptr(it.r.Path), StatusCode: api.Ptr(it.r.Status),
				FailureCode: svc.PtrIf(it.r.FailureCode), FailureMessage: svc.PtrIf(it.r.FailureMessage),
			})
		}
		return nil
	})
	if err != nil {
		return nil, s.kit.Err("list file transfer results", err)
	}
	return out, nil
}
