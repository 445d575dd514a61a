package amplifybackend

import (
	"context"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/ersatz-dev/ersatz/internal/api"
	ab "github.com/ersatz-dev/ersatz/internal/api/amplifybackendapi"
	"github.com/ersatz-dev/ersatz/internal/ids"
	"github.com/ersatz-dev/ersatz/internal/service/svc"
	"github.com/ersatz-dev/ersatz/internal/store"
)

// codePlaceholder is what Cognito requires in verification and MFA messages.
const codePlaceholder = "{####}"

// checkAuthConfig applies Cognito's documented rules to an auth
// configuration, beyond the model's enums and required members:
//   - IDENTITY_POOL_AND_USER_POOL needs identityPoolConfigs, USER_POOL_ONLY
//     must not have them;
//   - pool names are 1 to 128 of letters, digits, spaces and + = , . @ - _;
//   - requiredSignUpAttributes, additionalConstraints, mfaTypes and
//     oAuthScopes name nothing twice;
//   - the minimum password length is a whole number from 6 to 99;
//   - MFA ON or OPTIONAL needs at least one MFA type, OFF none;
//   - SMS and email messages carrying a code contain {####}; an email
//     subject has 1 to 140 characters, an SMS 6 to 140, an email 6 to 20000;
//   - a hosted UI domain prefix is lowercase letters, digits and hyphens
//     (at most 63, not starting or ending with a hyphen) without the reserved
//     words aws, amazon and cognito;
//   - OAuth lists at least one scope and one sign-in and sign-out URL, each
//     an absolute URL without a fragment, HTTPS unless it is localhost;
//   - a social provider gives its client id and secret (Sign in with Apple:
//     client id, team id, key id and private key).
func checkAuthConfig(p *problems, at string, cfg *ab.CreateBackendAuthResourceConfig) {
	switch api.Val(cfg.AuthResources) {
	case ab.AuthResourcesIdentityPoolAndUserPool:
		if cfg.IdentityPoolConfigs == nil {
			p.addf(path(at, "IdentityPoolConfigs"), "is required when authResources is %s", ab.AuthResourcesIdentityPoolAndUserPool)
		}
	case ab.AuthResourcesUserPoolOnly:
		if cfg.IdentityPoolConfigs != nil {
			p.addf(path(at, "IdentityPoolConfigs"), "must be omitted when authResources is %s", ab.AuthResourcesUserPoolOnly)
		}
	}
	if ip := cfg.IdentityPoolConfigs; ip != nil && ip.IdentityPoolName != nil {
		p.pattern(path(at, "IdentityPoolConfigs", "IdentityPoolName"), *ip.IdentityPoolName, poolNamePattern, 1, 128, "identity pool name")
	}
	up := cfg.UserPoolConfigs
	if up == nil {
		p.addf(path(at, "UserPoolConfigs"), "is required")
		return
	}
	at = path(at, "UserPoolConfigs")
	if up.UserPoolName != nil {
		p.pattern(path(at, "UserPoolName"), *up.UserPoolName, poolNamePattern, 1, 128, "user pool name")
	}
	p.unique(path(at, "RequiredSignUpAttributes"), up.RequiredSignUpAttributes)
	if pp := up.PasswordPolicy; pp != nil {
		if n := pp.MinimumLength; n == nil {
			p.addf(path(at, "PasswordPolicy", "MinimumLength"), "is required")
		} else if *n != math.Trunc(*n) || *n < 6 || *n > 99 {
			p.addf(path(at, "PasswordPolicy", "MinimumLength"), "%v is not a whole number from 6 to 99", *n)
		}
		p.unique(path(at, "PasswordPolicy", "AdditionalConstraints"), pp.AdditionalConstraints)
	}
	if m := up.Mfa; m != nil {
		mp := path(at, "Mfa")
		var types []string
		if m.Settings != nil {
			types = m.Settings.MfaTypes
			p.unique(path(mp, "Settings", "MfaTypes"), types)
			if m.Settings.SmsMessage != nil {
				checkText(p, path(mp, "Settings", "SmsMessage"), *m.Settings.SmsMessage, 6, 140, true)
			}
		}
		switch api.Val(m.MFAMode) {
		case "":
			p.addf(path(mp, "MFAMode"), "is required")
		case ab.MFAModeOn, ab.MFAModeOptional:
			if len(types) == 0 {
				p.addf(path(mp, "Settings", "MfaTypes"), "must list at least one MFA type when MFAMode is %s", *m.MFAMode)
			}
		case ab.MFAModeOff:
			if len(types) > 0 {
				p.addf(path(mp, "Settings", "MfaTypes"), "must be empty when MFAMode is OFF")
			}
		}
	}
	if v := up.VerificationMessage; v != nil {
		checkMessages(p, path(at, "VerificationMessage"), v.DeliveryMethod, v.EmailSettings, v.SmsSettings)
	}
	if f := up.ForgotPassword; f != nil {
		checkMessages(p, path(at, "ForgotPassword"), f.DeliveryMethod, f.EmailSettings, f.SmsSettings)
	}
	if o := up.OAuth; o != nil {
		checkOAuth(p, path(at, "OAuth"), o)
	}
}

