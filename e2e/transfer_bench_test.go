package e2e_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"
)

// benchAccess starts Ersatz with a directory server holding one access.
func benchAccess(b *testing.B) (*transfer.Client, string) {
	b.Helper()
	_, c := newTransfer(b)
	id := directoryServer(b, c)
	if _, err := c.CreateAccess(context.Background(), &transfer.CreateAccessInput{
		ServerId: &id, ExternalId: aws.String(groupSID), Role: aws.String(testRole), HomeDirectory: aws.String("/bucket/home"),
	}); err != nil {
		b.Fatal(err)
	}
	return c, id
}

// BenchmarkTransferUpdateAccess measures UpdateAccess through the full HTTP
// stack (SDK client, SigV4, gateway, validation, store transaction).
func BenchmarkTransferUpdateAccess(b *testing.B) {
	c, id := benchAccess(b)
	ctx := context.Background()
	mappings := []types.HomeDirectoryMapEntry{{Entry: aws.String("/"), Target: aws.String("/bucket/home")}}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := c.UpdateAccess(ctx, &transfer.UpdateAccessInput{
			ServerId: &id, ExternalId: aws.String(groupSID),
			HomeDirectoryType: types.HomeDirectoryTypeLogical, HomeDirectoryMappings: mappings,
			PosixProfile: &types.PosixProfile{Uid: aws.Int64(int64(i)), Gid: aws.Int64(1000)},
			Policy:       aws.String(fmt.Sprintf(`{"Version":"2012-10-17","Statement":[],"Id":"%d"}`, i)),
		}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTransferDescribeAccess measures DescribeAccess through the full
// HTTP stack.
func BenchmarkTransferDescribeAccess(b *testing.B) {
	c, id := benchAccess(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.DescribeAccess(ctx, &transfer.DescribeAccessInput{ServerId: &id, ExternalId: aws.String(groupSID)}); err != nil {
			b.Fatal(err)
		}
	}
}
