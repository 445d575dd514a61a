package e2e_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"

	"github.com/ersatz-dev/ersatz/internal/store/sqlite"
	"github.com/ersatz-dev/ersatz/internal/testkit"
)

const groupSID = "S-1-5-21-1004336348-1177238915-682003330-512"

const sessionPolicy = `{"Version":"2012-10-17","Statement":[{"Sid":"AllowListing","Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::bucket"}]}`

// TestTransferAccessSeedLifecycle is the seed scenario: a directory server, an
// access, an UpdateAccess to LOGICAL mappings + PosixProfile + Policy,
// describe, list, a table of bad updates that change nothing, delete.
func TestTransferAccessSeedLifecycle(t *testing.T) {
	t.Parallel()
	_, c := newTransfer(t)
	ctx := context.Background()
	id := directoryServer(t, c)

	created, err := c.CreateAccess(ctx, &transfer.CreateAccessInput{
		ServerId: &id, ExternalId: aws.String(groupSID), Role: aws.String(testRole),
		HomeDirectory: aws.String("/bucket/home"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(created.ServerId) != id || aws.ToString(created.ExternalId) != groupSID {
		t.Fatalf("CreateAccess = %+v", created)
	}
	_, err = c.CreateAccess(ctx, &transfer.CreateAccessInput{ServerId: &id, ExternalId: aws.String(groupSID), Role: aws.String(testRole)})
	e := wantTyped[*types.ResourceExistsException](t, err)
	if aws.ToString(e.Resource) != groupSID || aws.ToString(e.ResourceType) != "Access" {
		t.Fatalf("ResourceExistsException names %q/%q", aws.ToString(e.Resource), aws.ToString(e.ResourceType))
	}

	describe := func() *types.DescribedAccess {
		t.Helper()
		out, err := c.DescribeAccess(ctx, &transfer.DescribeAccessInput{ServerId: &id, ExternalId: aws.String(groupSID)})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(out.ServerId) != id {
			t.Fatalf("DescribeAccess ServerId = %q", aws.ToString(out.ServerId))
		}
		return out.Access
	}
	a := describe()
	if aws.ToString(a.HomeDirectory) != "/bucket/home" || a.HomeDirectoryType != types.HomeDirectoryTypePath ||
		aws.ToString(a.Role) != testRole || aws.ToString(a.ExternalId) != groupSID || a.Policy != nil || a.PosixProfile != nil {
		t.Fatalf("created access = %+v", a)
	}

	mappings := []types.HomeDirectoryMapEntry{
		{Entry: aws.String("/"), Target: aws.String("/bucket/home/${Transfer:UserName}")},
		{Entry: aws.String("/shared"), Target: aws.String("/bucket/shared"), Type: types.MapTypeDirectory},
		{Entry: aws.String("/readme.txt"), Target: aws.String("/bucket/docs/readme.txt"), Type: types.MapTypeFile},
	}
	posix := &types.PosixProfile{Uid: aws.Int64(2001), Gid: aws.Int64(2000), SecondaryGids: []int64{3000, 3001}}
	up, err := c.UpdateAccess(ctx, &transfer.UpdateAccessInput{
		ServerId: &id, ExternalId: aws.String(groupSID),
		HomeDirectoryType: types.HomeDirectoryTypeLogical, HomeDirectoryMappings: mappings,
		PosixProfile: posix, Policy: aws.String(sessionPolicy),
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(up.ServerId) != id || aws.ToString(up.ExternalId) != groupSID {
		t.Fatalf("UpdateAccess = %+v", up)
	}
	want := describe()
	if want.HomeDirectoryType != types.HomeDirectoryTypeLogical || aws.ToString(want.Policy) != sessionPolicy ||
		aws.ToString(want.Role) != testRole || aws.ToString(want.HomeDirectory) != "/bucket/home" {
		t.Fatalf("updated access = %+v", want)
	}
	if len(want.HomeDirectoryMappings) != 3 || aws.ToString(want.HomeDirectoryMappings[0].Target) != "/bucket/home/${Transfer:UserName}" ||
		want.HomeDirectoryMappings[2].Type != types.MapTypeFile || want.HomeDirectoryMappings[1].Type != types.MapTypeDirectory {
		t.Fatalf("mappings = %+v", want.HomeDirectoryMappings)
	}
	if p := want.PosixProfile; p == nil || aws.ToInt64(p.Uid) != 2001 || aws.ToInt64(p.Gid) != 2000 ||
		!reflect.DeepEqual(p.SecondaryGids, []int64{3000, 3001}) {
		t.Fatalf("PosixProfile = %+v", want.PosixProfile)
	}

	list, err := c.ListAccesses(ctx, &transfer.ListAccessesInput{ServerId: &id})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(list.ServerId) != id || len(list.Accesses) != 1 || aws.ToString(list.Accesses[0].ExternalId) != groupSID ||
		list.Accesses[0].HomeDirectoryType != types.HomeDirectoryTypeLogical || aws.ToString(list.Accesses[0].Role) != testRole {
		t.Fatalf("ListAccesses = %+v", list)
	}

	tooMany := make([]int64, 17)
	bad := []struct {
		name string
		in   transfer.UpdateAccessInput
		code string
	}{
		{"mappings with PATH", transfer.UpdateAccessInput{HomeDirectoryType: types.HomeDirectoryTypePath, HomeDirectoryMappings: mappings[:1]}, "InvalidRequestException"},
		{"policy not JSON", transfer.UpdateAccessInput{Policy: aws.String("allow everything"), Role: aws.String(testRole + "-other")}, "InvalidRequestException"},
		{"policy too long", transfer.UpdateAccessInput{Policy: aws.String(`{"a":"` + strings.Repeat("x", 2048) + `"}`)}, "ValidationException"},
		{"role not an ARN", transfer.UpdateAccessInput{Role: aws.String("not-a-role-arn-at-all")}, "ValidationException"},
		{"too many secondary gids", transfer.UpdateAccessInput{PosixProfile: &types.PosixProfile{Uid: aws.Int64(1), Gid: aws.Int64(1), SecondaryGids: tooMany}}, "ValidationException"},
		{"posix without uid", transfer.UpdateAccessInput{PosixProfile: &types.PosixProfile{Gid: aws.Int64(1)}}, "ValidationException"},
		{"uid out of range", transfer.UpdateAccessInput{PosixProfile: &types.PosixProfile{Uid: aws.Int64(1 << 33), Gid: aws.Int64(1)}}, "ValidationException"},
		{"mapping entry not absolute", transfer.UpdateAccessInput{HomeDirectoryMappings: []types.HomeDirectoryMapEntry{{Entry: aws.String("relative"), Target: aws.String("/b")}}}, "ValidationException"},
		{"empty mappings list", transfer.UpdateAccessInput{HomeDirectoryMappings: []types.HomeDirectoryMapEntry{}}, "ValidationException"},
		{"home directory not absolute", transfer.UpdateAccessInput{HomeDirectory: aws.String("bucket/home")}, "ValidationException"},
		{"unknown external id", transfer.UpdateAccessInput{ExternalId: aws.String("S-1-5-21-9"), Role: aws.String(testRole)}, "ResourceNotFoundException"},
		{"unknown server", transfer.UpdateAccessInput{ServerId: aws.String("s-00000000000000000")}, "ResourceNotFoundException"},
		{"bad external id", transfer.UpdateAccessInput{ExternalId: aws.String("group")}, "ValidationException"},
	}
	for _, tc := range bad {
		t.Run("bad update/"+tc.name, func(t *testing.T) {
			in := tc.in
			if in.ServerId == nil {
				in.ServerId = &id
			}
			if in.ExternalId == nil {
				in.ExternalId = aws.String(groupSID)
			}
			_, err := c.UpdateAccess(ctx, &in, func(o *transfer.Options) {
				o.APIOptions = append(o.APIOptions, testkit.NoClientValidation)
			})
			wantAPIError(t, err, tc.code)
			if got := describe(); !reflect.DeepEqual(got, want) {
				t.Fatalf("rejected update changed the access:\n got %+v\nwant %+v", got, want)
			}
		})
	}
	_, err = c.DescribeAccess(ctx, &transfer.DescribeAccessInput{ServerId: &id, ExternalId: aws.String("S-1-5-21-9")})
	wantNotFound(t, err, "S-1-5-21-9", "Access")

	// Switching back to PATH drops the mappings and keeps the rest.
	if _, err := c.UpdateAccess(ctx, &transfer.UpdateAccessInput{ServerId: &id, ExternalId: aws.String(groupSID),
		HomeDirectoryType: types.HomeDirectoryTypePath, Policy: aws.String("")}); err != nil {
		t.Fatal(err)
	}
	a = describe()
	if a.HomeDirectoryType != types.HomeDirectoryTypePath || len(a.HomeDirectoryMappings) != 0 || a.Policy != nil || a.PosixProfile == nil {
		t.Fatalf("after switching to PATH: %+v", a)
	}

	if _, err := c.DeleteAccess(ctx, &transfer.DeleteAccessInput{ServerId: &id, ExternalId: aws.String(groupSID)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteAccess(ctx, &transfer.DeleteAccessInput{ServerId: &id, ExternalId: aws.String(groupSID)})
	wantNotFound(t, err, groupSID, "Access")
	list, err = c.ListAccesses(ctx, &transfer.ListAccessesInput{ServerId: &id})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Accesses) != 0 {
		t.Fatalf("accesses after delete: %+v", list.Accesses)
	}
}

func TestTransferAccessRules(t *testing.T) {
	t.Parallel()
	_, c := newTransfer(t)
	ctx := context.Background()
	for _, idp := range []transfer.CreateServerInput{
		{},
		{IdentityProviderType: "AWS_LAMBDA", IdentityProviderDetails: &types.IdentityProviderDetails{Function: aws.String("arn:aws:lambda:us-east-1:111111111111:function:f")}},
	} {
		id := mustCreateServer(t, c, &idp)
		_, err := c.CreateAccess(ctx, &transfer.CreateAccessInput{ServerId: &id, ExternalId: aws.String(groupSID), Role: aws.String(testRole)})
		wantInvalid(t, err, "AWS_DIRECTORY_SERVICE")
	}
	efs := mustCreateServer(t, c, &transfer.CreateServerInput{Domain: "EFS", IdentityProviderType: "AWS_DIRECTORY_SERVICE",
		IdentityProviderDetails: &types.IdentityProviderDetails{DirectoryId: aws.String("d-1234567890")}})
	_, err := c.CreateAccess(ctx, &transfer.CreateAccessInput{ServerId: &efs, ExternalId: aws.String(groupSID), Role: aws.String(testRole)})
	wantInvalid(t, err, "PosixProfile")
	_, err = c.CreateAccess(ctx, &transfer.CreateAccessInput{ServerId: aws.String("s-00000000000000000"), ExternalId: aws.String(groupSID), Role: aws.String(testRole)})
	wantNotFound(t, err, "s-00000000000000000", "Server")

	// The identity provider of a server with accesses cannot change.
	dir := directoryServer(t, c)
	if _, err := c.CreateAccess(ctx, &transfer.CreateAccessInput{ServerId: &dir, ExternalId: aws.String(groupSID), Role: aws.String(testRole)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.UpdateServer(ctx, &transfer.UpdateServerInput{ServerId: &dir, IdentityProviderType: "AWS_LAMBDA",
		IdentityProviderDetails: &types.IdentityProviderDetails{Function: aws.String("arn:aws:lambda:us-east-1:111111111111:function:f")}})
	wantInvalid(t, err, "accesses")
}

func TestTransferListAccessesPagination(t *testing.T) {
	t.Parallel()
	_, c := newTransfer(t)
	ctx := context.Background()
	id := directoryServer(t, c)
	for i := range 5 {
		if _, err := c.CreateAccess(ctx, &transfer.CreateAccessInput{ServerId: &id, ExternalId: aws.String(fmt.Sprintf("S-1-5-21-%d", 100+i)), Role: aws.String(testRole)}); err != nil {
			t.Fatal(err)
		}
	}
	p := transfer.NewListAccessesPaginator(c, &transfer.ListAccessesInput{ServerId: &id, MaxResults: aws.Int32(2)})
	var got []string
	pages := eachPage(ctx, t, p, func(out *transfer.ListAccessesOutput) {
		for _, a := range out.Accesses {
			got = append(got, aws.ToString(a.ExternalId))
		}
	})
	if pages != 3 || len(got) != 5 || got[0] != "S-1-5-21-100" || got[4] != "S-1-5-21-104" {
		t.Fatalf("%d pages: %v", pages, got)
	}
	_, err := c.ListAccesses(ctx, &transfer.ListAccessesInput{ServerId: &id, NextToken: aws.String("bm90LWEtdG9rZW4")})
	wantTyped[*types.InvalidNextTokenException](t, err)
}

// TestTransferStateSurvivesRestart runs the seed scenario on the sqlite
// store, restarts Ersatz on the same directory and finds everything again.
func TestTransferStateSurvivesRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := context.Background()
	start := func(t *testing.T) *transfer.Client {
		st, err := sqlite.Open(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		return testkit.StartWith(t, st).TransferAs(acctA, "us-east-1")
	}
	var id string
	var before *transfer.DescribeAccessOutput
	var fp *string
	t.Run("first run", func(t *testing.T) {
		c := start(t)
		id = directoryServer(t, c)
		if _, err := c.CreateAccess(ctx, &transfer.CreateAccessInput{ServerId: &id, ExternalId: aws.String(groupSID), Role: aws.String(testRole)}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.UpdateAccess(ctx, &transfer.UpdateAccessInput{ServerId: &id, ExternalId: aws.String(groupSID),
			HomeDirectoryType:     types.HomeDirectoryTypeLogical,
			HomeDirectoryMappings: []types.HomeDirectoryMapEntry{{Entry: aws.String("/"), Target: aws.String("/bucket/home")}},
			PosixProfile:          &types.PosixProfile{Uid: aws.Int64(1), Gid: aws.Int64(2), SecondaryGids: []int64{3}},
			Policy:                aws.String(sessionPolicy)}); err != nil {
			t.Fatal(err)
		}
		var err error
		if before, err = c.DescribeAccess(ctx, &transfer.DescribeAccessInput{ServerId: &id, ExternalId: aws.String(groupSID)}); err != nil {
			t.Fatal(err)
		}
		d, err := c.DescribeServer(ctx, &transfer.DescribeServerInput{ServerId: &id})
		if err != nil {
			t.Fatal(err)
		}
		fp = d.Server.HostKeyFingerprint
	})
	t.Run("after restart", func(t *testing.T) {
		if before == nil {
			t.Skip("the first run failed")
		}
		c := start(t)
		after, err := c.DescribeAccess(ctx, &transfer.DescribeAccessInput{ServerId: &id, ExternalId: aws.String(groupSID)})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(after.Access, before.Access) {
			t.Fatalf("after restart %+v, before %+v", after.Access, before.Access)
		}
		d, err := c.DescribeServer(ctx, &transfer.DescribeServerInput{ServerId: &id})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(d.Server.HostKeyFingerprint) != aws.ToString(fp) || d.Server.State != types.StateOnline {
			t.Fatalf("server after restart: %+v", d.Server)
		}
	})
}
