package e2e_test

import (
	"context"
	"net"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"

	transfersvc "github.com/ersatz-dev/ersatz/internal/service/transfer"
)

var vpcEndpointID = regexp.MustCompile(`^vpce-[0-9a-f]{17}$`)

// describeServer returns a server's description.
func describeServer(t testing.TB, c *transfer.Client, id string) *types.DescribedServer {
	t.Helper()
	out, err := c.DescribeServer(context.Background(), &transfer.DescribeServerInput{ServerId: &id})
	if err != nil {
		t.Fatalf("DescribeServer %s: %v", id, err)
	}
	return out.Server
}

// stopAndWait and startAndWait move a server the way Terraform's provider
// does: the call, then the SDK waiter.
func stopAndWait(t testing.TB, c *transfer.Client, id string) {
	t.Helper()
	ctx := context.Background()
	if _, err := c.StopServer(ctx, &transfer.StopServerInput{ServerId: &id}); err != nil {
		t.Fatalf("StopServer: %v", err)
	}
	if err := transfer.NewServerOfflineWaiter(c, func(o *transfer.ServerOfflineWaiterOptions) {
		o.MinDelay, o.MaxDelay = 20*time.Millisecond, 50*time.Millisecond
	}).Wait(ctx, &transfer.DescribeServerInput{ServerId: &id}, 10*time.Second); err != nil {
		t.Fatalf("server %s never OFFLINE: %v", id, err)
	}
}

func startAndWait(t testing.TB, c *transfer.Client, id string) {
	t.Helper()
	ctx := context.Background()
	if _, err := c.StartServer(ctx, &transfer.StartServerInput{ServerId: &id}); err != nil {
		t.Fatalf("StartServer: %v", err)
	}
	if err := transfer.NewServerOnlineWaiter(c, func(o *transfer.ServerOnlineWaiterOptions) {
		o.MinDelay, o.MaxDelay = 20*time.Millisecond, 50*time.Millisecond
	}).Wait(ctx, &transfer.DescribeServerInput{ServerId: &id}, 10*time.Second); err != nil {
		t.Fatalf("server %s never ONLINE: %v", id, err)
	}
}

