package workflow

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/transferapi"
	"github.com/ersatz-dev/ersatz/internal/objectstore"
	"github.com/ersatz-dev/ersatz/internal/objectstore/localfs"
)

func tags(kv ...string) transferapi.WorkflowStep {
	step := tag(kv[0], kv[1])
	for i := 2; i+1 < len(kv); i += 2 {
		step.TagStepDetails.Tags = append(step.TagStepDetails.Tags, transferapi.S3Tag{Key: api.Ptr(kv[i]), Value: api.Ptr(kv[i+1])})
	}
	return step
}

func decrypt() transferapi.WorkflowStep {
	return transferapi.WorkflowStep{Type: api.Ptr(transferapi.WorkflowStepTypeDecrypt), DecryptStepDetails: &transferapi.DecryptStepDetails{
		Type: api.Ptr(transferapi.EncryptionTypePgp), DestinationFileLocation: &transferapi.InputFileLocation{
			S3FileLocation: &transferapi.S3InputFileLocation{Bucket: api.Ptr("plain"), Key: api.Ptr("")}}}}
}

// TestStepsOnTheObjectStore: each step's outcome on the object's content
// and S3 tags, and the step error it fails with.
func TestStepsOnTheObjectStore(t *testing.T) {
	ten := []string{}
	for i := range 10 {
		ten = append(ten, fmt.Sprintf("k%d", i), "v")
	}
	tests := []struct {
		name     string
		steps    []transferapi.WorkflowStep
		upload   bool     // write /inbox/up.txt before the upload
		have     []string // its tags before the steps
		existing bool     // an object at /dest/up.txt
		wantErr  string   // the failing step's error type ("" none)
		wantMsg  string
		wantTags map[string]string // of /inbox/up.txt (nil: not checked)
		wantDest string            // content of /dest/up.txt ("" none)
		destTags map[string]string
	}{
		{name: "tag merges into the S3 tags", upload: true, have: []string{"keep", "1", "class", "old"},
			steps:    []transferapi.WorkflowStep{tags("class", "new", "added", "2")},
			wantTags: map[string]string{"keep": "1", "class": "new", "added": "2"}},
		{name: "ten tags are allowed", upload: true, steps: []transferapi.WorkflowStep{tags(ten...)},
			wantTags: func() map[string]string {
				m := map[string]string{}
				for i := 0; i < len(ten); i += 2 {
					m[ten[i]] = ten[i+1]
				}
				return m
			}()},
		{name: "an eleventh tag fails and changes nothing", upload: true, have: []string{"old", "1"},
			steps: []transferapi.WorkflowStep{tags(ten...)}, wantErr: transferapi.ExecutionErrorTypeBadRequest, wantMsg: "at most 10",
			wantTags: map[string]string{"old": "1"}},
		{name: "tag of a missing object", steps: []transferapi.WorkflowStep{tag("a", "b")},
			wantErr: transferapi.ExecutionErrorTypeNotFound, wantMsg: "/inbox/up.txt to tag does not exist"},
		{name: "copy takes the tags along", upload: true, have: []string{"origin", "sftp"},
			steps:    []transferapi.WorkflowStep{copyTo("dest", ""), tag("copied", "yes")},
			wantDest: "payload", destTags: map[string]string{"origin": "sftp", "copied": "yes"},
			wantTags: map[string]string{"origin": "sftp"}},
		{name: "copy keeps an existing object", upload: true, existing: true, steps: []transferapi.WorkflowStep{copyTo("dest", "up.txt")},
			wantErr: transferapi.ExecutionErrorTypeAlreadyExists, wantDest: "old"},
		{name: "copy of a missing object", steps: []transferapi.WorkflowStep{copyTo("dest", "")},
			wantErr: transferapi.ExecutionErrorTypeNotFound, wantMsg: "source file /inbox/up.txt does not exist"},
		{name: "copy into a bucket S3 cannot name", upload: true, steps: []transferapi.WorkflowStep{copyTo("Bad_Bucket", "")},
			wantErr: transferapi.ExecutionErrorTypeBadRequest, wantMsg: "bucket"},
		{name: "delete of a missing object", steps: []transferapi.WorkflowStep{deleteStep},
			wantErr: transferapi.ExecutionErrorTypeNotFound, wantMsg: "to delete does not exist"},
		{name: "decrypt of an object", upload: true, steps: []transferapi.WorkflowStep{decrypt()},
			wantErr: transferapi.ExecutionErrorTypeBadRequest, wantMsg: "not emulated"},
		{name: "decrypt of a missing object", steps: []transferapi.WorkflowStep{decrypt()},
			wantErr: transferapi.ExecutionErrorTypeNotFound, wantMsg: "to decrypt does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, Definition{ID: "w-1", Steps: tt.steps})
			f.write(t, "inbox", "other.txt", "x") // the bucket exists
			if tt.upload {
				f.write(t, "inbox", "up.txt", "payload", tt.have...)
			}
			if tt.existing {
				f.write(t, "dest", "up.txt", "old")
			}
			f.upload(t, "/inbox/up.txt")
			x := f.wait(t, "w-1", finished)
			last := x.Results.Steps[len(x.Results.Steps)-1]
			if tt.wantErr == "" {
				if x.Status != transferapi.ExecutionStatusCompleted {
					t.Fatalf("execution %s %+v", x.Status, x.Results)
				}
			} else if e := last.Error; e == nil || api.Val(e.Type) != tt.wantErr || !strings.Contains(api.Val(e.Message), tt.wantMsg) {
				t.Fatalf("last step %+v, want %s with %q", last, tt.wantErr, tt.wantMsg)
			}
			if tt.wantTags != nil {
				if got := f.tags(t, "inbox", "up.txt"); !maps.Equal(got, tt.wantTags) {
					t.Fatalf("tags %v, want %v", got, tt.wantTags)
				}
			}
			if tt.wantDest != "" {
				if got, ok := f.read(t, "dest", "up.txt"); !ok || got != tt.wantDest {
					t.Fatalf("/dest/up.txt is %q, %v", got, ok)
				}
			}
			if tt.destTags != nil {
				if got := f.tags(t, "dest", "up.txt"); !maps.Equal(got, tt.destTags) {
					t.Fatalf("tags of the copy %v, want %v", got, tt.destTags)
				}
			}
		})
	}
}

