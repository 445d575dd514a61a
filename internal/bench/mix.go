package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/protocol/restjson"
)

// Op is one operation of a mix, run by a worker on its own resources.
type Op struct {
	Name string
	Call func(ctx context.Context, w *Worker) Outcome
}

// Mix is a named list of operations, run in turn by every worker, and the
// resources each worker sets up first.
type Mix struct {
	Name  string
	Setup func(ctx context.Context, w *Worker) error
	Ops   []Op
}

// Worker is one client of the load, with the ids of its own resources.
type Worker struct {
	ID     int
	Client *Client
	// Resources the setup made.
	ServerID, ExternalID, UserName string
	AppID, Env, Storage, APIName   string
	Instance, QAppID               string
	Role                           string
	seq                            int
	replay                         *Signed // describe-user: the signed request
}

// Mixes are the load mixes by name.
var Mixes = map[string]*Mix{
	"seed": {
		Name:  "seed",
		Setup: setupAll,
		Ops: []Op{
			{"UpdateAccess", updateAccess}, {"DescribeAccess", describeAccess},
			{"UpdateBackendStorage", updateStorage}, {"GetBackendStorage", getStorage},
			{"UpdateBackendAPI", updateAPI}, {"GetBackendAPI", getAPI},
			{"UpdateQAppPermissions", updatePermissions}, {"DescribeQAppPermissions", describePermissions},
		},
	},
	"transfer": {
		Name:  "transfer",
		Setup: setupTransferAccess,
		Ops:   []Op{{"UpdateAccess", updateAccess}, {"DescribeAccess", describeAccess}},
	},
	"read": {
		Name:  "read",
		Setup: setupAll,
		Ops: []Op{{"DescribeAccess", describeAccess}, {"GetBackendStorage", getStorage},
			{"GetBackendAPI", getAPI}, {"DescribeQAppPermissions", describePermissions}},
	},
	// moto implements CreateServer/DescribeServer/CreateUser/DescribeUser of
	// Transfer: the mix to compare Ersatz with moto's server.
	"moto": {
		Name:  "moto",
		Setup: setupTransferUser,
		Ops:   []Op{{"DescribeServer", describeServer}, {"DescribeUser", describeUser}},
	},
	// One read, the request signed once a minute and replayed (the server
	// verifies every copy): the mix that measures the server's hot path
	// rather than the client's.
	"describe-user": {
		Name:  "describe-user",
		Setup: setupTransferUser,
		Ops:   []Op{{"DescribeUser", describeUserReplayed}},
	},
}

