package transfer

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/transferapi"
	"github.com/ersatz-dev/ersatz/internal/files"
	"github.com/ersatz-dev/ersatz/internal/objectstore/localfs"
	"github.com/ersatz-dev/ersatz/internal/service/transfer/connector"
	"github.com/ersatz-dev/ersatz/internal/service/transfer/workflow"
	"github.com/ersatz-dev/ersatz/internal/store"
)

// newB2BService is a service with its own local storage and secrets file.
func newB2BService(t *testing.T, opts ...Option) (*Service, context.Context, *files.Store) {
	t.Helper()
	dir := t.TempDir()
	fs := files.New(dir)
	opts = append([]Option{WithFiles(fs), WithSecretsFile(filepath.Join(dir, "secrets.json")),
		WithConnectorTimeouts(2*time.Second, 10*time.Second)}, opts...)
	s, ctx := newTestService(t, opts...)
	t.Cleanup(func() { _ = s.Close() })
	return s, ctx, fs
}

func wantCode(t *testing.T, err error, code, contains string) {
	t.Helper()
	var se api.ServiceError
	if !errors.As(err, &se) || se.ErrorCode() != code || !strings.Contains(err.Error(), contains) {
		t.Fatalf("error %v, want %s containing %q", err, code, contains)
	}
}

func selfSigned(t *testing.T, key any, pub any, notBefore, notAfter time.Time) string {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(0x1234), Subject: pkix.Name{CommonName: "t"}, NotBefore: notBefore, NotAfter: notAfter}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func TestParseImport(t *testing.T) {
	now := time.Now()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rsaCert := selfSigned(t, rsaKey, &rsaKey.PublicKey, now.Add(-time.Hour), now.Add(time.Hour))
	ecCert := selfSigned(t, ecKey, &ecKey.PublicKey, now.Add(-time.Hour), now.Add(time.Hour))
	pkcs1 := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey)}))
	sec1DER, _ := x509.MarshalECPrivateKey(ecKey)
	sec1 := string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1DER}))
	pkcs8DER, _ := x509.MarshalPKCS8PrivateKey(ecKey)
	pkcs8 := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8DER}))
	encrypted := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Headers: map[string]string{
		"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-128-CBC,00000000000000000000000000000000"}, Bytes: []byte("x")}))
	tests := []struct {
		name          string
		cert, chain   string
		key           string
		wantType, err string
	}{
		{"rsa pkcs1", rsaCert, "", pkcs1, transferapi.CertificateTypeCertificateWithPrivateKey, ""},
		{"ec sec1", ecCert, "", sec1, transferapi.CertificateTypeCertificateWithPrivateKey, ""},
		{"ec pkcs8", ecCert, "", pkcs8, transferapi.CertificateTypeCertificateWithPrivateKey, ""},
		{"no key", rsaCert, ecCert, "", transferapi.CertificateTypeCertificate, ""},
		{"wrong key", rsaCert, "", sec1, "", "PrivateKey does not fit Certificate"},
		{"encrypted key", rsaCert, "", encrypted, "", "PrivateKey is encrypted"},
		{"two keys", rsaCert, "", pkcs1 + pkcs1, "", "exactly one private key"},
		{"text after the certificate", rsaCert + "trailing", "", "", "", "Certificate is not valid PEM"},
		{"garbage inside", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "", "", "", "not a valid X.509 certificate"},
		{"chain of keys", rsaCert, pkcs1, "", "", "CertificateChain holds a PEM block of type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &transferapi.ImportCertificateRequest{Certificate: api.Ptr(tt.cert)}
			if tt.chain != "" {
				in.CertificateChain = api.Ptr(tt.chain)
			}
			if tt.key != "" {
				in.PrivateKey = api.Ptr(tt.key)
			}
			p, err := parseImport(in)
			if tt.err != "" {
				wantCode(t, err, "InvalidRequestException", tt.err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.certType != tt.wantType || p.leaf.SerialNumber.Int64() != 0x1234 {
				t.Fatalf("type %s serial %v", p.certType, p.leaf.SerialNumber)
			}
		})
	}
}

