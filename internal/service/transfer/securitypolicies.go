package transfer

import (
	"context"
	"slices"
	"strings"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/transferapi"
	"github.com/ersatz-dev/ersatz/internal/service/svc"
	"github.com/ersatz-dev/ersatz/internal/store"
)

// findPolicy returns the catalogue's policy of that name.
func findPolicy(name string) (policyDef, bool) {
	for _, p := range policyCatalogue() {
		if p.Name == name {
			return p, true
		}
	}
	return policyDef{}, false
}

func (p policyDef) described() *transferapi.DescribedSecurityPolicy {
	return &transferapi.DescribedSecurityPolicy{
		Fips: api.Ptr(p.Fips), SecurityPolicyName: api.Ptr(p.Name),
		SshCiphers: p.Ciphers, SshKexs: p.Kexs, SshMacs: p.Macs, TlsCiphers: p.TLS,
		SshHostKeyAlgorithms: p.HostKeys, Type: api.Ptr(p.Type), Protocols: p.Protocols,
	}
}

// checkServerPolicy refuses a SecurityPolicyName that is not a server policy
// of the catalogue (connector policies cannot be attached to servers).
func checkServerPolicy(name string) error {
	p, ok := findPolicy(name)
	if !ok {
		return invalid("Invalid SecurityPolicyName %s: no such security policy (see ListSecurityPolicies)", name)
	}
	if p.Type != transferapi.SecurityPolicyResourceTypeServer {
		return invalid("Security policy %s is a %s policy and cannot be attached to a server", name, p.Type)
	}
	return nil
}

// DescribeSecurityPolicy returns one policy of the catalogue.
func (s *Service) DescribeSecurityPolicy(_ context.Context, in *transferapi.DescribeSecurityPolicyRequest) (*transferapi.DescribeSecurityPolicyResponse, error) {
	p, ok := findPolicy(*in.SecurityPolicyName)
	if !ok {
		return nil, notFound("Unknown security policy", *in.SecurityPolicyName, rtPolicy)
	}
	return &transferapi.DescribeSecurityPolicyResponse{SecurityPolicy: p.described()}, nil
}

// ListSecurityPolicies pages through the catalogue's names in ascending order.
func (s *Service) ListSecurityPolicies(_ context.Context, in *transferapi.ListSecurityPoliciesRequest) (*transferapi.ListSecurityPoliciesResponse, error) {
	cat := policyCatalogue()
	names := make([]string, len(cat))
	for i, p := range cat {
		names[i] = p.Name
	}
	slices.SortFunc(names, strings.Compare)
	coll := store.Collection{Scope: store.Scope{Service: ServiceName}, Kind: "security-policy"}
	cur, err := s.kit.Cursor(coll, api.Val(in.NextToken), s.kit.Limit(in.MaxResults))
	if err != nil {
		return nil, err
	}
	page, next := svc.Page(cur, names, func(n string) string { return n })
	return &transferapi.ListSecurityPoliciesResponse{SecurityPolicyNames: page, NextToken: next}, nil
}
