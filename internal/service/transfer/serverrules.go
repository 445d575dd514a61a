package transfer

import (
	"slices"
	"strings"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/transferapi"
)

// validateServer checks the cross-field rules AWS enforces on a server as it
// would be after a create or an update.
func validateServer(r *serverRecord) error {
	if err := checkServerPolicy(r.SecurityPolicyName); err != nil {
		return err
	}
	if err := checkIdentityProvider(r); err != nil {
		return err
	}
	if err := checkEndpoint(r); err != nil {
		return err
	}
	return checkProtocols(r)
}

func checkIdentityProvider(r *serverRecord) error {
	d := r.IdentityProviderDetails
	if d == nil {
		d = &transferapi.IdentityProviderDetails{}
	}
	has := func(p *string) bool { return p != nil && *p != "" }
	type field struct {
		name string
		set  bool
	}
	fields := []field{
		{"Url", has(d.Url)}, {"InvocationRole", has(d.InvocationRole)},
		{"Function", has(d.Function)}, {"DirectoryId", has(d.DirectoryId)},
		{"SftpAuthenticationMethods", has(d.SftpAuthenticationMethods)},
	}
	var need []string
	switch r.IdentityProviderType {
	case transferapi.IdentityProviderTypeServiceManaged:
	case transferapi.IdentityProviderTypeApiGateway:
		need = []string{"Url", "InvocationRole", "SftpAuthenticationMethods"}
	case transferapi.IdentityProviderTypeAwsLambda:
		need = []string{"Function", "SftpAuthenticationMethods"}
	case transferapi.IdentityProviderTypeAwsDirectoryService:
		need = []string{"DirectoryId"}
	}
	for _, f := range fields {
		allowed := slices.Contains(need, f.name)
		if f.set && !allowed {
			if r.IdentityProviderType == transferapi.IdentityProviderTypeServiceManaged {
				return invalid("IdentityProviderDetails cannot be specified when IdentityProviderType is SERVICE_MANAGED")
			}
			return invalid("IdentityProviderDetails.%s cannot be used when IdentityProviderType is %s", f.name, r.IdentityProviderType)
		}
		if !f.set && allowed && f.name != "SftpAuthenticationMethods" {
			return invalid("IdentityProviderDetails.%s is required when IdentityProviderType is %s", f.name, r.IdentityProviderType)
		}
	}
	return nil
}

func checkEndpoint(r *serverRecord) error {
	d := r.EndpointDetails
	switch r.EndpointType {
	case transferapi.EndpointTypePublic:
		if d != nil {
			return invalid("EndpointDetails cannot be specified when EndpointType is PUBLIC")
		}
	case transferapi.EndpointTypeVpc:
		if d == nil || api.Val(d.VpcId) == "" {
			return invalid("EndpointDetails.VpcId is required when EndpointType is VPC")
		}
		if d.VpcEndpointId != nil {
			return invalid("EndpointDetails.VpcEndpointId can only be used when EndpointType is VPC_ENDPOINT")
		}
		if err := checkAddressAllocations(d); err != nil {
			return err
		}
	case transferapi.EndpointTypeVpcEndpoint:
		if d == nil || api.Val(d.VpcEndpointId) == "" {
			return invalid("EndpointDetails.VpcEndpointId is required when EndpointType is VPC_ENDPOINT")
		}
		if d.VpcId != nil || len(d.SubnetIds) > 0 || len(d.SecurityGroupIds) > 0 || len(d.AddressAllocationIds) > 0 {
			return invalid("EndpointDetails.VpcId, SubnetIds, SecurityGroupIds and AddressAllocationIds can only be set when EndpointType is VPC")
		}
	}
	if d != nil && len(d.AddressAllocationIds) > 0 && r.IpAddressType == transferapi.IpAddressTypeDualstack {
		return invalid("EndpointDetails.AddressAllocationIds cannot be used when IpAddressType is DUALSTACK")
	}
	return nil
}

func checkProtocols(r *serverRecord) error {
	seen := map[string]bool{}
	for _, p := range r.Protocols {
		if seen[p] {
			return invalid("Protocols lists %s more than once", p)
		}
		seen[p] = true
	}
	ftp, ftps, as2 := seen[transferapi.ProtocolFtp], seen[transferapi.ProtocolFtps], seen[transferapi.ProtocolAs2]
	if ftp && r.EndpointType == transferapi.EndpointTypePublic {
		return invalid("FTP is not supported on a PUBLIC endpoint: set EndpointType to VPC to use FTP")
	}
	if ftp || ftps {
		if r.IdentityProviderType == transferapi.IdentityProviderTypeServiceManaged {
			return invalid("FTP and FTPS need an external identity provider: IdentityProviderType must be " +
				"AWS_DIRECTORY_SERVICE, AWS_LAMBDA or API_GATEWAY, not SERVICE_MANAGED")
		}
		if r.EndpointType != transferapi.EndpointTypeVpc {
			return invalid("FTP and FTPS need EndpointType VPC, not %s", r.EndpointType)
		}
	}
	if ftps && r.Certificate == "" {
		return invalid("Certificate is required when Protocols includes FTPS")
	}
	if r.Certificate != "" && !strings.HasPrefix(r.Certificate, "arn:") {
		return invalid("Certificate must be the ARN of a Certificate Manager certificate, not %q", r.Certificate)
	}
	if ftp && r.EndpointDetails != nil && len(r.EndpointDetails.AddressAllocationIds) > 0 {
		return invalid("EndpointDetails.AddressAllocationIds cannot be associated when Protocols includes FTP")
	}
	if as2 {
		if r.EndpointType != transferapi.EndpointTypeVpc {
			return invalid("AS2 needs EndpointType VPC, not %s", r.EndpointType)
		}
		if r.Domain != transferapi.DomainS3 {
			return invalid("AS2 needs Domain S3, not %s", r.Domain)
		}
	}
	return nil
}

// fillIdentityDefaults sets SftpAuthenticationMethods to its documented
// default (PUBLIC_KEY_OR_PASSWORD) for custom identity providers.
func fillIdentityDefaults(r *serverRecord) {
	switch r.IdentityProviderType {
	case transferapi.IdentityProviderTypeApiGateway, transferapi.IdentityProviderTypeAwsLambda:
		if r.IdentityProviderDetails == nil {
			return // checkIdentityProvider reports what is missing
		}
		if r.IdentityProviderDetails.SftpAuthenticationMethods == nil {
			d := *r.IdentityProviderDetails
			d.SftpAuthenticationMethods = api.Ptr(transferapi.SftpAuthenticationMethodsPublicKeyOrPassword)
			r.IdentityProviderDetails = &d
		}
	}
}
