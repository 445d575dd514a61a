package e2e_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/files"
	"github.com/ersatz-dev/ersatz/internal/gateway"
	"github.com/ersatz-dev/ersatz/internal/objectstore"
	"github.com/ersatz-dev/ersatz/internal/objectstore/localfs"
	transfersvc "github.com/ersatz-dev/ersatz/internal/service/transfer"
	"github.com/ersatz-dev/ersatz/internal/store/memory"
	"github.com/ersatz-dev/ersatz/internal/testkit"
)

// b2bEnv is Ersatz with a Transfer service built with B2B options: a data
// directory and a secrets file of the test's own.
type b2bEnv struct {
	svc     *transfersvc.Service
	c       *transfer.Client
	files   *files.Store
	objects objectstore.Store // the S3 domain, over files' folders
	secrets string            // path of the secrets file
	srv     *testkit.Server
}

// newB2B starts the Transfer service (and only it) behind the gateway, the
// way server.New wires it, with the test's files and secrets.
func newB2B(t testing.TB, opts ...transfersvc.Option) *b2bEnv {
	t.Helper()
	dir := t.TempDir()
	env := &b2bEnv{files: files.New(dir), secrets: filepath.Join(dir, "secrets.json")}
	env.objects = localfs.New(env.files.Dir())
	st := memory.New()
	opts = append([]transfersvc.Option{
		transfersvc.WithFiles(env.files), transfersvc.WithObjects(env.objects), transfersvc.WithSecretsFile(env.secrets),
		transfersvc.WithConnectorTimeouts(3*time.Second, 20*time.Second),
	}, opts...)
	env.svc = transfersvc.New(st, opts...)
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	gw := gateway.New(gateway.Options{Services: []*api.Service{env.svc.API()}, DefaultRegion: "us-east-1", Logger: log})
	srv := testkit.StartHandler(t, gw)
	t.Cleanup(func() {
		_ = env.svc.Close()
		_ = st.Close()
	})
	env.srv = srv
	env.c = srv.TransferAs(acctA, "us-east-1")
	return env
}

// writeSecrets writes the secrets file.
func (e *b2bEnv) writeSecrets(t testing.TB, secrets map[string]map[string]string) {
	t.Helper()
	data, err := json.Marshal(map[string]any{"secrets": secrets})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(e.secrets, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// putLocal writes a file of the local S3 storage.
func (e *b2bEnv) putLocal(t testing.TB, bucket, key string, data []byte) {
	t.Helper()
	root, err := e.files.Container(files.S3, bucket)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	if err := root.MkdirAll(filepath.Dir(key), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := root.WriteFile(key, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// readLocal reads a file of the local S3 storage (nil, false when missing).
func (e *b2bEnv) readLocal(t testing.TB, bucket, key string) ([]byte, bool) {
	t.Helper()
	root, err := e.files.Container(files.S3, bucket)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	data, err := root.ReadFile(key)
	if os.IsNotExist(err) {
		return nil, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return data, true
}

// waitResults polls ListFileTransferResults until no file is QUEUED or
// IN_PROGRESS, and returns the results.
func (e *b2bEnv) waitResults(t testing.TB, connectorID, opID string) []types.ConnectorFileTransferResult {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		out, err := e.c.ListFileTransferResults(context.Background(), &transfer.ListFileTransferResultsInput{
			ConnectorId: &connectorID, TransferId: &opID,
		})
		if err != nil {
			t.Fatalf("ListFileTransferResults: %v", err)
		}
		done := true
		for _, r := range out.FileTransferResults {
			if r.StatusCode == types.TransferTableStatusQueued || r.StatusCode == types.TransferTableStatusInProgress {
				done = false
			}
		}
		if done {
			return out.FileTransferResults
		}
		if time.Now().After(deadline) {
			t.Fatalf("operation %s still running: %+v", opID, out.FileTransferResults)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// testCert makes a certificate (self-signed, valid from notBefore to
// notAfter) and its private key, both in PEM.
func testCert(t testing.TB, cn string, serial int64, notBefore, notAfter time.Time) (certPEM, keyPEM string, parsed *x509.Certificate) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
		NotBefore: notBefore, NotAfter: notAfter,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err = x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})), parsed
}

// mustImportCert imports a valid certificate without key and returns its id.
func mustImportCert(t testing.TB, c *transfer.Client) string {
	t.Helper()
	cert, _, _ := testCert(t, "partner", 7, time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour))
	out, err := c.ImportCertificate(context.Background(), &transfer.ImportCertificateInput{
		Usage: types.CertificateUsageTypeSigning, Certificate: aws.String(cert),
	})
	if err != nil {
		t.Fatalf("ImportCertificate: %v", err)
	}
	return aws.ToString(out.CertificateId)
}

// mustProfile creates a profile of a type and returns its id.
func mustProfile(t testing.TB, c *transfer.Client, typ types.ProfileType, as2ID string) string {
	t.Helper()
	out, err := c.CreateProfile(context.Background(), &transfer.CreateProfileInput{As2Id: aws.String(as2ID), ProfileType: typ})
	if err != nil {
		t.Fatalf("CreateProfile: %v", err)
	}
	return aws.ToString(out.ProfileId)
}

// as2Server creates an AS2 server (AS2 needs a VPC endpoint).
func as2Server(t testing.TB, c *transfer.Client) string {
	t.Helper()
	return mustCreateServer(t, c, &transfer.CreateServerInput{
		Protocols: []types.Protocol{types.ProtocolAs2, types.ProtocolSftp}, EndpointType: types.EndpointTypeVpc,
		EndpointDetails: &types.EndpointDetails{VpcId: aws.String("vpc-0123456789abcdef0"), SubnetIds: []string{"subnet-0123456789abcdef0"}},
	})
}