// TestTransferTerraformVPCServerFlow replays the calls Terraform's AWS
// provider makes for aws_transfer_server with endpoint_type VPC and Elastic
// IPs: CreateServer without AddressAllocationIds, StopServer, UpdateServer
// with only EndpointDetails.AddressAllocationIds, StartServer, then
// DescribeServer (which must show everything, VpcEndpointId included).
func TestTransferTerraformVPCServerFlow(t *testing.T) {
	t.Parallel()
	_, c := newTransfer(t)
	ctx := context.Background()
	subnets := []string{"subnet-0123456789abcdef0", "subnet-0123456789abcdef1"}
	groups := []string{"sg-0123456789abcdef0"}
	eips := []string{"eipalloc-0123456789abcdef0", "eipalloc-0123456789abcdef1"}
	id := mustCreateServer(t, c, &transfer.CreateServerInput{
		EndpointType: types.EndpointTypeVpc,
		EndpointDetails: &types.EndpointDetails{VpcId: aws.String("vpc-0123456789abcdef0"),
			SubnetIds: subnets, SecurityGroupIds: groups},
	})
	created := describeServer(t, c, id)
	vpce := aws.ToString(created.EndpointDetails.VpcEndpointId)
	if !vpcEndpointID.MatchString(vpce) {
		t.Fatalf("VpcEndpointId = %q, want vpce- and 17 hex digits", vpce)
	}

	// Elastic IPs only while OFFLINE: refused ONLINE, and nothing changes.
	_, err := c.UpdateServer(ctx, &transfer.UpdateServerInput{ServerId: &id, EndpointDetails: &types.EndpointDetails{AddressAllocationIds: eips}})
	wantInvalid(t, err, "OFFLINE")
	if got := describeServer(t, c, id).EndpointDetails; len(got.AddressAllocationIds) != 0 {
		t.Fatalf("a refused update attached %v", got.AddressAllocationIds)
	}

	stopAndWait(t, c, id)
	if _, err := c.UpdateServer(ctx, &transfer.UpdateServerInput{ServerId: &id,
		EndpointDetails: &types.EndpointDetails{AddressAllocationIds: eips}}); err != nil {
		t.Fatalf("UpdateServer with AddressAllocationIds only: %v", err)
	}
	startAndWait(t, c, id)

	after := describeServer(t, c, id)
	want := &types.EndpointDetails{VpcId: aws.String("vpc-0123456789abcdef0"), SubnetIds: subnets,
		SecurityGroupIds: groups, AddressAllocationIds: eips, VpcEndpointId: aws.String(vpce)}
	if !reflect.DeepEqual(after.EndpointDetails, want) {
		t.Fatalf("EndpointDetails after the flow = %+v, want %+v", after.EndpointDetails, want)
	}
	if after.EndpointType != types.EndpointTypeVpc || after.State != types.StateOnline {
		t.Fatalf("server after the flow: %s %s", after.EndpointType, after.State)
	}

	// Changing SubnetIds alone keeps the rest (as many subnets as EIPs).
	moved := []string{"subnet-0123456789abcdef2", "subnet-0123456789abcdef3"}
	if _, err := c.UpdateServer(ctx, &transfer.UpdateServerInput{ServerId: &id,
		EndpointDetails: &types.EndpointDetails{SubnetIds: moved}}); err != nil {
		t.Fatal(err)
	}
	want.SubnetIds = moved
	if got := describeServer(t, c, id).EndpointDetails; !reflect.DeepEqual(got, want) {
		t.Fatalf("EndpointDetails after a SubnetIds update = %+v, want %+v", got, want)
	}

	// What EndpointDetails refuses; each leaves the server as it was.
	stopAndWait(t, c, id)
	rejected := []struct {
		name string
		d    types.EndpointDetails
		want string
	}{
		{"subnets and EIPs together", types.EndpointDetails{SubnetIds: subnets, AddressAllocationIds: eips[:1]}, "same request"},
		{"fewer EIPs than subnets", types.EndpointDetails{AddressAllocationIds: eips[:1]}, "as many as SubnetIds"},
		{"duplicate EIPs", types.EndpointDetails{AddressAllocationIds: []string{eips[0], eips[0]}}, "more than once"},
		{"security groups of a VPC server", types.EndpointDetails{SecurityGroupIds: []string{"sg-0123456789abcdef9"}}, "ModifyVpcEndpoint"},
		{"VpcEndpointId on a VPC server", types.EndpointDetails{VpcEndpointId: aws.String("vpce-0123456789abcdef0")}, "VpcEndpointId"},
	}
	for _, tc := range rejected {
		_, err := c.UpdateServer(ctx, &transfer.UpdateServerInput{ServerId: &id, EndpointDetails: &tc.d})
		if err == nil {
			t.Fatalf("%s: accepted", tc.name)
		}
		wantInvalid(t, err, tc.want)
		if got := describeServer(t, c, id).EndpointDetails; !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: a refused update changed EndpointDetails to %+v", tc.name, got)
		}
	}
	// The same security groups again are no change; an empty list detaches the EIPs.
	if _, err := c.UpdateServer(ctx, &transfer.UpdateServerInput{ServerId: &id,
		EndpointDetails: &types.EndpointDetails{SecurityGroupIds: groups, AddressAllocationIds: []string{}}}); err != nil {
		t.Fatal(err)
	}
	want.AddressAllocationIds = nil
	if got := describeServer(t, c, id).EndpointDetails; !reflect.DeepEqual(got, want) {
		t.Fatalf("EndpointDetails after detaching the EIPs = %+v, want %+v", got, want)
	}

	// CreateServer cannot attach Elastic IPs (UpdateServer does, OFFLINE).
	_, err = c.CreateServer(ctx, &transfer.CreateServerInput{EndpointType: types.EndpointTypeVpc,
		EndpointDetails: &types.EndpointDetails{VpcId: aws.String("vpc-0123456789abcdef0"), SubnetIds: subnets[:1], AddressAllocationIds: eips[:1]}})
	wantInvalid(t, err, "AddressAllocationIds cannot be set in CreateServer")

	// PUBLIC has no VPC endpoint; back to VPC is a new one.
	if _, err := c.UpdateServer(ctx, &transfer.UpdateServerInput{ServerId: &id, EndpointType: types.EndpointTypePublic}); err != nil {
		t.Fatal(err)
	}
	if d := describeServer(t, c, id); d.EndpointDetails != nil {
		t.Fatalf("a PUBLIC server reports EndpointDetails %+v", d.EndpointDetails)
	}
	if _, err := c.UpdateServer(ctx, &transfer.UpdateServerInput{ServerId: &id, EndpointType: types.EndpointTypeVpc,
		EndpointDetails: &types.EndpointDetails{VpcId: aws.String("vpc-0123456789abcdef0"), SubnetIds: subnets[:1], SecurityGroupIds: groups}}); err != nil {
		t.Fatal(err)
	}
	again := aws.ToString(describeServer(t, c, id).EndpointDetails.VpcEndpointId)
	if !vpcEndpointID.MatchString(again) || again == vpce {
		t.Fatalf("VpcEndpointId after PUBLIC then VPC = %q (was %q)", again, vpce)
	}
	// A public server never has one.
	pub := mustCreateServer(t, c, nil)
	if d := describeServer(t, c, pub); d.EndpointDetails != nil {
		t.Fatalf("a PUBLIC server reports EndpointDetails %+v", d.EndpointDetails)
	}
}

