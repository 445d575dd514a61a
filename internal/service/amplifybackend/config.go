package amplifybackend

import (
	"context"
	"fmt"

	"strconv"

	"github.com/ersatz-dev/ersatz/internal/api"
	ab "github.com/ersatz-dev/ersatz/internal/api/amplifybackendapi"
	"github.com/ersatz-dev/ersatz/internal/ids"
	"github.com/ersatz-dev/ersatz/internal/service/svc"
	"github.com/ersatz-dev/ersatz/internal/store"
)

// CreateBackendConfig turns the Amplify Admin UI on for an app (creating the
// app when Ersatz does not know it yet). The configuration, with a Cognito
// login configuration Ersatz invents, exists once the app-level job
// completes; a second CreateBackendConfig is a BadRequestException.
func (s *Service) CreateBackendConfig(ctx context.Context, in *ab.CreateBackendConfigRequest) (*ab.CreateBackendConfigResponse, error) {
	r := s.begin(ctx)
	appID := api.Val(in.AppId)
	manager := appID
	var p problems
	p.pattern("appId", appID, appIDPattern, 2, 20, "Amplify app id (d followed by lowercase letters and digits, at most 20 characters)")
	if in.BackendManagerAppId != nil {
		manager = *in.BackendManagerAppId
		p.pattern("backendManagerAppId", manager, appIDPattern, 2, 20, "Amplify app id")
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	seed := ids.RandHex(32)
	ids := newAuthIDs(r.region, derive(seed, "config"), true)
	cfg := &configRecord{BackendManagerAppID: manager, LoginAuthConfig: ab.LoginAuthConfigReqObj{
		AwsCognitoIdentityPoolId: api.Ptr(ids.identityPool), AwsCognitoRegion: api.Ptr(r.region),
		AwsUserPoolsId: api.Ptr(ids.userPool), AwsUserPoolsWebClientId: api.Ptr(ids.webClient),
	}}
	var env string
	o, err := s.start(ctx, r, appJob("CreateBackendConfig", appID), func(tx store.Tx) (*change, error) {
		app, ok, err := svc.Lookup[appRecord](tx, appKey(r.scope, appID))
		if err != nil {
			return nil, err
		}
		if !ok {
			app = appRecord{AppID: appID, CreatedAt: r.now}
			if err := store.PutJSON(tx, appKey(r.scope, appID), app); err != nil {
				return nil, err
			}
		}
		if app.Config != nil {
			return nil, badRequest("The Amplify Admin UI is already configured for app %s", appID)
		}
		names, err := envNames(tx, r.scope, appID)
		if err != nil {
			return nil, err
		}
		env = ""
		if len(names) > 0 {
			env = names[0]
		}
		return &change{Kind: chCreateConfig, Config: cfg}, nil
	})
	if err != nil {
		return nil, err
	}
	o.BackendEnvironmentName = svc.PtrIf(env)
	return (*ab.CreateBackendConfigResponse)(o.brief()), nil
}

// loadConfiguredApp reads an app whose Admin UI is configured; an app
// without a configuration is a NotFoundException.
func loadConfiguredApp(tx store.Tx, sc store.Scope, appID string) (appRecord, error) {
	app, err := loadApp(tx, sc, appID)
	if err == nil && app.Config == nil {
		err = notFound(rtConfig, "The Amplify Admin UI is not configured for app %s", appID)
	}
	return app, err
}

// UpdateBackendConfig changes the Admin UI's login configuration at once
// (it is not a job): each member given replaces the stored one.
func (s *Service) UpdateBackendConfig(ctx context.Context, in *ab.UpdateBackendConfigRequest) (*ab.UpdateBackendConfigResponse, error) {
	r := s.begin(ctx)
	appID := api.Val(in.AppId)
	var p problems
	if c := in.LoginAuthConfig; c != nil {
		at := "loginAuthConfig"
		if c.AwsCognitoRegion != nil {
			p.pattern(at+".aws_cognito_region", *c.AwsCognitoRegion, regionPattern, 1, 32, "AWS Region")
		}
		if c.AwsUserPoolsId != nil {
			p.pattern(at+".aws_user_pools_id", *c.AwsUserPoolsId, userPoolIDPattern, 1, 55, "Cognito user pool id")
		}
		if c.AwsUserPoolsWebClientId != nil {
			p.pattern(at+".aws_user_pools_web_client_id", *c.AwsUserPoolsWebClientId, clientIDPattern, 1, 128, "Cognito app client id")
		}
		if c.AwsCognitoIdentityPoolId != nil {
			p.pattern(at+".aws_cognito_identity_pool_id", *c.AwsCognitoIdentityPoolId, identityPoolIDPattern, 1, 55, "Cognito identity pool id")
		}
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	var cfg configRecord
	err := s.write(ctx, r, func(tx store.Tx) error {
		app, err := loadConfiguredApp(tx, r.scope, appID)
		if err != nil {
			return err
		}
		if c := in.LoginAuthConfig; c != nil {
			l := &app.Config.LoginAuthConfig
			for _, m := range []struct{ dst, src **string }{
				{&l.AwsCognitoIdentityPoolId, &c.AwsCognitoIdentityPoolId}, {&l.AwsCognitoRegion, &c.AwsCognitoRegion},
				{&l.AwsUserPoolsId, &c.AwsUserPoolsId}, {&l.AwsUserPoolsWebClientId, &c.AwsUserPoolsWebClientId},
			} {
				if *m.src != nil {
					*m.dst = *m.src
				}
			}
		}
		cfg = *app.Config
		return store.PutJSON(tx, appKey(r.scope, appID), app)
	})
	if err != nil {
		return nil, s.kit.Err("UpdateBackendConfig", err)
	}
	login := cfg.LoginAuthConfig
	return &ab.UpdateBackendConfigResponse{AppId: api.Ptr(appID), BackendManagerAppId: api.Ptr(cfg.BackendManagerAppID), LoginAuthConfig: &login}, nil
}

// RemoveBackendConfig turns the Admin UI off for an app at once (it is not a
// job); an app without a configuration is a NotFoundException.
func (s *Service) RemoveBackendConfig(ctx context.Context, in *ab.RemoveBackendConfigRequest) (*ab.RemoveBackendConfigResponse, error) {
	r := s.begin(ctx)
	appID := api.Val(in.AppId)
	err := s.write(ctx, r, func(tx store.Tx) error {
		app, err := loadConfiguredApp(tx, r.scope, appID)
		if err != nil {
			return err
		}
		app.Config = nil
		return store.PutJSON(tx, appKey(r.scope, appID), app)
	})
	if err != nil {
		return nil, s.kit.Err("RemoveBackendConfig", err)
	}
	return &ab.RemoveBackendConfigResponse{}, nil
}

// Tokens.

// CreateToken issues a one-time Admin UI challenge for an app Ersatz knows.
// It stays valid for the token TTL (default 10 minutes); Ttl is its expiry
// as Unix epoch seconds. Expired challenges of the app are dropped.
func (s *Service) CreateToken(ctx context.Context, in *ab.CreateTokenRequest) (*ab.CreateTokenResponse, error) {
	r := s.begin(ctx)
	appID := api.Val(in.AppId)
	seed := ids.RandHex(32)
	tok := tokenRecord{
		SessionID:     uuidFrom(derive(seed, "session")),
		ChallengeCode: uuidFrom(derive(seed, "challenge")),
		Expires:       r.now.Add(s.tokenTTL),
	}
	err := s.write(ctx, r, func(tx store.Tx) error {
		if _, err := loadApp(tx, r.scope, appID); err != nil {
			return err
		}
		toks, err := listAll[tokenRecord](tx, tokenKey(r.scope, appID, "x").Collection())
		if err != nil {
			return err
		}
		for _, t := range toks {
			if !r.now.Before(t.Expires) {
				if err := tx.Delete(tokenKey(r.scope, appID, t.SessionID)); err != nil {
					return err
				}
			}
		}
		return store.PutJSON(tx, tokenKey(r.scope, appID, tok.SessionID), tok)
	})
	if err != nil {
		return nil, s.kit.Err("CreateToken", err)
	}
	return &ab.CreateTokenResponse{AppId: api.Ptr(appID), ChallengeCode: api.Ptr(tok.ChallengeCode),
		SessionId: api.Ptr(tok.SessionID), Ttl: api.Ptr(ttlString(tok))}, nil
}

func ttlString(t tokenRecord) string { return strconv.FormatInt(t.Expires.Unix(), 10) }

// uuidFrom is the UUID form of the first 16 bytes of b, with version 4 and
// the variant nibble a.
func uuidFrom(b []byte) string {
	var u [16]byte
	copy(u[:], b)
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x0f | 0xa0
	return ids.FormatUUID(u)
}

// loadToken finds a challenge that has not expired at r.now.
func loadToken(tx store.Tx, r req, appID, sessionID string) (tokenRecord, error) {
	t, ok, err := svc.Lookup[tokenRecord](tx, tokenKey(r.scope, appID, sessionID))
	if err != nil {
		return t, err
	}
	if !ok || !r.now.Before(t.Expires) {
		return t, notFound(rtToken, "Challenge token with session id %s not found for app %s, or it has expired", sessionID, appID)
	}
	return t, nil
}

// GetToken returns a challenge until it expires.
func (s *Service) GetToken(ctx context.Context, in *ab.GetTokenRequest) (*ab.GetTokenResponse, error) {
	r := s.begin(ctx)
	appID, sessionID := api.Val(in.AppId), api.Val(in.SessionId)
	t, err := view(ctx, s, r, "GetToken", func(tx store.Tx) (tokenRecord, error) {
		return loadToken(tx, r, appID, sessionID)
	})
	if err != nil {
		return nil, err
	}
	return &ab.GetTokenResponse{AppId: api.Ptr(appID), ChallengeCode: api.Ptr(t.ChallengeCode),
		SessionId: api.Ptr(t.SessionID), Ttl: api.Ptr(ttlString(t))}, nil
}

// DeleteToken removes a challenge that has not expired.
func (s *Service) DeleteToken(ctx context.Context, in *ab.DeleteTokenRequest) (*ab.DeleteTokenResponse, error) {
	r := s.begin(ctx)
	appID, sessionID := api.Val(in.AppId), api.Val(in.SessionId)
	err := s.write(ctx, r, func(tx store.Tx) error {
		if _, err := loadToken(tx, r, appID, sessionID); err != nil {
			return err
		}
		return tx.Delete(tokenKey(r.scope, appID, sessionID))
	})
	if err != nil {
		return nil, s.kit.Err("DeleteToken", err)
	}
	return &ab.DeleteTokenResponse{IsSuccess: api.Ptr(true)}, nil
}

// applyCreateConfig stores the Admin UI configuration of a
// CreateBackendConfig job.
func applyCreateConfig(tx store.Tx, sc store.Scope, appID string, ch *change) (string, error) {
	app, ok, err := svc.Lookup[appRecord](tx, appKey(sc, appID))
	if err != nil || !ok {
		return fmt.Sprintf("App %s no longer exists", appID), err
	}
	if app.Config != nil {
		return fmt.Sprintf("The Amplify Admin UI is already configured for app %s", appID), nil
	}
	app.Config = ch.Config
	return "", store.PutJSON(tx, appKey(sc, appID), app)
}
