package e2e_test

import (
	"context"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"

	"github.com/ersatz-dev/ersatz/internal/store"
)

var (
	serverARN   = regexp.MustCompile(`^arn:aws:transfer:us-east-1:111111111111:server/s-[0-9a-f]{17}$`)
	fingerprint = regexp.MustCompile(`^SHA256:[A-Za-z0-9+/]{43}$`)
)

func TestTransferCreateServerDefaults(t *testing.T) {
	t.Parallel()
	_, c := newTransfer(t)
	ctx := context.Background()
	id := mustCreateServer(t, c, &transfer.CreateServerInput{Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("test")}}})
	if !regexp.MustCompile(`^s-[0-9a-f]{17}$`).MatchString(id) {
		t.Fatalf("server id %q is not s- and 17 hex digits", id)
	}
	out, err := c.DescribeServer(ctx, &transfer.DescribeServerInput{ServerId: &id})
	if err != nil {
		t.Fatal(err)
	}
	s := out.Server
	checks := []struct{ name, got, want string }{
		{"Domain", string(s.Domain), "S3"},
		{"EndpointType", string(s.EndpointType), "PUBLIC"},
		{"IdentityProviderType", string(s.IdentityProviderType), "SERVICE_MANAGED"},
		{"SecurityPolicyName", aws.ToString(s.SecurityPolicyName), "TransferSecurityPolicy-2024-01"},
		{"IpAddressType", string(s.IpAddressType), "IPV4"},
		{"State", string(s.State), "ONLINE"},
		{"ServerId", aws.ToString(s.ServerId), id},
		{"ProtocolDetails.PassiveIp", aws.ToString(s.ProtocolDetails.PassiveIp), "AUTO"},
		{"ProtocolDetails.TlsSessionResumptionMode", string(s.ProtocolDetails.TlsSessionResumptionMode), "ENFORCED"},
		{"ProtocolDetails.SetStatOption", string(s.ProtocolDetails.SetStatOption), "DEFAULT"},
		{"S3StorageOptions", string(s.S3StorageOptions.DirectoryListingOptimization), "DISABLED"},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %q, want %q", ch.name, ch.got, ch.want)
		}
	}
	if !serverARN.MatchString(aws.ToString(s.Arn)) || aws.ToString(s.Arn)[len(aws.ToString(s.Arn))-19:] != id {
		t.Errorf("Arn = %q", aws.ToString(s.Arn))
	}
	if !slices.Equal(s.Protocols, []types.Protocol{types.ProtocolSftp}) {
		t.Errorf("Protocols = %v, want [SFTP]", s.Protocols)
	}
	if aws.ToInt32(s.UserCount) != 0 || s.UserCount == nil {
		t.Errorf("UserCount = %v, want 0", s.UserCount)
	}
	if !fingerprint.MatchString(aws.ToString(s.HostKeyFingerprint)) {
		t.Errorf("HostKeyFingerprint = %q", aws.ToString(s.HostKeyFingerprint))
	}
	if len(s.Tags) != 1 || aws.ToString(s.Tags[0].Key) != "env" || aws.ToString(s.Tags[0].Value) != "test" {
		t.Errorf("Tags = %+v", s.Tags)
	}
	if s.IdentityProviderDetails != nil {
		t.Errorf("IdentityProviderDetails = %+v on a SERVICE_MANAGED server", s.IdentityProviderDetails)
	}
	// The generated host key is a host key of the server, with the same fingerprint.
	keys, err := c.ListHostKeys(ctx, &transfer.ListHostKeysInput{ServerId: &id})
	if err != nil {
		t.Fatal(err)
	}
	if len(keys.HostKeys) != 1 || aws.ToString(keys.HostKeys[0].Type) != "ssh-ed25519" ||
		aws.ToString(keys.HostKeys[0].Fingerprint) != aws.ToString(s.HostKeyFingerprint) {
		t.Fatalf("host keys = %+v, want the one generated ed25519 key %s", keys.HostKeys, aws.ToString(s.HostKeyFingerprint))
	}
}

