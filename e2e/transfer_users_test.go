package e2e_test

import (
	"context"
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"
)

var keyID = regexp.MustCompile(`^key-[0-9a-f]{17}$`)

func TestTransferUserLifecycle(t *testing.T) {
	t.Parallel()
	_, c := newTransfer(t)
	ctx := context.Background()
	id := mustCreateServer(t, c, nil)
	pub, _, _ := sshKeyPair(t, "ed25519")
	start := time.Now().Add(-time.Second)
	out, err := c.CreateUser(ctx, &transfer.CreateUserInput{
		ServerId: &id, UserName: aws.String("alice.smith"), Role: aws.String(testRole),
		HomeDirectory: aws.String("/bucket/home/alice"), SshPublicKeyBody: aws.String(pub),
		Policy: aws.String(`{"Version":"2012-10-17","Statement":[]}`),
		Tags:   []types.Tag{{Key: aws.String("team"), Value: aws.String("data")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.ServerId) != id || aws.ToString(out.UserName) != "alice.smith" {
		t.Fatalf("CreateUser returned %+v", out)
	}
	_, err = c.CreateUser(ctx, &transfer.CreateUserInput{ServerId: &id, UserName: aws.String("alice.smith"), Role: aws.String(testRole)})
	e := wantTyped[*types.ResourceExistsException](t, err)
	if aws.ToString(e.Resource) != "alice.smith" || aws.ToString(e.ResourceType) != "User" {
		t.Fatalf("ResourceExistsException names %q/%q", aws.ToString(e.Resource), aws.ToString(e.ResourceType))
	}

	d, err := c.DescribeUser(ctx, &transfer.DescribeUserInput{ServerId: &id, UserName: aws.String("alice.smith")})
	if err != nil {
		t.Fatal(err)
	}
	u := d.User
	if aws.ToString(d.ServerId) != id || aws.ToString(u.UserName) != "alice.smith" ||
		aws.ToString(u.Arn) != "arn:aws:transfer:us-east-1:111111111111:user/"+id+"/alice.smith" ||
		aws.ToString(u.HomeDirectory) != "/bucket/home/alice" || u.HomeDirectoryType != types.HomeDirectoryTypePath ||
		aws.ToString(u.Role) != testRole || aws.ToString(u.Policy) != `{"Version":"2012-10-17","Statement":[]}` {
		t.Fatalf("DescribeUser = %+v", u)
	}
	if len(u.SshPublicKeys) != 1 || !keyID.MatchString(aws.ToString(u.SshPublicKeys[0].SshPublicKeyId)) ||
		aws.ToString(u.SshPublicKeys[0].SshPublicKeyBody) != pub || u.SshPublicKeys[0].DateImported.Before(start) {
		t.Fatalf("SshPublicKeys = %+v", u.SshPublicKeys)
	}
	if len(u.Tags) != 1 || aws.ToString(u.Tags[0].Value) != "data" {
		t.Fatalf("Tags = %+v", u.Tags)
	}
	srvOut, err := c.DescribeServer(ctx, &transfer.DescribeServerInput{ServerId: &id})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(srvOut.Server.UserCount) != 1 {
		t.Fatalf("UserCount = %d, want 1", aws.ToInt32(srvOut.Server.UserCount))
	}

	// UpdateUser changes what it is given; a rejected update changes nothing.
	if _, err := c.UpdateUser(ctx, &transfer.UpdateUserInput{ServerId: &id, UserName: aws.String("alice.smith"),
		HomeDirectoryType:     types.HomeDirectoryTypeLogical,
		HomeDirectoryMappings: []types.HomeDirectoryMapEntry{{Entry: aws.String("/"), Target: aws.String("/bucket/home/alice")}}}); err != nil {
		t.Fatal(err)
	}
	_, err = c.UpdateUser(ctx, &transfer.UpdateUserInput{ServerId: &id, UserName: aws.String("alice.smith"),
		HomeDirectoryType: types.HomeDirectoryTypePath, Policy: aws.String("not json"),
		HomeDirectoryMappings: []types.HomeDirectoryMapEntry{{Entry: aws.String("/x"), Target: aws.String("/bucket/x")}}})
	wantInvalid(t, err, "HomeDirectoryMappings")
	d, err = c.DescribeUser(ctx, &transfer.DescribeUserInput{ServerId: &id, UserName: aws.String("alice.smith")})
	if err != nil {
		t.Fatal(err)
	}
	if d.User.HomeDirectoryType != types.HomeDirectoryTypeLogical || len(d.User.HomeDirectoryMappings) != 1 ||
		aws.ToString(d.User.HomeDirectoryMappings[0].Entry) != "/" || aws.ToString(d.User.Policy) == "not json" {
		t.Fatalf("after updates: %+v", d.User)
	}

	_, err = c.DescribeUser(ctx, &transfer.DescribeUserInput{ServerId: &id, UserName: aws.String("nobody")})
	wantNotFound(t, err, "nobody", "User")
	_, err = c.DescribeUser(ctx, &transfer.DescribeUserInput{ServerId: aws.String("s-00000000000000000"), UserName: aws.String("nobody")})
	wantNotFound(t, err, "s-00000000000000000", "Server")

	if _, err := c.DeleteUser(ctx, &transfer.DeleteUserInput{ServerId: &id, UserName: aws.String("alice.smith")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteUser(ctx, &transfer.DeleteUserInput{ServerId: &id, UserName: aws.String("alice.smith")})
	wantNotFound(t, err, "alice.smith", "User")
	srvOut, err = c.DescribeServer(ctx, &transfer.DescribeServerInput{ServerId: &id})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(srvOut.Server.UserCount) != 0 {
		t.Fatalf("UserCount = %d after delete", aws.ToInt32(srvOut.Server.UserCount))
	}
}

func TestTransferUserRules(t *testing.T) {
	t.Parallel()
	_, c := newTransfer(t)
	ctx := context.Background()
	dir := directoryServer(t, c)
	_, err := c.CreateUser(ctx, &transfer.CreateUserInput{ServerId: &dir, UserName: aws.String("bob"), Role: aws.String(testRole)})
	wantInvalid(t, err, "SERVICE_MANAGED")

	efs := mustCreateServer(t, c, &transfer.CreateServerInput{Domain: types.DomainEfs})
	_, err = c.CreateUser(ctx, &transfer.CreateUserInput{ServerId: &efs, UserName: aws.String("bob"), Role: aws.String(testRole)})
	wantInvalid(t, err, "PosixProfile")
	if _, err := c.CreateUser(ctx, &transfer.CreateUserInput{ServerId: &efs, UserName: aws.String("bob"), Role: aws.String(testRole),
		PosixProfile: &types.PosixProfile{Uid: aws.Int64(1000), Gid: aws.Int64(1000), SecondaryGids: []int64{10, 20}}}); err != nil {
		t.Fatal(err)
	}
	d, err := c.DescribeUser(ctx, &transfer.DescribeUserInput{ServerId: &efs, UserName: aws.String("bob")})
	if err != nil {
		t.Fatal(err)
	}
	if p := d.User.PosixProfile; p == nil || aws.ToInt64(p.Uid) != 1000 || len(p.SecondaryGids) != 2 || p.SecondaryGids[1] != 20 {
		t.Fatalf("PosixProfile = %+v", d.User.PosixProfile)
	}

	s3 := mustCreateServer(t, c, nil)
	bad := []struct {
		name string
		in   transfer.CreateUserInput
		code string
	}{
		{"short name", transfer.CreateUserInput{UserName: aws.String("ab")}, "ValidationException"},
		{"bad name", transfer.CreateUserInput{UserName: aws.String("bad/name")}, "ValidationException"},
		{"malformed key", transfer.CreateUserInput{UserName: aws.String("carol"), SshPublicKeyBody: aws.String("ssh-rsa AAAAnotakey")}, "InvalidRequestException"},
		{"mappings on PATH", transfer.CreateUserInput{UserName: aws.String("carol"),
			HomeDirectoryMappings: []types.HomeDirectoryMapEntry{{Entry: aws.String("/"), Target: aws.String("/b")}}}, "InvalidRequestException"},
		{"LOGICAL without mappings", transfer.CreateUserInput{UserName: aws.String("carol"), HomeDirectoryType: types.HomeDirectoryTypeLogical}, "InvalidRequestException"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			tc.in.ServerId, tc.in.Role = &s3, aws.String(testRole)
			_, err := c.CreateUser(ctx, &tc.in)
			wantAPIError(t, err, tc.code)
		})
	}
	l, err := c.ListUsers(ctx, &transfer.ListUsersInput{ServerId: &s3})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Users) != 0 {
		t.Fatalf("rejected creates left users: %+v", l.Users)
	}
}

func TestTransferSSHKeys(t *testing.T) {
	t.Parallel()
	_, c := newTransfer(t)
	ctx := context.Background()
	id := mustCreateServer(t, c, nil)
	user := aws.String("keyuser")
	if _, err := c.CreateUser(ctx, &transfer.CreateUserInput{ServerId: &id, UserName: user, Role: aws.String(testRole)}); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, kind := range []string{"rsa", "ecdsa", "ed25519"} {
		pub, _, _ := sshKeyPair(t, kind)
		out, err := c.ImportSshPublicKey(ctx, &transfer.ImportSshPublicKeyInput{ServerId: &id, UserName: user, SshPublicKeyBody: aws.String(pub)})
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		if !keyID.MatchString(aws.ToString(out.SshPublicKeyId)) || aws.ToString(out.ServerId) != id || aws.ToString(out.UserName) != *user {
			t.Fatalf("ImportSshPublicKey = %+v", out)
		}
		ids = append(ids, aws.ToString(out.SshPublicKeyId))
		// The same key again is refused.
		_, err = c.ImportSshPublicKey(ctx, &transfer.ImportSshPublicKeyInput{ServerId: &id, UserName: user, SshPublicKeyBody: aws.String(pub)})
		wantTyped[*types.ResourceExistsException](t, err)
	}
	malformed := []string{
		"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBadKey",
		"ssh-dss AAAAB3NzaC1kc3MAAACBAP",
	}
	for _, body := range malformed {
		_, err := c.ImportSshPublicKey(ctx, &transfer.ImportSshPublicKeyInput{ServerId: &id, UserName: user, SshPublicKeyBody: aws.String(body)})
		wantInvalid(t, err, "SshPublicKeyBody")
	}
	_, err := c.ImportSshPublicKey(ctx, &transfer.ImportSshPublicKeyInput{ServerId: &id, UserName: aws.String("ghost"), SshPublicKeyBody: aws.String(mustPub(t))})
	wantNotFound(t, err, "ghost", "User")

	// Up to 50 keys per user.
	for i := len(ids); i < 50; i++ {
		if _, err := c.ImportSshPublicKey(ctx, &transfer.ImportSshPublicKeyInput{ServerId: &id, UserName: user, SshPublicKeyBody: aws.String(mustPub(t))}); err != nil {
			t.Fatalf("key %d: %v", i+1, err)
		}
	}
	_, err = c.ImportSshPublicKey(ctx, &transfer.ImportSshPublicKeyInput{ServerId: &id, UserName: user, SshPublicKeyBody: aws.String(mustPub(t))})
	wantInvalid(t, err, "50")
	l, err := c.ListUsers(ctx, &transfer.ListUsersInput{ServerId: &id})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Users) != 1 || aws.ToInt32(l.Users[0].SshPublicKeyCount) != 50 {
		t.Fatalf("ListUsers = %+v", l.Users)
	}

	if _, err := c.DeleteSshPublicKey(ctx, &transfer.DeleteSshPublicKeyInput{ServerId: &id, UserName: user, SshPublicKeyId: &ids[1]}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteSshPublicKey(ctx, &transfer.DeleteSshPublicKeyInput{ServerId: &id, UserName: user, SshPublicKeyId: &ids[1]})
	wantNotFound(t, err, ids[1], "PublicKey")
	d, err := c.DescribeUser(ctx, &transfer.DescribeUserInput{ServerId: &id, UserName: user})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.User.SshPublicKeys) != 49 {
		t.Fatalf("%d keys after deleting one of 50", len(d.User.SshPublicKeys))
	}
	for _, k := range d.User.SshPublicKeys {
		if aws.ToString(k.SshPublicKeyId) == ids[1] {
			t.Fatal("deleted key still described")
		}
	}
}

func mustPub(t testing.TB) string {
	pub, _, _ := sshKeyPair(t, "ed25519")
	return pub
}

func TestTransferListUsersPagination(t *testing.T) {
	t.Parallel()
	_, c := newTransfer(t)
	ctx := context.Background()
	id := mustCreateServer(t, c, nil)
	for i := range 7 {
		if _, err := c.CreateUser(ctx, &transfer.CreateUserInput{ServerId: &id, UserName: aws.String(fmt.Sprintf("user%02d", i)), Role: aws.String(testRole)}); err != nil {
			t.Fatal(err)
		}
	}
	p := transfer.NewListUsersPaginator(c, &transfer.ListUsersInput{ServerId: &id, MaxResults: aws.Int32(3)})
	var names []string
	pages := eachPage(ctx, t, p, func(out *transfer.ListUsersOutput) {
		for _, u := range out.Users {
			names = append(names, aws.ToString(u.UserName))
		}
	})
	if pages != 3 || len(names) != 7 || names[0] != "user00" || names[6] != "user06" {
		t.Fatalf("%d pages: %v", pages, names)
	}
	// A token of another server's listing is refused.
	other := mustCreateServer(t, c, nil)
	first, err := c.ListUsers(ctx, &transfer.ListUsersInput{ServerId: &id, MaxResults: aws.Int32(3)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ListUsers(ctx, &transfer.ListUsersInput{ServerId: &other, NextToken: first.NextToken})
	wantTyped[*types.InvalidNextTokenException](t, err)
}
