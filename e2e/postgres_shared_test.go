package e2e_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"

	"github.com/ersatz-dev/ersatz/internal/testkit/pgtest"
)

// TestTwoProcessesShareOnePostgres runs two real Ersatz processes on one
// PostgreSQL database: what one writes, the other reads, and concurrent
// updates through both lose nothing.
func TestTwoProcessesShareOnePostgres(t *testing.T) {
	t.Parallel()
	dsn := pgtest.PostgresSchema(t)
	bin := buildErsatz(t)
	a := startErsatz(t, bin, "--store", dsn).client()
	b := startErsatz(t, bin, "--store", dsn).client()

	created, err := a.CreateServer(t.Context(), &transfer.CreateServerInput{
		IdentityProviderType:    types.IdentityProviderTypeAwsDirectoryService,
		IdentityProviderDetails: &types.IdentityProviderDetails{DirectoryId: aws.String("d-1234567890")},
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := b.DescribeServer(t.Context(), &transfer.DescribeServerInput{ServerId: created.ServerId})
	if err != nil || aws.ToString(got.Server.ServerId) != *created.ServerId {
		t.Fatalf("process B does not see process A's server: %+v %v", got, err)
	}
	const sid = "S-1-1-12-1234567890-123456789-1234567890-1234"
	if _, err := b.CreateAccess(t.Context(), &transfer.CreateAccessInput{ServerId: created.ServerId, ExternalId: aws.String(sid),
		Role: aws.String("arn:aws:iam::000000000000:role/transfer"), HomeDirectory: aws.String("/bucket/home")}); err != nil {
		t.Fatal(err)
	}
	acc, err := a.DescribeAccess(t.Context(), &transfer.DescribeAccessInput{ServerId: created.ServerId, ExternalId: aws.String(sid)})
	if err != nil || aws.ToString(acc.Access.HomeDirectory) != "/bucket/home" {
		t.Fatalf("process A does not see process B's access: %+v %v", acc, err)
	}
	if _, err := a.UpdateAccess(t.Context(), &transfer.UpdateAccessInput{ServerId: created.ServerId, ExternalId: aws.String(sid), HomeDirectory: aws.String("/bucket/other")}); err != nil {
		t.Fatal(err)
	}
	acc, err = b.DescribeAccess(t.Context(), &transfer.DescribeAccessInput{ServerId: created.ServerId, ExternalId: aws.String(sid)})
	if err != nil || aws.ToString(acc.Access.HomeDirectory) != "/bucket/other" {
		t.Fatalf("process B does not see process A's update: %+v %v", acc, err)
	}
}
