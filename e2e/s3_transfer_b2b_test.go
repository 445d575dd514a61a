package e2e_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"

	"github.com/ersatz-dev/ersatz/internal/server"
	"github.com/ersatz-dev/ersatz/internal/service/transfer/sftptest"
)

// cliTags reads an object's tags with `aws s3api get-object-tagging`.
func cliTags(t testing.TB, cli interface {
	Run(...string) (string, string, error)
}, bucket, key string) map[string]string {
	t.Helper()
	stdout, stderr, err := cli.Run("s3api", "get-object-tagging", "--bucket", bucket, "--key", key)
	if err != nil {
		t.Fatalf("get-object-tagging %s/%s: %v\n%s", bucket, key, err, stderr)
	}
	var out struct {
		TagSet []struct{ Key, Value string }
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("get-object-tagging printed %q: %v", stdout, err)
	}
	tags := map[string]string{}
	for _, tg := range out.TagSet {
		tags[tg.Key] = tg.Value
	}
	return tags
}

// An upload over SFTP runs a workflow whose TAG steps set S3 object tags
// (what `aws s3api get-object-tagging` shows) and whose COPY step's copy is
// an object `aws s3 ls` and list-objects-v2 list, with the tags it had.
func TestS3WorkflowTagsAndCopiesAreObjects(t *testing.T) {
	t.Parallel()
	needTool(t, "sftp", "ssh-keygen")
	env := startDataPlane(t, nil, "", "")
	cli := s3CLI(t, env.URL, acctA)
	ctx := context.Background()
	tagStep := func(k, v string) types.WorkflowStep {
		return types.WorkflowStep{Type: types.WorkflowStepTypeTag, TagStepDetails: &types.TagStepDetails{
			Tags: []types.S3Tag{{Key: aws.String(k), Value: aws.String(v)}}}}
	}
	wf := mustWorkflow(t, env.TC, []types.WorkflowStep{
		tagStep("stage", "received"),
		copyStep("wf-archive", "${Transfer:UserName}/", ""),
		tagStep("class", "invoice"),
	}, nil)
	sid := mustCreateServer(t, env.TC, &transfer.CreateServerInput{WorkflowDetails: &types.WorkflowDetails{
		OnUpload: []types.WorkflowDetail{{WorkflowId: aws.String(wf), ExecutionRole: aws.String(testRole)}},
	}})
	key, pub := sshKey(t, "ed25519")
	createUser(t, env.TC, sid, "uma", pub, func(in *transfer.CreateUserInput) { in.HomeDirectory = aws.String("/wf-inbox/uma") })
	addr := env.waitListening(t, sid, "SFTP")
	src := filepath.Join(t.TempDir(), "invoice.pdf")
	body := "%PDF-1.7 invoice"
	if err := os.WriteFile(src, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := sftpBatch(t, addr, key, "uma", "put "+src+" invoice.pdf\n"); err != nil {
		t.Fatalf("sftp: %v\n%s", err, out)
	}
	// The copy's tags are the last thing the workflow writes.
	sc := s3Client(env.URL, acctA)
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, err := sc.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String("wf-archive"), Key: aws.String("uma/invoice.pdf")})
		if err == nil && len(out.TagSet) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the workflow did not tag its copy: %+v, %v", out, err)
		}
		time.Sleep(50 * time.Millisecond)
	}

	if got, want := cliTags(t, cli, "wf-inbox", "uma/invoice.pdf"), map[string]string{"stage": "received"}; !maps.Equal(got, want) {
		t.Fatalf("tags of the upload %v, want %v", got, want)
	}
	if got, want := cliTags(t, cli, "wf-archive", "uma/invoice.pdf"), map[string]string{"stage": "received", "class": "invoice"}; !maps.Equal(got, want) {
		t.Fatalf("tags of the copy %v, want %v", got, want)
	}
	lsOut, stderr, err := cli.Run("s3", "ls", "s3://wf-archive/uma/")
	if err != nil {
		t.Fatalf("aws s3 ls: %v\n%s", err, stderr)
	}
	if names := cliLsNames(lsOut); !slices.Equal(names, []string{"invoice.pdf"}) {
		t.Fatalf("aws s3 ls shows %q", names)
	}
	stdout, stderr, err := cli.Run("s3api", "list-objects-v2", "--bucket", "wf-archive")
	if err != nil {
		t.Fatalf("list-objects-v2: %v\n%s", err, stderr)
	}
	var listed struct {
		Contents []struct {
			Key  string
			Size int64
		}
	}
	if err := json.Unmarshal([]byte(stdout), &listed); err != nil || len(listed.Contents) != 1 ||
		listed.Contents[0].Key != "uma/invoice.pdf" || listed.Contents[0].Size != int64(len(body)) {
		t.Fatalf("list-objects-v2 printed %s (%v)", stdout, err)
	}
	if got, stderr, err := cli.Run("s3", "cp", "s3://wf-archive/uma/invoice.pdf", "-"); err != nil || got != body {
		t.Fatalf("aws s3 cp of the copy: %q %v\n%s", got, err, stderr)
	}
}