// TestTransferTerraformDirectoryServerFlow: aws_transfer_server with
// identity_provider_type AWS_DIRECTORY_SERVICE reads directory_id from
// DescribeServer's IdentityProviderDetails after create and on import; an
// update that does not name it keeps it.
func TestTransferTerraformDirectoryServerFlow(t *testing.T) {
	t.Parallel()
	_, c := newTransfer(t)
	ctx := context.Background()
	id := directoryServer(t, c)
	check := func(when string) {
		t.Helper()
		d := describeServer(t, c, id)
		if d.IdentityProviderDetails == nil || aws.ToString(d.IdentityProviderDetails.DirectoryId) != "d-1234567890" {
			t.Fatalf("%s: IdentityProviderDetails = %+v, want DirectoryId d-1234567890", when, d.IdentityProviderDetails)
		}
	}
	check("after create")
	if _, err := c.UpdateServer(ctx, &transfer.UpdateServerInput{ServerId: &id, LoggingRole: aws.String(testRole)}); err != nil {
		t.Fatal(err)
	}
	check("after an update of LoggingRole")
	if _, err := c.UpdateServer(ctx, &transfer.UpdateServerInput{ServerId: &id,
		IdentityProviderDetails: &types.IdentityProviderDetails{DirectoryId: aws.String("d-0987654321")}}); err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(describeServer(t, c, id).IdentityProviderDetails.DirectoryId); got != "d-0987654321" {
		t.Fatalf("DirectoryId after update = %q", got)
	}
	// A SERVICE_MANAGED server still reports none.
	if d := describeServer(t, c, mustCreateServer(t, c, nil)); d.IdentityProviderDetails != nil {
		t.Fatalf("SERVICE_MANAGED server reports IdentityProviderDetails %+v", d.IdentityProviderDetails)
	}
}

