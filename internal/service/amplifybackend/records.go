package amplifybackend

import (
	"fmt"
	"sort"
	"time"

	ab "github.com/ersatz-dev/ersatz/internal/api/amplifybackendapi"
	"github.com/ersatz-dev/ersatz/internal/service/svc"
	"github.com/ersatz-dev/ersatz/internal/store"
)

// Layout of the store, within the caller's scope:
//
//	app/<appId>                              appRecord (name, Admin UI config)
//	app/<appId>/env/<env>                    envRecord (a backend environment)
//	app/<appId>/env/<env>/auth/<name>        authRecord
//	app/<appId>/env/<env>/storage/<name>     storageRecord
//	app/<appId>/env/<env>/api/<name>         apiRecord
//	app/<appId>/token/<sessionId>            tokenRecord
//	jobapp/<appId>/job/<jobId>               jobRecord (kept when the app or environment goes)
//	pendingjob/<jobId>                       pendingRecord (index of IN_PROGRESS jobs)
const (
	kindApp     = "app"
	kindEnv     = "env"
	kindAuth    = "auth"
	kindStorage = "storage"
	kindAPI     = "api"
	kindToken   = "token"
	kindJobApp  = "jobapp"
	kindJob     = "job"
	kindPending = "pendingjob"
)

// Resource categories, as amplify-meta.json names them.
const (
	catAuth    = "auth"
	catStorage = "storage"
	catAPI     = "api"
)

type appRecord struct {
	AppID     string        `json:"appId"`
	AppName   string        `json:"appName,omitempty"`
	CreatedAt time.Time     `json:"createdAt"`
	Config    *configRecord `json:"config,omitempty"`
}

// configRecord is the Admin UI configuration (CreateBackendConfig).
type configRecord struct {
	BackendManagerAppID string                   `json:"backendManagerAppId"`
	LoginAuthConfig     ab.LoginAuthConfigReqObj `json:"loginAuthConfig"`
}

