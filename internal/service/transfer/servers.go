package transfer

import (
	"context"
	"slices"
	"time"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/transferapi"
	"github.com/ersatz-dev/ersatz/internal/ids"
	"github.com/ersatz-dev/ersatz/internal/service/svc"
	"github.com/ersatz-dev/ersatz/internal/store"
)

// DefaultSecurityPolicy is the policy CreateServer attaches when none is
// named: TransferSecurityPolicy-2024-01 is "the default security policy
// attached to your server when creating a server using the console, API, or
// CLI" (Transfer Family user guide, Security policies for servers).
const DefaultSecurityPolicy = "TransferSecurityPolicy-2024-01"

// serverRecord is a server as stored.
type serverRecord struct {
	ServerID                      string                               `json:"serverId"`
	Arn                           string                               `json:"arn"`
	Certificate                   string                               `json:"certificate,omitempty"`
	Domain                        string                               `json:"domain"`
	EndpointDetails               *transferapi.EndpointDetails         `json:"endpointDetails,omitempty"`
	EndpointType                  string                               `json:"endpointType"`
	IdentityProviderType          string                               `json:"identityProviderType"`
	IdentityProviderDetails       *transferapi.IdentityProviderDetails `json:"identityProviderDetails,omitempty"`
	LoggingRole                   string                               `json:"loggingRole,omitempty"`
	PostAuthenticationLoginBanner string                               `json:"postAuthenticationLoginBanner,omitempty"`
	PreAuthenticationLoginBanner  string                               `json:"preAuthenticationLoginBanner,omitempty"`
	Protocols                     []string                             `json:"protocols"`
	ProtocolDetails               *transferapi.ProtocolDetails         `json:"protocolDetails,omitempty"`
	SecurityPolicyName            string                               `json:"securityPolicyName"`
	WorkflowDetails               *transferapi.WorkflowDetails         `json:"workflowDetails,omitempty"`
	StructuredLogDestinations     []string                             `json:"structuredLogDestinations,omitempty"`
	S3StorageOptions              *transferapi.S3StorageOptions        `json:"s3StorageOptions,omitempty"`
	IpAddressType                 string                               `json:"ipAddressType"`

	// What AWS assigns (see assignManaged): the VPC endpoint of a VPC
	// server and the egress addresses of an AS2 server.
	VpcEndpointID string   `json:"vpcEndpointId,omitempty"`
	As2EgressIPs  []string `json:"as2EgressIps,omitempty"`

	// The primary host key: the one CreateServer made or was given, or the
	// last UpdateServer HostKey. Its private key is kept here for the SFTP
	// data plane; every host key (this one included) is also a hostkey child.
	HostKeyID          string `json:"hostKeyId"`
	HostKeyFingerprint string `json:"hostKeyFingerprint"`
	HostKeyPEM         string `json:"hostKeyPem"`

	// State is the settled state the server is in or moving to (ONLINE or
	// OFFLINE). Until TransitionEnds the server reports STARTING (moving to
	// ONLINE) or STOPPING (moving to OFFLINE).
	State          string    `json:"state"`
	TransitionEnds time.Time `json:"transitionEnds,omitzero"`

	UserCount int32     `json:"userCount"`
	CreatedAt time.Time `json:"createdAt"`
}

// stateAt is the state DescribeServer reports at now.
func (r *serverRecord) stateAt(now time.Time) string {
	if now.Before(r.TransitionEnds) {
		if r.State == transferapi.StateOnline {
			return transferapi.StateStarting
		}
		return transferapi.StateStopping
	}
	return r.State
}

func (r *serverRecord) hasProtocol(p string) bool { return slices.Contains(r.Protocols, p) }

// getServer reads a server, answering ResourceNotFoundException when missing.
func getServer(tx store.Tx, sc store.Scope, serverID string) (serverRecord, error) {
	return getRecord[serverRecord](tx, serverKey(sc, serverID), serverNotFound)
}

// serverExists returns serverNotFound unless the server exists; it does not
// decode the server's record.
func serverExists(tx store.Tx, sc store.Scope, serverID string) error {
	found, err := svc.Exists(tx, serverKey(sc, serverID))
	if err == nil && !found {
		return serverNotFound(serverID)
	}
	return err
}