// TestTransferUpdateServerMergesIdentityDetails: an UpdateServer giving one
// member of IdentityProviderDetails keeps the others.
func TestTransferUpdateServerMergesIdentityDetails(t *testing.T) {
	t.Parallel()
	_, c := newTransfer(t)
	ctx := context.Background()
	url := "https://abc123.execute-api.us-east-1.amazonaws.com/prod"
	id := mustCreateServer(t, c, &transfer.CreateServerInput{IdentityProviderType: types.IdentityProviderTypeApiGateway,
		IdentityProviderDetails: &types.IdentityProviderDetails{Url: aws.String(url), InvocationRole: aws.String(testRole)}})
	before := describeServer(t, c, id).IdentityProviderDetails
	if before.SftpAuthenticationMethods != types.SftpAuthenticationMethodsPublicKeyOrPassword {
		t.Fatalf("before: %+v", before)
	}
	if _, err := c.UpdateServer(ctx, &transfer.UpdateServerInput{ServerId: &id,
		IdentityProviderDetails: &types.IdentityProviderDetails{SftpAuthenticationMethods: types.SftpAuthenticationMethodsPassword}}); err != nil {
		t.Fatalf("UpdateServer with SftpAuthenticationMethods only: %v", err)
	}
	after := describeServer(t, c, id).IdentityProviderDetails
	if aws.ToString(after.Url) != url || aws.ToString(after.InvocationRole) != testRole ||
		after.SftpAuthenticationMethods != types.SftpAuthenticationMethodsPassword {
		t.Fatalf("after: %+v", after)
	}
}

