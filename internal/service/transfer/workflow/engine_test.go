package workflow

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/transferapi"
	"github.com/ersatz-dev/ersatz/internal/files"
	"github.com/ersatz-dev/ersatz/internal/objectstore"
	"github.com/ersatz-dev/ersatz/internal/objectstore/memstore"
	"github.com/ersatz-dev/ersatz/internal/store"
	"github.com/ersatz-dev/ersatz/internal/store/memory"
)

const (
	testAccount = "123456789012"
	testRegion  = "eu-west-1"
	testServer  = "s-0123456789abcdef0"
)

// catalog is a Catalog of fixed workflows and one S3 server whose OnUpload
// runs every workflow it holds.
type catalog struct {
	workflows map[string]Definition
	partial   []string // the workflows of OnPartialUpload
}

func (c *catalog) Workflow(_ store.Tx, sc store.Scope, id string) (Definition, error) {
	d, ok := c.workflows[id]
	if !ok {
		return Definition{}, store.ErrNotFound
	}
	d.Key = store.Key{Scope: sc, Kind: "workflow", ID: id}
	return d, nil
}

func (c *catalog) Trigger(_ store.Tx, _ store.Scope, serverID, _ string) (Trigger, bool, error) {
	if serverID != testServer {
		return Trigger{}, false, nil
	}
	t := Trigger{Domain: string(files.S3), LoggingRole: "arn:aws:iam::123456789012:role/log"}
	for id := range c.workflows {
		t.OnUpload = append(t.OnUpload, transferapi.WorkflowDetail{WorkflowId: api.Ptr(id), ExecutionRole: api.Ptr("arn:aws:iam::123456789012:role/x")})
	}
	for _, id := range c.partial {
		t.OnPartialUpload = append(t.OnPartialUpload, transferapi.WorkflowDetail{WorkflowId: api.Ptr(id)})
	}
	return t, true, nil
}

type fixture struct {
	e      *Engine
	st     store.Store
	fs     *files.Store
	objs   objectstore.Store
	ctx    context.Context
	events chan CustomStepEvent
}

func newFixture(t *testing.T, wfs ...Definition) *fixture {
	t.Helper()
	return newFixtureWith(t, nil, wfs...)
}

// newFixtureWith is newFixture with the engine's Config changed by mutate
// (the object store is an in-memory one unless mutate sets another).
func newFixtureWith(t *testing.T, mutate func(*Config), wfs ...Definition) *fixture {
	t.Helper()
	st := memory.New()
	t.Cleanup(func() { _ = st.Close() })
	c := &catalog{workflows: map[string]Definition{}}
	for _, d := range wfs {
		c.workflows[d.ID] = d
	}
	f := &fixture{st: st, fs: files.New(t.TempDir()), events: make(chan CustomStepEvent, 4),
		ctx: api.WithCaller(context.Background(), api.Caller{Account: testAccount, Region: testRegion})}
	cfg := Config{Store: st, Objects: memstore.New(), Files: f.fs, Catalog: c, Service: "transfer",
		CustomStep: func(_ context.Context, ev CustomStepEvent) { f.events <- ev }}
	if mutate != nil {
		mutate(&cfg)
	}
	f.objs = cfg.Objects
	f.e = New(cfg)
	t.Cleanup(func() { _ = f.e.Close() })
	return f
}

// write puts an object (its bucket made when missing) with tags.
func (f *fixture) write(t *testing.T, bucket, key, data string, tags ...string) {
	t.Helper()
	if err := f.objs.CreateBucket(f.ctx, bucket, ""); err != nil && !errors.Is(err, objectstore.ErrBucketOwnedByYou) {
		t.Fatal(err)
	}
	opts := objectstore.PutOptions{Size: int64(len(data)), Tags: map[string]string{}}
	for i := 0; i+1 < len(tags); i += 2 {
		opts.Tags[tags[i]] = tags[i+1]
	}
	if _, err := f.objs.Put(f.ctx, bucket, key, strings.NewReader(data), opts); err != nil {
		t.Fatal(err)
	}
}

