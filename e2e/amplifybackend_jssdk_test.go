package e2e_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/ersatz-dev/ersatz/internal/testkit"
)

// abJSScript runs the storage seed through the AWS SDK for JavaScript v3 and
// prints one JSON document of what it saw.
const abJSScript = `
const { AmplifyBackendClient, CreateBackendCommand, GetBackendJobCommand, CreateBackendStorageCommand,
  UpdateBackendStorageCommand, GetBackendStorageCommand } = require("@aws-sdk/client-amplifybackend");
const client = new AmplifyBackendClient({ endpoint: process.env.ERSATZ_ENDPOINT, region: "us-east-1",
  credentials: { accessKeyId: "111111111111", secretAccessKey: "secret" }, maxAttempts: 1 });
const AppId = "d1exampleapp", BackendEnvironmentName = "dev";
async function wait(JobId) {
  for (let i = 0; i < 200; i++) {
    const j = await client.send(new GetBackendJobCommand({ AppId, BackendEnvironmentName, JobId }));
    if (j.Status !== "IN_PROGRESS") return j.Status;
    await new Promise(r => setTimeout(r, 25));
  }
  return "TIMEOUT";
}
(async () => {
  const out = {};
  let r = await client.send(new CreateBackendCommand({ AppId, AppName: "Example", BackendEnvironmentName }));
  out.createBackend = await wait(r.JobId);
  r = await client.send(new CreateBackendStorageCommand({ AppId, BackendEnvironmentName, ResourceName: "files",
    ResourceConfig: { ServiceName: "S3", Permissions: { Authenticated: ["READ"] } } }));
  out.createStorage = await wait(r.JobId);
  r = await client.send(new UpdateBackendStorageCommand({ AppId, BackendEnvironmentName, ResourceName: "files",
    ResourceConfig: { ServiceName: "S3", Permissions: { Authenticated: ["READ", "DELETE"], UnAuthenticated: ["READ"] } } }));
  out.updateStorage = await wait(r.JobId);
  const st = await client.send(new GetBackendStorageCommand({ AppId, BackendEnvironmentName, ResourceName: "files" }));
  out.permissions = st.ResourceConfig.Permissions;
  out.imported = st.ResourceConfig.Imported;
  try {
    await client.send(new UpdateBackendStorageCommand({ AppId, BackendEnvironmentName, ResourceName: "files",
      ResourceConfig: { ServiceName: "S3", Permissions: { Authenticated: [] } } }));
    out.badUpdate = "accepted";
  } catch (e) {
    out.badUpdate = e.name + " " + e.$metadata.httpStatusCode + " " + e.message;
  }
  try {
    await client.send(new GetBackendStorageCommand({ AppId, BackendEnvironmentName, ResourceName: "nope" }));
  } catch (e) {
    out.notFound = e.name + " " + e.$metadata.httpStatusCode + " " + e.resourceType;
  }
  console.log(JSON.stringify(out));
})().catch(e => { console.error(e); process.exit(1); });
`

// TestAmplifyBackendJSClient runs the storage seed through
// @aws-sdk/client-amplifybackend. It skips unless node and the package are
// installed: set ERSATZ_NODE_MODULES to a node_modules folder holding it
// (npm install @aws-sdk/client-amplifybackend), or install it globally.
func TestAmplifyBackendJSClient(t *testing.T) {
	t.Parallel()
	srv := testkit.Start(t)
	got := srv.RunNode(t, "@aws-sdk/client-amplifybackend", abJSScript)
	for _, k := range []string{"createBackend", "createStorage", "updateStorage"} {
		if got[k] != "COMPLETED" {
			t.Fatalf("%s job = %v", k, got[k])
		}
	}
	if !reflect.DeepEqual(got["permissions"], map[string]any{"Authenticated": []any{"READ", "DELETE"}, "UnAuthenticated": []any{"READ"}}) || got["imported"] != false {
		t.Fatalf("GetBackendStorage through the JS SDK = %v", got)
	}
	if bad := abStr(got, "badUpdate"); !strings.HasPrefix(bad, "BadRequestException 400 ") || !strings.Contains(bad, "resourceConfig.permissions.authenticated") {
		t.Fatalf("bad update through the JS SDK: %q", bad)
	}
	if nf := abStr(got, "notFound"); nf != "NotFoundException 404 Storage" {
		t.Fatalf("unknown resource through the JS SDK: %q", nf)
	}
}