// TestTransferLogicalHomeDirectoryMaps: a LOGICAL HomeDirectory must be the
// Entry or Target of a mapping, on CreateUser, UpdateUser, CreateAccess and
// UpdateAccess; a refused call changes nothing.
func TestTransferLogicalHomeDirectoryMaps(t *testing.T) {
	t.Parallel()
	_, c := newTransfer(t)
	ctx := context.Background()
	managed := mustCreateServer(t, c, nil)
	directory := directoryServer(t, c)
	chroot := []types.HomeDirectoryMapEntry{{Entry: aws.String("/"), Target: aws.String("/bucket/home/team")}}
	two := []types.HomeDirectoryMapEntry{
		{Entry: aws.String("/pics"), Target: aws.String("/bucket/pics")},
		{Entry: aws.String("/doc"), Target: aws.String("/bucket/test/mydocs")},
	}
	type profile struct {
		home     string
		typ      types.HomeDirectoryType
		mappings []types.HomeDirectoryMapEntry
	}
	// Each kind creates and updates one user or access and reads it back.
	kinds := []struct {
		name     string
		create   func(name, home string, m []types.HomeDirectoryMapEntry) error
		update   func(name string, home *string, m []types.HomeDirectoryMapEntry) error
		describe func(name string) profile
	}{
		{"user",
			func(name, home string, m []types.HomeDirectoryMapEntry) error {
				_, err := c.CreateUser(ctx, &transfer.CreateUserInput{ServerId: &managed, UserName: &name, Role: aws.String(testRole),
					HomeDirectory: aws.String(home), HomeDirectoryType: types.HomeDirectoryTypeLogical, HomeDirectoryMappings: m})
				return err
			},
			func(name string, home *string, m []types.HomeDirectoryMapEntry) error {
				_, err := c.UpdateUser(ctx, &transfer.UpdateUserInput{ServerId: &managed, UserName: &name,
					HomeDirectory: home, HomeDirectoryType: types.HomeDirectoryTypeLogical, HomeDirectoryMappings: m})
				return err
			},
			func(name string) profile {
				out, err := c.DescribeUser(ctx, &transfer.DescribeUserInput{ServerId: &managed, UserName: &name})
				if err != nil {
					t.Fatal(err)
				}
				return profile{aws.ToString(out.User.HomeDirectory), out.User.HomeDirectoryType, out.User.HomeDirectoryMappings}
			}},
		{"access",
			func(name, home string, m []types.HomeDirectoryMapEntry) error {
				_, err := c.CreateAccess(ctx, &transfer.CreateAccessInput{ServerId: &directory, ExternalId: &name, Role: aws.String(testRole),
					HomeDirectory: aws.String(home), HomeDirectoryType: types.HomeDirectoryTypeLogical, HomeDirectoryMappings: m})
				return err
			},
			func(name string, home *string, m []types.HomeDirectoryMapEntry) error {
				_, err := c.UpdateAccess(ctx, &transfer.UpdateAccessInput{ServerId: &directory, ExternalId: &name,
					HomeDirectory: home, HomeDirectoryType: types.HomeDirectoryTypeLogical, HomeDirectoryMappings: m})
				return err
			},
			func(name string) profile {
				out, err := c.DescribeAccess(ctx, &transfer.DescribeAccessInput{ServerId: &directory, ExternalId: &name})
				if err != nil {
					t.Fatal(err)
				}
				return profile{aws.ToString(out.Access.HomeDirectory), out.Access.HomeDirectoryType, out.Access.HomeDirectoryMappings}
			}},
	}
	for i, k := range kinds {
		name := func(n int) string {
			if k.name == "user" {
				return "user" + string(rune('a'+n))
			}
			return groupSID[:len(groupSID)-1] + string(rune('0'+n))
		}
		// CreateX: an unmapped home is refused and nothing is created.
		err := k.create(name(0), "/elsewhere", chroot)
		wantInvalid(t, err, "HomeDirectory")
		if k.name == "user" {
			_, err = c.DescribeUser(ctx, &transfer.DescribeUserInput{ServerId: &managed, UserName: aws.String(name(0))})
			wantNotFound(t, err, name(0), "User")
		} else {
			_, err = c.DescribeAccess(ctx, &transfer.DescribeAccessInput{ServerId: &directory, ExternalId: aws.String(name(0))})
			wantTyped[*types.ResourceNotFoundException](t, err)
		}
		// An Entry, an Entry with a trailing slash, a Target are accepted.
		for j, home := range []string{"/", "/doc/", "/bucket/pics"} {
			m := chroot
			if j > 0 {
				m = two
			}
			if err := k.create(name(j+1), home, m); err != nil {
				t.Fatalf("%s: create with HomeDirectory %s: %v", k.name, home, err)
			}
			if got := k.describe(name(j + 1)); got.home != home || got.typ != types.HomeDirectoryTypeLogical {
				t.Fatalf("%s %d: %+v", k.name, i, got)
			}
		}
		// UpdateX: the call is refused and changes nothing.
		before := k.describe(name(1))
		err = k.update(name(1), aws.String("/elsewhere"), chroot)
		wantInvalid(t, err, "HomeDirectory")
		if got := k.describe(name(1)); !reflect.DeepEqual(got, before) {
			t.Fatalf("%s: a refused update changed %+v to %+v", k.name, before, got)
		}
		// New mappings that no longer hold a LOGICAL home are refused too.
		err = k.update(name(2), nil, chroot)
		wantInvalid(t, err, `"/doc/"`)
		if err := k.update(name(2), aws.String("/pics"), nil); err != nil {
			t.Fatalf("%s: update to another Entry: %v", k.name, err)
		}
		if got := k.describe(name(2)); got.home != "/pics" || len(got.mappings) != 2 {
			t.Fatalf("%s: after update %+v", k.name, got)
		}
	}
}