// MixNames lists the mixes.
func MixNames() []string {
	var out []string
	for n := range Mixes {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func (w *Worker) next() int {
	w.seq++
	return w.seq
}

// Setup.

func setupAll(ctx context.Context, w *Worker) error {
	for _, f := range []func(context.Context, *Worker) error{setupTransferAccess, setupAmplify, setupQApps} {
		if err := f(ctx, w); err != nil {
			return err
		}
	}
	return nil
}

func (w *Worker) role() string {
	if w.Role == "" {
		return "arn:aws:iam::111111111111:role/ersatz-bench"
	}
	return w.Role
}

func setupTransferAccess(ctx context.Context, w *Worker) error {
	out, err := w.Client.Transfer.CreateServer(ctx, &transfer.CreateServerInput{
		IdentityProviderType:    types.IdentityProviderTypeAwsDirectoryService,
		IdentityProviderDetails: &types.IdentityProviderDetails{DirectoryId: aws.String("d-1234567890")},
	})
	if err != nil {
		return fmt.Errorf("CreateServer: %w", err)
	}
	w.ServerID = aws.ToString(out.ServerId)
	w.ExternalID = fmt.Sprintf("S-1-1-12-1234567890-123456789-1234567890-%d", 1000+w.ID)
	_, err = w.Client.Transfer.CreateAccess(ctx, &transfer.CreateAccessInput{
		ServerId: out.ServerId, ExternalId: aws.String(w.ExternalID), Role: aws.String(w.role()),
		HomeDirectory: aws.String("/bench-bucket/home"),
	})
	if err != nil {
		return fmt.Errorf("CreateAccess: %w", err)
	}
	return nil
}

func setupTransferUser(ctx context.Context, w *Worker) error {
	out, err := w.Client.Transfer.CreateServer(ctx, &transfer.CreateServerInput{})
	if err != nil {
		return fmt.Errorf("CreateServer: %w", err)
	}
	w.ServerID = aws.ToString(out.ServerId)
	w.UserName = fmt.Sprintf("bench-user-%d", w.ID)
	_, err = w.Client.Transfer.CreateUser(ctx, &transfer.CreateUserInput{
		ServerId: out.ServerId, UserName: aws.String(w.UserName), Role: aws.String(w.role()),
	})
	if err != nil {
		return fmt.Errorf("CreateUser: %w", err)
	}
	return nil
}

type jobOut struct {
	JobID  string `json:"jobId"`
	Status string `json:"status"`
}

// amplifyJob runs one job-starting call and waits until the job ends.
func (w *Worker) amplifyJob(ctx context.Context, what, path string, body any) error {
	var j jobOut
	for attempt := 0; ; attempt++ {
		o := w.Client.REST(ctx, "amplifybackend", "POST", path, nil, body, &j)
		if o.OK() {
			break
		}
		// A job of the same environment is still pending: wait and retry.
		if o.Code == "BadRequestException" && attempt < 100 {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		return fmt.Errorf("%s: %s", what, o)
	}
	for i := 0; i < 500; i++ {
		var got jobOut
		o := w.Client.REST(ctx, "amplifybackend", "GET",
			fmt.Sprintf("/backend/%s/job/%s/%s", w.AppID, w.Env, j.JobID), nil, nil, &got)
		if !o.OK() {
			return fmt.Errorf("%s: GetBackendJob: %s", what, o)
		}
		switch got.Status {
		case "COMPLETED":
			return nil
		case "FAILED":
			return fmt.Errorf("%s: job %s failed", what, j.JobID)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("%s: job %s did not complete", what, j.JobID)
}

func setupAmplify(ctx context.Context, w *Worker) error {
	w.AppID = fmt.Sprintf("dbench%d", w.ID)
	w.Env = "dev"
	w.Storage = fmt.Sprintf("files%d", w.ID)
	w.APIName = fmt.Sprintf("api%d", w.ID)
	if err := w.amplifyJob(ctx, "CreateBackend", "/backend",
		map[string]any{"appId": w.AppID, "appName": "bench", "backendEnvironmentName": w.Env}); err != nil {
		return err
	}
	if err := w.amplifyJob(ctx, "CreateBackendStorage", "/backend/"+w.AppID+"/storage", map[string]any{
		"backendEnvironmentName": w.Env, "resourceName": w.Storage,
		"resourceConfig": map[string]any{"serviceName": "S3", "permissions": map[string]any{"authenticated": []string{"READ"}}},
	}); err != nil {
		return err
	}
	return w.amplifyJob(ctx, "CreateBackendAPI", "/backend/"+w.AppID+"/api", map[string]any{
		"backendEnvironmentName": w.Env, "resourceName": w.APIName, "resourceConfig": map[string]any{},
	})
}

func (w *Worker) instanceHeader() http.Header { return http.Header{"Instance-Id": {w.Instance}} }

func setupQApps(ctx context.Context, w *Worker) error {
	w.Instance = "bench-instance"
	var out struct {
		AppID string `json:"appId"`
	}
	o := w.Client.REST(ctx, "qapps", "POST", "/apps.create", w.instanceHeader(), map[string]any{
		"title": fmt.Sprintf("bench %d", w.ID),
		"appDefinition": map[string]any{"cards": []any{map[string]any{"textInput": map[string]any{
			"title": "question", "id": "3f5a2b8c-1d4e-4f6a-9b7c-0d1e2f3a4b5c", "type": "text-input"}}}},
	}, &out)
	if !o.OK() {
		return fmt.Errorf("CreateQApp: %s", o)
	}
	w.QAppID = out.AppID
	return nil
}

// Operations.

func updateAccess(ctx context.Context, w *Worker) Outcome {
	n := w.next()
	_, err := w.Client.Transfer.UpdateAccess(ctx, &transfer.UpdateAccessInput{
		ServerId: aws.String(w.ServerID), ExternalId: aws.String(w.ExternalID),
		HomeDirectory: aws.String(fmt.Sprintf("/bench-bucket/home-%d", n)),
		PosixProfile:  &types.PosixProfile{Uid: aws.Int64(int64(1000 + n%1000)), Gid: aws.Int64(1000)},
	})
	return SDKOutcome(err)
}

func describeAccess(ctx context.Context, w *Worker) Outcome {
	_, err := w.Client.Transfer.DescribeAccess(ctx, &transfer.DescribeAccessInput{
		ServerId: aws.String(w.ServerID), ExternalId: aws.String(w.ExternalID)})
	return SDKOutcome(err)
}

func describeServer(ctx context.Context, w *Worker) Outcome {
	_, err := w.Client.Transfer.DescribeServer(ctx, &transfer.DescribeServerInput{ServerId: aws.String(w.ServerID)})
	return SDKOutcome(err)
}

func describeUser(ctx context.Context, w *Worker) Outcome {
	_, err := w.Client.Transfer.DescribeUser(ctx, &transfer.DescribeUserInput{
		ServerId: aws.String(w.ServerID), UserName: aws.String(w.UserName)})
	return SDKOutcome(err)
}

func describeUserReplayed(ctx context.Context, w *Worker) Outcome {
	body, _ := json.Marshal(map[string]string{"ServerId": w.ServerID, "UserName": w.UserName})
	return w.Client.Replay(ctx, &w.replay, "transfer", "TransferService.DescribeUser", body)
}

var permissionSets = [][]string{{"READ"}, {"READ", "CREATE_AND_UPDATE"}, {"READ", "CREATE_AND_UPDATE", "DELETE"}}

func updateStorage(ctx context.Context, w *Worker) Outcome {
	n := w.next()
	return w.Client.REST(ctx, "amplifybackend", "POST", "/backend/"+w.AppID+"/storage/"+w.Env, nil, map[string]any{
		"resourceName": w.Storage,
		"resourceConfig": map[string]any{"serviceName": "S3",
			"permissions": map[string]any{"authenticated": permissionSets[n%len(permissionSets)]}},
	}, nil)
}

func getStorage(ctx context.Context, w *Worker) Outcome {
	return w.Client.REST(ctx, "amplifybackend", "POST", "/backend/"+w.AppID+"/storage/"+w.Env+"/details", nil,
		map[string]any{"resourceName": w.Storage}, nil)
}

func updateAPI(ctx context.Context, w *Worker) Outcome {
	n := w.next()
	return w.Client.REST(ctx, "amplifybackend", "POST", "/backend/"+w.AppID+"/api/"+w.Env, nil, map[string]any{
		"resourceName":   w.APIName,
		"resourceConfig": map[string]any{"transformSchema": fmt.Sprintf("type Todo%d @model { id: ID! }", n%10)},
	}, nil)
}

func getAPI(ctx context.Context, w *Worker) Outcome {
	return w.Client.REST(ctx, "amplifybackend", "POST", "/backend/"+w.AppID+"/api/"+w.Env+"/details", nil,
		map[string]any{"resourceName": w.APIName}, nil)
}

func updatePermissions(ctx context.Context, w *Worker) Outcome {
	n := w.next()
	grant := []any{map[string]any{"action": "read", "principal": fmt.Sprintf("user-%d", n%4)}}
	revoke := []any{map[string]any{"action": "read", "principal": fmt.Sprintf("user-%d", (n+2)%4)}}
	return w.Client.REST(ctx, "qapps", "POST", "/apps.updateQAppPermissions", w.instanceHeader(),
		map[string]any{"appId": w.QAppID, "grantPermissions": grant, "revokePermissions": revoke}, nil)
}

func describePermissions(ctx context.Context, w *Worker) Outcome {
	return w.Client.REST(ctx, "qapps", "GET", "/apps.describeQAppPermissions?appId="+url.QueryEscape(w.QAppID),
		w.instanceHeader(), nil, nil)
}

// OpKey names the operation of a request of services (X-Amz-Target for
// awsJson, the routed operation for restJson): the Recorder's key.
func OpKey(services []*api.Service) func(*http.Request) string {
	var routers []*restjson.Router
	for _, s := range services {
		if s.Protocol == api.RESTJSON {
			routers = append(routers, restjson.NewRouter(s))
		}
	}
	return func(r *http.Request) string {
		if t := r.Header.Get("X-Amz-Target"); t != "" {
			return t
		}
		for _, rt := range routers {
			if m, ok := rt.Route(r); ok {
				return m.Op.Name
			}
		}
		return strings.ToUpper(r.Method) + " " + r.URL.Path
	}
}
