package amplifybackend

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/ersatz-dev/ersatz/internal/api"
	ab "github.com/ersatz-dev/ersatz/internal/api/amplifybackendapi"
	"github.com/ersatz-dev/ersatz/internal/ids"
	"github.com/ersatz-dev/ersatz/internal/service/svc"
	"github.com/ersatz-dev/ersatz/internal/store"
)

// checkPermissions applies the rules of BackendStoragePermissions beyond the
// model's enums: Authenticated lists at least one permission, and neither
// list names a permission twice.
func checkPermissions(p *problems, at string, perms *ab.BackendStoragePermissions) {
	if perms == nil {
		p.addf(at, "is required")
		return
	}
	if p.nonEmpty(path(at, "Authenticated"), perms.Authenticated) {
		p.unique(path(at, "Authenticated"), perms.Authenticated)
	}
	p.unique(path(at, "UnAuthenticated"), perms.UnAuthenticated)
}

func copyPermissions(perms *ab.BackendStoragePermissions) *ab.BackendStoragePermissions {
	if perms == nil {
		return nil
	}
	return &ab.BackendStoragePermissions{
		Authenticated:   append([]string{}, perms.Authenticated...),
		UnAuthenticated: append([]string(nil), perms.UnAuthenticated...),
	}
}

// bucketRef is a storage resource using a bucket.
type bucketRef struct {
	AppID, Env, Resource string
	Created              time.Time
}

// scopeBuckets maps every bucket of the scope's storage resources to the
// resources that use it.
func scopeBuckets(tx store.Tx, sc store.Scope) (map[string][]bucketRef, error) {
	apps, err := listAll[appRecord](tx, appKey(sc, "x").Collection())
	if err != nil {
		return nil, err
	}
	out := map[string][]bucketRef{}
	for _, a := range apps {
		names, err := envNames(tx, sc, a.AppID)
		if err != nil {
			return nil, err
		}
		for _, env := range names {
			sts, err := listAll[storageRecord](tx, categoryCollection(sc, a.AppID, env, catStorage))
			if err != nil {
				return nil, err
			}
			for _, st := range sts {
				out[st.BucketName] = append(out[st.BucketName], bucketRef{AppID: a.AppID, Env: env, Resource: st.ResourceName, Created: st.CreatedAt})
			}
		}
	}
	return out, nil
}