func TestCertificateStatusFollowsTheClock(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}
	s, ctx, _ := newB2BService(t, WithClock(clk.now))
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	cert := selfSigned(t, k, &k.PublicKey, clk.t.Add(24*time.Hour), clk.t.Add(10*24*time.Hour))
	out, err := s.ImportCertificate(ctx, &transferapi.ImportCertificateRequest{
		Usage: api.Ptr(transferapi.CertificateUsageTypeTls), Certificate: api.Ptr(cert),
		InactiveDate: &api.EpochSeconds{Time: clk.t.Add(5 * 24 * time.Hour)},
	})
	if err != nil {
		t.Fatal(err)
	}
	status := func() string {
		d, err := s.DescribeCertificate(ctx, &transferapi.DescribeCertificateRequest{CertificateId: out.CertificateId})
		if err != nil {
			t.Fatal(err)
		}
		return *d.Certificate.Status
	}
	for _, step := range []struct {
		advance time.Duration
		want    string
	}{
		{0, transferapi.CertificateStatusTypePendingRotation},
		{24*time.Hour - time.Second, transferapi.CertificateStatusTypePendingRotation},
		{time.Second, transferapi.CertificateStatusTypeActive},
		{4*24*time.Hour - time.Second, transferapi.CertificateStatusTypeActive},
		{time.Second, transferapi.CertificateStatusTypeInactive},
	} {
		clk.add(step.advance)
		if got := status(); got != step.want {
			t.Fatalf("at %s: %s, want %s", clk.now(), got, step.want)
		}
	}
}

func TestParseConnectorURL(t *testing.T) {
	tests := []struct {
		url  string
		sftp bool
		addr string
		err  string
	}{
		{"sftp://example.com", true, "example.com:22", ""},
		{"sftp://example.com:2222/", true, "example.com:2222", ""},
		{"sftp://[::1]:22", true, "[::1]:22", ""},
		{"https://as2.example.com/as2", false, "as2.example.com:443", ""},
		{"http://as2.example.com:8080", false, "as2.example.com:8080", ""},
		{"sftp://user@example.com", true, "", "user information"},
		{"sftp://example.com/x", true, "", "path"},
		{"ftp://example.com", true, "", "sftp://"},
		{"sftp://example.com", false, "", "http://"},
		{"sftp://:22", true, "", "no host"},
		{"sftp://example.com:0", true, "", "port"},
		{"sftp://example.com?a=b", true, "", "query"},
	}
	for _, tt := range tests {
		got, err := parseConnectorURL(tt.url, tt.sftp)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: %v, want %q", tt.url, err, tt.err)
			}
			continue
		}
		if err != nil || got.addr() != tt.addr {
			t.Errorf("%s: %s, %v, want %s", tt.url, got.addr(), err, tt.addr)
		}
	}
}

func TestTrustedHostKeysAndAlgorithms(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	pub, _ := ssh.NewPublicKey(&ec.PublicKey)
	line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub)))
	for _, entry := range []string{line, "sftp.example.com " + line, line + " comment"} {
		k, err := parseTrustedHostKey(entry, 0, true)
		if err != nil || string(k.Marshal()) != string(pub.Marshal()) {
			t.Fatalf("%q: %v", entry, err)
		}
	}
	if _, err := parseTrustedHostKey("sftp.example.com "+line, 2, false); err == nil || !strings.Contains(err.Error(), "TrustedHostKeys[2]") {
		t.Fatalf("host form on a VPC_LATTICE connector: %v", err)
	}

}

