package transfer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"time"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/transferapi"
	"github.com/ersatz-dev/ersatz/internal/files"
	"github.com/ersatz-dev/ersatz/internal/ids"
	"github.com/ersatz-dev/ersatz/internal/store"
)

// Connector operations: StartFileTransfer, StartDirectoryListing,
// StartRemoteDelete and StartRemoteMove record an operation (QUEUED), answer
// at once, and do the work on a goroutine that records each state change
// (IN_PROGRESS, then COMPLETED or FAILED with the reason) in the store.
// ListFileTransferResults reads those records.
//
// Local paths ("/bucket/key", "bucket/key") are in the local S3 storage
// (internal/files). Remote paths are the SFTP server's.

const (
	kindOp = "op"
	rtOp   = "Transfer"

	opTransfer = "TRANSFER"
	opListing  = "LISTING"
	opDelete   = "DELETE"
	opMove     = "MOVE"

	dirSend     = "SEND"
	dirRetrieve = "RETRIEVE"

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

// opRecord is one connector operation and the state of each of its files.
type opRecord struct {
	OpID        string       `json:"opId"`
	ConnectorID string       `json:"connectorId"`
	Kind        string       `json:"kind"`
	Direction   string       `json:"direction,omitempty"`
	LocalDir    string       `json:"localDir,omitempty"`
	RemoteDir   string       `json:"remoteDir,omitempty"`
	OutputDir   string       `json:"outputDir,omitempty"`
	OutputFile  string       `json:"outputFile,omitempty"`
	MaxItems    int          `json:"maxItems,omitempty"`
	Target      string       `json:"target,omitempty"`
	Files       []fileResult `json:"files"`
	CreatedAt   time.Time    `json:"createdAt"`
	UpdatedAt   time.Time    `json:"updatedAt"`
}

// fileResult is one file of an operation. Source is the path the request
// named; Path is the one ListFileTransferResults reports (the remote path
// the file was sent to or retrieved from).
type fileResult struct {
	Source         string `json:"source"`
	Path           string `json:"path"`
	Status         string `json:"status"`
	FailureCode    string `json:"failureCode,omitempty"`
	FailureMessage string `json:"failureMessage,omitempty"`
}

func opKey(sc store.Scope, connectorID, opID string) store.Key {
	return connectorKey(sc, connectorID).Child(kindOp, opID)
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

// sftpConnectorFor reads a connector for an operation only SFTP connectors do.
func (s *Service) sftpConnectorFor(ctx context.Context, id, op string) (connectorRecord, error) {
	var rec connectorRecord
	err := s.store.View(ctx, func(tx store.Tx) error {
		var err error
		rec, err = getConnector(tx, scope(ctx), id)
		return err
	})
	if err != nil {
		return rec, err
	}
	if !rec.isSFTP() {
		return rec, invalid("%s is only supported for SFTP connectors; %s is an AS2 connector", op, id)
	}
	return rec, nil
}

// startOp stores a new operation and starts run on a goroutine. When the
// service is closed the operation is recorded as FAILED at once.
func (s *Service) startOp(ctx context.Context, op *opRecord, run func(ctx context.Context, op opRecord)) error {
	sc := scope(ctx)
	now := s.clock()
	op.CreatedAt, op.UpdatedAt = now, now
	err := s.store.Update(ctx, func(tx store.Tx) error {
		if _, err := getConnector(tx, sc, op.ConnectorID); err != nil {
			return err
		}
		if err := store.PutJSON(tx, opKey(sc, op.ConnectorID, op.OpID), op); err != nil {
			return storeErr("record connector operation", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if run == nil {
		return nil
	}
	rec := *op
	if !s.spawn(api.CallerFrom(ctx), func(bg context.Context) { run(bg, rec) }) {
		s.failRemaining(ctx, sc, rec, failf(codeCancelled, "Ersatz is shutting down; the operation did not run"))
	}
	return nil
}

// updateOp applies fn to a stored operation. It reports false when the
// operation (or its connector) no longer exists.
func (s *Service) updateOp(ctx context.Context, sc store.Scope, connectorID, opID string, fn func(*opRecord)) bool {
	wctx, cancel := storeCtx(ctx)
	defer cancel()
	err := s.store.Update(wctx, func(tx store.Tx) error {
		op, err := store.GetJSON[opRecord](tx, opKey(sc, connectorID, opID))
		if err != nil {
			return err
		}
		fn(&op)
		op.UpdatedAt = s.clock()
		return store.PutJSON(tx, opKey(sc, connectorID, opID), op)
	})
	return err == nil
}

func (s *Service) setFile(ctx context.Context, sc store.Scope, op opRecord, i int, status string, fail *opFailure) bool {
	return s.updateOp(ctx, sc, op.ConnectorID, op.OpID, func(o *opRecord) {
		if i >= len(o.Files) {
			return
		}
		f := &o.Files[i]
		f.Status, f.FailureCode, f.FailureMessage = status, "", ""
		if fail != nil {
			f.FailureCode, f.FailureMessage = fail.code, fail.msg
		}
	})
}

// failRemaining marks every file not yet COMPLETED or FAILED as FAILED.
func (s *Service) failRemaining(ctx context.Context, sc store.Scope, op opRecord, fail *opFailure) {
	s.updateOp(ctx, sc, op.ConnectorID, op.OpID, func(o *opRecord) {
		for i := range o.Files {
			f := &o.Files[i]
			if f.Status != transferapi.TransferTableStatusCompleted && f.Status != transferapi.TransferTableStatusFailed {
				f.Status, f.FailureCode, f.FailureMessage = transferapi.TransferTableStatusFailed, fail.code, fail.msg
			}
		}
	})
}

// ctxFailure is the failure of work stopped by its context.
func ctxFailure(ctx context.Context, timeout time.Duration) *opFailure {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return failf(codeTimeout, "the operation did not finish within %s", timeout)
	}
	return failf(codeCancelled, "the operation was cancelled: Ersatz is shutting down")
}

// withRemote runs an operation's work on an open SFTP session, recording a
// connection failure (or the context's end) on every unfinished file.
func (s *Service) withRemote(ctx context.Context, op opRecord, work func(octx context.Context, rc *remoteConn) *opFailure) {
	sc := scope(ctx)
	timeout := s.b2bConf().opTimeout
	octx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var conn connectorRecord
	err := s.store.View(octx, func(tx store.Tx) error {
		var err error
		conn, err = getConnector(tx, sc, op.ConnectorID)
		return err
	})
	if err != nil {
		return // the connector was deleted: its operations went with it
	}
	rc, _, fail := s.dialConnector(octx, &conn)
	if fail == nil {
		fail = work(octx, rc)
		_ = rc.Close()
	}
	if fail == nil && octx.Err() != nil {
		fail = ctxFailure(octx, timeout)
	}
	if fail != nil {
		s.failRemaining(ctx, sc, op, fail)
	}
}

// StartFileTransfer sends local files to an SFTP connector's server
// (SendFilePaths, optional RemoteDirectoryPath: the user's home directory by
// default) or retrieves remote files into local storage (RetrieveFilePaths
// and LocalDirectoryPath). For an AS2 connector the transfer is recorded
// with every file FAILED (AS2_NOT_EMULATED): Ersatz does not send AS2
// messages, and says so rather than pretend.
func (s *Service) StartFileTransfer(ctx context.Context, in *transferapi.StartFileTransferRequest) (*transferapi.StartFileTransferResponse, error) {
	var conn connectorRecord
	err := s.store.View(ctx, func(tx store.Tx) error {
		var err error
		conn, err = getConnector(tx, scope(ctx), *in.ConnectorId)
		return err
	})
	if err != nil {
		return nil, err
	}
	op := &opRecord{OpID: ids.UUID(), ConnectorID: conn.ConnectorID, Kind: opTransfer}
	var run func(context.Context, opRecord)
	if conn.isSFTP() {
		run, err = s.planSFTPTransfer(in, op)
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
			Source: p, Path: p, Status: transferapi.TransferTableStatusFailed, FailureCode: codeAS2,
			FailureMessage: fmt.Sprintf("AS2 sending is not emulated by Ersatz: %s was not sent to %s", p, conn.URL),
		})
	}
	op.Direction = dirSend
	return nil
}

func (s *Service) planSFTPTransfer(in *transferapi.StartFileTransferRequest, op *opRecord) (func(context.Context, opRecord), error) {
	if len(in.CustomHttpHeaders) > 0 {
		return nil, invalid("CustomHttpHeaders can only be used with AS2 connectors")
	}
	send, retrieve := len(in.SendFilePaths) > 0, len(in.RetrieveFilePaths) > 0
	switch {
	case send && retrieve:
		return nil, invalid("Specify either SendFilePaths or RetrieveFilePaths, not both")
	case !send && !retrieve:
		return nil, invalid("Either SendFilePaths (with an optional RemoteDirectoryPath) or RetrieveFilePaths (with LocalDirectoryPath) is required")
	case send && in.LocalDirectoryPath != nil:
		return nil, invalid("LocalDirectoryPath is for RetrieveFilePaths; to send files use RemoteDirectoryPath")
	case retrieve && in.RemoteDirectoryPath != nil:
		return nil, invalid("RemoteDirectoryPath is for SendFilePaths; to retrieve files use LocalDirectoryPath")
	case retrieve && in.LocalDirectoryPath == nil:
		return nil, invalid("LocalDirectoryPath is required with RetrieveFilePaths")
	}
	queued := transferapi.TransferTableStatusQueued
	if send {
		op.Direction, op.RemoteDir = dirSend, api.Val(in.RemoteDirectoryPath)
		for i, p := range in.SendFilePaths {
			if _, _, err := localFile(p, fmt.Sprintf("SendFilePaths[%d]", i), true); err != nil {
				return nil, err
			}
			remote := path.Base(p)
			if op.RemoteDir != "" {
				remote = path.Join(op.RemoteDir, remote)
			}
			op.Files = append(op.Files, fileResult{Source: p, Path: remote, Status: queued})
		}
		return s.runSend, nil
	}
	op.Direction, op.LocalDir = dirRetrieve, *in.LocalDirectoryPath
	if _, _, err := localFile(op.LocalDir, "LocalDirectoryPath", false); err != nil {
		return nil, err
	}
	for _, p := range in.RetrieveFilePaths {
		op.Files = append(op.Files, fileResult{Source: p, Path: p, Status: queued})
	}
	return s.runRetrieve, nil
}

// runSend copies each local file to the remote server.
func (s *Service) runSend(ctx context.Context, op opRecord) {
	sc := scope(ctx)
	s.withRemote(ctx, op, func(octx context.Context, rc *remoteConn) *opFailure {
		for i, f := range op.Files {
			if octx.Err() != nil {
				return ctxFailure(octx, s.b2bConf().opTimeout)
			}
			if !s.setFile(ctx, sc, op, i, transferapi.TransferTableStatusInProgress, nil) {
				return nil
			}
			fail := s.sendOne(octx, rc, f)
			status := transferapi.TransferTableStatusCompleted
			if fail != nil {
				status = transferapi.TransferTableStatusFailed
			}
			if !s.setFile(ctx, sc, op, i, status, fail) {
				return nil
			}
		}
		return nil
	})
}

func (s *Service) sendOne(ctx context.Context, rc *remoteConn, f fileResult) *opFailure {
	bucket, key, _ := files.Split(f.Source)
	root, err := s.b2bConf().files.Container(files.S3, bucket)
	if err != nil {
		return failf(codeLocal, "cannot open local bucket %s: %v", bucket, err)
	}
	defer root.Close()
	src, err := root.Open(key)
	if errors.Is(err, os.ErrNotExist) {
		return failf(codeSendNotFound, "local file %s does not exist", f.Source)
	}
	if err != nil {
		return failf(codeLocal, "cannot read local file %s: %v", f.Source, err)
	}
	defer src.Close()
	if st, err := src.Stat(); err == nil && st.IsDir() {
		return failf(codeSendNotFound, "local path %s is a directory, not a file", f.Source)
	}
	dst, err := rc.sftp.OpenFile(f.Path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC)
	if err != nil {
		return remoteFailure(err, codeRemoteNotFound, "the remote directory of", f.Path)
	}
	_, cerr := io.Copy(dst, src)
	clerr := dst.Close()
	if cerr == nil {
		cerr = clerr
	}
	if cerr != nil {
		if ctx.Err() != nil {
			return ctxFailure(ctx, s.b2bConf().opTimeout)
		}
		return failf(codeRemote, "sending %s to %s failed: %v", f.Source, f.Path, cerr)
	}
	return nil
}

// runRetrieve copies each remote file into the local directory.
func (s *Service) runRetrieve(ctx context.Context, op opRecord) {
	sc := scope(ctx)
	s.withRemote(ctx, op, func(octx context.Context, rc *remoteConn) *opFailure {
		for i, f := range op.Files {
			if octx.Err() != nil {
				return ctxFailure(octx, s.b2bConf().opTimeout)
			}
			if !s.setFile(ctx, sc, op, i, transferapi.TransferTableStatusInProgress, nil) {
				return nil
			}
			fail := s.retrieveOne(octx, rc, op.LocalDir, f)
			status := transferapi.TransferTableStatusCompleted
			if fail != nil {
				status = transferapi.TransferTableStatusFailed
			}
			if !s.setFile(ctx, sc, op, i, status, fail) {
				return nil
			}
		}
		return nil
	})
}

func (s *Service) retrieveOne(ctx context.Context, rc *remoteConn, localDir string, f fileResult) *opFailure {
	src, err := rc.sftp.Open(f.Source)
	if err != nil {
		return remoteFailure(err, codeRetrieveNotFound, "file", f.Source)
	}
	defer src.Close()
	if st, err := src.Stat(); err != nil {
		return remoteFailure(err, codeRetrieveNotFound, "file", f.Source)
	} else if st.IsDir() {
		return failf(codeRetrieveNotFound, "remote path %s is a directory, not a file", f.Source)
	}
	bucket, dir, _ := files.Split(localDir)
	dest := path.Join(dir, path.Base(f.Source))
	err = s.writeLocal(bucket, dest, func(w io.Writer) error {
		_, err := io.Copy(w, src)
		return err
	})
	if err != nil {
		if ctx.Err() != nil {
			return ctxFailure(ctx, s.b2bConf().opTimeout)
		}
		return failf(codeLocal, "retrieving %s into /%s/%s failed: %v", f.Source, bucket, dest, err)
	}
	return nil
}

// writeLocal writes a file of local S3 storage through a temporary file
// renamed into place, so that readers never see half a file.
func (s *Service) writeLocal(bucket, key string, write func(io.Writer) error) error {
	root, err := s.b2bConf().files.Container(files.S3, bucket)
	if err != nil {
		return err
	}
	defer root.Close()
	if d := path.Dir(key); d != "." {
		if err := root.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	tmp := path.Join(path.Dir(key), ".ersatz-tmp-"+ids.UUID())
	f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	werr := write(f)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = root.Rename(tmp, key)
	}
	if werr != nil {
		_ = root.Remove(tmp)
	}
	return werr
}

// listingOutput is the listing file, in the format the user guide shows.
type listingOutput struct {
	Files     []listedFile `json:"files"`
	Paths     []listedPath `json:"paths"`
	Truncated bool         `json:"truncated"`
}

type listedFile struct {
	FilePath          string `json:"filePath"`
	ModifiedTimestamp string `json:"modifiedTimestamp,omitempty"`
	Size              *int64 `json:"size,omitempty"`
}

type listedPath struct {
	Path string `json:"path"`
}

// StartDirectoryListing lists one level of a remote directory (at most
// MaxItems entries, 1,000 by default, in name order) into the JSON file
// <connector-id>-<listing-id>.json of OutputDirectoryPath.
func (s *Service) StartDirectoryListing(ctx context.Context, in *transferapi.StartDirectoryListingRequest) (*transferapi.StartDirectoryListingResponse, error) {
	conn, err := s.sftpConnectorFor(ctx, *in.ConnectorId, "StartDirectoryListing")
	if err != nil {
		return nil, err
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
		OpID: ids.UUID(), ConnectorID: conn.ConnectorID, Kind: opListing, RemoteDir: *in.RemoteDirectoryPath,
		OutputDir: *in.OutputDirectoryPath, MaxItems: maxItems,
		Files: []fileResult{{Source: *in.RemoteDirectoryPath, Path: *in.RemoteDirectoryPath, Status: transferapi.TransferTableStatusQueued}},
	}
	op.OutputFile = conn.ConnectorID + "-" + op.OpID + ".json"
	if err := s.startOp(ctx, op, s.runListing); err != nil {
		return nil, err
	}
	return &transferapi.StartDirectoryListingResponse{ListingId: api.Ptr(op.OpID), OutputFileName: api.Ptr(op.OutputFile)}, nil
}

func (s *Service) runListing(ctx context.Context, op opRecord) {
	sc := scope(ctx)
	s.withRemote(ctx, op, func(octx context.Context, rc *remoteConn) *opFailure {
		if !s.setFile(ctx, sc, op, 0, transferapi.TransferTableStatusInProgress, nil) {
			return nil
		}
		fail := s.listOne(rc, op)
		status := transferapi.TransferTableStatusCompleted
		if fail != nil {
			status = transferapi.TransferTableStatusFailed
		}
		s.setFile(ctx, sc, op, 0, status, fail)
		return nil
	})
}

func (s *Service) listOne(rc *remoteConn, op opRecord) *opFailure {
	entries, err := rc.sftp.ReadDir(op.RemoteDir)
	if err != nil {
		return remoteFailure(err, codeRemoteNotFound, "directory", op.RemoteDir)
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	out := listingOutput{Files: []listedFile{}, Paths: []listedPath{}}
	n := 0
	for _, e := range entries {
		if e.Name() == "." || e.Name() == ".." {
			continue
		}
		if n == op.MaxItems {
			out.Truncated = true
			break
		}
		n++
		full := path.Join(op.RemoteDir, e.Name())
		if e.IsDir() {
			out.Paths = append(out.Paths, listedPath{Path: full})
			continue
		}
		lf := listedFile{FilePath: full}
		if !e.ModTime().IsZero() {
			lf.ModifiedTimestamp = e.ModTime().UTC().Format(time.RFC3339)
		}
		size := e.Size()
		lf.Size = &size
		out.Files = append(out.Files, lf)
	}
	data, err := json.MarshalIndent(out, "", "    ")
	if err != nil {
		return failf(codeLocal, "encoding the listing: %v", err)
	}
	bucket, dir, _ := files.Split(op.OutputDir)
	key := path.Join(dir, op.OutputFile)
	if err := s.writeLocal(bucket, key, func(w io.Writer) error { _, err := w.Write(data); return err }); err != nil {
		return failf(codeLocal, "writing the listing to /%s/%s failed: %v", bucket, key, err)
	}
	return nil
}

// StartRemoteDelete deletes a file, or an empty directory, on the remote
// server.
func (s *Service) StartRemoteDelete(ctx context.Context, in *transferapi.StartRemoteDeleteRequest) (*transferapi.StartRemoteDeleteResponse, error) {
	conn, err := s.sftpConnectorFor(ctx, *in.ConnectorId, "StartRemoteDelete")
	if err != nil {
		return nil, err
	}
	op := &opRecord{
		OpID: ids.UUID(), ConnectorID: conn.ConnectorID, Kind: opDelete,
		Files: []fileResult{{Source: *in.DeletePath, Path: *in.DeletePath, Status: transferapi.TransferTableStatusQueued}},
	}
	if err := s.startOp(ctx, op, s.runDelete); err != nil {
		return nil, err
	}
	return &transferapi.StartRemoteDeleteResponse{DeleteId: api.Ptr(op.OpID)}, nil
}

func (s *Service) runDelete(ctx context.Context, op opRecord) {
	sc := scope(ctx)
	s.withRemote(ctx, op, func(_ context.Context, rc *remoteConn) *opFailure {
		if !s.setFile(ctx, sc, op, 0, transferapi.TransferTableStatusInProgress, nil) {
			return nil
		}
		p := op.Files[0].Source
		var fail *opFailure
		st, err := rc.sftp.Lstat(p)
		switch {
		case err != nil:
			fail = remoteFailure(err, codeRemoteNotFound, "path", p)
		case st.IsDir():
			if err := rc.sftp.RemoveDirectory(p); err != nil {
				fail = remoteFailure(err, codeRemoteNotFound, "directory", p)
			}
		default:
			if err := rc.sftp.Remove(p); err != nil {
				fail = remoteFailure(err, codeRemoteNotFound, "file", p)
			}
		}
		status := transferapi.TransferTableStatusCompleted
		if fail != nil {
			status = transferapi.TransferTableStatusFailed
		}
		s.setFile(ctx, sc, op, 0, status, fail)
		return nil
	})
}

// StartRemoteMove moves or renames a file or directory on the remote server.
func (s *Service) StartRemoteMove(ctx context.Context, in *transferapi.StartRemoteMoveRequest) (*transferapi.StartRemoteMoveResponse, error) {
	conn, err := s.sftpConnectorFor(ctx, *in.ConnectorId, "StartRemoteMove")
	if err != nil {
		return nil, err
	}
	if path.Clean(*in.SourcePath) == path.Clean(*in.TargetPath) {
		return nil, invalid("SourcePath and TargetPath are the same path: %s", *in.SourcePath)
	}
	op := &opRecord{
		OpID: ids.UUID(), ConnectorID: conn.ConnectorID, Kind: opMove, Target: *in.TargetPath,
		Files: []fileResult{{Source: *in.SourcePath, Path: *in.SourcePath, Status: transferapi.TransferTableStatusQueued}},
	}
	if err := s.startOp(ctx, op, s.runMove); err != nil {
		return nil, err
	}
	return &transferapi.StartRemoteMoveResponse{MoveId: api.Ptr(op.OpID)}, nil
}

func (s *Service) runMove(ctx context.Context, op opRecord) {
	sc := scope(ctx)
	s.withRemote(ctx, op, func(_ context.Context, rc *remoteConn) *opFailure {
		if !s.setFile(ctx, sc, op, 0, transferapi.TransferTableStatusInProgress, nil) {
			return nil
		}
		src := op.Files[0].Source
		var fail *opFailure
		if _, err := rc.sftp.Lstat(src); err != nil {
			fail = remoteFailure(err, codeRemoteNotFound, "path", src)
		} else if _, err := rc.sftp.Lstat(op.Target); err == nil {
			fail = failf(codeRemote, "the target %s already exists on the remote server", op.Target)
		} else if err := rc.sftp.Rename(src, op.Target); err != nil {
			fail = remoteFailure(err, codeRemoteNotFound, "the target directory of", op.Target)
		}
		status := transferapi.TransferTableStatusCompleted
		if fail != nil {
			status = transferapi.TransferTableStatusFailed
		}
		s.setFile(ctx, sc, op, 0, status, fail)
		return nil
	})
}

// ListFileTransferResults pages through the files of a transfer, in the
// order the request named them, with their status. Ersatz also answers it
// for the ids of StartDirectoryListing, StartRemoteDelete and
// StartRemoteMove (one result: the path acted on), since it has no
// EventBridge or CloudWatch to report those outcomes in. Results older than
// seven days are gone (ResourceNotFoundException).
func (s *Service) ListFileTransferResults(ctx context.Context, in *transferapi.ListFileTransferResultsRequest) (*transferapi.ListFileTransferResultsResponse, error) {
	sc := scope(ctx)
	out := &transferapi.ListFileTransferResultsResponse{FileTransferResults: []transferapi.ConnectorFileTransferResult{}}
	err := s.store.View(ctx, func(tx store.Tx) error {
		if _, err := getConnector(tx, sc, *in.ConnectorId); err != nil {
			return err
		}
		key := opKey(sc, *in.ConnectorId, *in.TransferId)
		op, err := store.GetJSON[opRecord](tx, key)
		if isNotFound(err) || (err == nil && s.clock().Sub(op.CreatedAt) > OpResultRetention) {
			return notFound("Unknown transfer", *in.TransferId, rtOp)
		}
		if err != nil {
			return storeErr("read transfer", err)
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
		page, next, err := pageSorted(coll, items, func(it indexed) string { return it.id }, api.Val(in.NextToken), listLimit(in.MaxResults))
		if err != nil {
			return err
		}
		for _, it := range page {
			out.FileTransferResults = append(out.FileTransferResults, transferapi.ConnectorFileTransferResult{
				FilePath: api.Ptr(it.r.Path), StatusCode: api.Ptr(it.r.Status),
				FailureCode: ptrIf(it.r.FailureCode), FailureMessage: ptrIf(it.r.FailureMessage),
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
