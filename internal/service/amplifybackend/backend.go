package amplifybackend

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/ersatz-dev/ersatz/internal/api"
	ab "github.com/ersatz-dev/ersatz/internal/api/amplifybackendapi"
	"github.com/ersatz-dev/ersatz/internal/ids"
	"github.com/ersatz-dev/ersatz/internal/service/amplifybackend/ojson"
	"github.com/ersatz-dev/ersatz/internal/service/svc"
	"github.com/ersatz-dev/ersatz/internal/store"
)

// CreateBackend creates a backend environment of an app (and the app, the
// first time). The environment exists once the job completes.
func (s *Service) CreateBackend(ctx context.Context, in *ab.CreateBackendRequest) (*ab.CreateBackendResponse, error) {
	r := s.begin(ctx)
	appID, env, appName := api.Val(in.AppId), api.Val(in.BackendEnvironmentName), api.Val(in.AppName)
	var p problems
	p.pattern("appId", appID, appIDPattern, 2, 20, "Amplify app id (d followed by lowercase letters and digits, at most 20 characters)")
	p.pattern("backendEnvironmentName", env, envNamePattern, 2, 10, "environment name (2 to 10 lowercase letters)")
	if strings.TrimSpace(appName) == "" || len(appName) > 255 {
		p.addf("appName", "must be between 1 and 255 characters and not blank")
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	o, err := s.start(ctx, r, envJob("CreateBackend", appID, env), func(tx store.Tx) (*change, error) {
		app, ok, err := svc.Lookup[appRecord](tx, appKey(r.scope, appID))
		if err != nil {
			return nil, err
		}
		if !ok {
			app = appRecord{AppID: appID, CreatedAt: r.now}
		} else if _, exists, err := svc.Lookup[envRecord](tx, envKey(r.scope, appID, env)); err != nil || exists {
			if err != nil {
				return nil, err
			}
			return nil, badRequest("Backend environment %s already exists for app %s", env, appID)
		}
		app.AppName = appName
		if err := store.PutJSON(tx, appKey(r.scope, appID), app); err != nil {
			return nil, err
		}
		return &change{Kind: chCreateEnv, Env: env}, nil
	})
	if err != nil {
		return nil, err
	}
	return (*ab.CreateBackendResponse)(&o), nil
}

// GetBackend returns an app's details: its name, its environments, and for
// one environment (the one asked for, else the first by name) the
// amplify-meta.json of its resources and the project's feature flags.
func (s *Service) GetBackend(ctx context.Context, in *ab.GetBackendRequest) (*ab.GetBackendResponse, error) {
	r := s.begin(ctx)
	appID, env := api.Val(in.AppId), api.Val(in.BackendEnvironmentName)
	out := &ab.GetBackendResponse{}
	err := s.read(ctx, r, func(tx store.Tx) error {
		app, err := loadApp(tx, r.scope, appID)
		if err != nil {
			return err
		}
		names, err := envNames(tx, r.scope, appID)
		if err != nil {
			return err
		}
		name := env
		if name == "" && len(names) > 0 {
			name = names[0]
		}
		*out = ab.GetBackendResponse{AppId: api.Ptr(appID), AppName: svc.PtrIf(app.AppName), BackendEnvironmentList: names}
		if name == "" {
			return nil
		}
		if _, err := loadEnv(tx, r.scope, appID, name); err != nil {
			return err
		}
		meta, err := metaConfig(tx, r, app, name)
		if err != nil {
			return err
		}
		out.BackendEnvironmentName = api.Ptr(name)
		out.AmplifyMetaConfig = api.Ptr(meta)
		out.AmplifyFeatureFlags = api.Ptr(featureFlags)
		return nil
	})
	if err != nil {
		return nil, s.kit.Err("GetBackend", err)
	}
	return out, nil
}

// featureFlags is the cli.json Ersatz reports for every project.
const featureFlags = `{"features":{"graphqltransformer":{"transformerversion":2,"useexperimentalpipelinedtransformer":true,"respectprimarykeyattributesonconnectionfield":true},"codegen":{"generatemodelsforlazyloadandcustomselectionset":false},"project":{"overrides":true}}}`

// metaConfig renders an environment's resources as amplify-meta.json does:
// {"providers": {"awscloudformation": ...}, "auth": {...}, "storage": {...},
// "api": {...}}, a category present only when it has a resource.
func metaConfig(tx store.Tx, r req, app appRecord, env string) (string, error) {
	sc, appID := r.scope, app.AppID
	stack := "amplify-" + stackPart(app.AppName, appID) + "-" + env
	meta := obj{{"providers", obj{{"awscloudformation", obj{
		{"AmplifyAppId", appID}, {"Region", r.region}, {"StackName", stack},
		{"DeploymentBucketName", stack + "-deployment"},
	}}}}}
	auths, err := listAll[authRecord](tx, categoryCollection(sc, appID, env, catAuth))
	if err != nil {
		return "", err
	}
	if len(auths) > 0 {
		cat := obj{}
		for _, a := range auths {
			out := obj{{"UserPoolId", a.UserPoolID}, {"UserPoolName", api.Val(userPoolName(a))},
				{"AppClientIDWeb", a.WebClientID}, {"AppClientID", a.NativeClientID}}
			if a.IdentityPoolID != "" {
				out = append(out, kv{"IdentityPoolId", a.IdentityPoolID})
			}
			cat = append(cat, kv{a.ResourceName, obj{{"service", "Cognito"}, {"providerPlugin", "awscloudformation"},
				{"imported", a.Imported}, {"output", out}}})
		}
		meta = append(meta, kv{catAuth, cat})
	}
	storages, err := listAll[storageRecord](tx, categoryCollection(sc, appID, env, catStorage))
	if err != nil {
		return "", err
	}
	if len(storages) > 0 {
		cat := obj{}
		for _, st := range storages {
			cat = append(cat, kv{st.ResourceName, obj{{"service", st.ServiceName}, {"providerPlugin", "awscloudformation"},
				{"imported", st.Imported}, {"output", obj{{"BucketName", st.BucketName}, {"Region", r.region}}}}})
		}
		meta = append(meta, kv{catStorage, cat})
	}
	apis, err := listAll[apiRecord](tx, categoryCollection(sc, appID, env, catAPI))
	if err != nil {
		return "", err
	}
	if len(apis) > 0 {
		cat := obj{}
		for _, a := range apis {
			auth := obj{}
			if d := a.Config.DefaultAuthType; d != nil {
				auth = append(auth, kv{"defaultAuthentication", obj{{"authenticationType", api.Val(d.Mode)}}})
			}
			extra := []any{}
			for _, t := range a.Config.AdditionalAuthTypes {
				extra = append(extra, obj{{"authenticationType", api.Val(t.Mode)}})
			}
			auth = append(auth, kv{"additionalAuthenticationProviders", extra})
			cat = append(cat, kv{a.ResourceName, obj{{"service", api.Val(a.Config.Service)}, {"providerPlugin", "awscloudformation"},
				{"output", obj{{"GraphQLAPIIdOutput", a.APIID},
					{"GraphQLAPIEndpointOutput", "https://" + a.APIID + ".appsync-api." + r.region + ".amazonaws.com/graphql"},
					{"authConfig", auth}}}}})
		}
		meta = append(meta, kv{catAPI, cat})
	}
	b, err := json.Marshal(meta)
	if err != nil {
		return "", fmt.Errorf("encode amplify meta: %w", err)
	}
	return string(b), nil
}

func userPoolName(a authRecord) *string {
	if a.Config.UserPoolConfigs != nil {
		return a.Config.UserPoolConfigs.UserPoolName
	}
	return nil
}

// stackPart is the app name as it appears in CloudFormation stack names.
func stackPart(appName, appID string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(appName) {
		if (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') {
			b.WriteRune(c)
		}
	}
	if b.Len() == 0 {
		return appID
	}
	return b.String()
}

// CloneBackend copies an environment, with its resources, to a new one. The
// clone gets new identifiers (user pools, app clients, identity pools, API
// ids, and bucket names of storage it did not import) and exists once the
// job, listed under the source environment, completes.
func (s *Service) CloneBackend(ctx context.Context, in *ab.CloneBackendRequest) (*ab.CloneBackendResponse, error) {
	r := s.begin(ctx)
	appID, env, target := api.Val(in.AppId), api.Val(in.BackendEnvironmentName), api.Val(in.TargetEnvironmentName)
	var p problems
	p.pattern("targetEnvironmentName", target, envNamePattern, 2, 10, "environment name (2 to 10 lowercase letters)")
	if err := p.err(); err != nil {
		return nil, err
	}
	seed := ids.RandHex(32)
	o, err := s.start(ctx, r, envJob("CloneBackend", appID, env, target), func(tx store.Tx) (*change, error) {
		if _, err := loadEnv(tx, r.scope, appID, env); err != nil {
			return nil, err
		}
		if _, exists, err := svc.Lookup[envRecord](tx, envKey(r.scope, appID, target)); err != nil || exists {
			if err != nil {
				return nil, err
			}
			return nil, badRequest("Backend environment %s already exists for app %s", target, appID)
		}
		return &change{Kind: chCloneEnv, Env: env, Target: target, Seed: seed}, nil
	})
	if err != nil {
		return nil, err
	}
	return (*ab.CloneBackendResponse)(&o), nil
}

// applyCreateEnv adds the environment of a CreateBackend job.
func applyCreateEnv(tx store.Tx, sc store.Scope, appID string, ch *change, at time.Time) (string, error) {
	if _, ok, err := svc.Lookup[appRecord](tx, appKey(sc, appID)); err != nil || !ok {
		return fmt.Sprintf("App %s no longer exists", appID), err
	}
	if _, ok, err := svc.Lookup[envRecord](tx, envKey(sc, appID, ch.Env)); err != nil || ok {
		return fmt.Sprintf("Backend environment %s already exists", ch.Env), err
	}
	return "", store.PutJSON(tx, envKey(sc, appID, ch.Env), envRecord{Name: ch.Env, CreatedAt: at})
}

// applyDeleteEnv deletes the environment of a DeleteBackend job (and every
// resource below it; the buckets its storage created go too, see
// releaseStorage).
func applyDeleteEnv(a applying, appID string, ch *change) (string, error) {
	tx, sc := a.tx, a.sc
	if _, ok, err := svc.Lookup[envRecord](tx, envKey(sc, appID, ch.Env)); err != nil || !ok {
		return fmt.Sprintf("Backend environment %s no longer exists", ch.Env), err
	}
	sts, err := listAll[storageRecord](tx, categoryCollection(sc, appID, ch.Env, catStorage))
	if err != nil {
		return "", err
	}
	if msg, err := releaseStorage(a, sts, func(ref bucketRef) bool { return ref.AppID == appID && ref.Env == ch.Env }); err != nil || msg != "" {
		return msg, err
	}
	return "", tx.Delete(envKey(sc, appID, ch.Env))
}

// applyRemoveAll deletes every environment of a RemoveAllBackends job (with
// the buckets their storage created), or the whole app when CleanAmplifyApp
// was set.
func applyRemoveAll(a applying, appID string, ch *change) (string, error) {
	tx, sc := a.tx, a.sc
	names, err := envNames(tx, sc, appID)
	if err != nil {
		return "", err
	}
	var sts []storageRecord
	for _, n := range names {
		more, err := listAll[storageRecord](tx, categoryCollection(sc, appID, n, catStorage))
		if err != nil {
			return "", err
		}
		sts = append(sts, more...)
	}
	if msg, err := releaseStorage(a, sts, func(ref bucketRef) bool { return ref.AppID == appID }); err != nil || msg != "" {
		return msg, err
	}
	if ch.CleanApp {
		return "", svc.DeleteIfExists(tx, appKey(sc, appID))
	}
	for _, n := range names {
		if err := tx.Delete(envKey(sc, appID, n)); err != nil {
			return "", err
		}
	}
	return "", nil
}

// applyClone makes the target environment of a CloneBackend job, with new
// identifiers and, for storage it did not import, a new bucket, created
// before anything is written.
func applyClone(a applying, region, appID string, ch *change, at time.Time) (string, error) {
	tx, sc := a.tx, a.sc
	if _, ok, err := svc.Lookup[envRecord](tx, envKey(sc, appID, ch.Env)); err != nil || !ok {
		return fmt.Sprintf("Backend environment %s no longer exists", ch.Env), err
	}
	if _, ok, err := svc.Lookup[envRecord](tx, envKey(sc, appID, ch.Target)); err != nil || ok {
		return fmt.Sprintf("Backend environment %s already exists", ch.Target), err
	}
	auths, err := listAll[authRecord](tx, categoryCollection(sc, appID, ch.Env, catAuth))
	if err != nil {
		return "", err
	}
	storages, err := listAll[storageRecord](tx, categoryCollection(sc, appID, ch.Env, catStorage))
	if err != nil {
		return "", err
	}
	apis, err := listAll[apiRecord](tx, categoryCollection(sc, appID, ch.Env, catAPI))
	if err != nil {
		return "", err
	}
	for i, st := range storages {
		if st.Imported {
			continue
		}
		storages[i].BucketName = generatedBucketName(st.ResourceName, ch.Target, derive(ch.Seed, "storage", st.ResourceName))
		if msg, err := a.buckets.create(a.ctx, sc.Account, storages[i].BucketName); err != nil || msg != "" {
			return msg, err
		}
	}
	if err := store.PutJSON(tx, envKey(sc, appID, ch.Target), envRecord{Name: ch.Target, CreatedAt: at}); err != nil {
		return "", err
	}
	for _, a := range auths {
		if !a.Imported {
			ids := newAuthIDs(region, derive(ch.Seed, "auth", a.ResourceName), a.IdentityPoolID != "")
			a.UserPoolID, a.WebClientID, a.NativeClientID, a.IdentityPoolID = ids.userPool, ids.webClient, ids.nativeClient, ids.identityPool
		}
		a.CreatedAt = at
		if err := store.PutJSON(tx, resourceKey(sc, appID, ch.Target, catAuth, a.ResourceName), a); err != nil {
			return "", err
		}
	}
	for _, st := range storages {
		st.CreatedAt = at
		if err := store.PutJSON(tx, resourceKey(sc, appID, ch.Target, catStorage, st.ResourceName), st); err != nil {
			return "", err
		}
	}
	for _, a := range apis {
		a.APIID = lowerAlnum(derive(ch.Seed, "api", a.ResourceName), 26)
		a.CreatedAt = at
		if err := store.PutJSON(tx, resourceKey(sc, appID, ch.Target, catAPI, a.ResourceName), a); err != nil {
			return "", err
		}
	}
	return "", nil
}

// DeleteBackend removes an environment and its resources when the job
// completes.
func (s *Service) DeleteBackend(ctx context.Context, in *ab.DeleteBackendRequest) (*ab.DeleteBackendResponse, error) {
	r := s.begin(ctx)
	appID, env := api.Val(in.AppId), api.Val(in.BackendEnvironmentName)
	o, err := s.start(ctx, r, envJob("DeleteBackend", appID, env), func(tx store.Tx) (*change, error) {
		if _, err := loadEnv(tx, r.scope, appID, env); err != nil {
			return nil, err
		}
		return &change{Kind: chDeleteEnv, Env: env}, nil
	})
	if err != nil {
		return nil, err
	}
	return (*ab.DeleteBackendResponse)(&o), nil
}

// RemoveAllBackends removes every environment of an app when the job
// completes; with CleanAmplifyApp the app itself goes too (its Admin UI
// configuration and tokens), and the app is unknown afterwards. Its job is
// app-level: GetBackendJob finds it under any environment name.
func (s *Service) RemoveAllBackends(ctx context.Context, in *ab.RemoveAllBackendsRequest) (*ab.RemoveAllBackendsResponse, error) {
	r := s.begin(ctx)
	appID := api.Val(in.AppId)
	o, err := s.start(ctx, r, appJob("RemoveAllBackends", appID), func(tx store.Tx) (*change, error) {
		if _, err := loadApp(tx, r.scope, appID); err != nil {
			return nil, err
		}
		return &change{Kind: chRemoveAll, CleanApp: api.Val(in.CleanAmplifyApp)}, nil
	})
	if err != nil {
		return nil, err
	}
	return &ab.RemoveAllBackendsResponse{AppId: o.AppId, JobId: o.JobId, Operation: o.Operation, Status: o.Status}, nil
}

// Identifiers.

// derive returns a hex digest of seed and parts: the identifiers a job
// invents come from its seed, so that applying it twice gives one result.
func derive(seed string, parts ...string) []byte {
	h := sha256.New()
	h.Write([]byte(seed))
	for _, p := range parts {
		h.Write([]byte{0})
		h.Write([]byte(p))
	}
	return h.Sum(nil)
}

const alnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// pick renders n characters of alphabet from the bytes of b (re-hashing
// when more are needed).
func pick(b []byte, n int, alphabet string) string {
	out := make([]byte, 0, n)
	for len(out) < n {
		for _, c := range b {
			if len(out) == n {
				break
			}
			out = append(out, alphabet[int(c)%len(alphabet)])
		}
		sum := sha256.Sum256(b)
		b = sum[:]
	}
	return string(out)
}

func lowerAlnum(b []byte, n int) string { return pick(b, n, "abcdefghijklmnopqrstuvwxyz0123456789") }

type authIDs struct {
	userPool, webClient, nativeClient, identityPool string
}

// newAuthIDs shapes Cognito identifiers: user pool "<region>_<9 alnum>", app
// clients of 26 lowercase alnum, identity pool "<region>:<uuid>".
func newAuthIDs(region string, seed []byte, identityPool bool) authIDs {
	ids := authIDs{
		userPool:     region + "_" + pick(derive(hex.EncodeToString(seed), "userpool"), 9, alnum),
		webClient:    lowerAlnum(derive(hex.EncodeToString(seed), "web"), 26),
		nativeClient: lowerAlnum(derive(hex.EncodeToString(seed), "native"), 26),
	}
	if identityPool {
		h := hex.EncodeToString(derive(hex.EncodeToString(seed), "identitypool"))
		ids.identityPool = region + ":" + h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
	}
	return ids
}

// generatedBucketName names the bucket of a storage resource created without
// one: "<resource><8 hex>-<env>", the resource part cut to fit 63 characters.
func generatedBucketName(resource, env string, seed []byte) string {
	suffix := hex.EncodeToString(seed)[:8] + "-" + env
	prefix := strings.ToLower(resource)
	if room := max(63-len(suffix), 0); len(prefix) > room {
		prefix = prefix[:room]
	}
	name := prefix + suffix
	if len(name) > 63 { // an environment name longer than a bucket name
		name = name[:63]
	}
	return name
}

// obj and kv are JSON objects that keep their members in order.
type (
	obj = ojson.Object
	kv  = ojson.Member
)
