package e2e_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"
	"github.com/aws/smithy-go"
	"golang.org/x/crypto/ssh"

	"github.com/ersatz-dev/ersatz/internal/testkit"
)

// Accounts and regions of the isolation tests.
const (
	acctA = "111111111111"
	acctB = "222222222222"
)

const testRole = "arn:aws:iam::111111111111:role/transfer-access"

// newTransfer starts Ersatz and returns a Transfer client of account A in us-east-1.
func newTransfer(t testing.TB) (*testkit.Server, *transfer.Client) {
	t.Helper()
	srv := testkit.Start(t)
	return srv, srv.TransferAs(acctA, "us-east-1")
}

// mustCreateServer creates a server and returns its id.
func mustCreateServer(t testing.TB, c *transfer.Client, in *transfer.CreateServerInput) string {
	t.Helper()
	if in == nil {
		in = &transfer.CreateServerInput{}
	}
	out, err := c.CreateServer(context.Background(), in)
	if err != nil {
		t.Fatalf("CreateServer: %v", err)
	}
	return aws.ToString(out.ServerId)
}

// directoryServer creates an AWS_DIRECTORY_SERVICE server.
func directoryServer(t testing.TB, c *transfer.Client) string {
	t.Helper()
	return mustCreateServer(t, c, &transfer.CreateServerInput{
		IdentityProviderType:    types.IdentityProviderTypeAwsDirectoryService,
		IdentityProviderDetails: &types.IdentityProviderDetails{DirectoryId: aws.String("d-1234567890")},
	})
}

// wantAPIError fails unless err is an API error with that code, and returns it.
func wantAPIError(t testing.TB, err error, code string) smithy.APIError {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want %s, got %v", code, err)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("want %s, got %s: %s", code, ae.ErrorCode(), ae.ErrorMessage())
	}
	return ae
}

// wantTyped fails unless err is the SDK's typed error E.
func wantTyped[E error](t testing.TB, err error) E {
	t.Helper()
	var e E
	if !errors.As(err, &e) {
		t.Fatalf("want %T, got %v", e, err)
	}
	return e
}

// wantNotFound checks a ResourceNotFoundException's Resource and ResourceType.
func wantNotFound(t testing.TB, err error, resource, resourceType string) {
	t.Helper()
	e := wantTyped[*types.ResourceNotFoundException](t, err)
	if aws.ToString(e.Resource) != resource || aws.ToString(e.ResourceType) != resourceType {
		t.Fatalf("ResourceNotFoundException names %q/%q, want %q/%q (%s)",
			aws.ToString(e.Resource), aws.ToString(e.ResourceType), resource, resourceType, aws.ToString(e.Message))
	}
}

// wantInvalid checks an InvalidRequestException whose message contains want.
func wantInvalid(t testing.TB, err error, want string) {
	t.Helper()
	e := wantTyped[*types.InvalidRequestException](t, err)
	if !strings.Contains(aws.ToString(e.Message), want) {
		t.Fatalf("InvalidRequestException %q does not mention %q", aws.ToString(e.Message), want)
	}
}

// sshKeyPair makes a key pair of a kind ("ed25519", "rsa", "ecdsa") and returns
// its public key in authorized_keys form and its private key in PEM.
func sshKeyPair(t testing.TB, kind string) (pub, privPEM string, fp string) {
	t.Helper()
	var (
		signer ssh.Signer
		block  *pem.Block
		err    error
	)
	switch kind {
	case "ed25519":
		_, k, gerr := ed25519.GenerateKey(rand.Reader)
		if gerr != nil {
			t.Fatal(gerr)
		}
		signer, err = ssh.NewSignerFromKey(k)
		if err == nil {
			block, err = ssh.MarshalPrivateKey(k, "")
		}
	case "rsa":
		k, gerr := rsa.GenerateKey(rand.Reader, 2048)
		if gerr != nil {
			t.Fatal(gerr)
		}
		signer, err = ssh.NewSignerFromKey(k)
		block = &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}
	case "ecdsa":
		k, gerr := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
		if gerr != nil {
			t.Fatal(gerr)
		}
		signer, err = ssh.NewSignerFromKey(k)
		if err == nil {
			var der []byte
			der, err = x509.MarshalECPrivateKey(k)
			block = &pem.Block{Type: "EC PRIVATE KEY", Bytes: der}
		}
	default:
		t.Fatalf("unknown key kind %s", kind)
	}
	if err != nil {
		t.Fatal(err)
	}
	pub = strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey()))) + " " + kind + "@test"
	return pub, string(pem.EncodeToMemory(block)), ssh.FingerprintSHA256(signer.PublicKey())
}

// transferPager is a paginator of the Transfer client
// (transfer.New...Paginator) whose pages are *O.
type transferPager[O any] interface {
	HasMorePages() bool
	NextPage(context.Context, ...func(*transfer.Options)) (*O, error)
}

// eachPage reads every page of p, failing the test on an error, calls fn
// with each, and returns how many pages there were.
func eachPage[O any](ctx context.Context, t testing.TB, p transferPager[O], fn func(page *O)) int {
	t.Helper()
	pages := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		fn(page)
	}
	return pages
}