func checkText(p *problems, at, v string, lo, hi int, code bool) {
	if n := len([]rune(v)); n < lo || n > hi {
		p.addf(at, "must be between %d and %d characters long", lo, hi)
	}
	if code && !strings.Contains(v, codePlaceholder) {
		p.addf(at, "must contain the code placeholder %s", codePlaceholder)
	}
}

func checkMessages(p *problems, at string, method *string, email *ab.EmailSettings, sms *ab.SmsSettings) {
	if method == nil {
		p.addf(path(at, "DeliveryMethod"), "is required")
	}
	if email != nil {
		if email.EmailSubject != nil {
			checkText(p, path(at, "EmailSettings", "EmailSubject"), *email.EmailSubject, 1, 140, false)
		}
		if email.EmailMessage != nil {
			checkText(p, path(at, "EmailSettings", "EmailMessage"), *email.EmailMessage, 6, 20000, true)
		}
	}
	if sms != nil && sms.SmsMessage != nil {
		checkText(p, path(at, "SmsSettings", "SmsMessage"), *sms.SmsMessage, 6, 140, true)
	}
}

func checkOAuth(p *problems, at string, o *ab.CreateBackendAuthOAuthConfig) {
	if o.DomainPrefix != nil {
		d := *o.DomainPrefix
		p.pattern(path(at, "DomainPrefix"), d, domainPrefixPattern, 1, 63, "domain prefix (lowercase letters, digits and hyphens)")
		for _, w := range []string{"aws", "amazon", "cognito"} {
			if strings.Contains(d, w) {
				p.addf(path(at, "DomainPrefix"), "%q must not contain the reserved word %q", d, w)
			}
		}
	}
	if o.OAuthGrantType == nil {
		p.addf(path(at, "OAuthGrantType"), "is required")
	}
	if p.nonEmpty(path(at, "OAuthScopes"), o.OAuthScopes) {
		p.unique(path(at, "OAuthScopes"), o.OAuthScopes)
	}
	for _, l := range []struct {
		name string
		uris []string
	}{{"RedirectSignInURIs", o.RedirectSignInURIs}, {"RedirectSignOutURIs", o.RedirectSignOutURIs}} {
		lp := path(at, l.name)
		if !p.nonEmpty(lp, l.uris) {
			continue
		}
		for _, u := range l.uris {
			checkRedirectURI(p, lp, u)
		}
	}
	if sp := o.SocialProviderSettings; sp != nil {
		sat := path(at, "SocialProviderSettings")
		for _, prov := range []struct {
			name string
			cfg  *ab.BackendAuthSocialProviderConfig
		}{{"Facebook", sp.Facebook}, {"Google", sp.Google}, {"LoginWithAmazon", sp.LoginWithAmazon}} {
			if prov.cfg == nil {
				continue
			}
			if strings.TrimSpace(api.Val(prov.cfg.ClientId)) == "" {
				p.addf(sat+"."+prov.name+".client_id", "is required")
			}
			if strings.TrimSpace(api.Val(prov.cfg.ClientSecret)) == "" {
				p.addf(sat+"."+prov.name+".client_secret", "is required")
			}
		}
		if a := sp.SignInWithApple; a != nil {
			for _, m := range []struct {
				name string
				v    *string
			}{{"client_id", a.ClientId}, {"team_id", a.TeamId}, {"key_id", a.KeyId}, {"private_key", a.PrivateKey}} {
				if strings.TrimSpace(api.Val(m.v)) == "" {
					p.addf(sat+".SignInWithApple."+m.name, "is required")
				}
			}
		}
	}
}