func TestTransferCreateServerHostKey(t *testing.T) {
	t.Parallel()
	_, c := newTransfer(t)
	ctx := context.Background()
	for _, kind := range []string{"rsa", "ecdsa", "ed25519"} {
		t.Run(kind, func(t *testing.T) {
			_, priv, fp := sshKeyPair(t, kind)
			id := mustCreateServer(t, c, &transfer.CreateServerInput{HostKey: aws.String(priv)})
			out, err := c.DescribeServer(ctx, &transfer.DescribeServerInput{ServerId: &id})
			if err != nil {
				t.Fatal(err)
			}
			if got := aws.ToString(out.Server.HostKeyFingerprint); got != fp {
				t.Fatalf("HostKeyFingerprint = %s, want %s", got, fp)
			}
		})
	}
	bad := map[string]string{
		"garbage":   "not a key",
		"truncated": "-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAK\n-----END RSA PRIVATE KEY-----\n",
	}
	for name, body := range bad {
		t.Run("bad/"+name, func(t *testing.T) {
			_, err := c.CreateServer(ctx, &transfer.CreateServerInput{HostKey: aws.String(body)})
			wantInvalid(t, err, "HostKey")
		})
	}
	servers, err := c.ListServers(ctx, &transfer.ListServersInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(servers.Servers) != 3 {
		t.Fatalf("%d servers after 3 good and %d bad creates", len(servers.Servers), len(bad))
	}
}

func TestTransferServerCrossFieldRules(t *testing.T) {
	t.Parallel()
	_, c := newTransfer(t)
	vpc := &types.EndpointDetails{VpcId: aws.String("vpc-0123456789abcdef0"), SubnetIds: []string{"subnet-0123456789abcdef0"}}
	lambda := &types.IdentityProviderDetails{Function: aws.String("arn:aws:lambda:us-east-1:111111111111:function:idp")}
	cert := aws.String("arn:aws:acm:us-east-1:111111111111:certificate/abc")
	cases := []struct {
		name string
		in   transfer.CreateServerInput
		want string
	}{
		{"FTP on PUBLIC", transfer.CreateServerInput{Protocols: []types.Protocol{"FTP"},
			IdentityProviderType: "AWS_LAMBDA", IdentityProviderDetails: lambda}, "PUBLIC endpoint"},
		{"FTP service managed", transfer.CreateServerInput{Protocols: []types.Protocol{"FTP"},
			EndpointType: "VPC", EndpointDetails: vpc}, "SERVICE_MANAGED"},
		{"FTPS service managed", transfer.CreateServerInput{Protocols: []types.Protocol{"FTPS"}, Certificate: cert,
			EndpointType: "VPC", EndpointDetails: vpc}, "SERVICE_MANAGED"},
		{"FTPS public", transfer.CreateServerInput{Protocols: []types.Protocol{"FTPS"}, Certificate: cert,
			IdentityProviderType: "AWS_LAMBDA", IdentityProviderDetails: lambda}, "EndpointType VPC"},
		{"FTPS without certificate", transfer.CreateServerInput{Protocols: []types.Protocol{"FTPS"},
			IdentityProviderType: "AWS_LAMBDA", IdentityProviderDetails: lambda, EndpointType: "VPC", EndpointDetails: vpc}, "Certificate is required"},
		{"API_GATEWAY without Url", transfer.CreateServerInput{IdentityProviderType: "API_GATEWAY",
			IdentityProviderDetails: &types.IdentityProviderDetails{InvocationRole: aws.String(testRole)}}, "Url is required"},
		{"API_GATEWAY without role", transfer.CreateServerInput{IdentityProviderType: "API_GATEWAY",
			IdentityProviderDetails: &types.IdentityProviderDetails{Url: aws.String("https://x.execute-api.us-east-1.amazonaws.com/prod")}}, "InvocationRole is required"},
		{"AWS_LAMBDA without Function", transfer.CreateServerInput{IdentityProviderType: "AWS_LAMBDA"}, "Function is required"},
		{"AWS_LAMBDA with DirectoryId", transfer.CreateServerInput{IdentityProviderType: "AWS_LAMBDA",
			IdentityProviderDetails: &types.IdentityProviderDetails{Function: lambda.Function, DirectoryId: aws.String("d-1234567890")}}, "DirectoryId cannot be used"},
		{"AWS_DIRECTORY_SERVICE without DirectoryId", transfer.CreateServerInput{IdentityProviderType: "AWS_DIRECTORY_SERVICE"}, "DirectoryId is required"},
		{"SERVICE_MANAGED with details", transfer.CreateServerInput{IdentityProviderDetails: lambda}, "SERVICE_MANAGED"},
		{"VPC without VpcId", transfer.CreateServerInput{EndpointType: "VPC"}, "VpcId is required"},
		{"PUBLIC with details", transfer.CreateServerInput{EndpointDetails: vpc}, "PUBLIC"},
		{"unknown security policy", transfer.CreateServerInput{SecurityPolicyName: aws.String("TransferSecurityPolicy-1999-01")}, "SecurityPolicyName"},
		{"connector security policy", transfer.CreateServerInput{SecurityPolicyName: aws.String("TransferSFTPConnectorSecurityPolicy-2024-03")}, "CONNECTOR"},
		{"AS2 on PUBLIC", transfer.CreateServerInput{Protocols: []types.Protocol{"AS2"}}, "AS2"},
		{"duplicate protocol", transfer.CreateServerInput{Protocols: []types.Protocol{"SFTP", "SFTP"}}, "more than once"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.CreateServer(context.Background(), &tc.in)
			wantInvalid(t, err, tc.want)
		})
	}
	// What the rules allow.
	ok := []transfer.CreateServerInput{
		{Protocols: []types.Protocol{"FTP", "FTPS", "SFTP"}, Certificate: cert, IdentityProviderType: "AWS_LAMBDA",
			IdentityProviderDetails: lambda, EndpointType: "VPC", EndpointDetails: vpc},
		{IdentityProviderType: "API_GATEWAY", IdentityProviderDetails: &types.IdentityProviderDetails{
			Url: aws.String("https://x.execute-api.us-east-1.amazonaws.com/prod"), InvocationRole: aws.String(testRole)}},
		{Domain: "EFS", SecurityPolicyName: aws.String("TransferSecurityPolicy-FIPS-2024-05")},
	}
	for i := range ok {
		mustCreateServer(t, c, &ok[i])
	}
	out, err := c.ListServers(context.Background(), &transfer.ListServersInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Servers) != len(ok) {
		t.Fatalf("%d servers exist, want only the %d valid ones", len(out.Servers), len(ok))
	}
}