// TestCopyAboveOneCopyObjectIsMultipart: a COPY of an object larger than
// one CopyObject may copy (here the threshold is made small) is a
// multipart upload, with the content, content type and tags of the source.
func TestCopyAboveOneCopyObjectIsMultipart(t *testing.T) {
	t.Parallel()
	f := newFixtureWith(t, func(c *Config) {
		c.Objects = localfs.New(t.TempDir())
		c.limits = objectstore.PutLimits{MultipartAbove: objectstore.MinPartSize, PartSize: objectstore.MinPartSize}
	}, Definition{ID: "w-1", Steps: []transferapi.WorkflowStep{copyTo("dest", "big/")}})
	payload := make([]byte, 2*objectstore.MinPartSize+5)
	if _, err := rand.Read(payload); err != nil {
		t.Fatal(err)
	}
	if err := f.objs.CreateBucket(f.ctx, "inbox", ""); err != nil {
		t.Fatal(err)
	}
	opts := objectstore.PutOptions{Size: int64(len(payload)), ContentType: "application/pdf", Tags: map[string]string{"origin": "sftp"}}
	if _, err := f.objs.Put(f.ctx, "inbox", "up.bin", bytes.NewReader(payload), opts); err != nil {
		t.Fatal(err)
	}
	f.upload(t, "/inbox/up.bin")
	if x := f.wait(t, "w-1", finished); x.Status != transferapi.ExecutionStatusCompleted {
		t.Fatalf("execution %s %+v", x.Status, x.Results)
	}
	got, ok := f.read(t, "dest", "big/up.bin")
	info, err := f.objs.Head(f.ctx, "dest", "big/up.bin")
	if !ok || got != string(payload) || err != nil || !strings.HasSuffix(info.ETag, `-3"`) || info.ContentType != "application/pdf" {
		t.Fatalf("copy of %d bytes, %+v (%v); want %d bytes in 3 parts", len(got), info, err, len(payload))
	}
	if tags := f.tags(t, "dest", "big/up.bin"); !maps.Equal(tags, opts.Tags) {
		t.Fatalf("tags of the copy %v", tags)
	}
}
