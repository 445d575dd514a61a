package e2e_test

import (
	"encoding/json"
	"reflect"
	"regexp"
	"strconv"
	"testing"
	"time"
)

func abAuthConfig() map[string]any {
	return map[string]any{
		"AuthResources":       "IDENTITY_POOL_AND_USER_POOL",
		"Service":             "COGNITO",
		"IdentityPoolConfigs": map[string]any{"IdentityPoolName": "example_identity", "UnauthenticatedLogin": true},
		"UserPoolConfigs": map[string]any{
			"UserPoolName":             "example_users",
			"SignInMethod":             "EMAIL",
			"RequiredSignUpAttributes": []any{"EMAIL", "NAME"},
			"PasswordPolicy":           map[string]any{"MinimumLength": 10.0, "AdditionalConstraints": []any{"REQUIRE_DIGIT"}},
			"Mfa":                      map[string]any{"MFAMode": "OPTIONAL", "Settings": map[string]any{"MfaTypes": []any{"TOTP"}}},
			"VerificationMessage": map[string]any{"DeliveryMethod": "EMAIL",
				"EmailSettings": map[string]any{"EmailSubject": "Your code", "EmailMessage": "Your code is {####}"}},
			"OAuth": map[string]any{"DomainPrefix": "example-login", "OAuthGrantType": "CODE", "OAuthScopes": []any{"EMAIL", "OPENID"},
				"RedirectSignInURIs": []any{"https://app.example.com/", "myapp://signin"}, "RedirectSignOutURIs": []any{"http://localhost:3000/"}},
		},
	}
}