// CreateBackendAuth adds the Cognito auth resource of an environment (one per
// environment), with user pool, app client and (for
// IDENTITY_POOL_AND_USER_POOL) identity pool identifiers Ersatz invents.
func (s *Service) CreateBackendAuth(ctx context.Context, in *ab.CreateBackendAuthRequest) (*ab.CreateBackendAuthResponse, error) {
	r := s.begin(ctx)
	appID, env, name := api.Val(in.AppId), api.Val(in.BackendEnvironmentName), api.Val(in.ResourceName)
	var p problems
	p.pattern("resourceName", name, resourceNamePattern, 1, 128, "resource name (letters and digits, at most 128)")
	checkAuthConfig(&p, "resourceConfig", in.ResourceConfig)
	if err := p.err(); err != nil {
		return nil, err
	}
	seed := ids.RandHex(32)
	ids := newAuthIDs(r.region, derive(seed, "auth"), in.ResourceConfig.IdentityPoolConfigs != nil)
	rec := &authRecord{ResourceName: name, Config: *in.ResourceConfig, UserPoolID: ids.userPool, WebClientID: ids.webClient,
		NativeClientID: ids.nativeClient, IdentityPoolID: ids.identityPool}
	o, err := s.start(ctx, r, envJob("CreateBackendAuth", appID, env), func(tx store.Tx) (*change, error) {
		if _, err := loadEnv(tx, r.scope, appID, env); err != nil {
			return nil, err
		}
		if err := checkNoResource[authRecord](tx, r.scope, appID, env, catAuth, "an auth"); err != nil {
			return nil, err
		}
		return &change{Kind: chPutResource, Env: env, Category: catAuth, Resource: name, Create: true, Auth: rec}, nil
	})
	if err != nil {
		return nil, err
	}
	return (*ab.CreateBackendAuthResponse)(&o), nil
}

// mergeAuthConfig lays an update over the stored configuration: every
// member given replaces the stored one (lists are replaced whole).
// Switching to IDENTITY_POOL_AND_USER_POOL adds an identity pool named
// "<resource>_identitypool"; switching to USER_POOL_ONLY drops it.
func mergeAuthConfig(p *problems, cur ab.CreateBackendAuthResourceConfig, up *ab.UpdateBackendAuthResourceConfig, resource string) ab.CreateBackendAuthResourceConfig {
	cur.AuthResources, cur.Service = up.AuthResources, up.Service
	switch api.Val(up.AuthResources) {
	case ab.AuthResourcesUserPoolOnly:
		if up.IdentityPoolConfigs != nil {
			p.addf("resourceConfig.identityPoolConfigs", "must be omitted when authResources is %s", ab.AuthResourcesUserPoolOnly)
		}
		cur.IdentityPoolConfigs = nil
	case ab.AuthResourcesIdentityPoolAndUserPool:
		ip := ab.CreateBackendAuthIdentityPoolConfig{IdentityPoolName: api.Ptr(resource + "_identitypool"), UnauthenticatedLogin: api.Ptr(false)}
		if cur.IdentityPoolConfigs != nil {
			ip = *cur.IdentityPoolConfigs
		}
		if up.IdentityPoolConfigs != nil && up.IdentityPoolConfigs.UnauthenticatedLogin != nil {
			ip.UnauthenticatedLogin = up.IdentityPoolConfigs.UnauthenticatedLogin
		}
		cur.IdentityPoolConfigs = &ip
	}
	upc := up.UserPoolConfigs
	if upc == nil {
		return cur
	}
	u := ab.CreateBackendAuthUserPoolConfig{}
	if cur.UserPoolConfigs != nil {
		u = *cur.UserPoolConfigs
	}
	if f := upc.ForgotPassword; f != nil {
		fp := ab.CreateBackendAuthForgotPasswordConfig{}
		if u.ForgotPassword != nil {
			fp = *u.ForgotPassword
		}
		svc.Set(&fp.DeliveryMethod, f.DeliveryMethod)
		svc.Set(&fp.EmailSettings, f.EmailSettings)
		svc.Set(&fp.SmsSettings, f.SmsSettings)
		u.ForgotPassword = &fp
	}
	if m := upc.Mfa; m != nil {
		mfa := ab.CreateBackendAuthMFAConfig{MFAMode: api.Ptr(ab.MFAModeOff)}
		if u.Mfa != nil {
			mfa = *u.Mfa
		}
		svc.Set(&mfa.MFAMode, m.MFAMode)
		svc.Set(&mfa.Settings, m.Settings)
		u.Mfa = &mfa
	}
	if o := upc.OAuth; o != nil {
		oa := ab.CreateBackendAuthOAuthConfig{}
		if u.OAuth != nil {
			oa = *u.OAuth
		}
		svc.Set(&oa.DomainPrefix, o.DomainPrefix)
		svc.Set(&oa.OAuthGrantType, o.OAuthGrantType)
		svc.SetList(&oa.OAuthScopes, o.OAuthScopes)
		svc.SetList(&oa.RedirectSignInURIs, o.RedirectSignInURIs)
		svc.SetList(&oa.RedirectSignOutURIs, o.RedirectSignOutURIs)
		svc.Set(&oa.SocialProviderSettings, o.SocialProviderSettings)
		u.OAuth = &oa
	}
	if pp := upc.PasswordPolicy; pp != nil {
		pol := ab.CreateBackendAuthPasswordPolicyConfig{MinimumLength: api.Ptr(8.0)}
		if u.PasswordPolicy != nil {
			pol = *u.PasswordPolicy
		}
		svc.Set(&pol.MinimumLength, pp.MinimumLength)
		svc.SetList(&pol.AdditionalConstraints, pp.AdditionalConstraints)
		u.PasswordPolicy = &pol
	}
	if v := upc.VerificationMessage; v != nil {
		u.VerificationMessage = &ab.CreateBackendAuthVerificationMessageConfig{DeliveryMethod: v.DeliveryMethod, EmailSettings: v.EmailSettings, SmsSettings: v.SmsSettings}
	}
	cur.UserPoolConfigs = &u
	return cur
}