// CreateServer creates a server with AWS's defaults, ONLINE at once.
func (s *Service) CreateServer(ctx context.Context, in *transferapi.CreateServerRequest) (*transferapi.CreateServerResponse, error) {
	now := s.clock()
	rec := serverRecord{
		Certificate:                   api.Val(in.Certificate),
		Domain:                        valOr(in.Domain, transferapi.DomainS3),
		EndpointDetails:               in.EndpointDetails,
		EndpointType:                  valOr(in.EndpointType, transferapi.EndpointTypePublic),
		IdentityProviderType:          valOr(in.IdentityProviderType, transferapi.IdentityProviderTypeServiceManaged),
		IdentityProviderDetails:       in.IdentityProviderDetails,
		LoggingRole:                   api.Val(in.LoggingRole),
		PostAuthenticationLoginBanner: api.Val(in.PostAuthenticationLoginBanner),
		PreAuthenticationLoginBanner:  api.Val(in.PreAuthenticationLoginBanner),
		Protocols:                     in.Protocols,
		SecurityPolicyName:            valOr(in.SecurityPolicyName, DefaultSecurityPolicy),
		WorkflowDetails:               normWorkflow(in.WorkflowDetails),
		StructuredLogDestinations:     in.StructuredLogDestinations,
		IpAddressType:                 valOr(in.IpAddressType, transferapi.IpAddressTypeIpv4),
		State:                         transferapi.StateOnline,
		CreatedAt:                     now,
	}
	if len(rec.Protocols) == 0 {
		rec.Protocols = []string{transferapi.ProtocolSftp}
	}
	if rec.EndpointType == transferapi.EndpointTypeVpcEndpoint {
		return nil, invalid("EndpointType VPC_ENDPOINT can no longer be used to create a server " +
			"(deprecated since May 19, 2021 for accounts that had not used it); use EndpointType VPC")
	}
	rec.ProtocolDetails = mergeProtocolDetails(defaultProtocolDetails(), in.ProtocolDetails)
	if rec.Domain == transferapi.DomainS3 {
		rec.S3StorageOptions = mergeS3Options(&transferapi.S3StorageOptions{
			DirectoryListingOptimization: api.Ptr(transferapi.DirectoryListingOptimizationDisabled),
		}, in.S3StorageOptions)
	} else if in.S3StorageOptions != nil {
		return nil, invalid("S3StorageOptions can only be set on a server whose Domain is S3")
	}
	if in.EndpointDetails != nil {
		rec.EndpointDetails = mergeEndpointDetails(nil, in.EndpointDetails)
	}
	fillIdentityDefaults(&rec)
	if err := checkNewEndpoint(rec.EndpointDetails); err != nil {
		return nil, err
	}
	if err := validateServer(&rec); err != nil {
		return nil, err
	}
	assignManaged(&rec)
	tags, err := checkNewTags(in.Tags)
	if err != nil {
		return nil, err
	}
	var hk parsedHostKey
	if in.HostKey != nil {
		hk, err = parseHostKey(*in.HostKey, "HostKey")
	} else {
		hk, err = generateHostKey()
	}
	if err != nil {
		return nil, err
	}

	sc := s.kit.Scope(ctx)
	rec.ServerID = ids.Hex17("s-")
	rec.Arn = s.kit.ARN(ctx, "server/"+rec.ServerID)
	hostKey := s.newHostKeyRecord(ctx, rec.ServerID, ids.Hex17("hostkey-"), hk, nil, now)
	rec.HostKeyID, rec.HostKeyFingerprint, rec.HostKeyPEM = hostKey.HostKeyID, hk.Fingerprint, hk.PEM
	key := serverKey(sc, rec.ServerID)
	err = s.store.Update(ctx, func(tx store.Tx) error {
		if err := checkWorkflowDetails(tx, sc, rec.WorkflowDetails); err != nil {
			return err
		}
		if err := store.PutJSON(tx, key, rec); err != nil {
			return err
		}
		if err := store.PutJSON(tx, key.Child(kindHostKey, hostKey.HostKeyID), hostKey); err != nil {
			return err
		}
		return putTags(tx, key, tags)
	})
	if err != nil {
		return nil, s.kit.Err("CreateServer", err)
	}
	return &transferapi.CreateServerResponse{ServerId: api.Ptr(rec.ServerID)}, nil
}

// DescribeServer returns every property of a server, its state at this moment
// and its tags.
func (s *Service) DescribeServer(ctx context.Context, in *transferapi.DescribeServerRequest) (*transferapi.DescribeServerResponse, error) {
	sc := s.kit.Scope(ctx)
	out, err := describe(ctx, s.store,
		func(tx store.Tx) (serverRecord, error) { return getServer(tx, sc, *in.ServerId) },
		func(rec *serverRecord) store.Key { return serverKey(sc, rec.ServerID) },
		s.describedServer)
	if err != nil {
		return nil, s.kit.Err("DescribeServer", err)
	}
	return &transferapi.DescribeServerResponse{Server: out}, nil
}

