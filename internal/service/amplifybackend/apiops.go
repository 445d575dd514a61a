package amplifybackend

import (
	"context"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ersatz-dev/ersatz/internal/api"
	ab "github.com/ersatz-dev/ersatz/internal/api/amplifybackendapi"
	"github.com/ersatz-dev/ersatz/internal/ids"
	"github.com/ersatz-dev/ersatz/internal/service/amplifybackend/modelgen"
	"github.com/ersatz-dev/ersatz/internal/service/svc"
	"github.com/ersatz-dev/ersatz/internal/store"
	"github.com/ersatz-dev/ersatz/internal/validate"
)

// apiService is the only service an Amplify data API runs on.
const apiService = "AppSync"

// Defaults of CreateBackendAPI (the Amplify CLI's): an AppSync API named
// after the resource, API key authorization with keys valid 7 days.
const defaultAPIKeyDays = 7

// checkAPIConfig applies the rules of AppSync and the Amplify CLI to an API
// configuration: the service is AppSync, the name follows AppSync's pattern,
// every auth type has a mode and the settings its mode needs, additional
// auth types are distinct and differ from the default, and a conflict
// resolution names its strategy. hasAuth tells whether the environment has
// an auth resource (AMAZON_COGNITO_USER_POOLS without a CognitoUserPoolId
// uses it).
func checkAPIConfig(p *problems, at string, cfg *ab.BackendAPIResourceConfig, hasAuth bool) {
	if cfg.Service != nil && *cfg.Service != apiService {
		p.addf(path(at, "Service"), "%q is not supported: the service must be %s", *cfg.Service, apiService)
	}
	if cfg.ApiName != nil {
		p.pattern(path(at, "ApiName"), *cfg.ApiName, apiNamePattern, 1, 65536, "AppSync API name (a letter or _, then letters, digits or _)")
	}
	defaultMode := ""
	if cfg.DefaultAuthType != nil {
		defaultMode = checkAuthType(p, path(at, "DefaultAuthType"), cfg.DefaultAuthType, hasAuth)
	}
	seen := map[string]bool{}
	for i := range cfg.AdditionalAuthTypes {
		ap := validate.Index(path(at, "AdditionalAuthTypes"), i)
		mode := checkAuthType(p, ap, &cfg.AdditionalAuthTypes[i], hasAuth)
		switch {
		case mode == "":
		case mode == defaultMode:
			p.addf(path(ap, "Mode"), "%s is already the default auth type", mode)
		case seen[mode]:
			p.addf(path(ap, "Mode"), "%s is listed more than once", mode)
		}
		seen[mode] = true
	}
	if cr := cfg.ConflictResolution; cr != nil && cr.ResolutionStrategy == nil {
		p.addf(path(at, "ConflictResolution", "ResolutionStrategy"), "is required")
	}
}

// checkAuthType checks one auth type and returns its mode.
func checkAuthType(p *problems, at string, t *ab.BackendAPIAuthType, hasAuth bool) string {
	if t.Mode == nil {
		p.addf(path(at, "Mode"), "is required")
		return ""
	}
	st := t.Settings
	if st == nil {
		st = &ab.BackendAPIAppSyncAuthSettings{}
	}
	sp := path(at, "Settings")
	switch *t.Mode {
	case ab.ModeApiKey:
		if e := st.ExpirationTime; e != nil && (*e != math.Trunc(*e) || *e < 1 || *e > 365) {
			p.addf(path(sp, "ExpirationTime"), "%v is not a whole number of days between 1 and 365", *e)
		}
	case ab.ModeAmazonCognitoUserPools:
		if st.CognitoUserPoolId != nil {
			p.pattern(path(sp, "CognitoUserPoolId"), *st.CognitoUserPoolId, userPoolIDPattern, 1, 55, "Cognito user pool id")
		} else if !hasAuth {
			p.addf(path(sp, "CognitoUserPoolId"), "is required when the backend environment has no auth resource")
		}
	case ab.ModeOpenidConnect:
		if strings.TrimSpace(api.Val(st.OpenIDProviderName)) == "" {
			p.addf(path(sp, "OpenIDProviderName"), "is required for OPENID_CONNECT")
		}
		if st.OpenIDIssueURL == nil {
			p.addf(path(sp, "OpenIDIssueURL"), "is required for OPENID_CONNECT")
		} else if u, err := url.Parse(*st.OpenIDIssueURL); err != nil || u.Scheme != "https" || u.Host == "" {
			p.addf(path(sp, "OpenIDIssueURL"), "%q is not an https URL", *st.OpenIDIssueURL)
		}
		for _, ttl := range []struct {
			name string
			v    *string
		}{{"OpenIDAuthTTL", st.OpenIDAuthTTL}, {"OpenIDIatTTL", st.OpenIDIatTTL}} {
			if ttl.v == nil {
				continue
			}
			if n, err := strconv.ParseInt(*ttl.v, 10, 64); err != nil || n < 0 {
				p.addf(path(sp, ttl.name), "%q is not a number of milliseconds", *ttl.v)
			}
		}
	}
	return *t.Mode
}