func TestTransferServerStateWaiters(t *testing.T) {
	t.Parallel()
	_, c := newTransfer(t)
	ctx := context.Background()
	id := mustCreateServer(t, c, nil)
	state := func() types.State {
		t.Helper()
		out, err := c.DescribeServer(ctx, &transfer.DescribeServerInput{ServerId: &id})
		if err != nil {
			t.Fatal(err)
		}
		return out.Server.State
	}
	fast := func(o *transfer.ServerOfflineWaiterOptions) {
		o.MinDelay, o.MaxDelay = 20*time.Millisecond, 50*time.Millisecond
	}
	fastOn := func(o *transfer.ServerOnlineWaiterOptions) {
		o.MinDelay, o.MaxDelay = 20*time.Millisecond, 50*time.Millisecond
	}

	// Starting an ONLINE server changes nothing.
	if _, err := c.StartServer(ctx, &transfer.StartServerInput{ServerId: &id}); err != nil {
		t.Fatal(err)
	}
	if got := state(); got != types.StateOnline {
		t.Fatalf("after StartServer of an ONLINE server: %s", got)
	}
	if _, err := c.StopServer(ctx, &transfer.StopServerInput{ServerId: &id}); err != nil {
		t.Fatal(err)
	}
	if got := state(); got != types.StateStopping {
		t.Fatalf("right after StopServer: %s, want STOPPING", got)
	}
	// Starting a STOPPING server is refused.
	_, err := c.StartServer(ctx, &transfer.StartServerInput{ServerId: &id})
	wantInvalid(t, err, "STOPPING")
	if err := transfer.NewServerOfflineWaiter(c, fast).Wait(ctx, &transfer.DescribeServerInput{ServerId: &id}, 10*time.Second); err != nil {
		t.Fatalf("ServerOffline waiter: %v", err)
	}
	if _, err := c.StopServer(ctx, &transfer.StopServerInput{ServerId: &id}); err != nil {
		t.Fatalf("StopServer of an OFFLINE server: %v", err)
	}
	if got := state(); got != types.StateOffline {
		t.Fatalf("after StopServer of an OFFLINE server: %s", got)
	}
	if _, err := c.StartServer(ctx, &transfer.StartServerInput{ServerId: &id}); err != nil {
		t.Fatal(err)
	}
	if got := state(); got != types.StateStarting {
		t.Fatalf("right after StartServer: %s, want STARTING", got)
	}
	if err := transfer.NewServerOnlineWaiter(c, fastOn).Wait(ctx, &transfer.DescribeServerInput{ServerId: &id}, 10*time.Second); err != nil {
		t.Fatalf("ServerOnline waiter: %v", err)
	}
	for _, op := range []func() error{
		func() error {
			_, err := c.StartServer(ctx, &transfer.StartServerInput{ServerId: aws.String("s-00000000000000000")})
			return err
		},
		func() error {
			_, err := c.StopServer(ctx, &transfer.StopServerInput{ServerId: aws.String("s-00000000000000000")})
			return err
		},
	} {
		wantNotFound(t, op(), "s-00000000000000000", "Server")
	}
}