// TestAmplifyBackendAuth creates, reads, updates, imports and deletes auth
// resources, and rejects configurations Cognito would refuse.
func TestAmplifyBackendAuth(t *testing.T) {
	t.Parallel()
	srv, clk := abStartClocked(t)
	c := newABClient(t, srv, abAcct1)
	settle := func() { clk.advance(time.Minute) }
	for _, env := range []string{"dev", "prod"} {
		c.must("CreateBackend", map[string]any{"AppId": abApp, "AppName": "Example", "BackendEnvironmentName": env})
	}
	settle()
	res := map[string]any{"AppId": abApp, "BackendEnvironmentName": "dev", "ResourceName": "users"}
	create := func(env string, cfg map[string]any) map[string]any {
		return map[string]any{"AppId": abApp, "BackendEnvironmentName": env, "ResourceName": "users", "ResourceConfig": cfg}
	}

	bad := []struct {
		name      string
		edit      func(cfg map[string]any)
		fragments []string
	}{
		{"identity pool missing", func(c map[string]any) { delete(c, "IdentityPoolConfigs") }, []string{"resourceConfig.identityPoolConfigs", "required"}},
		{"identity pool with user pool only", func(c map[string]any) { c["AuthResources"] = "USER_POOL_ONLY" }, []string{"resourceConfig.identityPoolConfigs", "omitted"}},
		{"short password", func(c map[string]any) {
			c["UserPoolConfigs"].(map[string]any)["PasswordPolicy"] = map[string]any{"MinimumLength": 4.0}
		}, []string{"passwordPolicy.minimumLength", "6 to 99"}},
		{"MFA on without types", func(c map[string]any) {
			c["UserPoolConfigs"].(map[string]any)["Mfa"] = map[string]any{"MFAMode": "ON"}
		}, []string{"mfa.settings.mfaTypes", "at least one"}},
		{"message without code", func(c map[string]any) {
			c["UserPoolConfigs"].(map[string]any)["VerificationMessage"] = map[string]any{"DeliveryMethod": "SMS", "SmsSettings": map[string]any{"SmsMessage": "Welcome aboard"}}
		}, []string{"verificationMessage.smsSettings.smsMessage", "{####}"}},
		{"reserved domain prefix", func(c map[string]any) {
			c["UserPoolConfigs"].(map[string]any)["OAuth"].(map[string]any)["DomainPrefix"] = "my-cognito-login"
		}, []string{"oAuth.domainPrefix", "cognito"}},
		{"plain http redirect", func(c map[string]any) {
			c["UserPoolConfigs"].(map[string]any)["OAuth"].(map[string]any)["RedirectSignInURIs"] = []any{"http://app.example.com/"}
		}, []string{"oAuth.redirectSignInURIs", "HTTPS"}},
		{"social provider without secret", func(c map[string]any) {
			c["UserPoolConfigs"].(map[string]any)["OAuth"].(map[string]any)["SocialProviderSettings"] = map[string]any{"Google": map[string]any{"ClientId": "x"}}
		}, []string{"Google.client_secret", "required"}},
		{"attribute twice", func(c map[string]any) {
			c["UserPoolConfigs"].(map[string]any)["RequiredSignUpAttributes"] = []any{"EMAIL", "EMAIL"}
		}, []string{"requiredSignUpAttributes", "more than once"}},
		{"bad pool name", func(c map[string]any) { c["UserPoolConfigs"].(map[string]any)["UserPoolName"] = "users/all" }, []string{"userPoolName", "users/all"}},
		{"unknown sign-in method", func(c map[string]any) { c["UserPoolConfigs"].(map[string]any)["SignInMethod"] = "FACE" }, []string{"signInMethod", "FACE"}},
	}
	for _, tc := range bad {
		cfg := abAuthConfig()
		tc.edit(cfg)
		c.fails("CreateBackendAuth", create("dev", cfg), "BadRequestException", tc.fragments...)
	}
	if jobs := abList(c.must("ListBackendJobs", map[string]any{"AppId": abApp, "BackendEnvironmentName": "dev"})["Jobs"]); len(jobs) != 1 {
		t.Fatalf("rejected requests started jobs: %v", jobs)
	}

	authJob := abStr(c.must("CreateBackendAuth", create("dev", abAuthConfig())), "JobId")
	c.fails("GetBackendAuth", res, "BadRequestException", "pending job", authJob, "CreateBackendAuth")
	settle()
	got := c.must("GetBackendAuth", res)
	if !reflect.DeepEqual(got["ResourceConfig"], abAuthConfig()) || got["ResourceName"] != "users" {
		t.Fatalf("GetBackendAuth = %v", got)
	}
	c.fails("CreateBackendAuth", create("dev", abAuthConfig()), "BadRequestException", "already has an auth resource")

	c.must("UpdateBackendAuth", map[string]any{"AppId": abApp, "BackendEnvironmentName": "dev", "ResourceName": "users", "ResourceConfig": map[string]any{
		"AuthResources": "USER_POOL_ONLY", "Service": "COGNITO",
		"UserPoolConfigs": map[string]any{"Mfa": map[string]any{"MFAMode": "ON", "Settings": map[string]any{"MfaTypes": []any{"SMS", "TOTP"}, "SmsMessage": "Code {####}"}},
			"PasswordPolicy": map[string]any{"MinimumLength": 12.0}},
	}})
	c.fails("UpdateBackendAuth", map[string]any{"AppId": abApp, "BackendEnvironmentName": "dev", "ResourceName": "users", "ResourceConfig": map[string]any{
		"AuthResources": "USER_POOL_ONLY", "Service": "COGNITO", "UserPoolConfigs": map[string]any{}}}, "BadRequestException", "pending job")
	settle()
	up := c.must("GetBackendAuth", res)["ResourceConfig"].(map[string]any)
	upc := up["UserPoolConfigs"].(map[string]any)
	if up["AuthResources"] != "USER_POOL_ONLY" || up["IdentityPoolConfigs"] != nil || upc["UserPoolName"] != "example_users" ||
		!reflect.DeepEqual(upc["PasswordPolicy"], map[string]any{"MinimumLength": 12.0, "AdditionalConstraints": []any{"REQUIRE_DIGIT"}}) ||
		!reflect.DeepEqual(upc["Mfa"].(map[string]any)["Settings"], map[string]any{"MfaTypes": []any{"SMS", "TOTP"}, "SmsMessage": "Code {####}"}) {
		t.Fatalf("after UpdateBackendAuth = %v", up)
	}
	before := c.must("GetBackendAuth", res)
	c.fails("UpdateBackendAuth", map[string]any{"AppId": abApp, "BackendEnvironmentName": "dev", "ResourceName": "users", "ResourceConfig": map[string]any{
		"AuthResources": "USER_POOL_ONLY", "Service": "COGNITO", "UserPoolConfigs": map[string]any{"Mfa": map[string]any{"MFAMode": "OFF"}}}},
		"BadRequestException", "mfaTypes", "OFF")
	if after := c.must("GetBackendAuth", res); !reflect.DeepEqual(before, after) {
		t.Fatalf("a rejected update changed the auth: %v", after)
	}

	// Import into prod; GetBackend shows it imported.
	c.fails("ImportBackendAuth", map[string]any{"AppId": abApp, "BackendEnvironmentName": "prod", "UserPoolId": "nopool", "NativeClientId": "n", "WebClientId": "w"},
		"BadRequestException", "userPoolId")
	c.must("ImportBackendAuth", map[string]any{"AppId": abApp, "BackendEnvironmentName": "prod", "UserPoolId": "us-east-1_Imported1",
		"NativeClientId": "native1", "WebClientId": "web1", "IdentityPoolId": "us-east-1:0a1b2c3d-0000-1111-2222-333344445555"})
	settle()
	imp := c.must("GetBackendAuth", map[string]any{"AppId": abApp, "BackendEnvironmentName": "prod", "ResourceName": "us-east-1_Imported1"})
	if imp["ResourceConfig"].(map[string]any)["AuthResources"] != "IDENTITY_POOL_AND_USER_POOL" {
		t.Fatalf("imported auth = %v", imp)
	}
	var meta map[string]any
	if err := json.Unmarshal([]byte(abStr(c.must("GetBackend", map[string]any{"AppId": abApp, "BackendEnvironmentName": "prod"}), "AmplifyMetaConfig")), &meta); err != nil {
		t.Fatal(err)
	}
	pa := meta["auth"].(map[string]any)["us-east-1_Imported1"].(map[string]any)
	if pa["imported"] != true || pa["output"].(map[string]any)["UserPoolId"] != "us-east-1_Imported1" || pa["output"].(map[string]any)["AppClientIDWeb"] != "web1" {
		t.Fatalf("meta of the imported auth = %v", pa)
	}
	c.fails("UpdateBackendAuth", map[string]any{"AppId": abApp, "BackendEnvironmentName": "prod", "ResourceName": "us-east-1_Imported1", "ResourceConfig": map[string]any{
		"AuthResources": "USER_POOL_ONLY", "Service": "COGNITO", "UserPoolConfigs": map[string]any{}}}, "BadRequestException", "imported")

	// An API authorizing with the environment's user pool keeps the auth.
	c.must("CreateBackendAPI", map[string]any{"AppId": abApp, "BackendEnvironmentName": "dev", "ResourceName": "data",
		"ResourceConfig": map[string]any{"DefaultAuthType": map[string]any{"Mode": "AMAZON_COGNITO_USER_POOLS"}}})
	settle()
	c.fails("DeleteBackendAuth", res, "BadRequestException", "data")
	c.must("DeleteBackendAPI", map[string]any{"AppId": abApp, "BackendEnvironmentName": "dev", "ResourceName": "data"})
	settle()
	c.must("DeleteBackendAuth", res)
	settle()
	c.fails("GetBackendAuth", res, "NotFoundException")
	c.fails("DeleteBackendAuth", res, "NotFoundException")
}

