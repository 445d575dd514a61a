package e2e_test

import (
	"reflect"
	"testing"

	"github.com/ersatz-dev/ersatz/internal/testkit"
)

// trJSScript runs the access seed through the AWS SDK for JavaScript v3 and
// prints one JSON document of what it saw.
const trJSScript = `
const { TransferClient, CreateServerCommand, CreateAccessCommand, UpdateAccessCommand, DescribeAccessCommand,
  DescribeServerCommand, ResourceNotFoundException } = require("@aws-sdk/client-transfer");
const client = new TransferClient({ endpoint: process.env.ERSATZ_ENDPOINT, region: "eu-west-1",
  credentials: { accessKeyId: "111111111111", secretAccessKey: "secret" }, maxAttempts: 1 });
const ExternalId = "S-1-1-12-1234567890-123456789-1234567890-1234";
(async () => {
  const out = {};
  const { ServerId } = await client.send(new CreateServerCommand({
    IdentityProviderType: "AWS_DIRECTORY_SERVICE", IdentityProviderDetails: { DirectoryId: "d-1234567890" } }));
  const srv = await client.send(new DescribeServerCommand({ ServerId }));
  out.arn = srv.Server.Arn;
  out.state = srv.Server.State;
  await client.send(new CreateAccessCommand({ ServerId, ExternalId, Role: "arn:aws:iam::111111111111:role/transfer",
    HomeDirectory: "/bucket/home" }));
  const upd = await client.send(new UpdateAccessCommand({ ServerId, ExternalId, HomeDirectoryType: "LOGICAL",
    HomeDirectoryMappings: [{ Entry: "/", Target: "/bucket/${transfer:UserName}" }],
    PosixProfile: { Uid: 1000, Gid: 1000, SecondaryGids: [2000] } }));
  out.updated = upd.ExternalId === ExternalId && upd.ServerId === ServerId;
  const acc = await client.send(new DescribeAccessCommand({ ServerId, ExternalId }));
  out.type = acc.Access.HomeDirectoryType;
  out.mappings = acc.Access.HomeDirectoryMappings;
  out.posix = acc.Access.PosixProfile;
  try {
    await client.send(new DescribeServerCommand({ ServerId: "s-00000000000000000" }));
    out.notFound = "found";
  } catch (e) {
    out.notFound = (e instanceof ResourceNotFoundException) + " " + e.$metadata.httpStatusCode + " " + e.ResourceType;
  }
  console.log(JSON.stringify(out));
})().catch(e => { console.error(e); process.exit(1); });
`

// TestTransferJSClient runs the access seed through @aws-sdk/client-transfer
// (skipped unless node and the package are installed; see testkit.RunNode).
func TestTransferJSClient(t *testing.T) {
	t.Parallel()
	srv := testkit.Start(t)
	got := srv.RunNode(t, "@aws-sdk/client-transfer", trJSScript)
	if arn, _ := got["arn"].(string); len(arn) < 40 || arn[:40] != "arn:aws:transfer:eu-west-1:111111111111:" || got["state"] != "ONLINE" {
		t.Fatalf("DescribeServer through the JS SDK: %v", got)
	}
	if got["updated"] != true || got["type"] != "LOGICAL" {
		t.Fatalf("UpdateAccess through the JS SDK: %v", got)
	}
	wantMappings := []any{map[string]any{"Entry": "/", "Target": "/bucket/${transfer:UserName}"}}
	if !reflect.DeepEqual(got["mappings"], wantMappings) {
		t.Fatalf("mappings = %v", got["mappings"])
	}
	wantPosix := map[string]any{"Uid": float64(1000), "Gid": float64(1000), "SecondaryGids": []any{float64(2000)}}
	if !reflect.DeepEqual(got["posix"], wantPosix) {
		t.Fatalf("posix profile = %v", got["posix"])
	}
	if got["notFound"] != "true 404 Server" {
		t.Fatalf("not found through the JS SDK: %v", got["notFound"])
	}
}
