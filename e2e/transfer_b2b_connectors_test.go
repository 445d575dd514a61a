package e2e_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"encoding/pem"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"
	"golang.org/x/crypto/ssh"

	"github.com/ersatz-dev/ersatz/internal/service/transfer/sftptest"
)

const partnerSecretARN = "arn:aws:secretsmanager:us-east-1:111111111111:secret:partner-AbCdEf"

// sftpConnector creates an SFTP connector for url trusting hostKeys.
func sftpConnector(t testing.TB, c *transfer.Client, url, secret string, hostKeys ...string) string {
	t.Helper()
	out, err := c.CreateConnector(context.Background(), &transfer.CreateConnectorInput{
		Url: aws.String(url), AccessRole: aws.String(testRole),
		SftpConfig: &types.SftpConnectorConfig{UserSecretId: aws.String(secret), TrustedHostKeys: hostKeys},
	})
	if err != nil {
		t.Fatalf("CreateConnector: %v", err)
	}
	return aws.ToString(out.ConnectorId)
}

func testConnection(t testing.TB, c *transfer.Client, id string) *transfer.TestConnectionOutput {
	t.Helper()
	out, err := c.TestConnection(context.Background(), &transfer.TestConnectionInput{ConnectorId: &id})
	if err != nil {
		t.Fatalf("TestConnection: %v", err)
	}
	return out
}

// sendOne sends one local file and returns its result.
func (e *b2bEnv) sendOne(t testing.TB, connectorID, local, remoteDir string) types.ConnectorFileTransferResult {
	t.Helper()
	in := &transfer.StartFileTransferInput{ConnectorId: &connectorID, SendFilePaths: []string{local}}
	if remoteDir != "" {
		in.RemoteDirectoryPath = &remoteDir
	}
	out, err := e.c.StartFileTransfer(context.Background(), in)
	if err != nil {
		t.Fatalf("StartFileTransfer: %v", err)
	}
	res := e.waitResults(t, connectorID, aws.ToString(out.TransferId))
	if len(res) != 1 {
		t.Fatalf("%d results", len(res))
	}
	return res[0]
}

func wantFailed(t testing.TB, r types.ConnectorFileTransferResult, code, msg string) {
	t.Helper()
	if r.StatusCode != types.TransferTableStatusFailed || aws.ToString(r.FailureCode) != code ||
		!strings.Contains(aws.ToString(r.FailureMessage), msg) {
		t.Fatalf("result %s %s %q, want FAILED %s containing %q", r.StatusCode, aws.ToString(r.FailureCode),
			aws.ToString(r.FailureMessage), code, msg)
	}
}

