package transfer

import (
	"encoding/json"
	"strings"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/transferapi"
)

// homeProfile is what users and accesses share: where they land, what they
// see, the role they act as, their session policy and POSIX identity.
type homeProfile struct {
	HomeDirectory         *string                             `json:"homeDirectory,omitempty"`
	HomeDirectoryType     string                              `json:"homeDirectoryType"`
	HomeDirectoryMappings []transferapi.HomeDirectoryMapEntry `json:"homeDirectoryMappings,omitempty"`
	Policy                string                              `json:"policy,omitempty"`
	PosixProfile          *transferapi.PosixProfile           `json:"posixProfile,omitempty"`
	Role                  string                              `json:"role"`
}

// profileInput is the members of a Create/Update User/Access request that
// make a homeProfile; nil members are left as they are.
type profileInput struct {
	HomeDirectory         *string
	HomeDirectoryType     *string
	HomeDirectoryMappings []transferapi.HomeDirectoryMapEntry
	Policy                *string
	PosixProfile          *transferapi.PosixProfile
	Role                  *string
}

// apply merges in into p (a copy the caller may throw away) and checks the
// result against the rules AWS enforces for the server's domain:
//
//   - HomeDirectoryType defaults to PATH;
//   - HomeDirectoryMappings can only be given when the resulting type is
//     LOGICAL, and a LOGICAL profile must have mappings;
//   - setting the type to PATH drops the stored mappings;
//   - a LOGICAL profile's HomeDirectory, when set, must be the Entry or the
//     Target of one of its mappings (AWS: "the value must map to one of your
//     logical directory mappings", checked on create and update); only a
//     HomeDirectory kept from a PATH profile, not given again, is left as it
//     is (LOGICAL ignores that physical path);
//   - an empty Policy removes the session policy; any other must be a JSON
//     policy document (an object);
//   - on an EFS server a PosixProfile is required.
func (p *homeProfile) apply(in profileInput, domain string) error {
	wasLogical := p.HomeDirectoryType == transferapi.HomeDirectoryTypeLogical
	if in.HomeDirectory != nil {
		p.HomeDirectory = in.HomeDirectory
	}
	if in.HomeDirectoryType != nil {
		p.HomeDirectoryType = *in.HomeDirectoryType
	}
	if p.HomeDirectoryType == "" {
		p.HomeDirectoryType = transferapi.HomeDirectoryTypePath
	}
	if in.HomeDirectoryMappings != nil {
		if p.HomeDirectoryType != transferapi.HomeDirectoryTypeLogical {
			return invalid("HomeDirectoryMappings can only be set when HomeDirectoryType is LOGICAL (it is %s)", p.HomeDirectoryType)
		}
		p.HomeDirectoryMappings = in.HomeDirectoryMappings
	}
	switch p.HomeDirectoryType {
	case transferapi.HomeDirectoryTypePath:
		p.HomeDirectoryMappings = nil
	case transferapi.HomeDirectoryTypeLogical:
		if len(p.HomeDirectoryMappings) == 0 {
			return invalid("HomeDirectoryMappings are required when HomeDirectoryType is LOGICAL")
		}
		// A HomeDirectory kept from a PATH profile (not given again) is the
		// physical path LOGICAL ignores; any other must map.
		h := api.Val(p.HomeDirectory)
		if h != "" && (in.HomeDirectory != nil || wasLogical) && !mapsHome(h, p.HomeDirectoryMappings) {
			return invalid("HomeDirectory %q must be the Entry or the Target of one of the HomeDirectoryMappings "+
				"when HomeDirectoryType is LOGICAL", h)
		}
	}
	if in.Policy != nil {
		pol := strings.TrimSpace(*in.Policy)
		if pol != "" && (!strings.HasPrefix(pol, "{") || !json.Valid([]byte(pol))) {
			return invalid("Policy is not a valid JSON policy document")
		}
		p.Policy = *in.Policy
		if pol == "" {
			p.Policy = ""
		}
	}
	if in.PosixProfile != nil {
		p.PosixProfile = in.PosixProfile
	}
	if in.Role != nil {
		p.Role = *in.Role
	}
	if domain == transferapi.DomainEfs && p.PosixProfile == nil {
		return invalid("PosixProfile is required for servers whose Domain is EFS")
	}
	return nil
}

// homeDir returns the stored HomeDirectory as AWS reports it.
func (p *homeProfile) homeDir() *string {
	if p.HomeDirectory == nil || *p.HomeDirectory == "" {
		return nil
	}
	return api.Ptr(*p.HomeDirectory)
}

// mapsHome reports whether home is the Entry or the Target of one of the
// mappings, a trailing "/" aside.
func mapsHome(home string, mappings []transferapi.HomeDirectoryMapEntry) bool {
	h := trimSlash(home)
	for _, m := range mappings {
		if h == trimSlash(api.Val(m.Entry)) || h == trimSlash(api.Val(m.Target)) {
			return true
		}
	}
	return false
}

// trimSlash drops the trailing slashes of a path other than "/".
func trimSlash(p string) string {
	if t := strings.TrimRight(p, "/"); t != "" {
		return t
	}
	return p
}