func (s *Service) describedServer(r *serverRecord, tags []transferapi.Tag) *transferapi.DescribedServer {
	d := &transferapi.DescribedServer{
		Arn:                           api.Ptr(r.Arn),
		Certificate:                   svc.PtrIf(r.Certificate),
		ProtocolDetails:               r.ProtocolDetails,
		Domain:                        api.Ptr(r.Domain),
		EndpointDetails:               describedEndpoint(r),
		EndpointType:                  api.Ptr(r.EndpointType),
		HostKeyFingerprint:            svc.PtrIf(r.HostKeyFingerprint),
		IdentityProviderType:          api.Ptr(r.IdentityProviderType),
		LoggingRole:                   svc.PtrIf(r.LoggingRole),
		PostAuthenticationLoginBanner: svc.PtrIf(r.PostAuthenticationLoginBanner),
		PreAuthenticationLoginBanner:  svc.PtrIf(r.PreAuthenticationLoginBanner),
		Protocols:                     r.Protocols,
		SecurityPolicyName:            api.Ptr(r.SecurityPolicyName),
		ServerId:                      api.Ptr(r.ServerID),
		State:                         api.Ptr(r.stateAt(s.clock())),
		Tags:                          tags,
		UserCount:                     api.Ptr(r.UserCount),
		WorkflowDetails:               r.WorkflowDetails,
		StructuredLogDestinations:     r.StructuredLogDestinations,
		S3StorageOptions:              r.S3StorageOptions,
		IpAddressType:                 api.Ptr(r.IpAddressType),

		As2ServiceManagedEgressIpAddresses: slices.Clone(r.As2EgressIPs),
	}
	// The model says IdentityProviderDetails "is not populated when the
	// IdentityProviderType of a server is AWS_DIRECTORY_SERVICE or
	// SERVICE_MANAGED", but AWS does return a directory server's DirectoryId
	// (Terraform's AWS provider reads directory_id from it and its
	// acceptance tests plan nothing after an apply); a SERVICE_MANAGED
	// server has none.
	if r.IdentityProviderType != transferapi.IdentityProviderTypeServiceManaged {
		d.IdentityProviderDetails = r.IdentityProviderDetails
	}
	return d
}

// ListServers pages through the caller's servers in ascending order of id.
func (s *Service) ListServers(ctx context.Context, in *transferapi.ListServersRequest) (*transferapi.ListServersResponse, error) {
	sc := s.kit.Scope(ctx)
	now := s.clock()
	items, next, err := listPage(ctx, s, inScope(store.Collection{Scope: sc, Kind: "server"}), in.NextToken, in.MaxResults, nil,
		func(r *serverRecord) transferapi.ListedServer {
			return transferapi.ListedServer{
				Arn: api.Ptr(r.Arn), Domain: api.Ptr(r.Domain), IdentityProviderType: api.Ptr(r.IdentityProviderType),
				EndpointType: api.Ptr(r.EndpointType), LoggingRole: svc.PtrIf(r.LoggingRole), ServerId: api.Ptr(r.ServerID),
				State: api.Ptr(r.stateAt(now)), UserCount: api.Ptr(r.UserCount),
			}
		})
	if err != nil {
		return nil, s.kit.Err("ListServers", err)
	}
	return &transferapi.ListServersResponse{Servers: items, NextToken: next}, nil
}