// read reads an object (false when it does not exist).
func (f *fixture) read(t *testing.T, bucket, key string) (string, bool) {
	t.Helper()
	obj, err := f.objs.Get(f.ctx, bucket, key, nil)
	if errors.Is(err, objectstore.ErrNoSuchKey) || errors.Is(err, objectstore.ErrNoSuchBucket) {
		return "", false
	}
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Body.Close()
	b, err := io.ReadAll(obj.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b), true
}

// tags reads an object's S3 tags.
func (f *fixture) tags(t *testing.T, bucket, key string) map[string]string {
	t.Helper()
	tags, err := f.objs.Tags(f.ctx, bucket, key)
	if err != nil {
		t.Fatalf("tags of %s/%s: %v", bucket, key, err)
	}
	return tags
}

func (f *fixture) upload(t *testing.T, path string) {
	t.Helper()
	if err := f.e.FileUploaded(f.ctx, Upload{Account: testAccount, Region: testRegion, ServerID: testServer,
		UserName: "alice", Path: path}); err != nil {
		t.Fatal(err)
	}
}

// executions reads the executions of a workflow.
func (f *fixture) executions(t *testing.T, wfID string) []Execution {
	t.Helper()
	sc := store.Scope{Account: testAccount, Region: testRegion, Service: "transfer"}
	var all []Execution
	err := f.st.View(f.ctx, func(tx store.Tx) error {
		var err error
		all, _, err = store.ListJSON[Execution](tx, store.Collection{Scope: sc,
			Parent: store.Key{Scope: sc, Kind: "workflow", ID: wfID}.Path(), Kind: KindExecution}, store.Page{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return all
}

// wait waits until the only execution of a workflow satisfies done.
func (f *fixture) wait(t *testing.T, wfID string, done func(Execution) bool) Execution {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		all := f.executions(t, wfID)
		if len(all) == 1 && done(all[0]) {
			return all[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("executions %+v", all)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func finished(x Execution) bool { return !x.InProgress() }

func copyTo(bucket, key string) transferapi.WorkflowStep {
	return transferapi.WorkflowStep{Type: api.Ptr(transferapi.WorkflowStepTypeCopy), CopyStepDetails: &transferapi.CopyStepDetails{
		DestinationFileLocation: &transferapi.InputFileLocation{S3FileLocation: &transferapi.S3InputFileLocation{Bucket: api.Ptr(bucket), Key: api.Ptr(key)}}}}
}

func tag(k, v string) transferapi.WorkflowStep {
	return transferapi.WorkflowStep{Type: api.Ptr(transferapi.WorkflowStepTypeTag), TagStepDetails: &transferapi.TagStepDetails{
		Tags: []transferapi.S3Tag{{Key: api.Ptr(k), Value: api.Ptr(v)}}}}
}

func custom(timeout int32) transferapi.WorkflowStep {
	return transferapi.WorkflowStep{Type: api.Ptr(transferapi.WorkflowStepTypeCustom), CustomStepDetails: &transferapi.CustomStepDetails{
		Target: api.Ptr("arn:aws:lambda:eu-west-1:123456789012:function:f"), TimeoutSeconds: api.Ptr(timeout)}}
}

var deleteStep = transferapi.WorkflowStep{Type: api.Ptr(transferapi.WorkflowStepTypeDelete), DeleteStepDetails: &transferapi.DeleteStepDetails{
	SourceFileLocation: api.Ptr(OriginalFile)}}

// TestCopyTagDelete: the steps act on the object store in order, the next
// step working on the previous one's output unless it names the original.
func TestCopyTagDelete(t *testing.T) {
	f := newFixture(t, Definition{ID: "w-1", Steps: []transferapi.WorkflowStep{
		copyTo("archive", "${Transfer:UserName}/"), tag("class", "report"), deleteStep}})
	f.write(t, "inbox", "report.csv", "data")
	f.upload(t, "/inbox/report.csv")
	x := f.wait(t, "w-1", finished)
	if x.Status != transferapi.ExecutionStatusCompleted || len(x.Results.Steps) != 3 {
		t.Fatalf("execution %s with results %+v", x.Status, x.Results)
	}
	if x.ServerID != testServer || x.UserName != "alice" || x.LoggingRole == "" || x.ExecutionRole == "" {
		t.Fatalf("execution records %+v", x)
	}
	if got, ok := f.read(t, "archive", "alice/report.csv"); !ok || got != "data" {
		t.Fatalf("copy: %q, %v", got, ok)
	}
	if _, ok := f.read(t, "inbox", "report.csv"); ok {
		t.Fatal("the original was not deleted")
	}
	if tags := f.tags(t, "archive", "alice/report.csv"); tags["class"] != "report" || len(tags) != 1 {
		t.Fatalf("S3 tags of the copy: %v", tags)
	}
	// Everything went through the object store: the archive bucket was
	// made on first use, and no folder was written.
	if _, err := f.objs.HeadBucket(f.ctx, "archive"); err != nil {
		t.Fatalf("the COPY step's bucket: %v", err)
	}
	if names, _ := f.fs.Buckets(); len(names) != 0 {
		t.Fatalf("folders written beside the object store: %v", names)
	}
}

// TestFailureRunsExceptionSteps: a failed step ends the steps and runs the
// exception steps; the execution ends in EXCEPTION.
func TestFailureRunsExceptionSteps(t *testing.T) {
	f := newFixture(t, Definition{ID: "w-1", Steps: []transferapi.WorkflowStep{copyTo("dest", "up.txt")},
		OnExceptionSteps: []transferapi.WorkflowStep{copyTo("quarantine", "")}})
	f.write(t, "dest", "up.txt", "old")
	f.write(t, "inbox", "up.txt", "new")
	f.upload(t, "/inbox/up.txt")
	x := f.wait(t, "w-1", finished)
	if x.Status != transferapi.ExecutionStatusException {
		t.Fatalf("status %s", x.Status)
	}
	if e := x.Results.Steps[0].Error; e == nil || *e.Type != transferapi.ExecutionErrorTypeAlreadyExists {
		t.Fatalf("step result %+v", x.Results.Steps[0])
	}
	if len(x.Results.OnExceptionSteps) != 1 || x.Results.OnExceptionSteps[0].Error != nil {
		t.Fatalf("exception step results %+v", x.Results.OnExceptionSteps)
	}
	if got, _ := f.read(t, "quarantine", "up.txt"); got != "new" {
		t.Fatalf("quarantined copy %q", got)
	}
	if got, _ := f.read(t, "dest", "up.txt"); got != "old" {
		t.Fatalf("the existing file became %q", got)
	}
}

// TestCustomStepWaitsForItsToken: a CUSTOM step hands its event to the
// invoker and waits; only its token resumes it, once.
func TestCustomStepWaitsForItsToken(t *testing.T) {
	f := newFixture(t, Definition{ID: "w-1", Steps: []transferapi.WorkflowStep{custom(60), tag("done", "yes")}})
	f.write(t, "inbox", "a.txt", "x")
	f.upload(t, "/inbox/a.txt")
	var ev CustomStepEvent
	select {
	case ev = <-f.events:
	case <-time.After(5 * time.Second):
		t.Fatal("the invoker was not called")
	}
	if ev.Bucket != "inbox" || ev.Key != "a.txt" || ev.UserName != "alice" || ev.TimeoutSeconds != 60 || ev.Account != testAccount {
		t.Fatalf("event %+v", ev)
	}
	waiting := f.wait(t, "w-1", func(x Execution) bool { return x.Pending != nil })
	if out := api.Val(waiting.Results.Steps[0].Outputs); !strings.Contains(out, "WAITING_FOR_CALLBACK") || !strings.Contains(out, ev.Token) {
		t.Fatalf("waiting step outputs %s", out)
	}
	var te *TokenError
	if err := f.e.Resume(f.ctx, "w-1", ev.ExecutionID, "wrong", true); !errors.As(err, &te) {
		t.Fatalf("a wrong token gave %v", err)
	}
	if err := f.e.Resume(f.ctx, "w-1", "no-such-execution", ev.Token, true); !errors.Is(err, ErrNoExecution) {
		t.Fatalf("an unknown execution gave %v", err)
	}
	if err := f.e.Resume(f.ctx, "w-1", ev.ExecutionID, ev.Token, true); err != nil {
		t.Fatal(err)
	}
	x := f.wait(t, "w-1", finished)
	if x.Status != transferapi.ExecutionStatusCompleted || len(x.Results.Steps) != 2 || x.Results.Steps[0].Error != nil {
		t.Fatalf("execution %s %+v", x.Status, x.Results)
	}
	if err := f.e.Resume(f.ctx, "w-1", ev.ExecutionID, ev.Token, true); !errors.As(err, &te) || !strings.Contains(err.Error(), "already used") {
		t.Fatalf("a used token gave %v", err)
	}
}

// TestCustomStepFailureAndTimeout: FAILURE fails the step as
// CUSTOM_STEP_FAILED; a callback that never comes fails it as TIMEOUT.
func TestCustomStepFailureAndTimeout(t *testing.T) {
	tests := []struct {
		name    string
		resume  bool
		timeout int32
		want    string
	}{
		{"failure", true, 60, transferapi.ExecutionErrorTypeCustomStepFailed},
		{"timeout", false, 1, transferapi.ExecutionErrorTypeTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, Definition{ID: "w-1", Steps: []transferapi.WorkflowStep{custom(tt.timeout)}})
			f.write(t, "inbox", "a.txt", "x")
			f.upload(t, "/inbox/a.txt")
			ev := <-f.events
			if tt.resume {
				if err := f.e.Resume(f.ctx, "w-1", ev.ExecutionID, ev.Token, false); err != nil {
					t.Fatal(err)
				}
			}
			x := f.wait(t, "w-1", finished)
			if e := x.Results.Steps[0].Error; x.Status != transferapi.ExecutionStatusException || e == nil || *e.Type != tt.want {
				t.Fatalf("execution %s %+v", x.Status, x.Results)
			}
		})
	}
}

// TestUploadsThatStartNothing: an unknown server, a partial upload without
// OnPartialUpload workflows and a path without a key start nothing.
func TestUploadsThatStartNothing(t *testing.T) {
	f := newFixture(t, Definition{ID: "w-1", Steps: []transferapi.WorkflowStep{tag("a", "b")}})
	for _, ev := range []Upload{
		{Account: testAccount, Region: testRegion, ServerID: "s-00000000000000000", Path: "/inbox/a"},
		{Account: testAccount, Region: testRegion, ServerID: testServer, Path: "/inbox/a", Partial: true},
	} {
		if err := f.e.FileUploaded(f.ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.e.FileUploaded(f.ctx, Upload{Account: testAccount, Region: testRegion, ServerID: testServer, Path: "/inbox"}); !errors.Is(err, files.ErrBadPath) {
		t.Fatalf("a path without key gave %v", err)
	}
	if all := f.executions(t, "w-1"); len(all) != 0 {
		t.Fatalf("executions %+v", all)
	}
}

// TestClosedEngineAbandonsExecutions: after Close an upload's execution is
// recorded and ended at once, with the reason.
func TestClosedEngineAbandonsExecutions(t *testing.T) {
	f := newFixture(t, Definition{ID: "w-1", Steps: []transferapi.WorkflowStep{tag("a", "b")}})
	if err := f.e.Close(); err != nil {
		t.Fatal(err)
	}
	f.write(t, "inbox", "a.txt", "x")
	f.upload(t, "/inbox/a.txt")
	all := f.executions(t, "w-1")
	if len(all) != 1 || all[0].Status != transferapi.ExecutionStatusException ||
		!strings.Contains(api.Val(all[0].Results.Steps[0].Error.Message), "shutting down") {
		t.Fatalf("executions after Close %+v", all)
	}
}
