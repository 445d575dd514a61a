package e2e_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"
)

func TestTransferSecurityPolicies(t *testing.T) {
	t.Parallel()
	_, c := newTransfer(t)
	ctx := context.Background()
	p := transfer.NewListSecurityPoliciesPaginator(c, &transfer.ListSecurityPoliciesInput{MaxResults: aws.Int32(5)})
	var names []string
	eachPage(ctx, t, p, func(out *transfer.ListSecurityPoliciesOutput) {
		if len(out.SecurityPolicyNames) > 5 {
			t.Fatalf("page of %d names", len(out.SecurityPolicyNames))
		}
		names = append(names, out.SecurityPolicyNames...)
	})
	if !slices.IsSorted(names) || len(names) != 18 {
		t.Fatalf("%d names (sorted: %v): %v", len(names), slices.IsSorted(names), names)
	}
	for _, want := range []string{"TransferSecurityPolicy-2018-11", "TransferSecurityPolicy-2024-01", "TransferSecurityPolicy-FIPS-2024-05",
		"TransferSecurityPolicy-2025-03", "TransferSFTPConnectorSecurityPolicy-2024-03"} {
		if !slices.Contains(names, want) {
			t.Errorf("%s not listed", want)
		}
	}
	for _, name := range names {
		out, err := c.DescribeSecurityPolicy(ctx, &transfer.DescribeSecurityPolicyInput{SecurityPolicyName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		sp := out.SecurityPolicy
		if aws.ToString(sp.SecurityPolicyName) != name || len(sp.SshCiphers) == 0 || len(sp.SshKexs) == 0 || len(sp.SshMacs) == 0 || sp.Fips == nil {
			t.Fatalf("%s = %+v", name, sp)
		}
		connector := strings.HasPrefix(name, "TransferSFTPConnector")
		if connector != (sp.Type == types.SecurityPolicyResourceTypeConnector) || connector != (len(sp.SshHostKeyAlgorithms) > 0) ||
			connector == (len(sp.TlsCiphers) > 0) {
			t.Fatalf("%s: Type %s, %d host key algorithms, %d TLS ciphers", name, sp.Type, len(sp.SshHostKeyAlgorithms), len(sp.TlsCiphers))
		}
		if *sp.Fips != strings.Contains(name, "FIPS") {
			t.Fatalf("%s: Fips %v", name, *sp.Fips)
		}
	}
	// Spot checks against the user guide's listings.
	out, err := c.DescribeSecurityPolicy(ctx, &transfer.DescribeSecurityPolicyInput{SecurityPolicyName: aws.String("TransferSecurityPolicy-2018-11")})
	if err != nil {
		t.Fatal(err)
	}
	sp := out.SecurityPolicy
	if sp.SshCiphers[0] != "chacha20-poly1305@openssh.com" || !slices.Contains(sp.SshKexs, "diffie-hellman-group14-sha1") ||
		len(sp.SshMacs) != 10 || len(sp.TlsCiphers) != 10 || !slices.Equal(sp.Protocols, []types.SecurityPolicyProtocol{"SFTP", "FTPS"}) {
		t.Fatalf("2018-11 = %+v", sp)
	}
	out, err = c.DescribeSecurityPolicy(ctx, &transfer.DescribeSecurityPolicyInput{SecurityPolicyName: aws.String("TransferSecurityPolicy-Restricted-2018-11")})
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(out.SecurityPolicy.SshCiphers, "chacha20-poly1305@openssh.com") {
		t.Fatal("Restricted-2018-11 has chacha20")
	}
	out, err = c.DescribeSecurityPolicy(ctx, &transfer.DescribeSecurityPolicyInput{SecurityPolicyName: aws.String("TransferSecurityPolicy-2024-01")})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(out.SecurityPolicy.SshMacs, []string{"hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com"}) ||
		out.SecurityPolicy.SshKexs[0] != "ecdh-sha2-nistp256" || len(out.SecurityPolicy.SshKexs) != 8 {
		t.Fatalf("2024-01 = %+v", out.SecurityPolicy)
	}

	_, err = c.DescribeSecurityPolicy(ctx, &transfer.DescribeSecurityPolicyInput{SecurityPolicyName: aws.String("TransferSecurityPolicy-1999-01")})
	wantNotFound(t, err, "TransferSecurityPolicy-1999-01", "SecurityPolicy")
	_, err = c.ListSecurityPolicies(ctx, &transfer.ListSecurityPoliciesInput{NextToken: aws.String("nope")})
	wantTyped[*types.InvalidNextTokenException](t, err)
}

func TestTransferTestIdentityProvider(t *testing.T) {
	t.Parallel()
	_, c := newTransfer(t)
	ctx := context.Background()
	sm := mustCreateServer(t, c, nil)
	_, err := c.TestIdentityProvider(ctx, &transfer.TestIdentityProviderInput{ServerId: &sm, UserName: aws.String("alice")})
	wantInvalid(t, err, sm+" not configured for external auth")
	_, err = c.TestIdentityProvider(ctx, &transfer.TestIdentityProviderInput{ServerId: aws.String("s-00000000000000000"), UserName: aws.String("alice")})
	wantNotFound(t, err, "s-00000000000000000", "Server")

	// API_GATEWAY and AWS_LAMBDA providers are called for real: see
	// TestIdentityProviderTest (dataplane_idp_test.go).
	cases := []struct {
		name    string
		in      transfer.CreateServerInput
		wantURL string
		mention string
	}{
		{"AWS_DIRECTORY_SERVICE", transfer.CreateServerInput{IdentityProviderType: "AWS_DIRECTORY_SERVICE",
			IdentityProviderDetails: &types.IdentityProviderDetails{DirectoryId: aws.String("d-1234567890")}}, "", "d-1234567890"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			id := mustCreateServer(t, c, &tc.in)
			out, err := c.TestIdentityProvider(ctx, &transfer.TestIdentityProviderInput{ServerId: &id, UserName: aws.String("alice"),
				UserPassword: aws.String("secret"), ServerProtocol: types.ProtocolSftp})
			if err != nil {
				t.Fatal(err)
			}
			msg := aws.ToString(out.Message)
			if out.StatusCode != 500 || aws.ToString(out.Response) != "" || aws.ToString(out.Url) != tc.wantURL ||
				!strings.Contains(msg, "Ersatz") || !strings.Contains(msg, tc.mention) || !strings.Contains(msg, "not authenticated") {
				t.Fatalf("TestIdentityProvider = %d %q %q %q", out.StatusCode, aws.ToString(out.Response), aws.ToString(out.Url), msg)
			}
			_, err = c.TestIdentityProvider(ctx, &transfer.TestIdentityProviderInput{ServerId: &id, UserName: aws.String("alice"), ServerProtocol: types.ProtocolFtp})
			wantInvalid(t, err, "ServerProtocol")
		})
	}
}