// UpdateServer changes the members given and validates the server as it
// would be; a rejected update changes nothing.
func (s *Service) UpdateServer(ctx context.Context, in *transferapi.UpdateServerRequest) (*transferapi.UpdateServerResponse, error) {
	var newKey *parsedHostKey
	if in.HostKey != nil {
		hk, err := parseHostKey(*in.HostKey, "HostKey")
		if err != nil {
			return nil, err
		}
		newKey = &hk
	}
	if in.EndpointType != nil && *in.EndpointType == transferapi.EndpointTypeVpcEndpoint {
		return nil, invalid("EndpointType VPC_ENDPOINT is deprecated and cannot be chosen; use EndpointType VPC")
	}
	newHostKeyID := ids.Hex17("hostkey-")
	sc := s.kit.Scope(ctx)
	now := s.clock()
	err := s.store.Update(ctx, func(tx store.Tx) error {
		rec, err := getServer(tx, sc, *in.ServerId)
		if err != nil {
			return err
		}
		key := serverKey(sc, rec.ServerID)
		before := rec
		if in.IpAddressType != nil && *in.IpAddressType != rec.IpAddressType && rec.stateAt(now) != transferapi.StateOffline {
			return invalid("IpAddressType cannot be changed while server %s is %s; stop the server first", rec.ServerID, rec.stateAt(now))
		}
		if in.IdentityProviderType != nil && *in.IdentityProviderType != rec.IdentityProviderType {
			if err := checkProviderChange(tx, key, &rec, *in.IdentityProviderType); err != nil {
				return err
			}
			rec.IdentityProviderType = *in.IdentityProviderType
			rec.IdentityProviderDetails = nil // the old type's details do not fit the new type
		}
		applyServerUpdate(&rec, in)
		if err := checkEndpointUpdate(&before, before.stateAt(now), in.EndpointDetails); err != nil {
			return err
		}
		if in.S3StorageOptions != nil && rec.Domain != transferapi.DomainS3 {
			return invalid("S3StorageOptions can only be set on a server whose Domain is S3")
		}
		fillIdentityDefaults(&rec)
		if err := validateServer(&rec); err != nil {
			return err
		}
		assignManaged(&rec)
		if in.WorkflowDetails != nil {
			if err := checkWorkflowDetails(tx, sc, rec.WorkflowDetails); err != nil {
				return err
			}
		}
		if newKey != nil {
			if err := s.replacePrimaryHostKey(ctx, tx, key, &rec, newHostKeyID, *newKey, now); err != nil {
				return err
			}
		}
		return store.PutJSON(tx, key, rec)
	})
	if err != nil {
		return nil, s.kit.Err("UpdateServer", err)
	}
	return &transferapi.UpdateServerResponse{ServerId: in.ServerId}, nil
}

// applyServerUpdate merges the members of an UpdateServer into rec;
// EndpointDetails, IdentityProviderDetails, ProtocolDetails and
// S3StorageOptions member by member.
func applyServerUpdate(rec *serverRecord, in *transferapi.UpdateServerRequest) {
	if in.Certificate != nil {
		rec.Certificate = *in.Certificate
	}
	if in.ProtocolDetails != nil {
		rec.ProtocolDetails = mergeProtocolDetails(rec.ProtocolDetails, in.ProtocolDetails)
	}
	if in.EndpointType != nil {
		rec.EndpointType = *in.EndpointType
		if rec.EndpointType == transferapi.EndpointTypePublic && in.EndpointDetails == nil {
			rec.EndpointDetails = nil // a PUBLIC endpoint has no VPC details
		}
	}
	if in.EndpointDetails != nil {
		rec.EndpointDetails = mergeEndpointDetails(rec.EndpointDetails, in.EndpointDetails)
	}
	if in.IdentityProviderDetails != nil {
		rec.IdentityProviderDetails = mergeIdentityDetails(rec.IdentityProviderDetails, in.IdentityProviderDetails)
	}
	if in.LoggingRole != nil {
		rec.LoggingRole = *in.LoggingRole
	}
	if in.PostAuthenticationLoginBanner != nil {
		rec.PostAuthenticationLoginBanner = *in.PostAuthenticationLoginBanner
	}
	if in.PreAuthenticationLoginBanner != nil {
		rec.PreAuthenticationLoginBanner = *in.PreAuthenticationLoginBanner
	}
	if in.Protocols != nil {
		rec.Protocols = in.Protocols
	}
	if in.SecurityPolicyName != nil {
		rec.SecurityPolicyName = *in.SecurityPolicyName
	}
	if in.WorkflowDetails != nil {
		rec.WorkflowDetails = normWorkflow(in.WorkflowDetails)
	}
	if in.StructuredLogDestinations != nil {
		rec.StructuredLogDestinations = in.StructuredLogDestinations
		if len(rec.StructuredLogDestinations) == 0 {
			rec.StructuredLogDestinations = nil
		}
	}
	if in.S3StorageOptions != nil {
		rec.S3StorageOptions = mergeS3Options(rec.S3StorageOptions, in.S3StorageOptions)
	}
	if in.IpAddressType != nil {
		rec.IpAddressType = *in.IpAddressType
	}
}

// checkProviderChange refuses to change the identity provider of a server
// whose users or accesses belong to the old one: service-managed users exist
// only on SERVICE_MANAGED servers, accesses only on AWS_DIRECTORY_SERVICE ones.
func checkProviderChange(tx store.Tx, key store.Key, rec *serverRecord, to string) error {
	if rec.IdentityProviderType == transferapi.IdentityProviderTypeServiceManaged && rec.UserCount > 0 {
		return invalid("Server %s has %d service-managed users; delete them before changing IdentityProviderType to %s",
			rec.ServerID, rec.UserCount, to)
	}
	if rec.IdentityProviderType == transferapi.IdentityProviderTypeAwsDirectoryService {
		items, _, err := tx.List(store.Collection{Scope: key.Scope, Parent: key.Path(), Kind: kindAccess}, store.Page{Limit: 1})
		if err != nil {
			return err
		}
		if len(items) > 0 {
			return invalid("Server %s has accesses; delete them before changing IdentityProviderType to %s", rec.ServerID, to)
		}
	}
	return nil
}

