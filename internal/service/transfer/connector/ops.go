package connector

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path"
	"sort"
	"time"

	"github.com/ersatz-dev/ersatz/internal/api/transferapi"
	"github.com/ersatz-dev/ersatz/internal/files"
	"github.com/ersatz-dev/ersatz/internal/objectstore"
)

// runSend copies each local file to the remote server.
func (r *Runner) runSend(ctx context.Context, op Op) {
	sc := r.scope(ctx)
	r.withRemote(ctx, op, func(octx context.Context, rc *Conn) *Failure {
		for i, f := range op.Files {
			if octx.Err() != nil {
				return ctxFailure(octx, r.cfg.OpTimeout)
			}
			if !r.setFile(ctx, sc, op, i, transferapi.TransferTableStatusInProgress, nil) {
				return nil
			}
			fail := r.sendOne(octx, rc, f)
			if !r.setOutcome(ctx, sc, op, i, fail) {
				return nil
			}
		}
		return nil
	})
}

func (r *Runner) sendOne(ctx context.Context, rc *Conn, f FileResult) *Failure {
	bucket, key, _ := files.Split(f.Source)
	src, err := r.cfg.Objects.Get(ctx, bucket, key, nil)
	if errors.Is(err, objectstore.ErrNoSuchKey) || errors.Is(err, objectstore.ErrNoSuchBucket) {
		return Failf(CodeSendNotFound, "local file %s does not exist", f.Source)
	}
	if err != nil {
		return Failf(CodeLocal, "cannot read local file %s: %v", f.Source, err)
	}
	defer src.Body.Close()
	dst, err := rc.sftp.OpenFile(f.Path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC)
	if err != nil {
		return remoteFailure(err, CodeRemoteNotFound, "the remote directory of", f.Path)
	}
	_, cerr := io.Copy(dst, src.Body)
	clerr := dst.Close()
	if cerr == nil {
		cerr = clerr
	}
	if cerr != nil {
		if ctx.Err() != nil {
			return ctxFailure(ctx, r.cfg.OpTimeout)
		}
		return Failf(CodeRemote, "sending %s to %s failed: %v", f.Source, f.Path, cerr)
	}
	return nil
}

// readBuffer is the size of the reads of a retrieved file.
const readBuffer = 1 << 20

// runRetrieve copies each remote file into the local directory.
func (r *Runner) runRetrieve(ctx context.Context, op Op) {
	sc := r.scope(ctx)
	r.withRemote(ctx, op, func(octx context.Context, rc *Conn) *Failure {
		for i, f := range op.Files {
			if octx.Err() != nil {
				return ctxFailure(octx, r.cfg.OpTimeout)
			}
			if !r.setFile(ctx, sc, op, i, transferapi.TransferTableStatusInProgress, nil) {
				return nil
			}
			fail := r.retrieveOne(octx, rc, op.LocalDir, f)
			if !r.setOutcome(ctx, sc, op, i, fail) {
				return nil
			}
		}
		return nil
	})
}

func (r *Runner) retrieveOne(ctx context.Context, rc *Conn, localDir string, f FileResult) *Failure {
	src, err := rc.sftp.Open(f.Source)
	if err != nil {
		return remoteFailure(err, CodeRetrieveNotFound, "file", f.Source)
	}
	defer src.Close()
	st, err := src.Stat()
	if err != nil {
		return remoteFailure(err, CodeRetrieveNotFound, "file", f.Source)
	}
	if st.IsDir() {
		return Failf(CodeRetrieveNotFound, "remote path %s is a directory, not a file", f.Source)
	}
	bucket, dir, _ := files.Split(localDir)
	dest := path.Join(dir, path.Base(f.Source))
	// The object is streamed, its size the remote's stat: a file that
	// changes meanwhile fails rather than storing something else. Reads of
	// readBuffer bytes let the SFTP client keep many requests in flight
	// (one read per round trip otherwise).
	err = r.put(ctx, bucket, dest, bufio.NewReaderSize(src, readBuffer), objectstore.PutOptions{Size: st.Size()})
	if err != nil {
		if ctx.Err() != nil {
			return ctxFailure(ctx, r.cfg.OpTimeout)
		}
		return Failf(CodeLocal, "retrieving %s into /%s/%s failed: %v", f.Source, bucket, dest, err)
	}
	return nil
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

// runOnePath runs an operation on one path (a listing, a remote delete or a
// move): its only file goes IN_PROGRESS, then takes work's outcome.
func (r *Runner) runOnePath(ctx context.Context, op Op, work func(octx context.Context, rc *Conn, op Op) *Failure) {
	sc := r.scope(ctx)
	r.withRemote(ctx, op, func(octx context.Context, rc *Conn) *Failure {
		if !r.setFile(ctx, sc, op, 0, transferapi.TransferTableStatusInProgress, nil) {
			return nil
		}
		r.setOutcome(ctx, sc, op, 0, work(octx, rc, op))
		return nil
	})
}

func (r *Runner) runListing(ctx context.Context, op Op) { r.runOnePath(ctx, op, r.listOne) }

func (r *Runner) listOne(ctx context.Context, rc *Conn, op Op) *Failure {
	entries, err := rc.sftp.ReadDir(op.RemoteDir)
	if err != nil {
		return remoteFailure(err, CodeRemoteNotFound, "directory", op.RemoteDir)
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
		return Failf(CodeLocal, "encoding the listing: %v", err)
	}
	bucket, dir, _ := files.Split(op.OutputDir)
	key := path.Join(dir, op.OutputFile)
	opts := objectstore.PutOptions{ContentType: "application/json", Size: int64(len(data))}
	if err := r.put(ctx, bucket, key, bytes.NewReader(data), opts); err != nil {
		return Failf(CodeLocal, "writing the listing to /%s/%s failed: %v", bucket, key, err)
	}
	return nil
}

func (r *Runner) runDelete(ctx context.Context, op Op) { r.runOnePath(ctx, op, deleteOne) }

// deleteOne deletes a remote file or empty directory.
func deleteOne(_ context.Context, rc *Conn, op Op) *Failure {
	p := op.Files[0].Source
	st, err := rc.sftp.Lstat(p)
	switch {
	case err != nil:
		return remoteFailure(err, CodeRemoteNotFound, "path", p)
	case st.IsDir():
		if err := rc.sftp.RemoveDirectory(p); err != nil {
			return remoteFailure(err, CodeRemoteNotFound, "directory", p)
		}
	default:
		if err := rc.sftp.Remove(p); err != nil {
			return remoteFailure(err, CodeRemoteNotFound, "file", p)
		}
	}
	return nil
}

func (r *Runner) runMove(ctx context.Context, op Op) { r.runOnePath(ctx, op, moveOne) }

// moveOne moves or renames a remote path to a target that does not exist.
func moveOne(_ context.Context, rc *Conn, op Op) *Failure {
	src := op.Files[0].Source
	if _, err := rc.sftp.Lstat(src); err != nil {
		return remoteFailure(err, CodeRemoteNotFound, "path", src)
	}
	if _, err := rc.sftp.Lstat(op.Target); err == nil {
		return Failf(CodeRemote, "the target %s already exists on the remote server", op.Target)
	}
	if err := rc.sftp.Rename(src, op.Target); err != nil {
		return remoteFailure(err, CodeRemoteNotFound, "the target directory of", op.Target)
	}
	return nil
}
