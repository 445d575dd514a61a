package e2e_test

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ersatz-dev/ersatz/internal/service/amplifybackend"
	"github.com/ersatz-dev/ersatz/internal/testkit"
)

func abStorageParams(env, name string, auth, unauth []string) map[string]any {
	perms := map[string]any{}
	if auth != nil {
		perms["Authenticated"] = auth
	}
	if unauth != nil {
		perms["UnAuthenticated"] = unauth
	}
	return map[string]any{"AppId": abApp, "BackendEnvironmentName": env, "ResourceName": name,
		"ResourceConfig": map[string]any{"ServiceName": "S3", "Permissions": perms}}
}

// TestAmplifyBackendStorageSeed is the storage seed end to end on the default
// wiring: create a backend and its storage, update the permissions, read
// them back once the job completes, and see bad updates rejected with the
// state unchanged.
func TestAmplifyBackendStorageSeed(t *testing.T) {
	t.Parallel()
	srv := testkit.Start(t)
	c := newABClient(t, srv, abAcct1)
	c.backend(abApp, "dev")
	get := map[string]any{"AppId": abApp, "BackendEnvironmentName": "dev", "ResourceName": "files"}

	create := abStorageParams("dev", "files", []string{"READ"}, nil)
	out := c.done("CreateBackendStorage", create)
	if _, ok := out["Operation"]; ok {
		t.Fatalf("CreateBackendStorage answers no Operation in the model: %v", out)
	}
	st := c.must("GetBackendStorage", get)
	cfg := st["ResourceConfig"].(map[string]any)
	bucket := abStr(cfg, "BucketName")
	if st["ResourceName"] != "files" || cfg["Imported"] != false || cfg["ServiceName"] != "S3" ||
		!strings.HasPrefix(bucket, "files") || !strings.HasSuffix(bucket, "-dev") ||
		!reflect.DeepEqual(cfg["Permissions"], map[string]any{"Authenticated": []any{"READ"}}) {
		t.Fatalf("GetBackendStorage = %v", st)
	}

	upd := c.must("UpdateBackendStorage", abStorageParams("dev", "files", []string{"READ", "CREATE_AND_UPDATE", "DELETE"}, []string{"READ"}))
	if upd["Status"] != "IN_PROGRESS" || upd["BackendEnvironmentName"] != "dev" || upd["AppId"] != abApp {
		t.Fatalf("UpdateBackendStorage = %v", upd)
	}
	if j := c.wait(abApp, "dev", abStr(upd, "JobId")); j["Status"] != "COMPLETED" || j["Operation"] != "UpdateBackendStorage" {
		t.Fatalf("update job = %v", j)
	}
	st = c.must("GetBackendStorage", get)
	want := map[string]any{"BucketName": bucket, "Imported": false, "ServiceName": "S3", "Permissions": map[string]any{
		"Authenticated": []any{"READ", "CREATE_AND_UPDATE", "DELETE"}, "UnAuthenticated": []any{"READ"}}}
	if !reflect.DeepEqual(st["ResourceConfig"], want) {
		t.Fatalf("after the update GetBackendStorage = %v, want %v", st["ResourceConfig"], want)
	}

	jobsBefore := len(abList(c.must("ListBackendJobs", map[string]any{"AppId": abApp, "BackendEnvironmentName": "dev"})["Jobs"]))
	bad := []struct {
		name      string
		params    map[string]any
		code      string
		fragments []string
	}{
		{"authenticated missing", abStorageParams("dev", "files", nil, []string{"READ"}), "BadRequestException", []string{"resourceConfig.permissions.authenticated"}},
		{"authenticated empty", abStorageParams("dev", "files", []string{}, nil), "BadRequestException", []string{"resourceConfig.permissions.authenticated", "at least one"}},
		{"unknown permission", abStorageParams("dev", "files", []string{"WRITE"}, nil), "BadRequestException", []string{"resourceConfig.permissions.authenticated", "WRITE"}},
		{"unknown guest permission", abStorageParams("dev", "files", []string{"READ"}, []string{"LIST"}), "BadRequestException", []string{"resourceConfig.permissions.unAuthenticated", "LIST"}},
		{"permission twice", abStorageParams("dev", "files", []string{"READ", "READ"}, nil), "BadRequestException", []string{"resourceConfig.permissions.authenticated", "more than once"}},
		{"service not S3", func() map[string]any {
			p := abStorageParams("dev", "files", []string{"READ"}, nil)
			p["ResourceConfig"].(map[string]any)["ServiceName"] = "GCS"
			return p
		}(), "BadRequestException", []string{"resourceConfig.serviceName", "GCS"}},
		{"permissions missing", map[string]any{"AppId": abApp, "BackendEnvironmentName": "dev", "ResourceName": "files",
			"ResourceConfig": map[string]any{"ServiceName": "S3"}}, "BadRequestException", []string{"resourceConfig.permissions"}},
		{"unknown resource", abStorageParams("dev", "photos", []string{"READ"}, nil), "NotFoundException", []string{"photos"}},
		{"unknown environment", abStorageParams("prod", "files", []string{"READ"}, nil), "NotFoundException", []string{"prod"}},
		{"unknown app", func() map[string]any {
			p := abStorageParams("dev", "files", []string{"READ"}, nil)
			p["AppId"] = "d1otherapp"
			return p
		}(), "NotFoundException", []string{"d1otherapp"}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			c := c.as(abAcct1)
			c.t = t
			c.fails("UpdateBackendStorage", tc.params, tc.code, tc.fragments...)
			if got := c.must("GetBackendStorage", get); !reflect.DeepEqual(got["ResourceConfig"], want) {
				t.Fatalf("a rejected update changed the storage: %v", got["ResourceConfig"])
			}
		})
	}
	if jobsAfter := len(abList(c.must("ListBackendJobs", map[string]any{"AppId": abApp, "BackendEnvironmentName": "dev"})["Jobs"])); jobsAfter != jobsBefore {
		t.Fatalf("rejected updates left jobs: %d, then %d", jobsBefore, jobsAfter)
	}
}