// CreateBackendStorage adds the S3 storage resource of an environment
// (Amplify allows one per environment). Without a BucketName Ersatz names
// the bucket "<resource><8 hex>-<env>"; a BucketName must follow S3's naming
// rules and not be used by another storage resource of the account.
func (s *Service) CreateBackendStorage(ctx context.Context, in *ab.CreateBackendStorageRequest) (*ab.CreateBackendStorageResponse, error) {
	r := s.begin(ctx)
	appID, env, name := api.Val(in.AppId), api.Val(in.BackendEnvironmentName), api.Val(in.ResourceName)
	cfg := in.ResourceConfig
	var p problems
	p.pattern("resourceName", name, resourceNamePattern, 1, 128, "resource name (letters and digits, at most 128)")
	checkPermissions(&p, "resourceConfig.permissions", cfg.Permissions)
	if cfg.BucketName != nil {
		if why := validBucketName(*cfg.BucketName); why != "" {
			p.addf("resourceConfig.bucketName", "%q is not a valid S3 bucket name: it %s", *cfg.BucketName, why)
		}
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	jobID, seed := ids.UUIDv7(r.now), ids.RandHex(32)
	rec := &storageRecord{ResourceName: name, ServiceName: api.Val(cfg.ServiceName), Permissions: copyPermissions(cfg.Permissions)}
	if cfg.BucketName != nil {
		rec.BucketName = *cfg.BucketName
	} else {
		rec.BucketName = generatedBucketName(name, env, derive(seed, "bucket"))
	}
	j, err := s.writeJob(ctx, r, "CreateBackendStorage", func(tx store.Tx) (jobSpec, error) {
		if _, err := loadEnv(tx, r.scope, appID, env); err != nil {
			return jobSpec{}, err
		}
		if err := checkNoResource[storageRecord](tx, r.scope, appID, env, catStorage, "a storage"); err != nil {
			return jobSpec{}, err
		}
		buckets, err := scopeBuckets(tx, r.scope)
		if err != nil {
			return jobSpec{}, err
		}
		if refs := buckets[rec.BucketName]; len(refs) > 0 {
			return jobSpec{}, badRequest("Invalid request: resourceConfig.bucketName: bucket %s is already used by storage resource %s of app %s",
				rec.BucketName, refs[0].Resource, refs[0].AppID)
		}
		return jobSpec{JobID: jobID, AppID: appID, Env: env, Touches: []string{env}, Operation: "CreateBackendStorage",
			Change: &change{Kind: chPutResource, Env: env, Category: catStorage, Resource: name, Create: true, Storage: rec}}, nil
	})
	if err != nil {
		return nil, err
	}
	o := jobOut(j, env)
	return &ab.CreateBackendStorageResponse{AppId: &o.AppID, BackendEnvironmentName: &o.Env, JobId: &o.JobID, Status: &o.Status}, nil
}

// UpdateBackendStorage replaces the permissions of a storage resource when
// the job completes. A rejected update changes nothing.
func (s *Service) UpdateBackendStorage(ctx context.Context, in *ab.UpdateBackendStorageRequest) (*ab.UpdateBackendStorageResponse, error) {
	r := s.begin(ctx)
	appID, env, name := api.Val(in.AppId), api.Val(in.BackendEnvironmentName), api.Val(in.ResourceName)
	cfg := in.ResourceConfig
	var p problems
	checkPermissions(&p, "resourceConfig.permissions", cfg.Permissions)
	if err := p.err(); err != nil {
		return nil, err
	}
	jobID := ids.UUIDv7(r.now)
	j, err := s.writeJob(ctx, r, "UpdateBackendStorage", func(tx store.Tx) (jobSpec, error) {
		st, err := loadResource[storageRecord](tx, r.scope, appID, env, catStorage, name)
		if err != nil {
			return jobSpec{}, err
		}
		if svc := api.Val(cfg.ServiceName); svc != st.ServiceName {
			return jobSpec{}, badRequest("Invalid request: resourceConfig.serviceName: storage resource %s is a %s resource, not %s", name, st.ServiceName, svc)
		}
		st.Permissions = copyPermissions(cfg.Permissions)
		return jobSpec{JobID: jobID, AppID: appID, Env: env, Touches: []string{env}, Operation: "UpdateBackendStorage",
			Change: &change{Kind: chPutResource, Env: env, Category: catStorage, Resource: name, Storage: &st}}, nil
	})
	if err != nil {
		return nil, err
	}
	o := jobOut(j, env)
	return &ab.UpdateBackendStorageResponse{AppId: &o.AppID, BackendEnvironmentName: &o.Env, JobId: &o.JobID, Status: &o.Status}, nil
}

// GetBackendStorage returns a storage resource as its last completed job left it.
func (s *Service) GetBackendStorage(ctx context.Context, in *ab.GetBackendStorageRequest) (*ab.GetBackendStorageResponse, error) {
	r := s.begin(ctx)
	appID, env, name := api.Val(in.AppId), api.Val(in.BackendEnvironmentName), api.Val(in.ResourceName)
	var st storageRecord
	err := s.read(ctx, r, func(tx store.Tx) error {
		var err error
		st, err = loadResource[storageRecord](tx, r.scope, appID, env, catStorage, name)
		return err
	})
	if err != nil {
		return nil, s.kit.Err("GetBackendStorage", err)
	}
	return &ab.GetBackendStorageResponse{
		AppId: api.Ptr(appID), BackendEnvironmentName: api.Ptr(env), ResourceName: api.Ptr(st.ResourceName),
		ResourceConfig: &ab.GetBackendStorageResourceConfig{
			BucketName: api.Ptr(st.BucketName), Imported: api.Ptr(st.Imported),
			Permissions: copyPermissions(st.Permissions), ServiceName: api.Ptr(st.ServiceName),
		},
	}, nil
}

// DeleteBackendStorage removes a storage resource when the job completes
// (an imported bucket is only forgotten).
func (s *Service) DeleteBackendStorage(ctx context.Context, in *ab.DeleteBackendStorageRequest) (*ab.DeleteBackendStorageResponse, error) {
	r := s.begin(ctx)
	appID, env, name := api.Val(in.AppId), api.Val(in.BackendEnvironmentName), api.Val(in.ResourceName)
	jobID := ids.UUIDv7(r.now)
	j, err := s.writeJob(ctx, r, "DeleteBackendStorage", func(tx store.Tx) (jobSpec, error) {
		st, err := loadResource[storageRecord](tx, r.scope, appID, env, catStorage, name)
		if err != nil {
			return jobSpec{}, err
		}
		if svc := api.Val(in.ServiceName); svc != st.ServiceName {
			return jobSpec{}, badRequest("Invalid request: serviceName: storage resource %s is a %s resource, not %s", name, st.ServiceName, svc)
		}
		return jobSpec{JobID: jobID, AppID: appID, Env: env, Touches: []string{env}, Operation: "DeleteBackendStorage",
			Change: &change{Kind: chDeleteResource, Env: env, Category: catStorage, Resource: name}}, nil
	})
	if err != nil {
		return nil, err
	}
	o := jobOut(j, env)
	return &ab.DeleteBackendStorageResponse{AppId: &o.AppID, BackendEnvironmentName: &o.Env, JobId: &o.JobID, Status: &o.Status}, nil
}

// ImportBackendStorage records an existing bucket as the environment's
// storage resource (Imported: true), named after the bucket, without
// permissions until UpdateBackendStorage sets some.
func (s *Service) ImportBackendStorage(ctx context.Context, in *ab.ImportBackendStorageRequest) (*ab.ImportBackendStorageResponse, error) {
	r := s.begin(ctx)
	appID, env, bucket := api.Val(in.AppId), api.Val(in.BackendEnvironmentName), api.Val(in.BucketName)
	var p problems
	if in.BucketName == nil {
		p.addf("bucketName", "is required to import a bucket")
	} else if why := validBucketName(bucket); why != "" {
		p.addf("bucketName", "%q is not a valid S3 bucket name: it %s", bucket, why)
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	jobID := ids.UUIDv7(r.now)
	rec := &storageRecord{ResourceName: bucket, BucketName: bucket, ServiceName: api.Val(in.ServiceName), Imported: true}
	j, err := s.writeJob(ctx, r, "ImportBackendStorage", func(tx store.Tx) (jobSpec, error) {
		if _, err := loadEnv(tx, r.scope, appID, env); err != nil {
			return jobSpec{}, err
		}
		if err := checkNoResource[storageRecord](tx, r.scope, appID, env, catStorage, "a storage"); err != nil {
			return jobSpec{}, err
		}
		return jobSpec{JobID: jobID, AppID: appID, Env: env, Touches: []string{env}, Operation: "ImportBackendStorage",
			Change: &change{Kind: chPutResource, Env: env, Category: catStorage, Resource: bucket, Create: true, Storage: rec}}, nil
	})
	if err != nil {
		return nil, err
	}
	o := jobOut(j, env)
	return &ab.ImportBackendStorageResponse{AppId: &o.AppID, BackendEnvironmentName: &o.Env, JobId: &o.JobID, Status: &o.Status}, nil
}

// ListS3Buckets lists the buckets of the storage resources of the caller's
// account and region, by name, a page at a time; CreationDate is when the
// first resource using the bucket was created.
func (s *Service) ListS3Buckets(ctx context.Context, in *ab.ListS3BucketsRequest) (*ab.ListS3BucketsResponse, error) {
	r := s.begin(ctx)
	cur, err := s.kit.Cursor(store.Collection{Scope: r.scope, Kind: "s3bucket"}, api.Val(in.NextToken), s.bucketPage)
	if err != nil {
		return nil, err
	}
	out := &ab.ListS3BucketsResponse{}
	err = s.read(ctx, r, func(tx store.Tx) error {
		buckets, err := scopeBuckets(tx, r.scope)
		if err != nil {
			return err
		}
		names := make([]string, 0, len(buckets))
		for n := range buckets {
			names = append(names, n)
		}
		sort.Strings(names)
		page, next := svc.Page(cur, names, func(n string) string { return n })
		out.Buckets, out.NextToken = make([]ab.S3BucketInfo, 0, len(page)), next
		for _, n := range page {
			created := buckets[n][0].Created
			for _, ref := range buckets[n] {
				if ref.Created.Before(created) {
					created = ref.Created
				}
			}
			out.Buckets = append(out.Buckets, ab.S3BucketInfo{Name: api.Ptr(n), CreationDate: api.Ptr(timeString(created))})
		}
		return nil
	})
	if err != nil {
		return nil, s.kit.Err("ListS3Buckets", err)
	}
	return out, nil
}

// storageInUse reports whether another storage resource than (appID, env)
// of the scope uses bucket.
func storageInUse(tx store.Tx, sc store.Scope, appID, env, bucket string) (string, error) {
	buckets, err := scopeBuckets(tx, sc)
	if err != nil {
		return "", err
	}
	for _, ref := range buckets[bucket] {
		if ref.AppID != appID || ref.Env != env {
			return fmt.Sprintf("Bucket %s is already used by storage resource %s of app %s", bucket, ref.Resource, ref.AppID), nil
		}
	}
	return "", nil
}

// settle checks that a new storage resource's bucket is still free (an
// imported bucket may be shared) and stamps it with its creation time.
func (st *storageRecord) settle(tx store.Tx, sc store.Scope, appID, env string, create bool, at time.Time) (string, error) {
	if create && !st.Imported {
		msg, err := storageInUse(tx, sc, appID, env, st.BucketName)
		if err != nil || msg != "" {
			return msg, err
		}
	}
	if create {
		st.CreatedAt = at
	}
	return "", nil
}