// TestAmplifyBackendBackends covers GetBackend's meta configuration, cloning,
// deletion, RemoveAllBackends, the Admin UI configuration, tokens, and the
// isolation between accounts.
func TestAmplifyBackendBackends(t *testing.T) {
	t.Parallel()
	srv, clk := abStartClocked(t)
	c := newABClient(t, srv, abAcct1)
	settle := func() { clk.advance(time.Minute) }

	for _, tc := range []struct {
		name      string
		params    map[string]any
		fragments []string
	}{
		{"bad app id", map[string]any{"AppId": "app1", "AppName": "X", "BackendEnvironmentName": "dev"}, []string{"appId", "app1"}},
		{"bad environment name", map[string]any{"AppId": abApp, "AppName": "X", "BackendEnvironmentName": "Dev1"}, []string{"backendEnvironmentName", "Dev1"}},
		{"blank app name", map[string]any{"AppId": abApp, "AppName": " ", "BackendEnvironmentName": "dev"}, []string{"appName"}},
		{"app name missing", map[string]any{"AppId": abApp, "BackendEnvironmentName": "dev"}, []string{"appName"}},
	} {
		c.fails("CreateBackend", tc.params, "BadRequestException", tc.fragments...)
	}
	c.fails("GetBackend", map[string]any{"AppId": abApp}, "NotFoundException", abApp)

	c.must("CreateBackend", map[string]any{"AppId": abApp, "AppName": "Example App", "BackendEnvironmentName": "dev"})
	settle()
	c.fails("CreateBackend", map[string]any{"AppId": abApp, "AppName": "Example App", "BackendEnvironmentName": "dev"}, "BadRequestException", "already exists")
	c.must("CreateBackendStorage", abStorageParams("dev", "files", []string{"READ"}, nil))
	settle()
	c.must("CreateBackendAuth", map[string]any{"AppId": abApp, "BackendEnvironmentName": "dev", "ResourceName": "users", "ResourceConfig": abAuthConfig()})
	settle()
	c.must("CreateBackendAPI", abAPIParams("dev", map[string]any{"TransformSchema": abTodoSchema}))
	settle()

	// The meta configuration agrees with the Get operations.
	b := c.must("GetBackend", map[string]any{"AppId": abApp})
	if b["AppName"] != "Example App" || b["BackendEnvironmentName"] != "dev" || !reflect.DeepEqual(b["BackendEnvironmentList"], []any{"dev"}) {
		t.Fatalf("GetBackend = %v", b)
	}
	var meta, flags map[string]any
	if err := json.Unmarshal([]byte(abStr(b, "AmplifyMetaConfig")), &meta); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(abStr(b, "AmplifyFeatureFlags")), &flags); err != nil {
		t.Fatal(err)
	}
	bucket := c.must("GetBackendStorage", map[string]any{"AppId": abApp, "BackendEnvironmentName": "dev", "ResourceName": "files"})["ResourceConfig"].(map[string]any)["BucketName"]
	st := meta["storage"].(map[string]any)["files"].(map[string]any)
	au := meta["auth"].(map[string]any)["users"].(map[string]any)
	ap := meta["api"].(map[string]any)["data"].(map[string]any)
	prov := meta["providers"].(map[string]any)["awscloudformation"].(map[string]any)
	if st["service"] != "S3" || st["output"].(map[string]any)["BucketName"] != bucket || au["service"] != "Cognito" ||
		!regexp.MustCompile(`^us-east-1_[0-9A-Za-z]{9}$`).MatchString(abStr(au["output"].(map[string]any), "UserPoolId")) ||
		!regexp.MustCompile(`^us-east-1:[0-9a-f-]{36}$`).MatchString(abStr(au["output"].(map[string]any), "IdentityPoolId")) ||
		ap["service"] != "AppSync" || prov["AmplifyAppId"] != abApp || prov["Region"] != "us-east-1" || prov["StackName"] != "amplify-exampleapp-dev" {
		t.Fatalf("AmplifyMetaConfig = %v", meta)
	}
	if flags["features"] == nil {
		t.Fatalf("AmplifyFeatureFlags = %v", flags)
	}

	// Clone copies the environment with new identifiers.
	c.fails("CloneBackend", map[string]any{"AppId": abApp, "BackendEnvironmentName": "dev", "TargetEnvironmentName": "dev"}, "BadRequestException", "already exists")
	c.fails("CloneBackend", map[string]any{"AppId": abApp, "BackendEnvironmentName": "dev", "TargetEnvironmentName": "x"}, "BadRequestException", "targetEnvironmentName")
	c.fails("CloneBackend", map[string]any{"AppId": abApp, "BackendEnvironmentName": "qa", "TargetEnvironmentName": "prod"}, "NotFoundException", "qa")
	cl := c.must("CloneBackend", map[string]any{"AppId": abApp, "BackendEnvironmentName": "dev", "TargetEnvironmentName": "prod"})
	if cl["Operation"] != "CloneBackend" || cl["BackendEnvironmentName"] != "dev" {
		t.Fatalf("CloneBackend = %v", cl)
	}
	c.fails("GetBackend", map[string]any{"AppId": abApp, "BackendEnvironmentName": "prod"}, "BadRequestException", "pending job", abStr(cl, "JobId"))
	settle()
	prodAuth := c.must("GetBackendAuth", map[string]any{"AppId": abApp, "BackendEnvironmentName": "prod", "ResourceName": "users"})
	if !reflect.DeepEqual(prodAuth["ResourceConfig"], abAuthConfig()) {
		t.Fatalf("cloned auth = %v", prodAuth)
	}
	prodBucket := c.must("GetBackendStorage", map[string]any{"AppId": abApp, "BackendEnvironmentName": "prod", "ResourceName": "files"})["ResourceConfig"].(map[string]any)["BucketName"]
	if prodBucket == bucket || abStr(map[string]any{"b": prodBucket}, "b") == "" {
		t.Fatalf("the clone shares bucket %v", prodBucket)
	}
	if got := c.must("GetBackendAPI", map[string]any{"AppId": abApp, "BackendEnvironmentName": "prod", "ResourceName": "data"})["ResourceConfig"].(map[string]any)["TransformSchema"]; got != abTodoSchema {
		t.Fatalf("cloned API schema = %v", got)
	}
	if b := c.must("GetBackend", map[string]any{"AppId": abApp}); !reflect.DeepEqual(b["BackendEnvironmentList"], []any{"dev", "prod"}) {
		t.Fatalf("environments after the clone = %v", b["BackendEnvironmentList"])
	}

	// Admin UI configuration.
	cfg := c.must("CreateBackendConfig", map[string]any{"AppId": abApp})
	if cfg["BackendEnvironmentName"] != "dev" || cfg["Status"] != "IN_PROGRESS" {
		t.Fatalf("CreateBackendConfig = %v", cfg)
	}
	c.fails("UpdateBackendConfig", map[string]any{"AppId": abApp}, "NotFoundException")
	settle()
	if j := c.must("GetBackendJob", map[string]any{"AppId": abApp, "BackendEnvironmentName": "prod", "JobId": cfg["JobId"]}); j["Status"] != "COMPLETED" || j["BackendEnvironmentName"] != "prod" {
		t.Fatalf("an app-level job is reachable under any environment: %v", j)
	}
	c.fails("CreateBackendConfig", map[string]any{"AppId": abApp}, "BadRequestException", "already configured")
	c.fails("UpdateBackendConfig", map[string]any{"AppId": abApp, "LoginAuthConfig": map[string]any{"AwsCognitoRegion": "moon-1"}},
		"BadRequestException", "loginAuthConfig.aws_cognito_region")
	uc := c.must("UpdateBackendConfig", map[string]any{"AppId": abApp, "LoginAuthConfig": map[string]any{"AwsUserPoolsId": "eu-west-1_Admin1234", "AwsCognitoRegion": "eu-west-1"}})
	login := uc["LoginAuthConfig"].(map[string]any)
	if uc["BackendManagerAppId"] != abApp || login["AwsUserPoolsId"] != "eu-west-1_Admin1234" || login["AwsCognitoRegion"] != "eu-west-1" ||
		abStr(login, "AwsUserPoolsWebClientId") == "" || abStr(login, "AwsCognitoIdentityPoolId") == "" {
		t.Fatalf("UpdateBackendConfig = %v", uc)
	}

	// Tokens.
	c.fails("CreateToken", map[string]any{"AppId": "d1unknown"}, "NotFoundException")
	tok := c.must("CreateToken", map[string]any{"AppId": abApp})
	ttl, err := strconv.ParseInt(abStr(tok, "Ttl"), 10, 64)
	if err != nil || ttl != clk.now().Add(10*time.Minute).Unix() || abStr(tok, "ChallengeCode") == "" || abStr(tok, "SessionId") == "" {
		t.Fatalf("CreateToken = %v (%v)", tok, err)
	}
	session := map[string]any{"AppId": abApp, "SessionId": tok["SessionId"]}
	if got := c.must("GetToken", session); !reflect.DeepEqual(got, tok) {
		t.Fatalf("GetToken = %v, want %v", got, tok)
	}
	clk.advance(10 * time.Minute)
	c.fails("GetToken", session, "NotFoundException", "expired")
	tok = c.must("CreateToken", map[string]any{"AppId": abApp})
	session = map[string]any{"AppId": abApp, "SessionId": tok["SessionId"]}
	if del := c.must("DeleteToken", session); del["IsSuccess"] != true {
		t.Fatalf("DeleteToken = %v", del)
	}
	c.fails("GetToken", session, "NotFoundException")
	c.fails("DeleteToken", session, "NotFoundException")

	// Another account sees none of it.
	other := c.as(abAcct2)
	other.fails("GetBackend", map[string]any{"AppId": abApp}, "NotFoundException")
	other.fails("GetBackendStorage", map[string]any{"AppId": abApp, "BackendEnvironmentName": "dev", "ResourceName": "files"}, "NotFoundException")
	other.fails("GetBackendJob", map[string]any{"AppId": abApp, "BackendEnvironmentName": "dev", "JobId": cl["JobId"]}, "NotFoundException")
	other.fails("DeleteBackend", map[string]any{"AppId": abApp, "BackendEnvironmentName": "dev"}, "NotFoundException")
	other.must("CreateBackend", map[string]any{"AppId": abApp, "AppName": "Theirs", "BackendEnvironmentName": "dev"})
	settle()
	if b := other.must("GetBackend", map[string]any{"AppId": abApp}); b["AppName"] != "Theirs" || !reflect.DeepEqual(b["BackendEnvironmentList"], []any{"dev"}) {
		t.Fatalf("the other account's backend = %v", b)
	}
	if b := c.must("GetBackend", map[string]any{"AppId": abApp}); b["AppName"] != "Example App" || len(abList(b["BackendEnvironmentList"])) != 2 {
		t.Fatalf("the first account's backend changed: %v", b)
	}

	// Deleting environments.
	c.must("DeleteBackend", map[string]any{"AppId": abApp, "BackendEnvironmentName": "prod"})
	if b := c.must("GetBackend", map[string]any{"AppId": abApp}); len(abList(b["BackendEnvironmentList"])) != 2 {
		t.Fatalf("the deletion is visible before its job completed: %v", b)
	}
	settle()
	c.fails("GetBackendStorage", map[string]any{"AppId": abApp, "BackendEnvironmentName": "prod", "ResourceName": "files"}, "NotFoundException")
	c.must("RemoveBackendConfig", map[string]any{"AppId": abApp})
	c.fails("RemoveBackendConfig", map[string]any{"AppId": abApp}, "NotFoundException")
	rm := c.must("RemoveAllBackends", map[string]any{"AppId": abApp})
	if rm["Operation"] != "RemoveAllBackends" || rm["Status"] != "IN_PROGRESS" {
		t.Fatalf("RemoveAllBackends = %v", rm)
	}
	settle()
	if b := c.must("GetBackend", map[string]any{"AppId": abApp}); len(abList(b["BackendEnvironmentList"])) != 0 || b["AmplifyMetaConfig"] != nil {
		t.Fatalf("after RemoveAllBackends = %v", b)
	}
	clean := c.must("RemoveAllBackends", map[string]any{"AppId": abApp, "CleanAmplifyApp": true})
	settle()
	if j := c.must("GetBackendJob", map[string]any{"AppId": abApp, "BackendEnvironmentName": "dev", "JobId": clean["JobId"]}); j["Status"] != "COMPLETED" {
		t.Fatalf("cleaning job = %v", j)
	}
	c.fails("GetBackend", map[string]any{"AppId": abApp}, "NotFoundException")
	if b := other.must("GetBackend", map[string]any{"AppId": abApp}); b["AppName"] != "Theirs" {
		t.Fatalf("cleaning one account's app touched another's: %v", b)
	}
}