// An SFTP connector sends a file put with `aws s3 cp`, retrieves a file
// into a bucket that did not exist (then `aws s3 cp s3://... -` reads it
// byte for byte) and writes its directory listing as an object.
func TestS3ConnectorSendsAndRetrievesObjects(t *testing.T) {
	t.Parallel()
	secrets := filepath.Join(t.TempDir(), "secrets.json")
	env := startDataPlane(t, nil, "", "", func(cfg *server.Config) { cfg.SecretsFile = secrets })
	cli := s3CLI(t, env.URL, acctA)
	ctx := context.Background()
	remote := t.TempDir()
	if err := os.MkdirAll(filepath.Join(remote, "inbox"), 0o755); err != nil {
		t.Fatal(err)
	}
	partner := sftptest.Start(t, remote, sftptest.Options{User: "partner", Password: "s3cret"})
	b2b := &b2bEnv{c: env.TC, secrets: secrets}
	b2b.writeSecrets(t, map[string]map[string]string{partnerSecretARN: {"Username": "partner", "Password": "s3cret"}})
	id := sftpConnector(t, env.TC, partner.URL, partnerSecretARN, partner.HostKeyLine)

	payload := make([]byte, 3<<20+123)
	if _, err := rand.Read(payload); err != nil {
		t.Fatal(err)
	}
	local := filepath.Join(t.TempDir(), "report.bin")
	if err := os.WriteFile(local, payload, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, stderr, err := cli.Run("s3", "mb", "s3://conn-outbox"); err != nil {
		t.Fatalf("aws s3 mb: %v\n%s", err, stderr)
	}
	if _, stderr, err := cli.Run("s3", "cp", "--only-show-errors", local, "s3://conn-outbox/reports/report.bin"); err != nil {
		t.Fatalf("aws s3 cp in: %v\n%s", err, stderr)
	}

	// Send: the object goes to the partner.
	r := b2b.sendOne(t, id, "/conn-outbox/reports/report.bin", "/inbox")
	if r.StatusCode != types.TransferTableStatusCompleted || aws.ToString(r.FilePath) != "/inbox/report.bin" {
		t.Fatalf("send result %+v (%s)", r, aws.ToString(r.FailureMessage))
	}
	if got, err := os.ReadFile(filepath.Join(remote, "inbox", "report.bin")); err != nil || !bytes.Equal(got, payload) {
		t.Fatalf("the partner received %d bytes (%v), want the %d put with aws s3 cp", len(got), err, len(payload))
	}
	wantFailed(t, b2b.sendOne(t, id, "/conn-outbox/reports/missing.bin", "/inbox"), "SEND_FILE_NOT_FOUND", "/conn-outbox/reports/missing.bin")

	// Retrieve: into a bucket nobody made yet.
	out, err := env.TC.StartFileTransfer(ctx, &transfer.StartFileTransferInput{ConnectorId: &id,
		RetrieveFilePaths: []string{"/inbox/report.bin"}, LocalDirectoryPath: aws.String("/conn-retrieved/back")})
	if err != nil {
		t.Fatal(err)
	}
	if res := b2b.waitResults(t, id, aws.ToString(out.TransferId)); res[0].StatusCode != types.TransferTableStatusCompleted {
		t.Fatalf("retrieve result %+v (%s)", res[0], aws.ToString(res[0].FailureMessage))
	}
	if got, stderr, err := cli.Run("s3", "cp", "s3://conn-retrieved/back/report.bin", "-"); err != nil || got != string(payload) {
		t.Fatalf("aws s3 cp of the retrieved object: %d bytes, %v\n%s", len(got), err, stderr)
	}
	if _, stderr, err := cli.Run("s3api", "head-bucket", "--bucket", "conn-retrieved"); err != nil {
		t.Fatalf("head-bucket of the retrieve's bucket: %v\n%s", err, stderr)
	}

	// Listing: an object of JSON.
	lo, err := env.TC.StartDirectoryListing(ctx, &transfer.StartDirectoryListingInput{ConnectorId: &id,
		RemoteDirectoryPath: aws.String("/inbox"), OutputDirectoryPath: aws.String("/conn-retrieved/listings")})
	if err != nil {
		t.Fatal(err)
	}
	if res := b2b.waitResults(t, id, aws.ToString(lo.ListingId)); res[0].StatusCode != types.TransferTableStatusCompleted {
		t.Fatalf("listing result %+v", res[0])
	}
	stdout, stderr, err := cli.Run("s3", "cp", "s3://conn-retrieved/listings/"+aws.ToString(lo.OutputFileName), "-")
	if err != nil {
		t.Fatalf("aws s3 cp of the listing: %v\n%s", err, stderr)
	}
	var listing struct {
		Files []struct {
			FilePath string
			Size     int64
		}
	}
	if err := json.Unmarshal([]byte(stdout), &listing); err != nil || len(listing.Files) != 1 ||
		listing.Files[0].FilePath != "/inbox/report.bin" || listing.Files[0].Size != int64(len(payload)) {
		t.Fatalf("listing %s (%v)", stdout, err)
	}
}

// A workflow that deletes the upload (the only file of the user's home
// folder) leaves the home usable over SFTP: S3 has no folders, so the
// prefix goes with its last key, and the next session lists it empty and
// uploads into it.
func TestS3WorkflowDeleteLeavesHomeUsable(t *testing.T) {
	t.Parallel()
	needTool(t, "sftp", "ssh-keygen")
	env := startDataPlane(t, nil, "", "")
	ctx := context.Background()
	wf := mustWorkflow(t, env.TC, []types.WorkflowStep{
		copyStep("del-archive", "", ""),
		{Type: types.WorkflowStepTypeDelete, DeleteStepDetails: &types.DeleteStepDetails{SourceFileLocation: aws.String("${original.file}")}},
	}, nil)
	sid := mustCreateServer(t, env.TC, &transfer.CreateServerInput{WorkflowDetails: &types.WorkflowDetails{
		OnUpload: []types.WorkflowDetail{{WorkflowId: aws.String(wf), ExecutionRole: aws.String(testRole)}},
	}})
	key, pub := sshKey(t, "ed25519")
	createUser(t, env.TC, sid, "dora", pub, func(in *transfer.CreateUserInput) { in.HomeDirectory = aws.String("/del-inbox/dora") })
	addr := env.waitListening(t, sid, "SFTP")
	src := filepath.Join(t.TempDir(), "a.txt")
	if err := os.WriteFile(src, []byte("first"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := sftpBatch(t, addr, key, "dora", "put "+src+" a.txt\n"); err != nil {
		t.Fatalf("sftp: %v\n%s", err, out)
	}
	sc := s3Client(env.URL, acctA)
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := sc.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("del-inbox"), Key: aws.String("dora/a.txt")})
		if apiCode(err) == "NotFound" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the DELETE step did not delete the upload: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if keys := s3Keys(t, sc, "del-archive", ""); !slices.Equal(keys, []string{"a.txt"}) {
		t.Fatalf("archive holds %q", keys)
	}
	// The home folder went with its last key; a new session still opens
	// in it, lists it empty and uploads into it (and the workflow runs
	// again).
	out, err := sftpBatch(t, addr, key, "dora", "ls -1\nput "+src+" b.txt\n")
	if err != nil {
		t.Fatalf("sftp into the emptied home: %v\n%s", err, out)
	}
	if names := sftpLsNames(out, "ls -1"); len(names) != 0 {
		t.Fatalf("the emptied home lists %q", names)
	}
	deadline = time.Now().Add(10 * time.Second)
	for {
		keys := s3Keys(t, sc, "del-archive", "")
		if slices.Equal(keys, []string{"a.txt", "b.txt"}) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("archive holds %q after the second upload", keys)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
