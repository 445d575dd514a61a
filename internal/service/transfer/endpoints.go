package transfer

import (
	"crypto/rand"
	"fmt"
	"slices"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/transferapi"
	"github.com/ersatz-dev/ersatz/internal/ids"
)

// What AWS assigns a server and the members of its nested settings that an
// UpdateServer merges: the VPC endpoint of a VPC server, the egress
// addresses of an AS2 server, EndpointDetails and IdentityProviderDetails.

// assignManaged gives a server what AWS assigns it: a VPC server gets a VPC
// endpoint id (vpce- + 17 hex) that stays as long as the server is VPC; an
// AS2 server gets its service-managed egress IP addresses (one per subnet,
// at least one) that stay as long as it speaks AS2.
func assignManaged(r *serverRecord) {
	if r.EndpointType == transferapi.EndpointTypeVpc {
		if r.VpcEndpointID == "" {
			r.VpcEndpointID = ids.Hex17("vpce-")
		}
	} else {
		r.VpcEndpointID = ""
	}
	if r.hasProtocol(transferapi.ProtocolAs2) {
		if len(r.As2EgressIPs) == 0 {
			n := 1
			if r.EndpointDetails != nil && len(r.EndpointDetails.SubnetIds) > n {
				n = len(r.EndpointDetails.SubnetIds)
			}
			r.As2EgressIPs = egressIPs(n)
		}
	} else {
		r.As2EgressIPs = nil
	}
}

// egressIPs returns n distinct addresses of 203.0.113.0/24 (TEST-NET-3,
// RFC 5737: never a real host), n at most 254.
func egressIPs(n int) []string {
	n = min(n, 254)
	seen := map[byte]bool{}
	out := make([]string, 0, n)
	var b [1]byte
	for len(out) < n {
		_, _ = rand.Read(b[:])
		if b[0] == 0 || b[0] == 255 || seen[b[0]] {
			continue
		}
		seen[b[0]] = true
		out = append(out, fmt.Sprintf("203.0.113.%d", b[0]))
	}
	return out
}

// describedEndpoint is the EndpointDetails DescribeServer reports: the
// stored members and the assigned VPC endpoint id.
func describedEndpoint(r *serverRecord) *transferapi.EndpointDetails {
	if r.EndpointDetails == nil && r.VpcEndpointID == "" {
		return nil
	}
	var d transferapi.EndpointDetails
	if r.EndpointDetails != nil {
		d = *r.EndpointDetails
	}
	if r.VpcEndpointID != "" {
		d.VpcEndpointId = api.Ptr(r.VpcEndpointID)
	}
	return &d
}

// mergeEndpointDetails returns base with the members set in upd replaced (a
// list given empty clears that list).
func mergeEndpointDetails(base, upd *transferapi.EndpointDetails) *transferapi.EndpointDetails {
	var out transferapi.EndpointDetails
	if base != nil {
		out = *base
	}
	if upd.VpcId != nil {
		out.VpcId = upd.VpcId
	}
	if upd.VpcEndpointId != nil {
		out.VpcEndpointId = upd.VpcEndpointId
	}
	if upd.SubnetIds != nil {
		out.SubnetIds = cloneOrNil(upd.SubnetIds)
	}
	if upd.SecurityGroupIds != nil {
		out.SecurityGroupIds = cloneOrNil(upd.SecurityGroupIds)
	}
	if upd.AddressAllocationIds != nil {
		out.AddressAllocationIds = cloneOrNil(upd.AddressAllocationIds)
	}
	return &out
}