// TestAmplifyBackendUnknownApp sends every operation that names an app to an
// app Ersatz does not know: each one is a NotFoundException (404).
func TestAmplifyBackendUnknownApp(t *testing.T) {
	t.Parallel()
	srv, _ := abStartClocked(t)
	c := newABClient(t, srv, abAcct1)
	const app = "d1nowhere"
	env := func(extra map[string]any) map[string]any {
		p := map[string]any{"AppId": app, "BackendEnvironmentName": "dev"}
		for k, v := range extra {
			p[k] = v
		}
		return p
	}
	storage := map[string]any{"ServiceName": "S3", "Permissions": map[string]any{"Authenticated": []string{"READ"}}}
	ops := []struct {
		op     string
		params map[string]any
	}{
		{"CloneBackend", env(map[string]any{"TargetEnvironmentName": "qa"})},
		{"CreateBackendAPI", env(map[string]any{"ResourceName": "data", "ResourceConfig": map[string]any{}})},
		{"CreateBackendAuth", env(map[string]any{"ResourceName": "users", "ResourceConfig": abAuthConfig()})},
		{"CreateBackendStorage", env(map[string]any{"ResourceName": "files", "ResourceConfig": storage})},
		{"CreateToken", map[string]any{"AppId": app}},
		{"DeleteBackend", env(nil)},
		{"DeleteBackendAPI", env(map[string]any{"ResourceName": "data"})},
		{"DeleteBackendAuth", env(map[string]any{"ResourceName": "users"})},
		{"DeleteBackendStorage", env(map[string]any{"ResourceName": "files", "ServiceName": "S3"})},
		{"DeleteToken", map[string]any{"AppId": app, "SessionId": "s"}},
		{"GenerateBackendAPIModels", env(map[string]any{"ResourceName": "data"})},
		{"GetBackend", map[string]any{"AppId": app}},
		{"GetBackendAPI", env(map[string]any{"ResourceName": "data"})},
		{"GetBackendAPIModels", env(map[string]any{"ResourceName": "data"})},
		{"GetBackendAuth", env(map[string]any{"ResourceName": "users"})},
		{"GetBackendJob", env(map[string]any{"JobId": "j"})},
		{"GetBackendStorage", env(map[string]any{"ResourceName": "files"})},
		{"GetToken", map[string]any{"AppId": app, "SessionId": "s"}},
		{"ImportBackendAuth", env(map[string]any{"UserPoolId": "us-east-1_Abc", "NativeClientId": "n", "WebClientId": "w"})},
		{"ImportBackendStorage", env(map[string]any{"BucketName": "some-bucket", "ServiceName": "S3"})},
		{"ListBackendJobs", env(nil)},
		{"RemoveAllBackends", map[string]any{"AppId": app}},
		{"RemoveBackendConfig", map[string]any{"AppId": app}},
		{"UpdateBackendAPI", env(map[string]any{"ResourceName": "data"})},
		{"UpdateBackendAuth", env(map[string]any{"ResourceName": "users", "ResourceConfig": map[string]any{"AuthResources": "USER_POOL_ONLY", "Service": "COGNITO", "UserPoolConfigs": map[string]any{}}})},
		{"UpdateBackendConfig", map[string]any{"AppId": app}},
		{"UpdateBackendJob", env(map[string]any{"JobId": "j"})},
		{"UpdateBackendStorage", env(map[string]any{"ResourceName": "files", "ResourceConfig": storage})},
	}
	for _, tc := range ops {
		_, err := c.call(tc.op, tc.params)
		checkABError(t, tc.op, err, "NotFoundException")
	}
}