// UpdateBackendAuth changes an auth resource when the job completes (see
// mergeAuthConfig); the merged configuration must pass checkAuthConfig. An
// imported auth resource cannot be updated.
func (s *Service) UpdateBackendAuth(ctx context.Context, in *ab.UpdateBackendAuthRequest) (*ab.UpdateBackendAuthResponse, error) {
	r := s.begin(ctx)
	appID, env, name := api.Val(in.AppId), api.Val(in.BackendEnvironmentName), api.Val(in.ResourceName)
	seed := ids.RandHex(32)
	o, err := s.start(ctx, r, envJob("UpdateBackendAuth", appID, env), func(tx store.Tx) (*change, error) {
		a, err := loadResource[authRecord](tx, r.scope, appID, env, catAuth, name)
		if err != nil {
			return nil, err
		}
		if a.Imported {
			return nil, badRequest("Auth resource %s was imported and cannot be updated", name)
		}
		var p problems
		a.Config = mergeAuthConfig(&p, a.Config, in.ResourceConfig, name)
		checkAuthConfig(&p, "resourceConfig", &a.Config)
		if err := p.err(); err != nil {
			return nil, err
		}
		switch {
		case a.Config.IdentityPoolConfigs == nil:
			a.IdentityPoolID = ""
		case a.IdentityPoolID == "":
			a.IdentityPoolID = newAuthIDs(r.region, derive(seed, "auth"), true).identityPool
		}
		return &change{Kind: chPutResource, Env: env, Category: catAuth, Resource: name, Auth: &a}, nil
	})
	if err != nil {
		return nil, err
	}
	return (*ab.UpdateBackendAuthResponse)(&o), nil
}

// GetBackendAuth returns an auth resource's configuration.
func (s *Service) GetBackendAuth(ctx context.Context, in *ab.GetBackendAuthRequest) (*ab.GetBackendAuthResponse, error) {
	r := s.begin(ctx)
	appID, env, name := api.Val(in.AppId), api.Val(in.BackendEnvironmentName), api.Val(in.ResourceName)
	a, err := viewResource[authRecord](ctx, s, r, "GetBackendAuth", appID, env, catAuth, name)
	if err != nil {
		return nil, err
	}
	cfg := a.Config
	return &ab.GetBackendAuthResponse{AppId: api.Ptr(appID), BackendEnvironmentName: api.Ptr(env),
		ResourceName: api.Ptr(a.ResourceName), ResourceConfig: &cfg}, nil
}