func TestTransferUpdateServer(t *testing.T) {
	t.Parallel()
	_, c := newTransfer(t)
	ctx := context.Background()
	id := mustCreateServer(t, c, nil)
	describe := func() *types.DescribedServer {
		t.Helper()
		out, err := c.DescribeServer(ctx, &transfer.DescribeServerInput{ServerId: &id})
		if err != nil {
			t.Fatal(err)
		}
		return out.Server
	}
	before := describe()
	out, err := c.UpdateServer(ctx, &transfer.UpdateServerInput{
		ServerId: &id, SecurityPolicyName: aws.String("TransferSecurityPolicy-2025-03"),
		PreAuthenticationLoginBanner: aws.String("Authorized users only"),
		LoggingRole:                  aws.String(testRole),
		ProtocolDetails:              &types.ProtocolDetails{SetStatOption: types.SetStatOptionEnableNoOp},
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.ServerId) != id {
		t.Fatalf("UpdateServer returned %q", aws.ToString(out.ServerId))
	}
	after := describe()
	if aws.ToString(after.SecurityPolicyName) != "TransferSecurityPolicy-2025-03" ||
		aws.ToString(after.PreAuthenticationLoginBanner) != "Authorized users only" ||
		aws.ToString(after.LoggingRole) != testRole ||
		after.ProtocolDetails.SetStatOption != types.SetStatOptionEnableNoOp ||
		aws.ToString(after.ProtocolDetails.PassiveIp) != "AUTO" {
		t.Fatalf("after update: %+v / %+v", after, after.ProtocolDetails)
	}
	if aws.ToString(after.HostKeyFingerprint) != aws.ToString(before.HostKeyFingerprint) {
		t.Fatal("UpdateServer without HostKey changed the host key")
	}

	// Rejected updates change nothing.
	rejected := []struct {
		name string
		in   transfer.UpdateServerInput
		want string
	}{
		{"unknown policy", transfer.UpdateServerInput{SecurityPolicyName: aws.String("TransferSecurityPolicy-2000-01"),
			PreAuthenticationLoginBanner: aws.String("changed")}, "SecurityPolicyName"},
		{"FTP on service managed", transfer.UpdateServerInput{Protocols: []types.Protocol{"FTP"}}, "FTP"},
		{"IpAddressType while online", transfer.UpdateServerInput{IpAddressType: types.IpAddressTypeDualstack}, "IpAddressType"},
		{"bad host key", transfer.UpdateServerInput{HostKey: aws.String("nope")}, "HostKey"},
		{"lambda without function", transfer.UpdateServerInput{IdentityProviderType: "AWS_LAMBDA"}, "Function is required"},
	}
	for _, tc := range rejected {
		t.Run(tc.name, func(t *testing.T) {
			tc.in.ServerId = &id
			_, err := c.UpdateServer(ctx, &tc.in)
			wantInvalid(t, err, tc.want)
			now := describe()
			if aws.ToString(now.PreAuthenticationLoginBanner) != "Authorized users only" ||
				aws.ToString(now.SecurityPolicyName) != "TransferSecurityPolicy-2025-03" ||
				now.IdentityProviderType != types.IdentityProviderTypeServiceManaged ||
				now.IpAddressType != types.IpAddressTypeIpv4 || !slices.Equal(now.Protocols, []types.Protocol{"SFTP"}) {
				t.Fatalf("a rejected update changed the server: %+v", now)
			}
		})
	}

	// A new HostKey replaces the primary host key.
	_, priv, fp := sshKeyPair(t, "ecdsa")
	if _, err := c.UpdateServer(ctx, &transfer.UpdateServerInput{ServerId: &id, HostKey: aws.String(priv)}); err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(describe().HostKeyFingerprint); got != fp {
		t.Fatalf("HostKeyFingerprint = %s, want %s", got, fp)
	}
	keys, err := c.ListHostKeys(ctx, &transfer.ListHostKeysInput{ServerId: &id})
	if err != nil {
		t.Fatal(err)
	}
	if len(keys.HostKeys) != 1 || aws.ToString(keys.HostKeys[0].Fingerprint) != fp {
		t.Fatalf("host keys after UpdateServer HostKey: %+v", keys.HostKeys)
	}

	// IpAddressType can change once the server is OFFLINE.
	if _, err := c.StopServer(ctx, &transfer.StopServerInput{ServerId: &id}); err != nil {
		t.Fatal(err)
	}
	if err := transfer.NewServerOfflineWaiter(c, func(o *transfer.ServerOfflineWaiterOptions) {
		o.MinDelay, o.MaxDelay = 20*time.Millisecond, 50*time.Millisecond
	}).Wait(ctx, &transfer.DescribeServerInput{ServerId: &id}, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateServer(ctx, &transfer.UpdateServerInput{ServerId: &id, IpAddressType: types.IpAddressTypeDualstack}); err != nil {
		t.Fatal(err)
	}
	if got := describe().IpAddressType; got != types.IpAddressTypeDualstack {
		t.Fatalf("IpAddressType = %s", got)
	}
	_, err = c.UpdateServer(ctx, &transfer.UpdateServerInput{ServerId: aws.String("s-00000000000000000")})
	wantNotFound(t, err, "s-00000000000000000", "Server")
}

func TestTransferListServersPagination(t *testing.T) {
	t.Parallel()
	_, c := newTransfer(t)
	ctx := context.Background()
	want := map[string]bool{}
	for range 5 {
		want[mustCreateServer(t, c, nil)] = true
	}
	p := transfer.NewListServersPaginator(c, &transfer.ListServersInput{MaxResults: aws.Int32(2)})
	got := map[string]bool{}
	pages := eachPage(ctx, t, p, func(out *transfer.ListServersOutput) {
		if len(out.Servers) > 2 {
			t.Fatalf("page of %d servers with MaxResults 2", len(out.Servers))
		}
		for _, s := range out.Servers {
			if got[aws.ToString(s.ServerId)] {
				t.Fatalf("server %s listed twice", aws.ToString(s.ServerId))
			}
			got[aws.ToString(s.ServerId)] = true
			if s.State != types.StateOnline || aws.ToInt32(s.UserCount) != 0 || !serverARN.MatchString(aws.ToString(s.Arn)) {
				t.Fatalf("listed server %+v", s)
			}
		}
	})
	if pages != 3 || len(got) != 5 {
		t.Fatalf("%d pages, %d servers; want 3 pages of the 5 servers", pages, len(got))
	}
	for id := range want {
		if !got[id] {
			t.Fatalf("server %s not listed", id)
		}
	}
	_, err := c.ListServers(ctx, &transfer.ListServersInput{NextToken: aws.String("not-a-token")})
	wantTyped[*types.InvalidNextTokenException](t, err)
}

func TestTransferServerIsolation(t *testing.T) {
	t.Parallel()
	srv, a := newTransfer(t)
	ctx := context.Background()
	id := mustCreateServer(t, a, nil)
	others := map[string]*transfer.Client{
		"other account": srv.TransferAs(acctB, "us-east-1"),
		"other region":  srv.TransferAs(acctA, "us-west-2"),
	}
	for name, c := range others {
		t.Run(name, func(t *testing.T) {
			_, err := c.DescribeServer(ctx, &transfer.DescribeServerInput{ServerId: &id})
			wantNotFound(t, err, id, "Server")
			out, err := c.ListServers(ctx, &transfer.ListServersInput{})
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Servers) != 0 {
				t.Fatalf("sees %d servers of another scope", len(out.Servers))
			}
			_, err = c.DeleteServer(ctx, &transfer.DeleteServerInput{ServerId: &id})
			wantNotFound(t, err, id, "Server")
			own := mustCreateServer(t, c, nil)
			d, err := c.DescribeServer(ctx, &transfer.DescribeServerInput{ServerId: &own})
			if err != nil {
				t.Fatal(err)
			}
			if name == "other account" && !regexp.MustCompile(`^arn:aws:transfer:us-east-1:222222222222:server/`).MatchString(aws.ToString(d.Server.Arn)) {
				t.Fatalf("ARN %s is not in account B", aws.ToString(d.Server.Arn))
			}
			if name == "other region" && !regexp.MustCompile(`^arn:aws:transfer:us-west-2:111111111111:server/`).MatchString(aws.ToString(d.Server.Arn)) {
				t.Fatalf("ARN %s is not in us-west-2", aws.ToString(d.Server.Arn))
			}
		})
	}
	if _, err := a.DescribeServer(ctx, &transfer.DescribeServerInput{ServerId: &id}); err != nil {
		t.Fatalf("account A lost its server: %v", err)
	}
}

func TestTransferDeleteServerCascades(t *testing.T) {
	t.Parallel()
	srv, c := newTransfer(t)
	ctx := context.Background()
	id := mustCreateServer(t, c, nil)
	pub, _, _ := sshKeyPair(t, "ed25519")
	if _, err := c.CreateUser(ctx, &transfer.CreateUserInput{ServerId: &id, UserName: aws.String("alice"), Role: aws.String(testRole),
		SshPublicKeyBody: aws.String(pub), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}); err != nil {
		t.Fatal(err)
	}
	_, hk, _ := sshKeyPair(t, "rsa")
	if _, err := c.ImportHostKey(ctx, &transfer.ImportHostKeyInput{ServerId: &id, HostKeyBody: aws.String(hk)}); err != nil {
		t.Fatal(err)
	}
	dir := directoryServer(t, c)
	if _, err := c.CreateAccess(ctx, &transfer.CreateAccessInput{ServerId: &dir, ExternalId: aws.String("S-1-5-21-1"), Role: aws.String(testRole)}); err != nil {
		t.Fatal(err)
	}
	for _, sid := range []string{id, dir} {
		if _, err := c.DeleteServer(ctx, &transfer.DeleteServerInput{ServerId: aws.String(sid)}); err != nil {
			t.Fatal(err)
		}
		_, err := c.DescribeServer(ctx, &transfer.DescribeServerInput{ServerId: aws.String(sid)})
		wantNotFound(t, err, sid, "Server")
		_, err = c.DeleteServer(ctx, &transfer.DeleteServerInput{ServerId: aws.String(sid)})
		wantNotFound(t, err, sid, "Server")
	}
	_, err := c.DescribeUser(ctx, &transfer.DescribeUserInput{ServerId: &id, UserName: aws.String("alice")})
	wantNotFound(t, err, id, "Server")
	// Nothing of either server is left in the store.
	sc := store.Scope{Account: acctA, Region: "us-east-1", Service: "transfer"}
	err = srv.Store.View(ctx, func(tx store.Tx) error {
		for _, sid := range []string{id, dir} {
			parent := "server/" + sid
			for _, kind := range []string{"user", "hostkey", "access", "tags"} {
				items, _, err := tx.List(store.Collection{Scope: sc, Parent: parent, Kind: kind}, store.Page{})
				if err != nil {
					return err
				}
				if len(items) != 0 {
					t.Errorf("%d %s records left under deleted server %s", len(items), kind, sid)
				}
			}
			items, _, err := tx.List(store.Collection{Scope: sc, Parent: parent + "/user/alice", Kind: "tags"}, store.Page{})
			if err != nil {
				return err
			}
			if len(items) != 0 {
				t.Errorf("user tags left under deleted server %s", sid)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