// mergeIdentityDetails returns base with the members set in upd replaced.
func mergeIdentityDetails(base, upd *transferapi.IdentityProviderDetails) *transferapi.IdentityProviderDetails {
	var out transferapi.IdentityProviderDetails
	if base != nil {
		out = *base
	}
	if upd.Url != nil {
		out.Url = upd.Url
	}
	if upd.InvocationRole != nil {
		out.InvocationRole = upd.InvocationRole
	}
	if upd.DirectoryId != nil {
		out.DirectoryId = upd.DirectoryId
	}
	if upd.Function != nil {
		out.Function = upd.Function
	}
	if upd.SftpAuthenticationMethods != nil {
		out.SftpAuthenticationMethods = upd.SftpAuthenticationMethods
	}
	return &out
}

// checkNewEndpoint refuses what CreateServer cannot set: address
// allocation ids are attached to an existing, stopped server ("Call the
// UpdateServer API to set or change this parameter"; "The Transfer Family
// server must be offline").
func checkNewEndpoint(d *transferapi.EndpointDetails) error {
	if d != nil && len(d.AddressAllocationIds) > 0 {
		return invalid("EndpointDetails.AddressAllocationIds cannot be set in CreateServer; " +
			"set them with UpdateServer once the server is OFFLINE")
	}
	return nil
}

// checkEndpointUpdate checks the members an UpdateServer's EndpointDetails
// (upd) changes on the server as it was (before, in state) against the rules
// of EndpointDetails:
//
//   - AddressAllocationIds change only while the server is OFFLINE, and not
//     in the same request that changes SubnetIds;
//   - SecurityGroupIds can be given only when EndpointType changes to VPC
//     (after that they belong to the VPC endpoint, changed with EC2's
//     ModifyVpcEndpoint); the same groups again are no change.
func checkEndpointUpdate(before *serverRecord, state string, upd *transferapi.EndpointDetails) error {
	if upd == nil {
		return nil
	}
	var old transferapi.EndpointDetails
	if before.EndpointDetails != nil {
		old = *before.EndpointDetails
	}
	if upd.SecurityGroupIds != nil && before.EndpointType == transferapi.EndpointTypeVpc && !sameSet(old.SecurityGroupIds, upd.SecurityGroupIds) {
		return invalid("EndpointDetails.SecurityGroupIds can only be set when EndpointType changes to VPC; "+
			"change the security groups of VPC endpoint %s with EC2 ModifyVpcEndpoint", before.VpcEndpointID)
	}
	if upd.AddressAllocationIds == nil || slices.Equal(old.AddressAllocationIds, upd.AddressAllocationIds) {
		return nil
	}
	if state != transferapi.StateOffline {
		return invalid("EndpointDetails.AddressAllocationIds can only be changed while server %s is OFFLINE (it is %s); stop the server first",
			before.ServerID, state)
	}
	if upd.SubnetIds != nil && !slices.Equal(old.SubnetIds, upd.SubnetIds) {
		return invalid("EndpointDetails.SubnetIds and AddressAllocationIds cannot be updated in the same request; change SubnetIds first")
	}
	return nil
}

// checkAddressAllocations checks a VPC server's address allocation ids:
// no duplicates, as many as SubnetIds.
func checkAddressAllocations(d *transferapi.EndpointDetails) error {
	if d == nil || len(d.AddressAllocationIds) == 0 {
		return nil
	}
	seen := map[string]bool{}
	for _, id := range d.AddressAllocationIds {
		if seen[id] {
			return invalid("EndpointDetails.AddressAllocationIds lists %s more than once", id)
		}
		seen[id] = true
	}
	if len(d.AddressAllocationIds) != len(d.SubnetIds) {
		return invalid("EndpointDetails.AddressAllocationIds must be as many as SubnetIds (%d address allocation ids, %d subnet ids)",
			len(d.AddressAllocationIds), len(d.SubnetIds))
	}
	return nil
}

// sameSet reports whether a and b hold the same strings, in any order.
func sameSet(a, b []string) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(slices.Compact(x), slices.Compact(y))
}

// cloneOrNil copies a list; an empty one is nil (cleared, not reported).
func cloneOrNil(l []string) []string {
	if len(l) == 0 {
		return nil
	}
	return slices.Clone(l)
}