// mergeAPIConfig lays the members given in src over dst.
func mergeAPIConfig(dst *ab.BackendAPIResourceConfig, src *ab.BackendAPIResourceConfig) {
	if src == nil {
		return
	}
	svc.SetList(&dst.AdditionalAuthTypes, src.AdditionalAuthTypes)
	svc.Set(&dst.ApiName, src.ApiName)
	svc.Set(&dst.ConflictResolution, src.ConflictResolution)
	svc.Set(&dst.DefaultAuthType, src.DefaultAuthType)
	svc.Set(&dst.Service, src.Service)
	svc.Set(&dst.TransformSchema, src.TransformSchema)
}

func hasAuthResource(tx store.Tx, sc store.Scope, appID, env string) (bool, error) {
	_, ok, err := firstResource[authRecord](tx, sc, appID, env, catAuth)
	return ok, err
}

// CreateBackendAPI adds the data API of an environment (one per environment).
// Members not given take the Amplify CLI's defaults: Service AppSync, ApiName
// the resource name, DefaultAuthType API_KEY with keys valid 7 days.
func (s *Service) CreateBackendAPI(ctx context.Context, in *ab.CreateBackendAPIRequest) (*ab.CreateBackendAPIResponse, error) {
	r := s.begin(ctx)
	appID, env, name := api.Val(in.AppId), api.Val(in.BackendEnvironmentName), api.Val(in.ResourceName)
	var p problems
	p.pattern("resourceName", name, resourceNamePattern, 1, 128, "resource name (letters and digits, at most 128)")
	if err := p.err(); err != nil {
		return nil, err
	}
	cfg := ab.BackendAPIResourceConfig{Service: api.Ptr(apiService),
		DefaultAuthType: &ab.BackendAPIAuthType{Mode: api.Ptr(ab.ModeApiKey), Settings: &ab.BackendAPIAppSyncAuthSettings{ExpirationTime: api.Ptr(float64(defaultAPIKeyDays))}}}
	if apiNamePattern.MatchString(name) {
		cfg.ApiName = api.Ptr(name) // a name AppSync would refuse is not defaulted
	}
	mergeAPIConfig(&cfg, in.ResourceConfig)
	seed := ids.RandHex(32)
	o, err := s.start(ctx, r, envJob("CreateBackendAPI", appID, env), func(tx store.Tx) (*change, error) {
		if _, err := loadEnv(tx, r.scope, appID, env); err != nil {
			return nil, err
		}
		hasAuth, err := hasAuthResource(tx, r.scope, appID, env)
		if err != nil {
			return nil, err
		}
		var p problems
		checkAPIConfig(&p, "resourceConfig", &cfg, hasAuth)
		if err := p.err(); err != nil {
			return nil, err
		}
		if err := checkNoResource[apiRecord](tx, r.scope, appID, env, catAPI, "an API"); err != nil {
			return nil, err
		}
		rec := &apiRecord{ResourceName: name, Config: cfg, APIID: lowerAlnum(derive(seed, "api"), 26)}
		return &change{Kind: chPutResource, Env: env, Category: catAPI, Resource: name, Create: true, API: rec}, nil
	})
	if err != nil {
		return nil, err
	}
	return (*ab.CreateBackendAPIResponse)(&o), nil
}

// UpdateBackendAPI lays the members of ResourceConfig given over the stored
// configuration when the job completes (a list given replaces the stored
// list). The merged configuration must pass checkAPIConfig; a rejected update
// changes nothing. Changing TransformSchema makes generated models STALE.
func (s *Service) UpdateBackendAPI(ctx context.Context, in *ab.UpdateBackendAPIRequest) (*ab.UpdateBackendAPIResponse, error) {
	r := s.begin(ctx)
	appID, env, name := api.Val(in.AppId), api.Val(in.BackendEnvironmentName), api.Val(in.ResourceName)
	o, err := s.start(ctx, r, envJob("UpdateBackendAPI", appID, env), func(tx store.Tx) (*change, error) {
		a, err := loadResource[apiRecord](tx, r.scope, appID, env, catAPI, name)
		if err != nil {
			return nil, err
		}
		mergeAPIConfig(&a.Config, in.ResourceConfig)
		hasAuth, err := hasAuthResource(tx, r.scope, appID, env)
		if err != nil {
			return nil, err
		}
		var p problems
		checkAPIConfig(&p, "resourceConfig", &a.Config, hasAuth)
		if err := p.err(); err != nil {
			return nil, err
		}
		return &change{Kind: chPutResource, Env: env, Category: catAPI, Resource: name, API: &a}, nil
	})
	if err != nil {
		return nil, err
	}
	return (*ab.UpdateBackendAPIResponse)(&o), nil
}