// waitExecution waits until the only execution of a workflow has finished
// and returns it as stored.
func waitExecution(t *testing.T, s *Service, ctx context.Context, wfID string) executionRecord {
	t.Helper()
	sc := s.kit.Scope(ctx)
	deadline := time.Now().Add(5 * time.Second)
	for {
		var all []executionRecord
		err := s.store.View(ctx, func(tx store.Tx) error {
			var err error
			all, _, err = store.ListJSON[executionRecord](tx, store.Collection{Scope: sc, Parent: workflowKey(sc, wfID).Path(), Kind: workflow.KindExecution}, store.Page{})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(all) == 1 && !all[0].InProgress() {
			return all[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("executions %+v did not finish", all)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func writeFile(t *testing.T, fs *files.Store, d files.Domain, container, key, data string) {
	t.Helper()
	root, err := fs.Container(d, container)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	if err := root.MkdirAll(filepath.Dir(key), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := root.WriteFile(key, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, fs *files.Store, d files.Domain, container, key string) (string, bool) {
	t.Helper()
	root, err := fs.Container(d, container)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	b, err := root.ReadFile(key)
	if err != nil {
		return "", false
	}
	return string(b), true
}

func s3Copy(bucket, key, overwrite string) transferapi.WorkflowStep {
	d := &transferapi.CopyStepDetails{DestinationFileLocation: &transferapi.InputFileLocation{
		S3FileLocation: &transferapi.S3InputFileLocation{Bucket: api.Ptr(bucket), Key: api.Ptr(key)}}}
	if overwrite != "" {
		d.OverwriteExisting = api.Ptr(overwrite)
	}
	return transferapi.WorkflowStep{Type: api.Ptr(transferapi.WorkflowStepTypeCopy), CopyStepDetails: d}
}

func tagStep(kv ...string) transferapi.WorkflowStep {
	var tags []transferapi.S3Tag
	for i := 0; i < len(kv); i += 2 {
		tags = append(tags, transferapi.S3Tag{Key: api.Ptr(kv[i]), Value: api.Ptr(kv[i+1])})
	}
	return transferapi.WorkflowStep{Type: api.Ptr(transferapi.WorkflowStepTypeTag), TagStepDetails: &transferapi.TagStepDetails{Tags: tags}}
}

func TestWorkflowStepsOnLocalStorage(t *testing.T) {
	decrypt := transferapi.WorkflowStep{Type: api.Ptr(transferapi.WorkflowStepTypeDecrypt), DecryptStepDetails: &transferapi.DecryptStepDetails{
		Type: api.Ptr(transferapi.EncryptionTypePgp), DestinationFileLocation: &transferapi.InputFileLocation{
			S3FileLocation: &transferapi.S3InputFileLocation{Bucket: api.Ptr("plain"), Key: api.Ptr("")}}}}
	many := []string{}
	for i := 0; i < 11; i++ {
		many = append(many, "k"+string(rune('a'+i)), "v")
	}
	tests := []struct {
		name        string
		domain      string
		steps, onEx []transferapi.WorkflowStep
		existing    string // a file already at /dest/up.txt
		wantStatus  string
		wantErrType string // of the failed step, "" when none failed
		wantErrMsg  string
		check       func(t *testing.T, s *Service, ctx context.Context, fs *files.Store)
	}{
		{name: "decrypt is not emulated", domain: transferapi.DomainS3,
			steps: []transferapi.WorkflowStep{decrypt}, onEx: []transferapi.WorkflowStep{s3Copy("quarantine", "", "")},
			wantStatus: transferapi.ExecutionStatusException, wantErrType: transferapi.ExecutionErrorTypeBadRequest, wantErrMsg: "not emulated",
			check: func(t *testing.T, s *Service, ctx context.Context, fs *files.Store) {
				if got, ok := readFile(t, fs, files.S3, "quarantine", "up.txt"); !ok || got != "payload" {
					t.Fatalf("exception copy %q %v", got, ok)
				}
			}},
		{name: "copy refuses to overwrite", domain: transferapi.DomainS3, existing: "old",
			steps:      []transferapi.WorkflowStep{s3Copy("dest", "up.txt", "")},
			wantStatus: transferapi.ExecutionStatusException, wantErrType: transferapi.ExecutionErrorTypeAlreadyExists, wantErrMsg: "/dest/up.txt",
			check: func(t *testing.T, s *Service, ctx context.Context, fs *files.Store) {
				if got, _ := readFile(t, fs, files.S3, "dest", "up.txt"); got != "old" {
					t.Fatalf("existing file overwritten: %q", got)
				}
			}},
		{name: "copy overwrites when told", domain: transferapi.DomainS3, existing: "old",
			steps:      []transferapi.WorkflowStep{s3Copy("dest", "up.txt", transferapi.OverwriteExistingTrue), tagStep("a", "1")},
			wantStatus: transferapi.ExecutionStatusCompleted,
			check: func(t *testing.T, s *Service, ctx context.Context, fs *files.Store) {
				if got, _ := readFile(t, fs, files.S3, "dest", "up.txt"); got != "payload" {
					t.Fatalf("copy %q", got)
				}
				if tags := objectTags(t, fs, "dest", "up.txt"); tags["a"] != "1" {
					t.Fatalf("tags of the copy %v", tags)
				}
				if tags := objectTags(t, fs, "in", "up.txt"); len(tags) != 0 {
					t.Fatalf("tags of the original %v", tags)
				}
			}},
		{name: "too many tags", domain: transferapi.DomainS3,
			steps:      []transferapi.WorkflowStep{tagStep("a", "1"), tagStep(many[:20]...)},
			wantStatus: transferapi.ExecutionStatusException, wantErrType: transferapi.ExecutionErrorTypeBadRequest, wantErrMsg: "at most 10"},
		{name: "efs files cannot be tagged", domain: transferapi.DomainEfs,
			steps:      []transferapi.WorkflowStep{tagStep("a", "1")},
			wantStatus: transferapi.ExecutionStatusException, wantErrType: transferapi.ExecutionErrorTypeBadRequest, wantErrMsg: "only S3 files"},
		{name: "delete then copy finds nothing", domain: transferapi.DomainS3,
			steps: []transferapi.WorkflowStep{{Type: api.Ptr(transferapi.WorkflowStepTypeDelete), DeleteStepDetails: &transferapi.DeleteStepDetails{}},
				s3Copy("dest", "", "")},
			wantStatus: transferapi.ExecutionStatusException, wantErrType: transferapi.ExecutionErrorTypeNotFound, wantErrMsg: "does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, ctx, fs := newB2BService(t)
			wf, err := s.CreateWorkflow(ctx, &transferapi.CreateWorkflowRequest{Steps: tt.steps, OnExceptionSteps: tt.onEx})
			if err != nil {
				t.Fatal(err)
			}
			req := &transferapi.CreateServerRequest{Domain: api.Ptr(tt.domain), WorkflowDetails: &transferapi.WorkflowDetails{
				OnUpload: []transferapi.WorkflowDetail{{WorkflowId: wf.WorkflowId, ExecutionRole: api.Ptr("arn:aws:iam::123456789012:role/x")}}}}
			srv, err := s.CreateServer(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			container := "in"
			d := files.S3
			if tt.domain == transferapi.DomainEfs {
				container, d = "fs-0123456789abcdef0", files.EFS
			}
			writeFile(t, fs, d, container, "up.txt", "payload")
			if tt.existing != "" {
				writeFile(t, fs, files.S3, "dest", "up.txt", tt.existing)
			}
			c := api.CallerFrom(ctx)
			if err := s.FileUploaded(ctx, UploadEvent{Account: c.Account, Region: c.Region, ServerID: *srv.ServerId,
				UserName: "u", Path: "/" + container + "/up.txt"}); err != nil {
				t.Fatal(err)
			}
			ex := waitExecution(t, s, ctx, *wf.WorkflowId)
			if ex.Status != tt.wantStatus {
				t.Fatalf("status %s, want %s (%+v)", ex.Status, tt.wantStatus, ex.Results)
			}
			var failed *transferapi.ExecutionError
			for _, r := range ex.Results.Steps {
				if r.Error != nil {
					failed = r.Error
				}
			}
			if tt.wantErrType == "" && failed != nil {
				t.Fatalf("unexpected failure %s: %s", *failed.Type, *failed.Message)
			}
			if tt.wantErrType != "" && (failed == nil || *failed.Type != tt.wantErrType || !strings.Contains(*failed.Message, tt.wantErrMsg)) {
				t.Fatalf("failure %+v, want %s %q", failed, tt.wantErrType, tt.wantErrMsg)
			}
			if len(ex.Results.OnExceptionSteps) != len(tt.onEx) && tt.wantErrType != "" {
				t.Fatalf("%d exception step results, want %d", len(ex.Results.OnExceptionSteps), len(tt.onEx))
			}
			if tt.check != nil {
				tt.check(t, s, ctx, fs)
			}
		})
	}
}

func TestFileUploadedWithoutWorkflows(t *testing.T) {
	s, ctx, _ := newB2BService(t)
	srv, err := s.CreateServer(ctx, &transferapi.CreateServerRequest{})
	if err != nil {
		t.Fatal(err)
	}
	c := api.CallerFrom(ctx)
	for _, ev := range []UploadEvent{
		{Account: c.Account, Region: c.Region, ServerID: *srv.ServerId, Path: "/b/k"},
		{Account: c.Account, Region: c.Region, ServerID: "s-00000000000000000", Path: "/b/k"},
	} {
		if err := s.FileUploaded(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.FileUploaded(ctx, UploadEvent{Account: c.Account, Region: c.Region, ServerID: *srv.ServerId, Path: "/b"}); err == nil {
		t.Fatal("a path without key was accepted")
	}
}

// TestCloseStopsConnectorOperations: an operation stuck in an SSH handshake
// with a server that never answers ends FAILED (CANCELLED) when the service
// closes, and Close does not wait for the dial timeout.
func TestCloseStopsConnectorOperations(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	s, ctx, _ := newB2BService(t, WithConnectorTimeouts(time.Minute, time.Minute))
	if err := os.WriteFile(s.b2bConf().secretsFile, []byte(`{"secrets":{"s":{"Username":"u","Password":"p"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	pub, _ := ssh.NewPublicKey(&ec.PublicKey)
	conn, err := s.CreateConnector(ctx, &transferapi.CreateConnectorRequest{Url: api.Ptr("sftp://" + ln.Addr().String()),
		AccessRole: api.Ptr("arn:aws:iam::123456789012:role/r"), SftpConfig: &transferapi.SftpConnectorConfig{
			UserSecretId: api.Ptr("s"), TrustedHostKeys: []string{strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub)))}}})
	if err != nil {
		t.Fatal(err)
	}
	st, err := s.StartFileTransfer(ctx, &transferapi.StartFileTransferRequest{ConnectorId: conn.ConnectorId, SendFilePaths: []string{"/b/k"}})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case c := <-accepted:
		defer c.Close()
	case <-time.After(5 * time.Second):
		t.Fatal("the connector never connected")
	}
	start := time.Now()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Close took %s", d)
	}
	res, err := s.ListFileTransferResults(ctx, &transferapi.ListFileTransferResultsRequest{ConnectorId: conn.ConnectorId, TransferId: st.TransferId})
	if err != nil {
		t.Fatal(err)
	}
	if r := res.FileTransferResults[0]; *r.StatusCode != transferapi.TransferTableStatusFailed || *r.FailureCode != connector.CodeCancelled {
		t.Fatalf("result after Close %+v", r)
	}
	// A closed service runs nothing new and says so.
	st, err = s.StartFileTransfer(ctx, &transferapi.StartFileTransferRequest{ConnectorId: conn.ConnectorId, SendFilePaths: []string{"/b/k"}})
	if err != nil {
		t.Fatal(err)
	}
	res, _ = s.ListFileTransferResults(ctx, &transferapi.ListFileTransferResultsRequest{ConnectorId: conn.ConnectorId, TransferId: st.TransferId})
	if r := res.FileTransferResults[0]; *r.StatusCode != transferapi.TransferTableStatusFailed || !strings.Contains(*r.FailureMessage, "shutting down") {
		t.Fatalf("result after Close %+v", r)
	}
}

func TestFileTransferResultsExpireAfterSevenDays(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)}
	s, ctx, _ := newB2BService(t, WithClock(clk.now))
	local, _ := s.CreateProfile(ctx, &transferapi.CreateProfileRequest{As2Id: api.Ptr("L"), ProfileType: api.Ptr(transferapi.ProfileTypeLocal)})
	partner, _ := s.CreateProfile(ctx, &transferapi.CreateProfileRequest{As2Id: api.Ptr("P"), ProfileType: api.Ptr(transferapi.ProfileTypePartner)})
	conn, err := s.CreateConnector(ctx, &transferapi.CreateConnectorRequest{Url: api.Ptr("https://as2.example.com"),
		AccessRole: api.Ptr("arn:aws:iam::123456789012:role/r"),
		As2Config:  &transferapi.As2ConnectorConfig{LocalProfileId: local.ProfileId, PartnerProfileId: partner.ProfileId}})
	if err != nil {
		t.Fatal(err)
	}
	st, err := s.StartFileTransfer(ctx, &transferapi.StartFileTransferRequest{ConnectorId: conn.ConnectorId, SendFilePaths: []string{"/b/k"}})
	if err != nil {
		t.Fatal(err)
	}
	list := func() error {
		_, err := s.ListFileTransferResults(ctx, &transferapi.ListFileTransferResultsRequest{ConnectorId: conn.ConnectorId, TransferId: st.TransferId})
		return err
	}
	clk.add(OpResultRetention)
	if err := list(); err != nil {
		t.Fatalf("after exactly seven days: %v", err)
	}
	clk.add(time.Millisecond)
	wantCode(t, list(), "ResourceNotFoundException", "Unknown transfer")
}

// objectTags reads an object's S3 tags from the default object store over
// fs's folders.
func objectTags(t *testing.T, fs *files.Store, bucket, key string) map[string]string {
	t.Helper()
	tags, err := localfs.New(fs.Dir()).Tags(context.Background(), bucket, key)
	if err != nil {
		t.Fatalf("tags of %s/%s: %v", bucket, key, err)
	}
	return tags
}
