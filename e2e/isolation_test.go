package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"

	"github.com/ersatz-dev/ersatz/internal/bench"
	"github.com/ersatz-dev/ersatz/internal/store"
	"github.com/ersatz-dev/ersatz/internal/testkit"
)

// The isolation matrix: account A's resources, in every service, are
// invisible and untouchable to another account, another region of the same
// account and (Q Apps) another instance, by id and by ARN.
const (
	isoA      = "111111111111"
	isoB      = "222222222222"
	isoRegion = "us-east-1"
	isoOther  = "eu-west-1"
	isoInst   = "inst-a"
	isoRole   = "arn:aws:iam::111111111111:role/iso"
	isoExtID  = "S-1-1-12-1234567890-123456789-1234567890-1234"
)

type isoCaller struct {
	name             string
	account, region  string
	instance         string // Q Apps instance the caller names
	sameAccountScope bool   // same account and region: only the Q Apps instance differs
}

type isoFixture struct {
	srv                 *testkit.Server
	serverID, serverARN string
	userARN             string
	appID               string // Amplify
	qappID, qappARN     string
}

func isoClient(s *testkit.Server, account, region string) *bench.Client {
	return bench.NewClient(s.URL, bench.Credentials{AccessKeyID: account, SecretAccessKey: "secret", Region: region}, 2, nil)
}