func TestB2BSFTPConnectorMovesRealFiles(t *testing.T) {
	t.Parallel()
	env := newB2B(t)
	c, ctx := env.c, context.Background()
	remote := t.TempDir()
	if err := os.MkdirAll(filepath.Join(remote, "inbox", "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	srv := sftptest.Start(t, remote, sftptest.Options{User: "partner", Password: "s3cret"})
	env.writeSecrets(t, map[string]map[string]string{partnerSecretARN: {"Username": "partner", "Password": "s3cret"}})
	id := sftpConnector(t, c, srv.URL, partnerSecretARN, srv.HostKeyLine)

	d, err := c.DescribeConnector(ctx, &transfer.DescribeConnectorInput{ConnectorId: &id})
	if err != nil {
		t.Fatal(err)
	}
	if dc := d.Connector; dc.Status != types.ConnectorStatusActive || dc.EgressType != types.ConnectorEgressTypeServiceManaged ||
		aws.ToString(dc.SecurityPolicyName) != "TransferSFTPConnectorSecurityPolicy-2024-03" ||
		aws.ToInt32(dc.SftpConfig.MaxConcurrentConnections) != 1 || dc.IpAddressType != types.ConnectorsIpAddressTypeIpv4 ||
		aws.ToString(dc.Arn) != "arn:aws:transfer:us-east-1:111111111111:connector/"+id || aws.ToString(dc.Url) != srv.URL {
		t.Fatalf("connector %+v", dc)
	}

	tc := testConnection(t, c, id)
	if aws.ToString(tc.Status) != "OK" || aws.ToString(tc.StatusMessage) != "Connection succeeded" ||
		aws.ToString(tc.SftpConnectionDetails.HostKey) != srv.HostKeyLine || aws.ToString(tc.ConnectorId) != id {
		t.Fatalf("TestConnection = %+v", tc)
	}

	// A real file goes out...
	payload := make([]byte, 300_000)
	if _, err := rand.Read(payload); err != nil {
		t.Fatal(err)
	}
	env.putLocal(t, "local-bucket", "out/data.bin", payload)
	r := env.sendOne(t, id, "/local-bucket/out/data.bin", "/inbox")
	if r.StatusCode != types.TransferTableStatusCompleted || aws.ToString(r.FilePath) != "/inbox/data.bin" || r.FailureCode != nil {
		t.Fatalf("send result %+v", r)
	}
	got, err := os.ReadFile(filepath.Join(remote, "inbox", "data.bin"))
	if err != nil || !bytes.Equal(got, payload) {
		t.Fatalf("remote copy differs (%d bytes, %v)", len(got), err)
	}
	// ...and comes back byte-identical; a missing one fails with the reason.
	out, err := c.StartFileTransfer(ctx, &transfer.StartFileTransferInput{
		ConnectorId: &id, RetrieveFilePaths: []string{"/inbox/data.bin", "/inbox/missing.txt"}, LocalDirectoryPath: aws.String("/local-bucket/back"),
	})
	if err != nil {
		t.Fatal(err)
	}
	res := env.waitResults(t, id, aws.ToString(out.TransferId))
	if len(res) != 2 || res[0].StatusCode != types.TransferTableStatusCompleted || aws.ToString(res[0].FilePath) != "/inbox/data.bin" {
		t.Fatalf("retrieve results %+v", res)
	}
	wantFailed(t, res[1], "RETRIEVE_FILE_NOT_FOUND", "/inbox/missing.txt")
	back, ok := env.readLocal(t, "local-bucket", "back/data.bin")
	if !ok || !bytes.Equal(back, payload) {
		t.Fatalf("retrieved file differs (%d bytes)", len(back))
	}
	// ListFileTransferResults pages.
	page1, err := c.ListFileTransferResults(ctx, &transfer.ListFileTransferResultsInput{ConnectorId: &id, TransferId: out.TransferId, MaxResults: aws.Int32(1)})
	if err != nil || len(page1.FileTransferResults) != 1 || page1.NextToken == nil {
		t.Fatalf("page 1 = %+v, %v", page1, err)
	}
	page2, err := c.ListFileTransferResults(ctx, &transfer.ListFileTransferResultsInput{ConnectorId: &id, TransferId: out.TransferId, MaxResults: aws.Int32(1), NextToken: page1.NextToken})
	if err != nil || len(page2.FileTransferResults) != 1 || page2.NextToken != nil || aws.ToString(page2.FileTransferResults[0].FilePath) != "/inbox/missing.txt" {
		t.Fatalf("page 2 = %+v, %v", page2, err)
	}
	// Sending a local file that does not exist fails honestly.
	wantFailed(t, env.sendOne(t, id, "/local-bucket/nope.bin", ""), "SEND_FILE_NOT_FOUND", "/local-bucket/nope.bin")

	// Directory listing, with and without truncation.
	if err := os.WriteFile(filepath.Join(remote, "inbox", "a.txt"), []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	mtime := time.Date(2024, 1, 30, 20, 34, 54, 0, time.UTC)
	if err := os.Chtimes(filepath.Join(remote, "inbox", "a.txt"), mtime, mtime); err != nil {
		t.Fatal(err)
	}
	listing := func(maxItems *int32) map[string]any {
		t.Helper()
		lo, err := c.StartDirectoryListing(ctx, &transfer.StartDirectoryListingInput{
			ConnectorId: &id, RemoteDirectoryPath: aws.String("/inbox"), OutputDirectoryPath: aws.String("/local-bucket/listings"), MaxItems: maxItems,
		})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(lo.OutputFileName) != id+"-"+aws.ToString(lo.ListingId)+".json" {
			t.Fatalf("OutputFileName %q", aws.ToString(lo.OutputFileName))
		}
		lr := env.waitResults(t, id, aws.ToString(lo.ListingId))
		if lr[0].StatusCode != types.TransferTableStatusCompleted {
			t.Fatalf("listing %+v", lr[0])
		}
		data, ok := env.readLocal(t, "local-bucket", "listings/"+aws.ToString(lo.OutputFileName))
		if !ok {
			t.Fatal("no listing file")
		}
		var doc map[string]any
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		return doc
	}
	full := listing(nil)
	wantJSON := `{"files":[{"filePath":"/inbox/a.txt","modifiedTimestamp":"2024-01-30T20:34:54Z","size":5},` +
		`{"filePath":"/inbox/data.bin","modifiedTimestamp":"` + modTime(t, filepath.Join(remote, "inbox", "data.bin")) + `","size":300000}],` +
		`"paths":[{"path":"/inbox/sub"}],"truncated":false}`
	if gotJSON, _ := json.Marshal(full); string(gotJSON) != wantJSON {
		t.Fatalf("listing\n%s\nwant\n%s", gotJSON, wantJSON)
	}
	part := listing(aws.Int32(2))
	if part["truncated"] != true || len(part["files"].([]any)) != 2 || len(part["paths"].([]any)) != 0 {
		t.Fatalf("truncated listing %v", part)
	}

	// Remote move and delete.
	mo, err := c.StartRemoteMove(ctx, &transfer.StartRemoteMoveInput{ConnectorId: &id, SourcePath: aws.String("/inbox/a.txt"), TargetPath: aws.String("/inbox/sub/b.txt")})
	if err != nil {
		t.Fatal(err)
	}
	if mr := env.waitResults(t, id, aws.ToString(mo.MoveId)); mr[0].StatusCode != types.TransferTableStatusCompleted {
		t.Fatalf("move %+v", mr[0])
	}
	if b, err := os.ReadFile(filepath.Join(remote, "inbox", "sub", "b.txt")); err != nil || string(b) != "hello" {
		t.Fatalf("moved file: %q, %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(remote, "inbox", "a.txt")); !os.IsNotExist(err) {
		t.Fatal("the source of the move is still there")
	}
	mo, _ = c.StartRemoteMove(ctx, &transfer.StartRemoteMoveInput{ConnectorId: &id, SourcePath: aws.String("/inbox/a.txt"), TargetPath: aws.String("/inbox/c.txt")})
	wantFailed(t, env.waitResults(t, id, aws.ToString(mo.MoveId))[0], "REMOTE_PATH_NOT_FOUND", "/inbox/a.txt")
	del, err := c.StartRemoteDelete(ctx, &transfer.StartRemoteDeleteInput{ConnectorId: &id, DeletePath: aws.String("/inbox/sub/b.txt")})
	if err != nil {
		t.Fatal(err)
	}
	if dr := env.waitResults(t, id, aws.ToString(del.DeleteId)); dr[0].StatusCode != types.TransferTableStatusCompleted {
		t.Fatalf("delete %+v", dr[0])
	}
	if _, err := os.Stat(filepath.Join(remote, "inbox", "sub", "b.txt")); !os.IsNotExist(err) {
		t.Fatal("the deleted file is still there")
	}
	del, _ = c.StartRemoteDelete(ctx, &transfer.StartRemoteDeleteInput{ConnectorId: &id, DeletePath: aws.String("/inbox/sub/b.txt")})
	wantFailed(t, env.waitResults(t, id, aws.ToString(del.DeleteId))[0], "REMOTE_PATH_NOT_FOUND", "/inbox/sub/b.txt")
}

func modTime(t testing.TB, p string) string {
	t.Helper()
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return st.ModTime().UTC().Format(time.RFC3339)
}

func TestB2BSFTPConnectorFailures(t *testing.T) {
	t.Parallel()
	env := newB2B(t)
	c, ctx := env.c, context.Background()
	remote := t.TempDir()
	userRaw := ed25519Key(t)
	userKey, err := ssh.NewSignerFromKey(userRaw)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(userRaw, "")
	if err != nil {
		t.Fatal(err)
	}
	srv := sftptest.Start(t, remote, sftptest.Options{User: "partner", Password: "s3cret", UserKey: userKey.PublicKey()})
	other := sftptest.KeyLine(sftptest.NewHostKey(t).PublicKey())
	env.putLocal(t, "b", "f.txt", []byte("data"))
	env.writeSecrets(t, map[string]map[string]string{
		// found by name from the connector's ARN
		"partner": {"Username": "partner", "Password": "s3cret"},
		"wrong":   {"Username": "partner", "Password": "guess"},
		"keyed":   {"Username": "partner", "PrivateKey": string(pem.EncodeToMemory(block))},
		"broken":  {"Password": "no user"},
	})
	secretARN := func(name string) string {
		return "arn:aws:secretsmanager:us-east-1:111111111111:secret:" + name + "-Xy12Ab"
	}

	t.Run("private key", func(t *testing.T) {
		id := sftpConnector(t, c, srv.URL, secretARN("keyed"), srv.HostKeyLine)
		if tc := testConnection(t, c, id); aws.ToString(tc.Status) != "OK" {
			t.Fatalf("TestConnection %+v", tc)
		}
		if r := env.sendOne(t, id, "/b/f.txt", ""); r.StatusCode != types.TransferTableStatusCompleted || aws.ToString(r.FilePath) != "f.txt" {
			t.Fatalf("send %+v", r)
		}
		if b, err := os.ReadFile(filepath.Join(remote, "f.txt")); err != nil || string(b) != "data" {
			t.Fatalf("remote file %q %v", b, err)
		}
	})
	t.Run("wrong host key", func(t *testing.T) {
		id := sftpConnector(t, c, srv.URL, secretARN("partner"), other)
		tc := testConnection(t, c, id)
		if aws.ToString(tc.Status) != "ERROR" || !strings.Contains(aws.ToString(tc.StatusMessage), "host key verification failed") ||
			!strings.Contains(aws.ToString(tc.StatusMessage), ssh.FingerprintSHA256(srv.HostKey)) ||
			aws.ToString(tc.SftpConnectionDetails.HostKey) != srv.HostKeyLine {
			t.Fatalf("TestConnection %+v", tc)
		}
		wantFailed(t, env.sendOne(t, id, "/b/f.txt", ""), "HOST_KEY_VERIFICATION_FAILED", "not one of the connector's TrustedHostKeys")
		// Completing the connector with the observed key makes it work.
		if _, err := c.UpdateConnector(ctx, &transfer.UpdateConnectorInput{ConnectorId: &id,
			SftpConfig: &types.SftpConnectorConfig{TrustedHostKeys: []string{"127.0.0.1 " + aws.ToString(tc.SftpConnectionDetails.HostKey)}}}); err != nil {
			t.Fatal(err)
		}
		if tc := testConnection(t, c, id); aws.ToString(tc.Status) != "OK" {
			t.Fatalf("after update %+v", tc)
		}
	})
	t.Run("no trusted host keys", func(t *testing.T) {
		id := sftpConnector(t, c, srv.URL, secretARN("partner"))
		tc := testConnection(t, c, id)
		if aws.ToString(tc.Status) != "ERROR" || !strings.Contains(aws.ToString(tc.StatusMessage), "no TrustedHostKeys") ||
			aws.ToString(tc.SftpConnectionDetails.HostKey) != srv.HostKeyLine {
			t.Fatalf("TestConnection %+v", tc)
		}
		wantFailed(t, env.sendOne(t, id, "/b/f.txt", ""), "HOST_KEY_VERIFICATION_FAILED", "no TrustedHostKeys")
	})
	t.Run("wrong password", func(t *testing.T) {
		id := sftpConnector(t, c, srv.URL, secretARN("wrong"), srv.HostKeyLine)
		tc := testConnection(t, c, id)
		if aws.ToString(tc.Status) != "ERROR" || !strings.Contains(aws.ToString(tc.StatusMessage), "authentication failed") {
			t.Fatalf("TestConnection %+v", tc)
		}
		wantFailed(t, env.sendOne(t, id, "/b/f.txt", ""), "AUTHENTICATION_FAILED", `user "partner"`)
	})
	t.Run("secret problems", func(t *testing.T) {
		id := sftpConnector(t, c, srv.URL, secretARN("absent"), srv.HostKeyLine)
		wantFailed(t, env.sendOne(t, id, "/b/f.txt", ""), "SECRET_ERROR", "was not found in the secrets file")
		id = sftpConnector(t, c, srv.URL, "broken", srv.HostKeyLine)
		tc := testConnection(t, c, id)
		if aws.ToString(tc.Status) != "ERROR" || !strings.Contains(aws.ToString(tc.StatusMessage), "no Username") {
			t.Fatalf("TestConnection %+v", tc)
		}
	})
	t.Run("connection refused", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		_ = ln.Close()
		id := sftpConnector(t, c, "sftp://"+addr, secretARN("partner"), srv.HostKeyLine)
		wantFailed(t, env.sendOne(t, id, "/b/f.txt", ""), "CONNECTION_FAILED", "connection refused")
		tc := testConnection(t, c, id)
		if aws.ToString(tc.Status) != "ERROR" || !strings.Contains(aws.ToString(tc.StatusMessage), "connection refused") || tc.SftpConnectionDetails != nil {
			t.Fatalf("TestConnection %+v", tc)
		}
	})
}

func ed25519Key(t testing.TB) ed25519.PrivateKey {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestB2BConnectorValidation(t *testing.T) {
	t.Parallel()
	env := newB2B(t)
	c, ctx := env.c, context.Background()
	hostKey := sftptest.KeyLine(sftptest.NewHostKey(t).PublicKey())
	edKey, err := ssh.NewPublicKey(ed25519Key(t).Public())
	if err != nil {
		t.Fatal(err)
	}
	local := mustProfile(t, c, types.ProfileTypeLocal, "ME")
	partner := mustProfile(t, c, types.ProfileTypePartner, "THEM")
	sftpCfg := func() *types.SftpConnectorConfig {
		return &types.SftpConnectorConfig{UserSecretId: aws.String(partnerSecretARN), TrustedHostKeys: []string{hostKey}}
	}
	as2Cfg := func() *types.As2ConnectorConfig {
		return &types.As2ConnectorConfig{LocalProfileId: &local, PartnerProfileId: &partner}
	}
	tests := []struct {
		name string
		in   transfer.CreateConnectorInput
		want string
	}{
		{"both configs", transfer.CreateConnectorInput{Url: aws.String("sftp://h"), SftpConfig: sftpCfg(), As2Config: as2Cfg()}, "exactly one"},
		{"no config", transfer.CreateConnectorInput{Url: aws.String("sftp://h")}, "exactly one"},
		{"sftp with http url", transfer.CreateConnectorInput{Url: aws.String("https://h"), SftpConfig: sftpCfg()}, "sftp://"},
		{"sftp url with path", transfer.CreateConnectorInput{Url: aws.String("sftp://h/dir"), SftpConfig: sftpCfg()}, "path"},
		{"sftp url bad port", transfer.CreateConnectorInput{Url: aws.String("sftp://h:99999"), SftpConfig: sftpCfg()}, "port"},
		{"sftp without url", transfer.CreateConnectorInput{SftpConfig: sftpCfg()}, "Url is required"},
		{"sftp without secret", transfer.CreateConnectorInput{Url: aws.String("sftp://h"), SftpConfig: &types.SftpConnectorConfig{TrustedHostKeys: []string{hostKey}}}, "UserSecretId"},
		{"ed25519 trusted key", transfer.CreateConnectorInput{Url: aws.String("sftp://h"), SftpConfig: &types.SftpConnectorConfig{
			UserSecretId: aws.String("s"), TrustedHostKeys: []string{sftptest.KeyLine(edKey)}}}, "TrustedHostKeys[0]"},
		{"garbage trusted key", transfer.CreateConnectorInput{Url: aws.String("sftp://h"), SftpConfig: &types.SftpConnectorConfig{
			UserSecretId: aws.String("s"), TrustedHostKeys: []string{hostKey, "ssh-rsa notbase64"}}}, "TrustedHostKeys[1]"},
		{"too many connections", transfer.CreateConnectorInput{Url: aws.String("sftp://h"), SftpConfig: &types.SftpConnectorConfig{
			UserSecretId: aws.String("s"), MaxConcurrentConnections: aws.Int32(6)}}, "MaxConcurrentConnections"},
		{"unknown policy", transfer.CreateConnectorInput{Url: aws.String("sftp://h"), SftpConfig: sftpCfg(),
			SecurityPolicyName: aws.String("TransferSFTPConnectorSecurityPolicy-1999-01")}, "SecurityPolicyName"},
		{"as2 with sftp url", transfer.CreateConnectorInput{Url: aws.String("sftp://h"), As2Config: as2Cfg()}, "http://"},
		{"as2 with policy", transfer.CreateConnectorInput{Url: aws.String("https://h"), As2Config: as2Cfg(),
			SecurityPolicyName: aws.String("TransferSFTPConnectorSecurityPolicy-2024-03")}, "SecurityPolicyName"},
		{"as2 profiles swapped", transfer.CreateConnectorInput{Url: aws.String("https://h"),
			As2Config: &types.As2ConnectorConfig{LocalProfileId: &partner, PartnerProfileId: &local}}, "LocalProfileId"},
		{"as2 without profiles", transfer.CreateConnectorInput{Url: aws.String("https://h"), As2Config: &types.As2ConnectorConfig{}}, "LocalProfileId"},
		{"as2 NONE encryption over http", transfer.CreateConnectorInput{Url: aws.String("http://h"),
			As2Config: &types.As2ConnectorConfig{LocalProfileId: &local, PartnerProfileId: &partner, EncryptionAlgorithm: types.EncryptionAlgNone}}, "HTTPS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			in.AccessRole = aws.String(testRole)
			_, err := c.CreateConnector(ctx, &in)
			wantInvalid(t, err, tt.want)
		})
	}
	_, err = c.CreateConnector(ctx, &transfer.CreateConnectorInput{Url: aws.String("https://h"), AccessRole: aws.String(testRole),
		As2Config: &types.As2ConnectorConfig{LocalProfileId: &local, PartnerProfileId: aws.String("p-00000000000000000")}})
	wantNotFound(t, err, "p-00000000000000000", "Profile")
	if ls, err := c.ListConnectors(ctx, &transfer.ListConnectorsInput{}); err != nil || len(ls.Connectors) != 0 {
		t.Fatalf("rejected creates left connectors: %+v %v", ls, err)
	}

	// An AS2 connector: transfers are recorded as not emulated, never as sent.
	as2, err := c.CreateConnector(ctx, &transfer.CreateConnectorInput{Url: aws.String("https://as2.example.com/as2"), AccessRole: aws.String(testRole),
		As2Config: &types.As2ConnectorConfig{LocalProfileId: &local, PartnerProfileId: &partner, MdnResponse: types.MdnResponseSync},
		Tags:      []types.Tag{tag("kind", "as2")}})
	if err != nil {
		t.Fatal(err)
	}
	as2ID := aws.ToString(as2.ConnectorId)
	d, _ := c.DescribeConnector(ctx, &transfer.DescribeConnectorInput{ConnectorId: &as2ID})
	if d.Connector.As2Config.PreserveContentType != types.PreserveContentTypeDisabled || d.Connector.SecurityPolicyName != nil || len(d.Connector.Tags) != 1 {
		t.Fatalf("AS2 connector %+v", d.Connector)
	}
	st, err := c.StartFileTransfer(ctx, &transfer.StartFileTransferInput{ConnectorId: &as2ID, SendFilePaths: []string{"/b/one.edi", "/b/two.edi"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range env.waitResults(t, as2ID, aws.ToString(st.TransferId)) {
		wantFailed(t, r, "AS2_NOT_EMULATED", "AS2 sending is not emulated")
	}
	_, err = c.TestConnection(ctx, &transfer.TestConnectionInput{ConnectorId: &as2ID})
	wantInvalid(t, err, "AS2")
	_, err = c.StartDirectoryListing(ctx, &transfer.StartDirectoryListingInput{ConnectorId: &as2ID, RemoteDirectoryPath: aws.String("/"), OutputDirectoryPath: aws.String("/b")})
	wantInvalid(t, err, "SFTP connectors")
	_, err = c.StartFileTransfer(ctx, &transfer.StartFileTransferInput{ConnectorId: &as2ID, RetrieveFilePaths: []string{"/x"}, LocalDirectoryPath: aws.String("/b")})
	wantInvalid(t, err, "SendFilePaths")
	_, err = c.UpdateConnector(ctx, &transfer.UpdateConnectorInput{ConnectorId: &as2ID, SftpConfig: sftpCfg()})
	wantInvalid(t, err, "AS2 connector")

	// StartFileTransfer on an SFTP connector: exactly one direction.
	sftpID := sftpConnector(t, c, "sftp://127.0.0.1:1", partnerSecretARN, hostKey)
	for _, tt := range []struct {
		name string
		in   transfer.StartFileTransferInput
		want string
	}{
		{"both directions", transfer.StartFileTransferInput{SendFilePaths: []string{"/b/k"}, RetrieveFilePaths: []string{"/r"}, LocalDirectoryPath: aws.String("/b")}, "not both"},
		{"no direction", transfer.StartFileTransferInput{}, "required"},
		{"retrieve without local dir", transfer.StartFileTransferInput{RetrieveFilePaths: []string{"/r"}}, "LocalDirectoryPath"},
		{"send with local dir", transfer.StartFileTransferInput{SendFilePaths: []string{"/b/k"}, LocalDirectoryPath: aws.String("/b")}, "LocalDirectoryPath"},
		{"send a bucket", transfer.StartFileTransferInput{SendFilePaths: []string{"/b"}}, "SendFilePaths[0]"},
		{"http headers", transfer.StartFileTransferInput{SendFilePaths: []string{"/b/k"},
			CustomHttpHeaders: []types.CustomHttpHeader{{Key: aws.String("k"), Value: aws.String("v")}}}, "CustomHttpHeaders"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			in.ConnectorId = &sftpID
			_, err := c.StartFileTransfer(ctx, &in)
			wantInvalid(t, err, tt.want)
		})
	}
	_, err = c.StartDirectoryListing(ctx, &transfer.StartDirectoryListingInput{ConnectorId: &sftpID, RemoteDirectoryPath: aws.String("/"),
		OutputDirectoryPath: aws.String("/b"), MaxItems: aws.Int32(300000)})
	wantInvalid(t, err, "MaxItems")
	_, err = c.StartRemoteMove(ctx, &transfer.StartRemoteMoveInput{ConnectorId: &sftpID, SourcePath: aws.String("/a"), TargetPath: aws.String("/a/")})
	wantInvalid(t, err, "same path")

	// UpdateConnector merges; a rejected update changes nothing.
	if _, err := c.UpdateConnector(ctx, &transfer.UpdateConnectorInput{ConnectorId: &sftpID, LoggingRole: aws.String(testRole),
		SecurityPolicyName: aws.String("TransferSFTPConnectorSecurityPolicy-FIPS-2024-10"),
		SftpConfig:         &types.SftpConnectorConfig{MaxConcurrentConnections: aws.Int32(5)}}); err != nil {
		t.Fatal(err)
	}
	_, err = c.UpdateConnector(ctx, &transfer.UpdateConnectorInput{ConnectorId: &sftpID, Url: aws.String("ftp://h"), LoggingRole: aws.String("arn:aws:iam::111111111111:role/other")})
	wantInvalid(t, err, "sftp://")
	_, err = c.UpdateConnector(ctx, &transfer.UpdateConnectorInput{ConnectorId: &sftpID, SecurityPolicyName: aws.String("TransferSFTPConnectorSecurityPolicy-2000-01")})
	wantInvalid(t, err, "SecurityPolicyName")
	d, _ = c.DescribeConnector(ctx, &transfer.DescribeConnectorInput{ConnectorId: &sftpID})
	if dc := d.Connector; aws.ToString(dc.LoggingRole) != testRole || aws.ToInt32(dc.SftpConfig.MaxConcurrentConnections) != 5 ||
		aws.ToString(dc.SftpConfig.UserSecretId) != partnerSecretARN || len(dc.SftpConfig.TrustedHostKeys) != 1 ||
		aws.ToString(dc.Url) != "sftp://127.0.0.1:1" || aws.ToString(dc.SecurityPolicyName) != "TransferSFTPConnectorSecurityPolicy-FIPS-2024-10" {
		t.Fatalf("after updates %+v", dc)
	}

	// Unknown connectors and transfers.
	missing := "c-00000000000000000"
	_, err = c.DescribeConnector(ctx, &transfer.DescribeConnectorInput{ConnectorId: &missing})
	wantNotFound(t, err, missing, "Connector")
	_, err = c.StartFileTransfer(ctx, &transfer.StartFileTransferInput{ConnectorId: &missing, SendFilePaths: []string{"/b/k"}})
	wantNotFound(t, err, missing, "Connector")
	_, err = c.TestConnection(ctx, &transfer.TestConnectionInput{ConnectorId: &missing})
	wantNotFound(t, err, missing, "Connector")
	_, err = c.ListFileTransferResults(ctx, &transfer.ListFileTransferResultsInput{ConnectorId: &sftpID, TransferId: aws.String("00000000-0000-4000-8000-000000000000")})
	wantNotFound(t, err, "00000000-0000-4000-8000-000000000000", "Transfer")

	// Pagination and deletion.
	p := transfer.NewListConnectorsPaginator(c, &transfer.ListConnectorsInput{MaxResults: aws.Int32(1)})
	n := 0
	eachPage(ctx, t, p, func(page *transfer.ListConnectorsOutput) {
		n += len(page.Connectors)
	})
	if n != 2 {
		t.Fatalf("listed %d connectors, want 2", n)
	}
	// A profile an AS2 connector uses cannot be deleted.
	_, err = c.DeleteProfile(ctx, &transfer.DeleteProfileInput{ProfileId: &partner})
	wantInvalid(t, err, "connector "+as2ID)
	if _, err := c.DeleteConnector(ctx, &transfer.DeleteConnectorInput{ConnectorId: &as2ID}); err != nil {
		t.Fatal(err)
	}
	_, err = c.ListFileTransferResults(ctx, &transfer.ListFileTransferResultsInput{ConnectorId: &as2ID, TransferId: st.TransferId})
	wantNotFound(t, err, as2ID, "Connector")
	_, err = c.DeleteConnector(ctx, &transfer.DeleteConnectorInput{ConnectorId: &as2ID})
	wantNotFound(t, err, as2ID, "Connector")
}
