package e2e_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ersatz-dev/ersatz/internal/objectstore"
	"github.com/ersatz-dev/ersatz/internal/testkit"
)

// abBuckets lists the names ListS3Buckets answers (one page: the test makes
// fewer than a page of buckets), and whether each has a creation date.
func abBuckets(t *testing.T, c *abClient) map[string]bool {
	t.Helper()
	out := c.must("ListS3Buckets", map[string]any{})
	names := map[string]bool{}
	for _, b := range abList(out["Buckets"]) {
		bm := b.(map[string]any)
		names[abStr(bm, "Name")] = abStr(bm, "CreationDate") != ""
	}
	return names
}

// headBucket runs `aws s3api head-bucket` and returns the HTTP status it
// reports: 200, or the 403/404 of its error.
func headBucket(t *testing.T, cli testkit.AWSCLI, bucket string) int {
	t.Helper()
	_, stderr, err := cli.Run("s3api", "head-bucket", "--bucket", bucket)
	switch {
	case err == nil:
		return 200
	case strings.Contains(stderr, "(404)"):
		return 404
	case strings.Contains(stderr, "(403)"):
		return 403
	}
	t.Fatalf("head-bucket %s: %v: %s", bucket, err, stderr)
	return 0
}

// TestAmplifyBackendStorageBuckets drives Amplify Backend storage with boto3
// and the buckets with the AWS CLI, on the default wiring: a storage job
// creates its bucket in the object store, ListS3Buckets lists what `aws s3
// mb` made, imports need a bucket that exists, and deleting a storage
// resource or its environment removes the bucket it created (once empty)
// but never one it imported.
func TestAmplifyBackendStorageBuckets(t *testing.T) {
	t.Parallel()
	srv := testkit.Start(t)
	c := newABClient(t, srv, abAcct1)
	cli := s3CLI(t, srv.URL, abAcct1)
	other := s3CLI(t, srv.URL, abAcct2)
	for _, env := range []string{"dev", "test", "prod"} {
		c.backend(abApp, env)
	}
	storage := func(env, bucket string) map[string]any {
		p := abStorageParams(env, "files", []string{"READ"}, nil)
		if bucket != "" {
			p["ResourceConfig"].(map[string]any)["BucketName"] = bucket
		}
		return p
	}
	bucketOf := func(env, name string) string {
		st := c.must("GetBackendStorage", map[string]any{"AppId": abApp, "BackendEnvironmentName": env, "ResourceName": name})
		return abStr(st["ResourceConfig"].(map[string]any), "BucketName")
	}
	mustCLI := func(cli testkit.AWSCLI, args ...string) {
		t.Helper()
		if _, stderr, err := cli.Run(args...); err != nil {
			t.Fatalf("aws %v: %v: %s", args, err, stderr)
		}
	}

	// Bad input: nothing is created, no job is started.
	mustCLI(other, "s3", "mb", "s3://other-account-bucket")
	mustCLI(cli, "s3", "mb", "s3://cli-made-bucket")
	before := abBuckets(t, c)
	jobs := len(abList(c.must("ListBackendJobs", map[string]any{"AppId": abApp, "BackendEnvironmentName": "dev"})["Jobs"]))
	for _, tc := range []struct {
		name, op  string
		params    map[string]any
		code      string
		fragments []string
	}{
		{"invalid bucket name", "CreateBackendStorage", storage("dev", "Bad_Bucket.name"), "BadRequestException", []string{"resourceConfig.bucketName", "Bad_Bucket.name"}},
		{"bucket name too short", "CreateBackendStorage", storage("dev", "ab"), "BadRequestException", []string{"resourceConfig.bucketName", "between 3 and 63"}},
		{"reserved prefix", "CreateBackendStorage", storage("dev", "xn--files"), "BadRequestException", []string{"resourceConfig.bucketName", `must not start with "xn--"`}},
		{"an IP address", "ImportBackendStorage", map[string]any{"AppId": abApp, "BackendEnvironmentName": "dev", "BucketName": "10.0.0.1", "ServiceName": "S3"},
			"BadRequestException", []string{"bucketName", "IP address"}},
		{"bucket of the account exists", "CreateBackendStorage", storage("dev", "cli-made-bucket"), "BadRequestException", []string{"resourceConfig.bucketName", "already exists"}},
		{"bucket of another account exists", "CreateBackendStorage", storage("dev", "other-account-bucket"), "BadRequestException", []string{"resourceConfig.bucketName", "already exists"}},
		{"import of a missing bucket", "ImportBackendStorage", map[string]any{"AppId": abApp, "BackendEnvironmentName": "dev", "BucketName": "no-such-bucket", "ServiceName": "S3"},
			"NotFoundException", []string{"bucketName", "no-such-bucket"}},
		{"import of another account's bucket", "ImportBackendStorage", map[string]any{"AppId": abApp, "BackendEnvironmentName": "dev", "BucketName": "other-account-bucket", "ServiceName": "S3"},
			"NotFoundException", []string{"bucketName", "other-account-bucket"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := c.as(abAcct1)
			c.t = t
			c.fails(tc.op, tc.params, tc.code, tc.fragments...)
		})
	}
	if after := abBuckets(t, c); len(after) != len(before) {
		t.Fatalf("rejected requests changed the buckets: %v, then %v", before, after)
	}
	if got := len(abList(c.must("ListBackendJobs", map[string]any{"AppId": abApp, "BackendEnvironmentName": "dev"})["Jobs"])); got != jobs {
		t.Fatalf("rejected requests started jobs: %d, then %d", jobs, got)
	}
	if headBucket(t, cli, "no-such-bucket") != 404 {
		t.Fatal("a rejected import created its bucket")
	}

	// ListS3Buckets lists what `aws s3 mb` made, with its creation date, and
	// not another account's bucket.
	if has, ok := before["cli-made-bucket"]; !ok || !has {
		t.Fatalf("ListS3Buckets = %v, want cli-made-bucket with a CreationDate", before)
	}
	if _, ok := before["other-account-bucket"]; ok {
		t.Fatalf("ListS3Buckets lists another account's bucket: %v", before)
	}

	// The bucket exists once the job completed: named, and generated.
	c.done("CreateBackendStorage", storage("dev", "amp-files-bucket"))
	c.done("CreateBackendStorage", storage("test", ""))
	generated := bucketOf("test", "files")
	for _, b := range []string{"amp-files-bucket", generated} {
		if got := headBucket(t, cli, b); got != 200 {
			t.Fatalf("head-bucket %s: %d after CreateBackendStorage completed", b, got)
		}
		if got := headBucket(t, other, b); got != 403 {
			t.Fatalf("head-bucket %s by another account: %d, want 403 (the bucket is the creator's)", b, got)
		}
		if _, ok := abBuckets(t, c)[b]; !ok {
			t.Fatalf("ListS3Buckets does not list %s", b)
		}
	}
	// An import adopts the CLI's bucket.
	c.done("ImportBackendStorage", map[string]any{"AppId": abApp, "BackendEnvironmentName": "prod", "BucketName": "cli-made-bucket", "ServiceName": "S3"})

	// A bucket holding objects is not removed: the job fails, the resource
	// and the bucket stay.
	file := filepath.Join(t.TempDir(), "report.csv")
	if err := os.WriteFile(file, []byte("a,b\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	mustCLI(cli, "s3", "cp", file, "s3://amp-files-bucket/report.csv")
	del := map[string]any{"AppId": abApp, "BackendEnvironmentName": "dev", "ResourceName": "files", "ServiceName": "S3"}
	j := c.wait(abApp, "dev", abStr(c.must("DeleteBackendStorage", del), "JobId"))
	if j["Status"] != "FAILED" || !strings.Contains(abStr(j, "Error"), "amp-files-bucket is not empty") {
		t.Fatalf("deleting the storage of a bucket with objects: job %v, want FAILED naming the bucket", j)
	}
	if bucketOf("dev", "files") != "amp-files-bucket" || headBucket(t, cli, "amp-files-bucket") != 200 {
		t.Fatal("a failed deletion changed the storage or its bucket")
	}
	// Emptied, it goes with the resource.
	mustCLI(cli, "s3", "rm", "s3://amp-files-bucket/report.csv")
	c.done("DeleteBackendStorage", del)
	if headBucket(t, cli, "amp-files-bucket") != 404 {
		t.Fatal("DeleteBackendStorage left the bucket it created")
	}
	// An imported bucket is only forgotten.
	c.done("DeleteBackendStorage", map[string]any{"AppId": abApp, "BackendEnvironmentName": "prod", "ResourceName": "cli-made-bucket", "ServiceName": "S3"})
	if headBucket(t, cli, "cli-made-bucket") != 200 {
		t.Fatal("DeleteBackendStorage removed an imported bucket")
	}
	// Deleting an environment removes the bucket its storage created.
	c.done("DeleteBackend", map[string]any{"AppId": abApp, "BackendEnvironmentName": "test"})
	if headBucket(t, cli, generated) != 404 {
		t.Fatal("DeleteBackend left the bucket of its storage")
	}
	got := abBuckets(t, c)
	if _, ok := got["cli-made-bucket"]; !ok || len(got) != len(before) {
		t.Fatalf("at the end ListS3Buckets = %v, want what it listed at first (%v)", got, before)
	}
}

// TestAmplifyBackendStorageBucketJobs covers the bucket side of jobs on a
// server whose clock the test moves: CloneBackend creates the clone's
// bucket, a bucket another account made while the job was in progress fails
// the job, a bucket another environment imported stays when its creator
// goes, and RemoveAllBackends removes the buckets its storage created unless
// one holds objects (then nothing changes).
func TestAmplifyBackendStorageBucketJobs(t *testing.T) {
	t.Parallel()
	srv, clk, objs := abStartClockedObjects(t)
	ctx := context.Background()
	c := newABClient(t, srv, abAcct1)
	settle := func() { clk.advance(time.Minute) }
	exists := func(name string) bool {
		t.Helper()
		_, err := objs.HeadBucket(ctx, name)
		if err != nil && !errors.Is(err, objectstore.ErrNoSuchBucket) {
			t.Fatalf("head %s: %v", name, err)
		}
		return err == nil
	}
	job := func(env string, out map[string]any) map[string]any {
		t.Helper()
		settle()
		return c.must("GetBackendJob", map[string]any{"AppId": abApp, "BackendEnvironmentName": env, "JobId": abStr(out, "JobId")})
	}
	named := func(env, bucket string) map[string]any {
		p := abStorageParams(env, "files", []string{"READ"}, nil)
		p["ResourceConfig"].(map[string]any)["BucketName"] = bucket
		return p
	}
	for _, env := range []string{"dev", "test", "prod"} {
		c.must("CreateBackend", map[string]any{"AppId": abApp, "AppName": "Example", "BackendEnvironmentName": env})
	}
	settle()

	// Another account takes the name while the job is in progress.
	out := c.must("CreateBackendStorage", named("prod", "raced-bucket"))
	if err := objs.CreateBucket(ctx, "raced-bucket", abAcct2); err != nil {
		t.Fatal(err)
	}
	if j := job("prod", out); j["Status"] != "FAILED" || !strings.Contains(abStr(j, "Error"), "belongs to another account") {
		t.Fatalf("a job whose bucket another account took = %v, want FAILED", j)
	}
	c.fails("GetBackendStorage", map[string]any{"AppId": abApp, "BackendEnvironmentName": "prod", "ResourceName": "files"}, "NotFoundException")

	// A clone gets a bucket of its own; test imports dev's.
	if j := job("dev", c.must("CreateBackendStorage", named("dev", "dev-files-bucket"))); j["Status"] != "COMPLETED" {
		t.Fatalf("create job = %v", j)
	}
	if j := job("dev", c.must("CloneBackend", map[string]any{"AppId": abApp, "BackendEnvironmentName": "dev", "TargetEnvironmentName": "copy"})); j["Status"] != "COMPLETED" {
		t.Fatalf("clone job = %v", j)
	}
	st := c.must("GetBackendStorage", map[string]any{"AppId": abApp, "BackendEnvironmentName": "copy", "ResourceName": "files"})
	cloned := abStr(st["ResourceConfig"].(map[string]any), "BucketName")
	if cloned == "dev-files-bucket" || !strings.HasSuffix(cloned, "-copy") || !exists(cloned) {
		t.Fatalf("the clone's bucket %q: want a new one that exists", cloned)
	}
	if j := job("test", c.must("ImportBackendStorage", map[string]any{"AppId": abApp, "BackendEnvironmentName": "test", "BucketName": "dev-files-bucket", "ServiceName": "S3"})); j["Status"] != "COMPLETED" {
		t.Fatalf("import job = %v", j)
	}

	// dev goes, its bucket stays: test imported it.
	if j := job("dev", c.must("DeleteBackend", map[string]any{"AppId": abApp, "BackendEnvironmentName": "dev"})); j["Status"] != "COMPLETED" || !exists("dev-files-bucket") {
		t.Fatalf("DeleteBackend of an environment whose bucket another one imported: job %v, bucket there: %v", j, exists("dev-files-bucket"))
	}

	// One bucket with an object: RemoveAllBackends fails and changes nothing.
	if _, err := objs.Put(ctx, cloned, "keep.txt", strings.NewReader("x"), objectstore.PutOptions{Size: 1}); err != nil {
		t.Fatal(err)
	}
	removeAll := map[string]any{"AppId": abApp}
	if j := job("dev", c.must("RemoveAllBackends", removeAll)); j["Status"] != "FAILED" || !strings.Contains(abStr(j, "Error"), cloned+" is not empty") {
		t.Fatalf("RemoveAllBackends with a bucket holding objects = %v, want FAILED naming it", j)
	}
	if envs := abList(c.must("GetBackend", map[string]any{"AppId": abApp})["BackendEnvironmentList"]); len(envs) != 3 || !exists(cloned) || !exists("dev-files-bucket") {
		t.Fatalf("a failed RemoveAllBackends changed something: environments %v", envs)
	}
	if err := objs.Delete(ctx, cloned, "keep.txt"); err != nil {
		t.Fatal(err)
	}
	if j := job("dev", c.must("RemoveAllBackends", removeAll)); j["Status"] != "COMPLETED" {
		t.Fatalf("RemoveAllBackends = %v", j)
	}
	if exists(cloned) || !exists("dev-files-bucket") || !exists("raced-bucket") {
		t.Fatalf("after RemoveAllBackends: the clone's bucket %v (created: goes), dev's %v (only imported by then: stays), another account's %v (stays)",
			exists(cloned), exists("dev-files-bucket"), exists("raced-bucket"))
	}
}
