// Package connector runs the work of Transfer Family's SFTP connectors:
// StartFileTransfer (sending and retrieving files), StartDirectoryListing,
// StartRemoteDelete and StartRemoteMove. The Transfer service validates a
// request, records the operation (QUEUED) and hands it to the Runner, which
// does the work on a goroutine and records each state change (IN_PROGRESS,
// then COMPLETED or FAILED with the reason) in the store; Close cuts the
// work short and records it as FAILED (CANCELLED). TestConnection dials
// with the same code (Dial).
//
// Local paths ("/bucket/key") are objects of the S3 domain's object store
// (objectstore.Store): a file sent is read with Get, a file retrieved and a
// listing are written with Put (streamed), into a bucket created when it
// does not exist yet (objectstore.EnsureBucket).
// Remote paths are the SFTP server's. The connector's credentials come from
// the secrets file (secrets.go); the SSH side is dial.go.
package connector

import (
	"context"
	"errors"
	"time"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/transferapi"
	"github.com/ersatz-dev/ersatz/internal/objectstore"
	"github.com/ersatz-dev/ersatz/internal/service/transfer/background"
	"github.com/ersatz-dev/ersatz/internal/store"
)

// Operation kinds and transfer directions.
const (
	KindTransfer = "TRANSFER"
	KindListing  = "LISTING"
	KindDelete   = "DELETE"
	KindMove     = "MOVE"

	DirSend     = "SEND"
	DirRetrieve = "RETRIEVE"

	// KindOp is the store kind of operation records, children of their
	// connector's record.
	KindOp = "op"
)

// Default bounds of the connector operations.
const (
	DefaultDialTimeout = 10 * time.Second
	DefaultOpTimeout   = 5 * time.Minute
)

// Op is one connector operation and the state of each of its files, as
// stored.
type Op struct {
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
	Files       []FileResult `json:"files"`
	CreatedAt   time.Time    `json:"createdAt"`
	UpdatedAt   time.Time    `json:"updatedAt"`
}

// FileResult is one file of an operation. Source is the path the request
// named; Path is the one ListFileTransferResults reports (the remote path
// the file was sent to or retrieved from).
type FileResult struct {
	Source         string `json:"source"`
	Path           string `json:"path"`
	Status         string `json:"status"`
	FailureCode    string `json:"failureCode,omitempty"`
	FailureMessage string `json:"failureMessage,omitempty"`
}

// OpKey is the store key of an operation of the connector at connectorKey.
func OpKey(connectorKey store.Key, opID string) store.Key {
	return connectorKey.Child(KindOp, opID)
}

// Directory reads the connectors the Transfer service keeps.
type Directory interface {
	// Key is the store key of a connector.
	Key(sc store.Scope, connectorID string) store.Key
	// Endpoint reads where a connector connects. A connector that cannot be
	// used answers a *Failure; any other error means it is gone, and its
	// operations with it.
	Endpoint(tx store.Tx, sc store.Scope, connectorID string) (Endpoint, error)
}

// Config configures a Runner.
type Config struct {
	Store store.Store
	// Objects holds the local files (the S3 domain); required.
	Objects   objectstore.Store
	Directory Directory
	// Service is the store scope's service of the records ("transfer").
	Service string
	// Clock is the time of the records (time.Now unless set).
	Clock func() time.Time
	// SecretsFile is the JSON file of the connectors' secrets ("": none).
	SecretsFile string
	// DialTimeout bounds the TCP connect and SSH handshake, OpTimeout a
	// whole operation (DefaultDialTimeout, DefaultOpTimeout unless set).
	DialTimeout, OpTimeout time.Duration

	// limits choose between one Put and a multipart upload (the tests
	// make them small).
	limits objectstore.PutLimits
}

// Runner runs connector operations.
type Runner struct {
	cfg Config
	bg  *background.Group
}

// New returns a running Runner; Close stops it.
func New(cfg Config) *Runner {
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = DefaultDialTimeout
	}
	if cfg.OpTimeout <= 0 {
		cfg.OpTimeout = DefaultOpTimeout
	}
	return &Runner{cfg: cfg, bg: background.New()}
}

// Close stops the running operations, which record their unfinished files
// as FAILED (CANCELLED), and waits for them. Close the runner before its
// store.
func (r *Runner) Close() error {
	r.bg.Close()
	return nil
}

// DialTimeout is the bound of a connection's TCP connect and SSH handshake.
func (r *Runner) DialTimeout() time.Duration { return r.cfg.DialTimeout }

func (r *Runner) clock() time.Time { return r.cfg.Clock().UTC().Truncate(time.Millisecond) }

func (r *Runner) scope(ctx context.Context) store.Scope {
	c := api.CallerFrom(ctx)
	return store.Scope{Account: c.Account, Region: c.Region, Service: r.cfg.Service}
}