// GetBackendAPI returns an API resource's configuration.
func (s *Service) GetBackendAPI(ctx context.Context, in *ab.GetBackendAPIRequest) (*ab.GetBackendAPIResponse, error) {
	r := s.begin(ctx)
	appID, env, name := api.Val(in.AppId), api.Val(in.BackendEnvironmentName), api.Val(in.ResourceName)
	a, err := viewResource[apiRecord](ctx, s, r, "GetBackendAPI", appID, env, catAPI, name)
	if err != nil {
		return nil, err
	}
	cfg := a.Config
	return &ab.GetBackendAPIResponse{AppId: api.Ptr(appID), BackendEnvironmentName: api.Ptr(env),
		ResourceName: api.Ptr(a.ResourceName), ResourceConfig: &cfg}, nil
}

// DeleteBackendAPI removes an API resource when the job completes.
func (s *Service) DeleteBackendAPI(ctx context.Context, in *ab.DeleteBackendAPIRequest) (*ab.DeleteBackendAPIResponse, error) {
	r := s.begin(ctx)
	appID, env, name := api.Val(in.AppId), api.Val(in.BackendEnvironmentName), api.Val(in.ResourceName)
	o, err := s.start(ctx, r, envJob("DeleteBackendAPI", appID, env), func(tx store.Tx) (*change, error) {
		if _, err := loadResource[apiRecord](tx, r.scope, appID, env, catAPI, name); err != nil {
			return nil, err
		}
		return &change{Kind: chDeleteResource, Env: env, Category: catAPI, Resource: name}, nil
	})
	if err != nil {
		return nil, err
	}
	return (*ab.DeleteBackendAPIResponse)(&o), nil
}

// GenerateBackendAPIModels starts a job that parses the API's TransformSchema
// (as it stands when the job completes) and stores the models derived from
// its @model types. A schema that does not parse or validate fails the job;
// its Error is the parser's message with the location.
func (s *Service) GenerateBackendAPIModels(ctx context.Context, in *ab.GenerateBackendAPIModelsRequest) (*ab.GenerateBackendAPIModelsResponse, error) {
	r := s.begin(ctx)
	appID, env, name := api.Val(in.AppId), api.Val(in.BackendEnvironmentName), api.Val(in.ResourceName)
	o, err := s.start(ctx, r, envJob("GenerateBackendAPIModels", appID, env), func(tx store.Tx) (*change, error) {
		a, err := loadResource[apiRecord](tx, r.scope, appID, env, catAPI, name)
		if err != nil {
			return nil, err
		}
		if strings.TrimSpace(api.Val(a.Config.TransformSchema)) == "" {
			return nil, badRequest("Invalid request: resourceConfig.transformSchema: API resource %s has no TransformSchema to generate models from", name)
		}
		return &change{Kind: chGenerateModels, Env: env, Resource: name}, nil
	})
	if err != nil {
		return nil, err
	}
	return (*ab.GenerateBackendAPIModelsResponse)(&o), nil
}

// GetBackendAPIModels returns the models of the last completed
// GenerateBackendAPIModels job: Status LATEST when they come from the current
// TransformSchema, STALE when the schema changed since (or when none were
// generated yet, with no Models).
func (s *Service) GetBackendAPIModels(ctx context.Context, in *ab.GetBackendAPIModelsRequest) (*ab.GetBackendAPIModelsResponse, error) {
	r := s.begin(ctx)
	appID, env, name := api.Val(in.AppId), api.Val(in.BackendEnvironmentName), api.Val(in.ResourceName)
	a, err := viewResource[apiRecord](ctx, s, r, "GetBackendAPIModels", appID, env, catAPI, name)
	if err != nil {
		return nil, err
	}
	if a.Models == nil {
		return &ab.GetBackendAPIModelsResponse{Status: api.Ptr(ab.StatusStale)}, nil
	}
	status := ab.StatusLatest
	if a.Models.SchemaHash != modelgen.SchemaHash(api.Val(a.Config.TransformSchema)) {
		status = ab.StatusStale
	}
	return &ab.GetBackendAPIModelsResponse{Models: api.Ptr(a.Models.Models), ModelIntrospectionSchema: api.Ptr(a.Models.MIS), Status: api.Ptr(status)}, nil
}

// applyGenerateModels stores the models a GenerateBackendAPIModels job
// derives from the API's TransformSchema.
func applyGenerateModels(tx store.Tx, sc store.Scope, appID string, ch *change, at time.Time) (string, error) {
	a, ok, err := svc.Lookup[apiRecord](tx, resourceKey(sc, appID, ch.Env, catAPI, ch.Resource))
	if err != nil || !ok {
		return fmt.Sprintf("API resource %s no longer exists", ch.Resource), err
	}
	schema := api.Val(a.Config.TransformSchema)
	out, gerr := modelgen.Generate(schema)
	if gerr != nil {
		return gerr.Error(), nil
	}
	a.Models = &modelsRecord{Models: out.Models, MIS: out.ModelIntrospectionSchema, SchemaHash: modelgen.SchemaHash(schema), Generated: at}
	return "", store.PutJSON(tx, resourceKey(sc, appID, ch.Env, catAPI, ch.Resource), a)
}

// settle stamps a new API resource with its creation time.
func (a *apiRecord) settle(_ applying, _, _ string, create bool, at time.Time) (string, error) {
	if create {
		a.CreatedAt = at
	}
	return "", nil
}
