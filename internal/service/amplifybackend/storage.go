package amplifybackend

import (
	"context"
	"fmt"
	"slices"
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
// (Amplify allows one per environment); its bucket is created when the job
// completes. Without a BucketName Ersatz names the bucket
// "<resource><8 hex>-<env>"; a BucketName must follow S3's naming rules, not
// be used by another storage resource of the account, and not exist.
func (s *Service) CreateBackendStorage(ctx context.Context, in *ab.CreateBackendStorageRequest) (*ab.CreateBackendStorageResponse, error) {
	r := s.begin(ctx)
	appID, env, name := api.Val(in.AppId), api.Val(in.BackendEnvironmentName), api.Val(in.ResourceName)
	cfg := in.ResourceConfig
	var p problems
	p.pattern("resourceName", name, resourceNamePattern, 1, 128, "resource name (letters and digits, at most 128)")
	checkPermissions(&p, "resourceConfig.permissions", cfg.Permissions)
	if cfg.BucketName != nil {
		if why := validBucketName(*cfg.BucketName); why != "" {
			p.addf("resourceConfig.bucketName", "%q is not a valid S3 bucket name: %s", *cfg.BucketName, why)
		}
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	seed := ids.RandHex(32)
	rec := &storageRecord{ResourceName: name, ServiceName: api.Val(cfg.ServiceName), Permissions: copyPermissions(cfg.Permissions)}
	if cfg.BucketName != nil {
		rec.BucketName = *cfg.BucketName
	} else {
		rec.BucketName = generatedBucketName(name, env, derive(seed, "bucket"))
	}
	o, err := s.start(ctx, r, envJob("CreateBackendStorage", appID, env), func(tx store.Tx) (*change, error) {
		if _, err := loadEnv(tx, r.scope, appID, env); err != nil {
			return nil, err
		}
		if err := checkNoResource[storageRecord](tx, r.scope, appID, env, catStorage, "a storage"); err != nil {
			return nil, err
		}
		buckets, err := scopeBuckets(tx, r.scope)
		if err != nil {
			return nil, err
		}
		if refs := buckets[rec.BucketName]; len(refs) > 0 {
			return nil, badRequest("Invalid request: resourceConfig.bucketName: bucket %s is already used by storage resource %s of app %s",
				rec.BucketName, refs[0].Resource, refs[0].AppID)
		}
		if cfg.BucketName != nil {
			if exists, err := s.buckets.exists(ctx, rec.BucketName); err != nil || exists {
				if err != nil {
					return nil, err
				}
				return nil, badRequest("Invalid request: resourceConfig.bucketName: bucket %s already exists; ImportBackendStorage adopts an existing bucket", rec.BucketName)
			}
		}
		return &change{Kind: chPutResource, Env: env, Category: catStorage, Resource: name, Create: true, Storage: rec}, nil
	})
	if err != nil {
		return nil, err
	}
	return (*ab.CreateBackendStorageResponse)(o.brief()), nil
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
	o, err := s.start(ctx, r, envJob("UpdateBackendStorage", appID, env), func(tx store.Tx) (*change, error) {
		st, err := loadResource[storageRecord](tx, r.scope, appID, env, catStorage, name)
		if err != nil {
			return nil, err
		}
		if svc := api.Val(cfg.ServiceName); svc != st.ServiceName {
			return nil, badRequest("Invalid request: resourceConfig.serviceName: storage resource %s is a %s resource, not %s", name, st.ServiceName, svc)
		}
		st.Permissions = copyPermissions(cfg.Permissions)
		return &change{Kind: chPutResource, Env: env, Category: catStorage, Resource: name, Storage: &st}, nil
	})
	if err != nil {
		return nil, err
	}
	return (*ab.UpdateBackendStorageResponse)(o.brief()), nil
}

// GetBackendStorage returns a storage resource as its last completed job left it.
func (s *Service) GetBackendStorage(ctx context.Context, in *ab.GetBackendStorageRequest) (*ab.GetBackendStorageResponse, error) {
	r := s.begin(ctx)
	appID, env, name := api.Val(in.AppId), api.Val(in.BackendEnvironmentName), api.Val(in.ResourceName)
	st, err := viewResource[storageRecord](ctx, s, r, "GetBackendStorage", appID, env, catStorage, name)
	if err != nil {
		return nil, err
	}
	return &ab.GetBackendStorageResponse{
		AppId: api.Ptr(appID), BackendEnvironmentName: api.Ptr(env), ResourceName: api.Ptr(st.ResourceName),
		ResourceConfig: &ab.GetBackendStorageResourceConfig{
			BucketName: api.Ptr(st.BucketName), Imported: api.Ptr(st.Imported),
			Permissions: copyPermissions(st.Permissions), ServiceName: api.Ptr(st.ServiceName),
		},
	}, nil
}

// DeleteBackendStorage removes a storage resource when the job completes,
// with the bucket it created (releaseStorage); an imported bucket is only
// forgotten.
func (s *Service) DeleteBackendStorage(ctx context.Context, in *ab.DeleteBackendStorageRequest) (*ab.DeleteBackendStorageResponse, error) {
	r := s.begin(ctx)
	appID, env, name := api.Val(in.AppId), api.Val(in.BackendEnvironmentName), api.Val(in.ResourceName)
	o, err := s.start(ctx, r, envJob("DeleteBackendStorage", appID, env), func(tx store.Tx) (*change, error) {
		st, err := loadResource[storageRecord](tx, r.scope, appID, env, catStorage, name)
		if err != nil {
			return nil, err
		}
		if svc := api.Val(in.ServiceName); svc != st.ServiceName {
			return nil, badRequest("Invalid request: serviceName: storage resource %s is a %s resource, not %s", name, st.ServiceName, svc)
		}
		return &change{Kind: chDeleteResource, Env: env, Category: catStorage, Resource: name}, nil
	})
	if err != nil {
		return nil, err
	}
	return (*ab.DeleteBackendStorageResponse)(o.brief()), nil
}

// ImportBackendStorage records an existing bucket the account can use as
// the environment's storage resource (Imported: true), named after the
// bucket, without permissions until UpdateBackendStorage sets some.
func (s *Service) ImportBackendStorage(ctx context.Context, in *ab.ImportBackendStorageRequest) (*ab.ImportBackendStorageResponse, error) {
	r := s.begin(ctx)
	appID, env, bucket := api.Val(in.AppId), api.Val(in.BackendEnvironmentName), api.Val(in.BucketName)
	var p problems
	if in.BucketName == nil {
		p.addf("bucketName", "is required to import a bucket")
	} else if why := validBucketName(bucket); why != "" {
		p.addf("bucketName", "%q is not a valid S3 bucket name: %s", bucket, why)
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	rec := &storageRecord{ResourceName: bucket, BucketName: bucket, ServiceName: api.Val(in.ServiceName), Imported: true}
	o, err := s.start(ctx, r, envJob("ImportBackendStorage", appID, env), func(tx store.Tx) (*change, error) {
		if _, err := loadEnv(tx, r.scope, appID, env); err != nil {
			return nil, err
		}
		if err := checkNoResource[storageRecord](tx, r.scope, appID, env, catStorage, "a storage"); err != nil {
			return nil, err
		}
		if ok, err := s.buckets.usable(ctx, r.scope.Account, bucket); err != nil || !ok {
			if err != nil {
				return nil, err
			}
			return nil, notFound(rtBucket, "Bucket %s not found in account %s (bucketName): ImportBackendStorage adopts an existing bucket", bucket, r.scope.Account)
		}
		return &change{Kind: chPutResource, Env: env, Category: catStorage, Resource: bucket, Create: true, Storage: rec}, nil
	})
	if err != nil {
		return nil, err
	}
	return (*ab.ImportBackendStorageResponse)(o.brief()), nil
}

// ListS3Buckets lists, by name and a page at a time, the buckets of the
// object store the caller's account can see (its own and those nobody owns),
// with their creation dates. Without an object store it lists the buckets
// of the storage resources of the caller's account and region; CreationDate
// is then when the first resource using the bucket was created.
func (s *Service) ListS3Buckets(ctx context.Context, in *ab.ListS3BucketsRequest) (*ab.ListS3BucketsResponse, error) {
	r := s.begin(ctx)
	cur, err := s.kit.Cursor(store.Collection{Scope: r.scope, Kind: "s3bucket"}, api.Val(in.NextToken), s.bucketPage)
	if err != nil {
		return nil, err
	}
	var all []ab.S3BucketInfo
	err = s.read(ctx, r, func(tx store.Tx) error { // settles the due jobs first
		var err error
		if s.buckets.store == nil {
			all, err = recordBuckets(tx, r.scope)
			return err
		}
		visible, err := s.buckets.visible(ctx, r.scope.Account)
		all = make([]ab.S3BucketInfo, 0, len(visible))
		for _, b := range visible {
			all = append(all, ab.S3BucketInfo{Name: api.Ptr(b.Name), CreationDate: api.Ptr(timeString(b.Created))})
		}
		return err
	})
	if err != nil {
		return nil, s.kit.Err("ListS3Buckets", err)
	}
	page, next := svc.Page(cur, all, func(b ab.S3BucketInfo) string { return *b.Name })
	return &ab.ListS3BucketsResponse{Buckets: page, NextToken: next}, nil
}

// recordBuckets lists by name the buckets of the scope's storage resources,
// each created when the first resource using it was.
func recordBuckets(tx store.Tx, sc store.Scope) ([]ab.S3BucketInfo, error) {
	buckets, err := scopeBuckets(tx, sc)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(buckets))
	for n := range buckets {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]ab.S3BucketInfo, 0, len(names))
	for _, n := range names {
		created := buckets[n][0].Created
		for _, ref := range buckets[n] {
			if ref.Created.Before(created) {
				created = ref.Created
			}
		}
		out = append(out, ab.S3BucketInfo{Name: api.Ptr(n), CreationDate: api.Ptr(timeString(created))})
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

// settle readies a new storage resource: its bucket must still be free (an
// imported bucket may be shared) and is created now, owned by the caller's
// account; an imported bucket must still be one the account can use. It
// stamps the resource with its creation time.
func (st *storageRecord) settle(a applying, appID, env string, create bool, at time.Time) (string, error) {
	if !create {
		return "", nil
	}
	if st.Imported {
		ok, err := a.buckets.usable(a.ctx, a.sc.Account, st.BucketName)
		if err != nil || !ok {
			return fmt.Sprintf("Bucket %s no longer exists", st.BucketName), err
		}
	} else {
		msg, err := storageInUse(a.tx, a.sc, appID, env, st.BucketName)
		if err != nil || msg != "" {
			return msg, err
		}
		if msg, err := a.buckets.create(a.ctx, a.sc.Account, st.BucketName); err != nil || msg != "" {
			return msg, err
		}
	}
	st.CreatedAt = at
	return "", nil
}

// releaseStorage deletes the buckets that storage resources sts created
// (not those they imported) when they are going: gone tells which storage
// resources go with them, and a bucket another storage resource still uses
// (by importing it) stays. Either every such bucket is empty and deleted,
// or a failure message names the first one holding objects and nothing is
// deleted.
func releaseStorage(a applying, sts []storageRecord, gone func(bucketRef) bool) (string, error) {
	var names []string
	for _, st := range sts {
		if !st.Imported {
			names = append(names, st.BucketName)
		}
	}
	if len(names) == 0 || a.buckets.store == nil {
		return "", nil
	}
	used, err := scopeBuckets(a.tx, a.sc)
	if err != nil {
		return "", err
	}
	names = slices.DeleteFunc(names, func(n string) bool {
		return slices.ContainsFunc(used[n], func(ref bucketRef) bool { return !gone(ref) })
	})
	if msg, err := a.buckets.removable(a.ctx, a.sc.Account, names); err != nil || msg != "" {
		return msg, err
	}
	return a.buckets.remove(a.ctx, a.sc.Account, names)
}