// Start runs a recorded operation of ctx's caller in the background: a
// transfer (SEND or RETRIEVE), a listing, a remote delete or a move. When
// the runner is closed the operation is recorded as FAILED at once.
func (r *Runner) Start(ctx context.Context, op Op) {
	var run func(context.Context, Op)
	switch {
	case op.Kind == KindTransfer && op.Direction == DirSend:
		run = r.runSend
	case op.Kind == KindTransfer && op.Direction == DirRetrieve:
		run = r.runRetrieve
	case op.Kind == KindListing:
		run = r.runListing
	case op.Kind == KindDelete:
		run = r.runDelete
	case op.Kind == KindMove:
		run = r.runMove
	default:
		r.failRemaining(ctx, r.scope(ctx), op, Failf(CodeLocal, "unknown operation %s %s", op.Kind, op.Direction))
		return
	}
	if !r.bg.Go(api.CallerFrom(ctx), func(bg context.Context) { run(bg, op) }) {
		r.failRemaining(ctx, r.scope(ctx), op, Failf(CodeCancelled, "Ersatz is shutting down; the operation did not run"))
	}
}

// update applies fn to a stored operation. It reports false when the
// operation (or its connector) no longer exists.
func (r *Runner) update(ctx context.Context, sc store.Scope, connectorID, opID string, fn func(*Op)) bool {
	wctx, cancel := background.StoreContext(ctx)
	defer cancel()
	key := OpKey(r.cfg.Directory.Key(sc, connectorID), opID)
	err := r.cfg.Store.Update(wctx, func(tx store.Tx) error {
		op, err := store.GetJSON[Op](tx, key)
		if err != nil {
			return err
		}
		fn(&op)
		op.UpdatedAt = r.clock()
		return store.PutJSON(tx, key, op)
	})
	return err == nil
}

func (r *Runner) setFile(ctx context.Context, sc store.Scope, op Op, i int, status string, fail *Failure) bool {
	return r.update(ctx, sc, op.ConnectorID, op.OpID, func(o *Op) {
		if i >= len(o.Files) {
			return
		}
		f := &o.Files[i]
		f.Status, f.FailureCode, f.FailureMessage = status, "", ""
		if fail != nil {
			f.FailureCode, f.FailureMessage = fail.Code, fail.Msg
		}
	})
}

// setOutcome records the end of file i: COMPLETED, or FAILED with fail.
func (r *Runner) setOutcome(ctx context.Context, sc store.Scope, op Op, i int, fail *Failure) bool {
	status := transferapi.TransferTableStatusCompleted
	if fail != nil {
		status = transferapi.TransferTableStatusFailed
	}
	return r.setFile(ctx, sc, op, i, status, fail)
}

// failRemaining marks every file not yet COMPLETED or FAILED as FAILED.
func (r *Runner) failRemaining(ctx context.Context, sc store.Scope, op Op, fail *Failure) {
	r.update(ctx, sc, op.ConnectorID, op.OpID, func(o *Op) {
		for i := range o.Files {
			f := &o.Files[i]
			if f.Status != transferapi.TransferTableStatusCompleted && f.Status != transferapi.TransferTableStatusFailed {
				f.Status, f.FailureCode, f.FailureMessage = transferapi.TransferTableStatusFailed, fail.Code, fail.Msg
			}
		}
	})
}

// ctxFailure is the failure of work stopped by its context.
func ctxFailure(ctx context.Context, timeout time.Duration) *Failure {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return Failf(CodeTimeout, "the operation did not finish within %s", timeout)
	}
	return Failf(CodeCancelled, "the operation was cancelled: Ersatz is shutting down")
}

// withRemote runs an operation's work on an open SFTP session, recording a
// connection failure (or the context's end) on every unfinished file.
func (r *Runner) withRemote(ctx context.Context, op Op, work func(octx context.Context, rc *Conn) *Failure) {
	sc := r.scope(ctx)
	timeout := r.cfg.OpTimeout
	octx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var ep Endpoint
	err := r.cfg.Store.View(octx, func(tx store.Tx) error {
		var err error
		ep, err = r.cfg.Directory.Endpoint(tx, sc, op.ConnectorID)
		return err
	})
	var fail *Failure
	switch {
	case errors.As(err, &fail):
	case err != nil:
		return // the connector was deleted: its operations went with it
	default:
		var rc *Conn
		rc, _, fail = r.Dial(octx, &ep)
		if fail == nil {
			fail = work(octx, rc)
			_ = rc.Close()
		}
	}
	if fail == nil && octx.Err() != nil {
		fail = ctxFailure(octx, timeout)
	}
	if fail != nil {
		r.failRemaining(ctx, sc, op, fail)
	}
}
