package connector

import (
	"context"
	"crypto/md5"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/transferapi"
	"github.com/ersatz-dev/ersatz/internal/objectstore"
	"github.com/ersatz-dev/ersatz/internal/objectstore/memstore"
	"github.com/ersatz-dev/ersatz/internal/service/transfer/sftptest"
	"github.com/ersatz-dev/ersatz/internal/store"
	"github.com/ersatz-dev/ersatz/internal/store/memory"
)

// directory is a Directory of one connector to an SFTP server ("c-1"); any
// other id is gone, "c-lattice" cannot be used.
type directory struct{ ep Endpoint }

func (directory) Key(sc store.Scope, id string) store.Key {
	return store.Key{Scope: sc, Kind: "connector", ID: id}
}

func (d directory) Endpoint(_ store.Tx, _ store.Scope, id string) (Endpoint, error) {
	switch id {
	case "c-1":
		return d.ep, nil
	case "c-lattice":
		return Endpoint{}, Failf(CodeLattice, "not emulated")
	}
	return Endpoint{}, store.ErrNotFound
}

type runnerFixture struct {
	r      *Runner
	st     store.Store
	objs   *countingStore
	remote string
	ctx    context.Context
	sc     store.Scope
}

func newRunner(t *testing.T) *runnerFixture {
	t.Helper()
	return newRunnerWith(t, nil)
}