// TestTransferAS2EgressAddresses: an AS2 server has service-managed egress
// addresses from its creation (or from the update that adds AS2), stable
// while it speaks AS2; other servers have none.
func TestTransferAS2EgressAddresses(t *testing.T) {
	t.Parallel()
	_, c := newTransfer(t)
	ctx := context.Background()
	egress := func(id string) []string {
		t.Helper()
		ips := describeServer(t, c, id).As2ServiceManagedEgressIpAddresses
		for _, ip := range ips {
			if p := net.ParseIP(ip); p == nil || p.To4() == nil {
				t.Fatalf("egress address %q is not IPv4", ip)
			}
		}
		return ips
	}
	as2 := as2Server(t, c)
	first := egress(as2)
	if len(first) == 0 {
		t.Fatal("an AS2 server has no As2ServiceManagedEgressIpAddresses")
	}
	if _, err := c.UpdateServer(ctx, &transfer.UpdateServerInput{ServerId: &as2, LoggingRole: aws.String(testRole)}); err != nil {
		t.Fatal(err)
	}
	if again := egress(as2); !slices.Equal(again, first) {
		t.Fatalf("egress addresses changed from %v to %v", first, again)
	}

	vpc := mustCreateServer(t, c, &transfer.CreateServerInput{EndpointType: types.EndpointTypeVpc,
		EndpointDetails: &types.EndpointDetails{VpcId: aws.String("vpc-0123456789abcdef0"), SubnetIds: []string{"subnet-0123456789abcdef0"}}})
	if ips := egress(vpc); len(ips) != 0 {
		t.Fatalf("an SFTP server has egress addresses %v", ips)
	}
	if _, err := c.UpdateServer(ctx, &transfer.UpdateServerInput{ServerId: &vpc,
		Protocols: []types.Protocol{types.ProtocolSftp, types.ProtocolAs2}}); err != nil {
		t.Fatal(err)
	}
	if ips := egress(vpc); len(ips) == 0 {
		t.Fatal("adding AS2 assigned no egress addresses")
	}
	if _, err := c.UpdateServer(ctx, &transfer.UpdateServerInput{ServerId: &vpc, Protocols: []types.Protocol{types.ProtocolSftp}}); err != nil {
		t.Fatal(err)
	}
	if ips := egress(vpc); len(ips) != 0 {
		t.Fatalf("a server without AS2 keeps egress addresses %v", ips)
	}
}

// TestTransferExecutionSessionID: an SSH session id (64 hex digits) is
// reported within the model's 3..32 characters.
func TestTransferExecutionSessionID(t *testing.T) {
	t.Parallel()
	events := make(chan transfersvc.CustomStepEvent, 1)
	env := newB2B(t, transfersvc.WithCustomStepInvoker(func(_ context.Context, ev transfersvc.CustomStepEvent) { events <- ev }))
	c, ctx := env.c, context.Background()
	wf := mustWorkflow(t, c, []types.WorkflowStep{{Type: types.WorkflowStepTypeCustom,
		CustomStepDetails: &types.CustomStepDetails{Name: aws.String("check"), Target: aws.String(lambdaARN), TimeoutSeconds: aws.Int32(60)}}}, nil)
	srv := mustCreateServer(t, c, &transfer.CreateServerInput{WorkflowDetails: &types.WorkflowDetails{
		OnUpload: []types.WorkflowDetail{{WorkflowId: &wf, ExecutionRole: aws.String(testRole)}}}})
	session := strings.Repeat("0123456789abcdef", 4)
	env.putLocal(t, "uploads", "alice/a.csv", []byte("a"))
	if err := env.svc.FileUploaded(ctx, transfersvc.UploadEvent{Account: acctA, Region: "us-east-1", ServerID: srv,
		UserName: "alice", SessionID: session, Path: "/uploads/alice/a.csv", Size: 1}); err != nil {
		t.Fatal(err)
	}
	var ev transfersvc.CustomStepEvent
	select {
	case ev = <-events:
	case <-time.After(5 * time.Second):
		t.Fatal("the CUSTOM step was not invoked")
	}
	le, err := c.ListExecutions(ctx, &transfer.ListExecutionsInput{WorkflowId: &wf})
	if err != nil || len(le.Executions) != 1 {
		t.Fatalf("ListExecutions = %+v, %v", le, err)
	}
	de, err := c.DescribeExecution(ctx, &transfer.DescribeExecutionInput{WorkflowId: &wf, ExecutionId: &ev.ExecutionID})
	if err != nil {
		t.Fatal(err)
	}
	for _, got := range []string{
		aws.ToString(le.Executions[0].ServiceMetadata.UserDetails.SessionId),
		aws.ToString(de.Execution.ServiceMetadata.UserDetails.SessionId),
	} {
		if got != session[:32] {
			t.Fatalf("SessionId = %q (%d characters), want the first 32 of the session id", got, len(got))
		}
	}
}