// DeleteBackendAuth removes an auth resource when the job completes. An API
// of the environment that authorizes with its user pool (mode
// AMAZON_COGNITO_USER_POOLS without its own CognitoUserPoolId) keeps it: the
// request is a BadRequestException.
func (s *Service) DeleteBackendAuth(ctx context.Context, in *ab.DeleteBackendAuthRequest) (*ab.DeleteBackendAuthResponse, error) {
	r := s.begin(ctx)
	appID, env, name := api.Val(in.AppId), api.Val(in.BackendEnvironmentName), api.Val(in.ResourceName)
	o, err := s.start(ctx, r, envJob("DeleteBackendAuth", appID, env), func(tx store.Tx) (*change, error) {
		if _, err := loadResource[authRecord](tx, r.scope, appID, env, catAuth, name); err != nil {
			return nil, err
		}
		apis, err := listAll[apiRecord](tx, categoryCollection(r.scope, appID, env, catAPI))
		if err != nil {
			return nil, err
		}
		for _, a := range apis {
			if usesEnvUserPool(a.Config) {
				return nil, badRequest("Auth resource %s is used by API resource %s (AMAZON_COGNITO_USER_POOLS); change the API first", name, a.ResourceName)
			}
		}
		return &change{Kind: chDeleteResource, Env: env, Category: catAuth, Resource: name}, nil
	})
	if err != nil {
		return nil, err
	}
	return (*ab.DeleteBackendAuthResponse)(&o), nil
}

func usesEnvUserPool(cfg ab.BackendAPIResourceConfig) bool {
	types := slices.Clone(cfg.AdditionalAuthTypes)
	if cfg.DefaultAuthType != nil {
		types = append(types, *cfg.DefaultAuthType)
	}
	for _, t := range types {
		if api.Val(t.Mode) == ab.ModeAmazonCognitoUserPools && (t.Settings == nil || t.Settings.CognitoUserPoolId == nil) {
			return true
		}
	}
	return false
}

// ImportBackendAuth records an existing Cognito user pool (with its web and
// native app clients, and optionally an identity pool) as the environment's
// auth resource, named after the user pool id. Its configuration reports the
// pool ids as the pool names.
func (s *Service) ImportBackendAuth(ctx context.Context, in *ab.ImportBackendAuthRequest) (*ab.ImportBackendAuthResponse, error) {
	r := s.begin(ctx)
	appID, env := api.Val(in.AppId), api.Val(in.BackendEnvironmentName)
	pool, web, native := api.Val(in.UserPoolId), api.Val(in.WebClientId), api.Val(in.NativeClientId)
	var p problems
	p.pattern("userPoolId", pool, userPoolIDPattern, 1, 55, "Cognito user pool id")
	p.pattern("webClientId", web, clientIDPattern, 1, 128, "Cognito app client id")
	p.pattern("nativeClientId", native, clientIDPattern, 1, 128, "Cognito app client id")
	if in.IdentityPoolId != nil {
		p.pattern("identityPoolId", *in.IdentityPoolId, identityPoolIDPattern, 1, 55, "Cognito identity pool id")
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	cfg := ab.CreateBackendAuthResourceConfig{
		AuthResources:   api.Ptr(ab.AuthResourcesUserPoolOnly),
		Service:         api.Ptr(ab.ServiceCognito),
		UserPoolConfigs: &ab.CreateBackendAuthUserPoolConfig{UserPoolName: api.Ptr(pool), RequiredSignUpAttributes: []string{}},
	}
	if in.IdentityPoolId != nil {
		cfg.AuthResources = api.Ptr(ab.AuthResourcesIdentityPoolAndUserPool)
		cfg.IdentityPoolConfigs = &ab.CreateBackendAuthIdentityPoolConfig{IdentityPoolName: in.IdentityPoolId, UnauthenticatedLogin: api.Ptr(false)}
	}
	rec := &authRecord{ResourceName: pool, Config: cfg, Imported: true, UserPoolID: pool, WebClientID: web, NativeClientID: native,
		IdentityPoolID: api.Val(in.IdentityPoolId)}
	o, err := s.start(ctx, r, envJob("ImportBackendAuth", appID, env), func(tx store.Tx) (*change, error) {
		if _, err := loadEnv(tx, r.scope, appID, env); err != nil {
			return nil, err
		}
		if err := checkNoResource[authRecord](tx, r.scope, appID, env, catAuth, "an auth"); err != nil {
			return nil, err
		}
		return &change{Kind: chPutResource, Env: env, Category: catAuth, Resource: pool, Create: true, Auth: rec}, nil
	})
	if err != nil {
		return nil, err
	}
	return (*ab.ImportBackendAuthResponse)(&o), nil
}

// settle stamps a new auth resource with its creation time.
func (a *authRecord) settle(_ applying, _, _ string, create bool, at time.Time) (string, error) {
	if create {
		a.CreatedAt = at
	}
	return "", nil
}