// isoSetup creates, as account A in isoRegion, a Transfer server with a user
// and an access, an Amplify backend with storage, and a Q App in isoInst.
func isoSetup(t *testing.T) *isoFixture {
	t.Helper()
	ctx := context.Background()
	s := testkit.Start(t)
	f := &isoFixture{srv: s}
	tc := s.TransferAs(isoA, isoRegion)
	out, err := tc.CreateServer(ctx, &transfer.CreateServerInput{
		IdentityProviderType:    types.IdentityProviderTypeAwsDirectoryService,
		IdentityProviderDetails: &types.IdentityProviderDetails{DirectoryId: aws.String("d-1234567890")},
		Tags:                    []types.Tag{{Key: aws.String("owner"), Value: aws.String("a")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	f.serverID = aws.ToString(out.ServerId)
	d, err := tc.DescribeServer(ctx, &transfer.DescribeServerInput{ServerId: out.ServerId})
	if err != nil {
		t.Fatal(err)
	}
	f.serverARN = aws.ToString(d.Server.Arn)
	if _, err := tc.CreateAccess(ctx, &transfer.CreateAccessInput{ServerId: out.ServerId, ExternalId: aws.String(isoExtID),
		Role: aws.String(isoRole), HomeDirectory: aws.String("/bucket/a")}); err != nil {
		t.Fatal(err)
	}
	// A second, service-managed server for the user.
	out2, err := tc.CreateServer(ctx, &transfer.CreateServerInput{})
	if err != nil {
		t.Fatal(err)
	}
	u, err := tc.CreateUser(ctx, &transfer.CreateUserInput{ServerId: out2.ServerId, UserName: aws.String("alice"), Role: aws.String(isoRole)})
	if err != nil {
		t.Fatal(err)
	}
	du, err := tc.DescribeUser(ctx, &transfer.DescribeUserInput{ServerId: u.ServerId, UserName: u.UserName})
	if err != nil {
		t.Fatal(err)
	}
	f.userARN = aws.ToString(du.User.Arn)

	w := &bench.Worker{ID: 1, Client: isoClient(s, isoA, isoRegion)}
	if err := benchSetup(ctx, w); err != nil {
		t.Fatal(err)
	}
	f.appID = w.AppID
	f.qappID = w.QAppID
	var g struct {
		AppArn string `json:"appArn"`
	}
	o := w.Client.REST(ctx, "qapps", "GET", "/apps.get?appId="+f.qappID, http.Header{"Instance-Id": {isoInst}}, nil, &g)
	if !o.OK() || g.AppArn == "" {
		t.Fatalf("GetQApp: %s", o)
	}
	f.qappARN = g.AppArn
	if o := w.Client.REST(ctx, "qapps", "POST", "/tags/"+url.PathEscape(f.qappARN), nil, map[string]any{"tags": map[string]string{"owner": "a"}}, nil); !o.OK() {
		t.Fatalf("TagResource: %s", o)
	}
	return f
}

// benchSetup makes an Amplify backend (with storage and an API) and a Q App in
// isoInst, with the bench's setup steps.
func benchSetup(ctx context.Context, w *bench.Worker) error {
	if err := bench.Mixes["seed"].Setup(ctx, w); err != nil {
		return err
	}
	// The seed setup uses its own instance name; make the Q App in isoInst too.
	w.Instance = isoInst
	var out struct {
		AppID string `json:"appId"`
	}
	o := w.Client.REST(ctx, "qapps", "POST", "/apps.create", http.Header{"Instance-Id": {isoInst}}, map[string]any{
		"title": "isolated",
		"appDefinition": map[string]any{"cards": []any{map[string]any{"textInput": map[string]any{
			"title": "q", "id": "3f5a2b8c-1d4e-4f6a-9b7c-0d1e2f3a4b5c", "type": "text-input"}}}},
	}, &out)
	if !o.OK() {
		return fmt.Errorf("CreateQApp: %s", o)
	}
	w.QAppID = out.AppID
	return nil
}

// isoAttempt is one thing another caller tries on A's resources.
type isoAttempt struct {
	name string
	// call returns the outcome and, for list operations, whether A's
	// resource appeared in the answer.
	call func(ctx context.Context, f *isoFixture, c isoCaller) (bench.Outcome, bool)
	// codes are the refusals AWS would answer (any of them).
	codes []string
}

func transferAs(f *isoFixture, c isoCaller) *transfer.Client {
	return f.srv.TransferAs(c.account, c.region)
}

func restAs(f *isoFixture, c isoCaller) *bench.Client { return isoClient(f.srv, c.account, c.region) }

var (
	transferNotFound = []string{"ResourceNotFoundException"}
	amplifyNotFound  = []string{"NotFoundException"}
	qappsNotFound    = []string{"ResourceNotFoundException"}
)

func transferAttempts() []isoAttempt {
	sdk := func(err error) (bench.Outcome, bool) { return bench.SDKOutcome(err), false }
	return []isoAttempt{
		{"transfer DescribeServer by id", func(ctx context.Context, f *isoFixture, c isoCaller) (bench.Outcome, bool) {
			_, err := transferAs(f, c).DescribeServer(ctx, &transfer.DescribeServerInput{ServerId: &f.serverID})
			return sdk(err)
		}, transferNotFound},
		{"transfer ListServers", func(ctx context.Context, f *isoFixture, c isoCaller) (bench.Outcome, bool) {
			out, err := transferAs(f, c).ListServers(ctx, &transfer.ListServersInput{})
			seen := false
			if out != nil {
				for _, s := range out.Servers {
					seen = seen || aws.ToString(s.ServerId) == f.serverID
				}
			}
			return bench.SDKOutcome(err), seen
		}, nil},
		{"transfer UpdateServer", func(ctx context.Context, f *isoFixture, c isoCaller) (bench.Outcome, bool) {
			_, err := transferAs(f, c).UpdateServer(ctx, &transfer.UpdateServerInput{ServerId: &f.serverID, LoggingRole: aws.String(isoRole)})
			return sdk(err)
		}, transferNotFound},
		{"transfer StopServer", func(ctx context.Context, f *isoFixture, c isoCaller) (bench.Outcome, bool) {
			_, err := transferAs(f, c).StopServer(ctx, &transfer.StopServerInput{ServerId: &f.serverID})
			return sdk(err)
		}, transferNotFound},
		{"transfer DescribeAccess", func(ctx context.Context, f *isoFixture, c isoCaller) (bench.Outcome, bool) {
			_, err := transferAs(f, c).DescribeAccess(ctx, &transfer.DescribeAccessInput{ServerId: &f.serverID, ExternalId: aws.String(isoExtID)})
			return sdk(err)
		}, transferNotFound},
		{"transfer UpdateAccess", func(ctx context.Context, f *isoFixture, c isoCaller) (bench.Outcome, bool) {
			_, err := transferAs(f, c).UpdateAccess(ctx, &transfer.UpdateAccessInput{ServerId: &f.serverID, ExternalId: aws.String(isoExtID),
				HomeDirectory: aws.String("/bucket/stolen")})
			return sdk(err)
		}, transferNotFound},
		{"transfer DeleteAccess", func(ctx context.Context, f *isoFixture, c isoCaller) (bench.Outcome, bool) {
			_, err := transferAs(f, c).DeleteAccess(ctx, &transfer.DeleteAccessInput{ServerId: &f.serverID, ExternalId: aws.String(isoExtID)})
			return sdk(err)
		}, transferNotFound},
		{"transfer ListAccesses", func(ctx context.Context, f *isoFixture, c isoCaller) (bench.Outcome, bool) {
			_, err := transferAs(f, c).ListAccesses(ctx, &transfer.ListAccessesInput{ServerId: &f.serverID})
			return sdk(err)
		}, transferNotFound},
		{"transfer TagResource by ARN", func(ctx context.Context, f *isoFixture, c isoCaller) (bench.Outcome, bool) {
			_, err := transferAs(f, c).TagResource(ctx, &transfer.TagResourceInput{Arn: &f.serverARN,
				Tags: []types.Tag{{Key: aws.String("owner"), Value: aws.String("b")}}})
			return sdk(err)
		}, transferNotFound},
		{"transfer UntagResource by ARN", func(ctx context.Context, f *isoFixture, c isoCaller) (bench.Outcome, bool) {
			_, err := transferAs(f, c).UntagResource(ctx, &transfer.UntagResourceInput{Arn: &f.serverARN, TagKeys: []string{"owner"}})
			return sdk(err)
		}, transferNotFound},
		{"transfer ListTagsForResource by ARN", func(ctx context.Context, f *isoFixture, c isoCaller) (bench.Outcome, bool) {
			_, err := transferAs(f, c).ListTagsForResource(ctx, &transfer.ListTagsForResourceInput{Arn: &f.serverARN})
			return sdk(err)
		}, transferNotFound},
		{"transfer TagResource user by ARN", func(ctx context.Context, f *isoFixture, c isoCaller) (bench.Outcome, bool) {
			_, err := transferAs(f, c).TagResource(ctx, &transfer.TagResourceInput{Arn: &f.userARN,
				Tags: []types.Tag{{Key: aws.String("owner"), Value: aws.String("b")}}})
			return sdk(err)
		}, transferNotFound},
		{"transfer DeleteServer", func(ctx context.Context, f *isoFixture, c isoCaller) (bench.Outcome, bool) {
			_, err := transferAs(f, c).DeleteServer(ctx, &transfer.DeleteServerInput{ServerId: &f.serverID})
			return sdk(err)
		}, transferNotFound},
	}
}

func amplifyAttempts() []isoAttempt {
	post := func(path string, body any) func(ctx context.Context, f *isoFixture, c isoCaller) (bench.Outcome, bool) {
		return func(ctx context.Context, f *isoFixture, c isoCaller) (bench.Outcome, bool) {
			return restAs(f, c).REST(ctx, "amplifybackend", "POST", fmt.Sprintf(path, f.appID), nil, body, nil), false
		}
	}
	storage := map[string]any{"resourceName": "files1"}
	return []isoAttempt{
		{"amplify GetBackend", post("/backend/%s/details", map[string]any{"backendEnvironmentName": "dev"}), amplifyNotFound},
		{"amplify GetBackendStorage", post("/backend/%s/storage/dev/details", storage), amplifyNotFound},
		{"amplify UpdateBackendStorage", post("/backend/%s/storage/dev", map[string]any{"resourceName": "files1",
			"resourceConfig": map[string]any{"serviceName": "S3", "permissions": map[string]any{"authenticated": []string{"READ", "DELETE"}}}}), amplifyNotFound},
		{"amplify GetBackendAPI", post("/backend/%s/api/dev/details", map[string]any{"resourceName": "api1"}), amplifyNotFound},
		{"amplify UpdateBackendAPI", post("/backend/%s/api/dev", map[string]any{"resourceName": "api1",
			"resourceConfig": map[string]any{"transformSchema": "type Stolen @model { id: ID! }"}}), amplifyNotFound},
		{"amplify ListBackendJobs", post("/backend/%s/job/dev", map[string]any{}), amplifyNotFound},
		{"amplify DeleteBackendStorage", post("/backend/%s/storage/dev/remove", map[string]any{"resourceName": "files1", "serviceName": "S3"}), amplifyNotFound},
		{"amplify DeleteBackend", post("/backend/%s/environments/dev/remove", nil), amplifyNotFound},
		{"amplify RemoveAllBackends", post("/backend/%s/remove", map[string]any{}), amplifyNotFound},
	}
}

func qappsAttempts() []isoAttempt {
	hdr := func(c isoCaller) http.Header { return http.Header{"Instance-Id": {c.instance}} }
	return []isoAttempt{
		{"qapps GetQApp", func(ctx context.Context, f *isoFixture, c isoCaller) (bench.Outcome, bool) {
			return restAs(f, c).REST(ctx, "qapps", "GET", "/apps.get?appId="+f.qappID, hdr(c), nil, nil), false
		}, qappsNotFound},
		{"qapps ListQApps", func(ctx context.Context, f *isoFixture, c isoCaller) (bench.Outcome, bool) {
			var out struct {
				Apps []struct {
					AppID string `json:"appId"`
				} `json:"apps"`
			}
			o := restAs(f, c).REST(ctx, "qapps", "GET", "/apps.list", hdr(c), nil, &out)
			return o, slices.ContainsFunc(out.Apps, func(a struct {
				AppID string `json:"appId"`
			}) bool {
				return a.AppID == f.qappID
			})
		}, nil},
		{"qapps UpdateQApp", func(ctx context.Context, f *isoFixture, c isoCaller) (bench.Outcome, bool) {
			return restAs(f, c).REST(ctx, "qapps", "POST", "/apps.update", hdr(c), map[string]any{"appId": f.qappID, "title": "stolen"}, nil), false
		}, qappsNotFound},
		{"qapps UpdateQAppPermissions", func(ctx context.Context, f *isoFixture, c isoCaller) (bench.Outcome, bool) {
			return restAs(f, c).REST(ctx, "qapps", "POST", "/apps.updateQAppPermissions", hdr(c), map[string]any{"appId": f.qappID,
				"grantPermissions": []any{map[string]any{"action": "write", "principal": "mallory"}}}, nil), false
		}, qappsNotFound},
		{"qapps DescribeQAppPermissions", func(ctx context.Context, f *isoFixture, c isoCaller) (bench.Outcome, bool) {
			return restAs(f, c).REST(ctx, "qapps", "GET", "/apps.describeQAppPermissions?appId="+f.qappID, hdr(c), nil, nil), false
		}, qappsNotFound},
		{"qapps TagResource by ARN", func(ctx context.Context, f *isoFixture, c isoCaller) (bench.Outcome, bool) {
			return restAs(f, c).REST(ctx, "qapps", "POST", "/tags/"+url.PathEscape(f.qappARN), nil, map[string]any{"tags": map[string]string{"owner": "b"}}, nil), false
		}, qappsNotFound},
		{"qapps UntagResource by ARN", func(ctx context.Context, f *isoFixture, c isoCaller) (bench.Outcome, bool) {
			return restAs(f, c).REST(ctx, "qapps", "DELETE", "/tags/"+url.PathEscape(f.qappARN)+"?tagKeys=owner", nil, nil, nil), false
		}, qappsNotFound},
		{"qapps ListTagsForResource by ARN", func(ctx context.Context, f *isoFixture, c isoCaller) (bench.Outcome, bool) {
			return restAs(f, c).REST(ctx, "qapps", "GET", "/tags/"+url.PathEscape(f.qappARN), nil, nil, nil), false
		}, qappsNotFound},
		{"qapps DeleteQApp", func(ctx context.Context, f *isoFixture, c isoCaller) (bench.Outcome, bool) {
			return restAs(f, c).REST(ctx, "qapps", "POST", "/apps.delete", hdr(c), map[string]any{"appId": f.qappID}, nil), false
		}, qappsNotFound},
	}
}

func TestIsolationMatrix(t *testing.T) {
	t.Parallel()
	f := isoSetup(t)
	ctx := context.Background()
	before := isoExport(t, f.srv.Store)
	callers := []isoCaller{
		{name: "other account", account: isoB, region: isoRegion, instance: isoInst},
		{name: "other region", account: isoA, region: isoOther, instance: isoInst},
		{name: "other account and region", account: isoB, region: isoOther, instance: isoInst},
		{name: "other Q Apps instance", account: isoA, region: isoRegion, instance: "inst-b", sameAccountScope: true},
	}
	var attempts []isoAttempt
	attempts = append(attempts, transferAttempts()...)
	attempts = append(attempts, amplifyAttempts()...)
	attempts = append(attempts, qappsAttempts()...)
	for _, c := range callers {
		for _, a := range attempts {
			if c.sameAccountScope && !isQApps(a.name) {
				continue // an instance only separates Q Apps
			}
			if c.sameAccountScope && (a.name == "qapps TagResource by ARN" || a.name == "qapps UntagResource by ARN" ||
				a.name == "qapps ListTagsForResource by ARN") {
				continue // an ARN names its instance: the caller's instance header plays no part
			}
			t.Run(c.name+"/"+a.name, func(t *testing.T) {
				o, seen := a.call(ctx, f, c)
				if a.codes == nil { // a list: it may answer, but must not show A's resource
					if seen {
						t.Fatalf("%s listed account A's resource", c.name)
					}
					if !o.OK() && o.Status >= 500 {
						t.Fatalf("answered %s", o)
					}
					return
				}
				if o.OK() || o.Status >= 500 || !slices.Contains(a.codes, o.Code) {
					t.Fatalf("answered %s, want one of %v", o, a.codes)
				}
			})
		}
	}
	if after := isoExport(t, f.srv.Store); after != before {
		t.Fatalf("the attempts changed account A's state:\nbefore %s\nafter  %s", before, after)
	}
	// A still sees everything as it made it.
	tc := f.srv.TransferAs(isoA, isoRegion)
	acc, err := tc.DescribeAccess(ctx, &transfer.DescribeAccessInput{ServerId: &f.serverID, ExternalId: aws.String(isoExtID)})
	if err != nil || aws.ToString(acc.Access.HomeDirectory) != "/bucket/a" {
		t.Fatalf("A's access: %v %v", acc, err)
	}
	tags, err := tc.ListTagsForResource(ctx, &transfer.ListTagsForResourceInput{Arn: &f.serverARN})
	if err != nil || len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Value) != "a" {
		t.Fatalf("A's server tags: %v %v", tags, err)
	}
}

func isQApps(name string) bool { return len(name) > 6 && name[:6] == "qapps " }

// isoExport is the whole state as comparable text. Amplify jobs settle
// lazily, so the export waits until no job is pending.
func isoExport(t *testing.T, st store.Store) string {
	t.Helper()
	time.Sleep(150 * time.Millisecond) // let every Amplify job fall due
	snap, err := store.Export(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	// A caller's successful request (a list of its own scope) records it in
	// the Q Apps user directory of its own account and region: not A's state.
	snap.Resources = slices.DeleteFunc(snap.Resources, func(r store.SnapshotResource) bool {
		return r.Service == "qapps" && r.Parent == "" && r.Kind == "user" && (r.Account != isoA || r.Region != isoRegion)
	})
	b, err := json.Marshal(snap)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestIsolationSameIDs checks two accounts can hold resources with the same
// names side by side without seeing each other's.
func TestIsolationSameIDs(t *testing.T) {
	t.Parallel()
	s := testkit.Start(t)
	ctx := context.Background()
	for _, acct := range []string{isoA, isoB} {
		w := &bench.Worker{ID: 7, Client: isoClient(s, acct, isoRegion), Role: isoRole}
		if err := bench.Mixes["seed"].Setup(ctx, w); err != nil {
			t.Fatalf("account %s: %v", acct, err)
		}
		if w.AppID != "dbench7" {
			t.Fatalf("app id %q", w.AppID)
		}
	}
	// Each account's storage is its own: B changes its permissions, A's keep theirs.
	b := &bench.Worker{ID: 7, Client: isoClient(s, isoB, isoRegion), AppID: "dbench7", Env: "dev", Storage: "files7"}
	o := b.Client.REST(ctx, "amplifybackend", "POST", "/backend/dbench7/storage/dev", nil, map[string]any{"resourceName": "files7",
		"resourceConfig": map[string]any{"serviceName": "S3", "permissions": map[string]any{"authenticated": []string{"READ", "DELETE"}}}}, nil)
	if !o.OK() {
		t.Fatalf("B's UpdateBackendStorage: %s", o)
	}
	time.Sleep(150 * time.Millisecond)
	perms := func(acct string) []string {
		var out struct {
			ResourceConfig struct {
				Permissions struct {
					Authenticated []string `json:"authenticated"`
				} `json:"permissions"`
			} `json:"resourceConfig"`
		}
		o := isoClient(s, acct, isoRegion).REST(ctx, "amplifybackend", "POST", "/backend/dbench7/storage/dev/details", nil,
			map[string]any{"resourceName": "files7"}, &out)
		if !o.OK() {
			t.Fatalf("%s GetBackendStorage: %s", acct, o)
		}
		return out.ResourceConfig.Permissions.Authenticated
	}
	if got := perms(isoA); !slices.Equal(got, []string{"READ"}) {
		t.Fatalf("A's permissions became %v", got)
	}
	if got := perms(isoB); !slices.Equal(got, []string{"READ", "DELETE"}) {
		t.Fatalf("B's permissions are %v", got)
	}
}