// DeleteServer deletes a server with its users, accesses, host keys and tags.
func (s *Service) DeleteServer(ctx context.Context, in *transferapi.DeleteServerRequest) error {
	sc := s.kit.Scope(ctx)
	err := s.store.Update(ctx, func(tx store.Tx) error {
		return svc.Delete(tx, serverKey(sc, *in.ServerId), func() error { return serverNotFound(*in.ServerId) })
	})
	return s.kit.Err("DeleteServer", err)
}

// StartServer moves an OFFLINE server to ONLINE through STARTING. Starting a
// server that is ONLINE or already STARTING changes nothing (AWS: "It has no
// impact on a server that is already ONLINE"); starting a STOPPING server is
// refused until it is OFFLINE.
func (s *Service) StartServer(ctx context.Context, in *transferapi.StartServerRequest) error {
	return s.transitionServer(ctx, *in.ServerId, transferapi.StateOnline)
}

// StopServer moves an ONLINE server to OFFLINE through STOPPING. Stopping a
// server that is OFFLINE or already STOPPING changes nothing; stopping a
// STARTING server is refused until it is ONLINE.
func (s *Service) StopServer(ctx context.Context, in *transferapi.StopServerRequest) error {
	return s.transitionServer(ctx, *in.ServerId, transferapi.StateOffline)
}

func (s *Service) transitionServer(ctx context.Context, serverID, target string) error {
	sc := s.kit.Scope(ctx)
	now := s.clock()
	return s.store.Update(ctx, func(tx store.Tx) error {
		rec, err := getServer(tx, sc, serverID)
		if err != nil {
			return err
		}
		if rec.State == target {
			return nil // already there or on the way
		}
		if cur := rec.stateAt(now); cur == transferapi.StateStarting || cur == transferapi.StateStopping {
			return invalid("Server %s is %s; wait until it is %s before changing its state", serverID, cur, rec.State)
		}
		rec.State = target
		rec.TransitionEnds = now.Add(s.transition)
		return store.PutJSON(tx, serverKey(sc, serverID), rec)
	})
}

// defaultProtocolDetails are the ProtocolDetails AWS reports for a server
// created without them.
func defaultProtocolDetails() *transferapi.ProtocolDetails {
	return &transferapi.ProtocolDetails{
		PassiveIp:                api.Ptr("AUTO"),
		TlsSessionResumptionMode: api.Ptr(transferapi.TlsSessionResumptionModeEnforced),
		SetStatOption:            api.Ptr(transferapi.SetStatOptionDefault),
	}
}

// mergeProtocolDetails returns base with the members set in upd replaced.
func mergeProtocolDetails(base, upd *transferapi.ProtocolDetails) *transferapi.ProtocolDetails {
	out := transferapi.ProtocolDetails{}
	if base != nil {
		out = *base
	}
	if upd == nil {
		return &out
	}
	if upd.PassiveIp != nil {
		out.PassiveIp = upd.PassiveIp
	}
	if upd.TlsSessionResumptionMode != nil {
		out.TlsSessionResumptionMode = upd.TlsSessionResumptionMode
	}
	if upd.SetStatOption != nil {
		out.SetStatOption = upd.SetStatOption
	}
	if upd.As2Transports != nil {
		out.As2Transports = upd.As2Transports
	}
	return &out
}

func mergeS3Options(base, upd *transferapi.S3StorageOptions) *transferapi.S3StorageOptions {
	out := transferapi.S3StorageOptions{}
	if base != nil {
		out = *base
	}
	if upd != nil && upd.DirectoryListingOptimization != nil {
		out.DirectoryListingOptimization = upd.DirectoryListingOptimization
	}
	return &out
}

// normWorkflow drops WorkflowDetails whose lists are both empty: that is how
// UpdateServer removes a server's workflows.
func normWorkflow(w *transferapi.WorkflowDetails) *transferapi.WorkflowDetails {
	if w == nil || (len(w.OnUpload) == 0 && len(w.OnPartialUpload) == 0) {
		return nil
	}
	return w
}

// valOr returns *p, or def when p is nil.
func valOr(p *string, def string) string {
	if p == nil {
		return def
	}
	return *p
}