// newRunnerWith is newRunner with its Config changed by mutate.
func newRunnerWith(t *testing.T, mutate func(*Config)) *runnerFixture {
	t.Helper()
	dir := t.TempDir()
	remote := t.TempDir()
	srv := sftptest.Start(t, remote, sftptest.Options{User: "partner", Password: "pw"})
	secrets := filepath.Join(dir, "secrets.json")
	if err := os.WriteFile(secrets, []byte(`{"secrets":{"s":{"Username":"partner","Password":"pw"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	st := memory.New()
	t.Cleanup(func() { _ = st.Close() })
	f := &runnerFixture{st: st, objs: &countingStore{Store: memstore.New()}, remote: remote,
		ctx: api.WithCaller(context.Background(), api.Caller{Account: "123456789012", Region: "eu-west-1"}),
		sc:  store.Scope{Account: "123456789012", Region: "eu-west-1", Service: "transfer"}}
	ep := Endpoint{ConnectorID: "c-1", Addr: srv.Addr, Trusted: []ssh.PublicKey{srv.HostKey}, SecretID: "s"}
	cfg := Config{Store: st, Objects: f.objs, Directory: directory{ep}, Service: "transfer",
		SecretsFile: secrets, DialTimeout: 5 * time.Second, OpTimeout: 20 * time.Second}
	if mutate != nil {
		mutate(&cfg)
	}
	f.r = New(cfg)
	t.Cleanup(func() { _ = f.r.Close() })
	return f
}

// read reads a local object.
func (f *runnerFixture) read(t *testing.T, bucket, key string) (objectstore.ObjectInfo, string) {
	t.Helper()
	obj, err := f.objs.Get(f.ctx, bucket, key, nil)
	if err != nil {
		t.Fatalf("get %s/%s: %v", bucket, key, err)
	}
	defer obj.Body.Close()
	b, err := io.ReadAll(obj.Body)
	if err != nil {
		t.Fatal(err)
	}
	return obj.ObjectInfo, string(b)
}

// start records op as the Transfer service does and hands it to the runner.
func (f *runnerFixture) start(t *testing.T, op Op) {
	t.Helper()
	for i := range op.Files {
		op.Files[i].Status = transferapi.TransferTableStatusQueued
	}
	err := f.st.Update(f.ctx, func(tx store.Tx) error {
		return store.PutJSON(tx, OpKey(directory{}.Key(f.sc, op.ConnectorID), op.OpID), op)
	})
	if err != nil {
		t.Fatal(err)
	}
	f.r.Start(f.ctx, op)
}

// wait returns the operation once no file is QUEUED or IN_PROGRESS.
func (f *runnerFixture) wait(t *testing.T, connectorID, opID string) Op {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		var op Op
		err := f.st.View(f.ctx, func(tx store.Tx) error {
			var err error
			op, err = store.GetJSON[Op](tx, OpKey(directory{}.Key(f.sc, connectorID), opID))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		done := true
		for _, r := range op.Files {
			if r.Status != transferapi.TransferTableStatusCompleted && r.Status != transferapi.TransferTableStatusFailed {
				done = false
			}
		}
		if done {
			return op
		}
		if time.Now().After(deadline) {
			t.Fatalf("operation %+v did not finish", op)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestRunnerMovesFiles(t *testing.T) {
	f := newRunner(t)
	if err := f.objs.CreateBucket(f.ctx, "local", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := f.objs.Put(f.ctx, "local", "out/a.txt", strings.NewReader("alpha"), objectstore.PutOptions{Size: 5}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(f.remote, "b.txt"), []byte("bravo"), 0o644); err != nil {
		t.Fatal(err)
	}

	f.start(t, Op{OpID: "send", ConnectorID: "c-1", Kind: KindTransfer, Direction: DirSend,
		Files: []FileResult{{Source: "/local/out/a.txt", Path: "a.txt"}, {Source: "/local/out/missing.txt", Path: "missing.txt"}}})
	op := f.wait(t, "c-1", "send")
	if op.Files[0].Status != transferapi.TransferTableStatusCompleted || op.Files[1].FailureCode != CodeSendNotFound {
		t.Fatalf("send results %+v", op.Files)
	}
	if got, err := os.ReadFile(filepath.Join(f.remote, "a.txt")); err != nil || string(got) != "alpha" {
		t.Fatalf("remote a.txt %q, %v", got, err)
	}

	// Retrieving into a bucket that does not exist yet makes it; a bucket
	// name S3 refuses fails the file.
	f.start(t, Op{OpID: "retrieve", ConnectorID: "c-1", Kind: KindTransfer, Direction: DirRetrieve, LocalDir: "/fresh/in",
		Files: []FileResult{{Source: "/b.txt", Path: "/b.txt"}}})
	if op := f.wait(t, "c-1", "retrieve"); op.Files[0].Status != transferapi.TransferTableStatusCompleted {
		t.Fatalf("retrieve results %+v", op.Files)
	}
	if info, got := f.read(t, "fresh", "in/b.txt"); got != "bravo" || info.Size != 5 || info.ETag != `"`+fmt.Sprintf("%x", md5.Sum([]byte("bravo")))+`"` {
		t.Fatalf("retrieved %q %+v", got, info)
	}
	f.start(t, Op{OpID: "retrieve-bad", ConnectorID: "c-1", Kind: KindTransfer, Direction: DirRetrieve, LocalDir: "/Not_A_Bucket",
		Files: []FileResult{{Source: "/b.txt", Path: "/b.txt"}}})
	if op := f.wait(t, "c-1", "retrieve-bad"); op.Files[0].FailureCode != CodeLocal || !strings.Contains(op.Files[0].FailureMessage, "bucket") {
		t.Fatalf("retrieve into a bad bucket %+v", op.Files)
	}

	f.start(t, Op{OpID: "list", ConnectorID: "c-1", Kind: KindListing, RemoteDir: "/", OutputDir: "/local/listings",
		OutputFile: "c-1-list.json", MaxItems: 1, Files: []FileResult{{Source: "/", Path: "/"}}})
	if op := f.wait(t, "c-1", "list"); op.Files[0].Status != transferapi.TransferTableStatusCompleted {
		t.Fatalf("listing results %+v", op.Files)
	}
	info, data := f.read(t, "local", "listings/c-1-list.json")
	if info.ContentType != "application/json" {
		t.Fatalf("listing object %+v", info)
	}
	var listing struct {
		Files     []struct{ FilePath string }
		Truncated bool
	}
	if err := json.Unmarshal([]byte(data), &listing); err != nil || len(listing.Files) != 1 || listing.Files[0].FilePath != "/a.txt" || !listing.Truncated {
		t.Fatalf("listing %s (%v)", data, err)
	}
	if n := f.objs.puts.Load(); n != 3 {
		t.Fatalf("%d puts, want the test's, the retrieved file's and the listing's", n)
	}

	f.start(t, Op{OpID: "move", ConnectorID: "c-1", Kind: KindMove, Target: "/c.txt", Files: []FileResult{{Source: "/b.txt", Path: "/b.txt"}}})
	f.start(t, Op{OpID: "delete", ConnectorID: "c-1", Kind: KindDelete, Files: []FileResult{{Source: "/a.txt", Path: "/a.txt"}}})
	for _, id := range []string{"move", "delete"} {
		if op := f.wait(t, "c-1", id); op.Files[0].Status != transferapi.TransferTableStatusCompleted {
			t.Fatalf("%s results %+v", id, op.Files)
		}
	}
	for name, want := range map[string]bool{"a.txt": false, "b.txt": false, "c.txt": true} {
		if _, err := os.Stat(filepath.Join(f.remote, name)); (err == nil) != want {
			t.Errorf("remote %s exists: %v, want %v", name, err == nil, want)
		}
	}
	f.start(t, Op{OpID: "move-again", ConnectorID: "c-1", Kind: KindMove, Target: "/c.txt", Files: []FileResult{{Source: "/c.txt", Path: "/c.txt"}}})
	if op := f.wait(t, "c-1", "move-again"); op.Files[0].FailureCode != CodeRemote || !strings.Contains(op.Files[0].FailureMessage, "already exists") {
		t.Fatalf("move onto itself %+v", op.Files)
	}
}

// TestRunnerFailures: a connector that cannot be used fails every file of
// the operation; after Close nothing runs and the operation says why.
func TestRunnerFailures(t *testing.T) {
	f := newRunner(t)
	f.start(t, Op{OpID: "lattice", ConnectorID: "c-lattice", Kind: KindDelete, Files: []FileResult{{Source: "/x"}, {Source: "/y"}}})
	op := f.wait(t, "c-lattice", "lattice")
	for _, r := range op.Files {
		if r.FailureCode != CodeLattice {
			t.Fatalf("results %+v", op.Files)
		}
	}
	if err := f.r.Close(); err != nil {
		t.Fatal(err)
	}
	f.start(t, Op{OpID: "closed", ConnectorID: "c-1", Kind: KindDelete, Files: []FileResult{{Source: "/x"}}})
	op = f.wait(t, "c-1", "closed")
	if r := op.Files[0]; r.FailureCode != CodeCancelled || !strings.Contains(r.FailureMessage, "shutting down") {
		t.Fatalf("after Close %+v", op.Files)
	}
}

// countingStore counts the Puts that reach its store.
type countingStore struct {
	objectstore.Store
	puts atomic.Int64
}

func (c *countingStore) Put(ctx context.Context, bucket, key string, body io.Reader, opts objectstore.PutOptions) (objectstore.ObjectInfo, error) {
	c.puts.Add(1)
	return c.Store.Put(ctx, bucket, key, body, opts)
}