// TestAmplifyBackendStorageResources covers creation rules, imports, deletion
// and ListS3Buckets, on a server whose clock the test moves.
func TestAmplifyBackendStorageResources(t *testing.T) {
	t.Parallel()
	srv, clk, objs := abStartClockedObjects(t, amplifybackend.WithBucketPageSize(2))
	c := newABClient(t, srv, abAcct1)
	// A bucket the account made with S3 before, to import.
	if err := objs.CreateBucket(context.Background(), "existing.bucket", abAcct1); err != nil {
		t.Fatal(err)
	}
	settle := func() { clk.advance(time.Minute) }
	for _, env := range []string{"dev", "test", "prod"} {
		c.must("CreateBackend", map[string]any{"AppId": abApp, "AppName": "Example", "BackendEnvironmentName": env})
	}
	settle()

	named := abStorageParams("dev", "files", []string{"READ"}, nil)
	named["ResourceConfig"].(map[string]any)["BucketName"] = "my-files-bucket"
	filesJob := abStr(c.must("CreateBackendStorage", named), "JobId")
	// A resource still being created is its pending job.
	c.fails("GetBackendStorage", map[string]any{"AppId": abApp, "BackendEnvironmentName": "dev", "ResourceName": "files"},
		"BadRequestException", "pending job", filesJob)
	settle()

	for _, tc := range []struct {
		name      string
		params    map[string]any
		fragments []string
	}{
		{"second storage in an environment", abStorageParams("dev", "more", []string{"READ"}, nil), []string{"already has a storage resource"}},
		{"bucket used elsewhere", func() map[string]any {
			p := abStorageParams("test", "files", []string{"READ"}, nil)
			p["ResourceConfig"].(map[string]any)["BucketName"] = "my-files-bucket"
			return p
		}(), []string{"resourceConfig.bucketName", "already used"}},
		{"bad bucket name", func() map[string]any {
			p := abStorageParams("test", "files", []string{"READ"}, nil)
			p["ResourceConfig"].(map[string]any)["BucketName"] = "My_Bucket"
			return p
		}(), []string{"resourceConfig.bucketName", "My_Bucket"}},
		{"bad resource name", abStorageParams("test", "my-files", []string{"READ"}, nil), []string{"resourceName", "my-files"}},
	} {
		c.fails("CreateBackendStorage", tc.params, "BadRequestException", tc.fragments...)
	}

	c.fails("ImportBackendStorage", map[string]any{"AppId": abApp, "BackendEnvironmentName": "test", "BucketName": "missing.bucket", "ServiceName": "S3"},
		"NotFoundException", "bucketName", "missing.bucket")
	c.must("ImportBackendStorage", map[string]any{"AppId": abApp, "BackendEnvironmentName": "test", "BucketName": "existing.bucket", "ServiceName": "S3"})
	c.must("CreateBackendStorage", abStorageParams("prod", "files", []string{"READ"}, nil))
	settle()
	imp := c.must("GetBackendStorage", map[string]any{"AppId": abApp, "BackendEnvironmentName": "test", "ResourceName": "existing.bucket"})
	if cfg := imp["ResourceConfig"].(map[string]any); cfg["Imported"] != true || cfg["BucketName"] != "existing.bucket" {
		t.Fatalf("imported storage = %v", imp)
	}
	c.fails("ImportBackendStorage", map[string]any{"AppId": abApp, "BackendEnvironmentName": "test", "ServiceName": "S3"}, "BadRequestException", "bucketName")
	c.fails("ImportBackendStorage", map[string]any{"AppId": abApp, "BackendEnvironmentName": "test", "BucketName": "another-bucket", "ServiceName": "S3"},
		"BadRequestException", "already has a storage resource")

	// Three buckets, two a page, by name.
	var names []string
	token := ""
	for pages := 0; ; pages++ {
		params := map[string]any{}
		if token != "" {
			params["NextToken"] = token
		}
		page := c.must("ListS3Buckets", params)
		for _, b := range abList(page["Buckets"]) {
			bm := b.(map[string]any)
			if abStr(bm, "CreationDate") == "" {
				t.Fatalf("bucket without CreationDate: %v", bm)
			}
			names = append(names, abStr(bm, "Name"))
		}
		if token = abStr(page, "NextToken"); token == "" {
			if pages != 1 {
				t.Fatalf("%d pages for 3 buckets at 2 a page", pages+1)
			}
			break
		}
	}
	if len(names) != 3 || names[0] != "existing.bucket" || !strings.HasPrefix(names[1], "files") || names[2] != "my-files-bucket" {
		t.Fatalf("ListS3Buckets = %v", names)
	}
	c.fails("ListS3Buckets", map[string]any{"NextToken": "bm9wZQ"}, "BadRequestException", "nextToken")
	if other := c.as(abAcct2).must("ListS3Buckets", map[string]any{}); len(abList(other["Buckets"])) != 0 {
		t.Fatalf("another account sees buckets: %v", other)
	}

	c.fails("DeleteBackendStorage", map[string]any{"AppId": abApp, "BackendEnvironmentName": "test", "ResourceName": "nope", "ServiceName": "S3"}, "NotFoundException")
	c.must("DeleteBackendStorage", map[string]any{"AppId": abApp, "BackendEnvironmentName": "test", "ResourceName": "existing.bucket", "ServiceName": "S3"})
	if got := len(abList(c.must("ListS3Buckets", map[string]any{})["Buckets"])); got != 2 {
		t.Fatalf("the deletion is visible before its job completed (%d on the first page)", got)
	}
	settle()
	c.fails("GetBackendStorage", map[string]any{"AppId": abApp, "BackendEnvironmentName": "test", "ResourceName": "existing.bucket"}, "NotFoundException")
	// The imported bucket was only forgotten: it is still listed.
	page := c.must("ListS3Buckets", map[string]any{})
	if got := abList(page["Buckets"]); len(got) != 2 || abStr(got[0].(map[string]any), "Name") != "existing.bucket" || abStr(page, "NextToken") == "" {
		t.Fatalf("after the deletion ListS3Buckets = %v", page)
	}
	if _, err := objs.HeadBucket(context.Background(), "existing.bucket"); err != nil {
		t.Fatalf("deleting an imported storage removed its bucket: %v", err)
	}
}