type envRecord struct {
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"createdAt"`
}

type authRecord struct {
	ResourceName   string                             `json:"resourceName"`
	Config         ab.CreateBackendAuthResourceConfig `json:"config"`
	Imported       bool                               `json:"imported,omitempty"`
	UserPoolID     string                             `json:"userPoolId"`
	WebClientID    string                             `json:"webClientId"`
	NativeClientID string                             `json:"nativeClientId"`
	IdentityPoolID string                             `json:"identityPoolId,omitempty"`
	CreatedAt      time.Time                          `json:"createdAt"`
}

type storageRecord struct {
	ResourceName string                        `json:"resourceName"`
	BucketName   string                        `json:"bucketName"`
	ServiceName  string                        `json:"serviceName"`
	Permissions  *ab.BackendStoragePermissions `json:"permissions,omitempty"`
	Imported     bool                          `json:"imported,omitempty"`
	CreatedAt    time.Time                     `json:"createdAt"`
}

type apiRecord struct {
	ResourceName string                      `json:"resourceName"`
	Config       ab.BackendAPIResourceConfig `json:"config"`
	APIID        string                      `json:"apiId"`
	Models       *modelsRecord               `json:"models,omitempty"`
	CreatedAt    time.Time                   `json:"createdAt"`
}

func (r authRecord) resourceName() string    { return r.ResourceName }
func (r storageRecord) resourceName() string { return r.ResourceName }
func (r apiRecord) resourceName() string     { return r.ResourceName }

// modelsRecord is the output of the last GenerateBackendAPIModels job.
type modelsRecord struct {
	Models     string    `json:"models"`
	MIS        string    `json:"modelIntrospectionSchema"`
	SchemaHash string    `json:"schemaHash"` // of the TransformSchema they came from
	Generated  time.Time `json:"generated"`
}

type tokenRecord struct {
	SessionID     string    `json:"sessionId"`
	ChallengeCode string    `json:"challengeCode"`
	Expires       time.Time `json:"expires"`
}

// Keys.

func appKey(sc store.Scope, appID string) store.Key {
	return store.Key{Scope: sc, Kind: kindApp, ID: appID}
}

func envKey(sc store.Scope, appID, env string) store.Key {
	return appKey(sc, appID).Child(kindEnv, env)
}

func resourceKey(sc store.Scope, appID, env, category, name string) store.Key {
	return envKey(sc, appID, env).Child(category, name)
}

func tokenKey(sc store.Scope, appID, sessionID string) store.Key {
	return appKey(sc, appID).Child(kindToken, sessionID)
}

func jobKey(sc store.Scope, appID, jobID string) store.Key {
	return store.Key{Scope: sc, Parent: kindJobApp + "/" + appID, Kind: kindJob, ID: jobID}
}

func jobCollection(sc store.Scope, appID string) store.Collection {
	return jobKey(sc, appID, "x").Collection()
}

func pendingKey(sc store.Scope, jobID string) store.Key {
	return store.Key{Scope: sc, Kind: kindPending, ID: jobID}
}

// Lookups that turn a missing resource into the service's NotFoundException.

func loadApp(tx store.Tx, sc store.Scope, appID string) (appRecord, error) {
	a, ok, err := svc.Lookup[appRecord](tx, appKey(sc, appID))
	if err != nil {
		return a, err
	}
	if !ok {
		return a, notFound(rtApp, "App %s not found", appID)
	}
	return a, nil
}

func loadEnv(tx store.Tx, sc store.Scope, appID, env string) (envRecord, error) {
	if _, err := loadApp(tx, sc, appID); err != nil {
		return envRecord{}, err
	}
	e, ok, err := svc.Lookup[envRecord](tx, envKey(sc, appID, env))
	if err != nil {
		return e, err
	}
	if !ok {
		if j, pending, err := pendingCreation(tx, sc, appID, createsEnv(env)); err != nil || pending {
			if err != nil {
				return e, err
			}
			return e, pendingJobError(j, env, "backend environment "+env)
		}
		return e, notFound(rtEnvironment, "Backend environment %s not found for app %s", env, appID)
	}
	return e, nil
}

// loadResource reads the resource of a category in an existing environment.
func loadResource[T any](tx store.Tx, sc store.Scope, appID, env, category, name string) (T, error) {
	var zero T
	if _, err := loadEnv(tx, sc, appID, env); err != nil {
		return zero, err
	}
	v, ok, err := svc.Lookup[T](tx, resourceKey(sc, appID, env, category, name))
	if err != nil {
		return zero, err
	}
	if !ok {
		if j, pending, err := pendingCreation(tx, sc, appID, createsResource(env, category, name)); err != nil || pending {
			if err != nil {
				return zero, err
			}
			return zero, pendingJobError(j, env, categoryTitle(category)+" resource "+name)
		}
		return zero, notFound(categoryResourceType(category), "%s resource %s not found in backend environment %s of app %s",
			categoryTitle(category), name, env, appID)
	}
	return v, nil
}

func categoryResourceType(category string) string {
	switch category {
	case catAuth:
		return rtAuth
	case catStorage:
		return rtStorage
	default:
		return rtAPI
	}
}

func categoryTitle(category string) string {
	switch category {
	case catAuth:
		return "Auth"
	case catStorage:
		return "Storage"
	default:
		return "API"
	}
}

// listAll reads every document of a collection.
func listAll[T any](tx store.Tx, c store.Collection) ([]T, error) {
	out, _, err := store.ListJSON[T](tx, c, store.Page{})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", c.Kind, err)
	}
	return out, nil
}

func envNames(tx store.Tx, sc store.Scope, appID string) ([]string, error) {
	envs, err := listAll[envRecord](tx, envKey(sc, appID, "x").Collection())
	if err != nil {
		return nil, err
	}
	names := make([]string, len(envs))
	for i, e := range envs {
		names[i] = e.Name
	}
	sort.Strings(names)
	return names, nil
}

// categoryResources lists the resource names of one category of an environment.
func categoryCollection(sc store.Scope, appID, env, category string) store.Collection {
	return resourceKey(sc, appID, env, category, "x").Collection()
}

// firstResource returns the one resource of a category in an environment
// (Amplify allows one per category), or found=false.
func firstResource[T any](tx store.Tx, sc store.Scope, appID, env, category string) (v T, found bool, err error) {
	items, err := listAll[T](tx, categoryCollection(sc, appID, env, category))
	if err != nil || len(items) == 0 {
		return v, false, err
	}
	return items[0], true, nil
}

// checkNoResource refuses a resource of category in an environment that
// already has one (an environment has at most one of each category); what
// names the category with its article ("an API").
func checkNoResource[T interface{ resourceName() string }](tx store.Tx, sc store.Scope, appID, env, category, what string) error {
	v, ok, err := firstResource[T](tx, sc, appID, env, category)
	if err != nil || !ok {
		return err
	}
	return badRequest("Backend environment %s already has %s resource (%s); an environment has at most one", env, what, v.resourceName())
}
