package transfer

import (
	"context"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/transferapi"
	"github.com/ersatz-dev/ersatz/internal/ids"
	"github.com/ersatz-dev/ersatz/internal/service/svc"
	"github.com/ersatz-dev/ersatz/internal/service/transfer/connector"
	"github.com/ersatz-dev/ersatz/internal/store"
)

const (
	kindConnector       = "connector"
	rtConnector         = "Connector"
	msgUnknownConnector = "Unknown connector"
)

// DefaultConnectorSecurityPolicy is the security policy an SFTP connector
// gets when CreateConnector names none. AWS does not document the API's
// default; Ersatz uses the newest non-FIPS connector policy of the catalogue.
const DefaultConnectorSecurityPolicy = "TransferSFTPConnectorSecurityPolicy-2024-03"

// MaxConnectorConnections is the documented maximum of
// SftpConfig.MaxConcurrentConnections ("The maximum values is 5").
const MaxConnectorConnections = 5

// connectorRecord is an AS2 or SFTP connector as stored.
type connectorRecord struct {
	ConnectorID        string                                       `json:"connectorId"`
	Arn                string                                       `json:"arn"`
	URL                string                                       `json:"url,omitempty"`
	As2Config          *transferapi.As2ConnectorConfig              `json:"as2Config,omitempty"`
	SftpConfig         *transferapi.SftpConnectorConfig             `json:"sftpConfig,omitempty"`
	AccessRole         string                                       `json:"accessRole"`
	LoggingRole        string                                       `json:"loggingRole,omitempty"`
	SecurityPolicyName string                                       `json:"securityPolicyName,omitempty"`
	EgressType         string                                       `json:"egressType"`
	VpcLattice         *transferapi.ConnectorVpcLatticeEgressConfig `json:"vpcLattice,omitempty"`
	IPAddressType      string                                       `json:"ipAddressType"`
	CreatedAt          time.Time                                    `json:"createdAt"`
}

func (c *connectorRecord) isSFTP() bool { return c.SftpConfig != nil }

func connectorKey(sc store.Scope, id string) store.Key {
	return store.Key{Scope: sc, Kind: kindConnector, ID: id}
}

func connectorNotFound(id string) error { return notFound(msgUnknownConnector, id, rtConnector) }

func getConnector(tx store.Tx, sc store.Scope, id string) (connectorRecord, error) {
	return getRecord[connectorRecord](tx, connectorKey(sc, id), connectorNotFound)
}

// connectorTarget is where an SFTP connector connects.
type connectorTarget struct {
	host string
	port int
}

func (t connectorTarget) addr() string { return net.JoinHostPort(t.host, strconv.Itoa(t.port)) }

// parseConnectorURL checks a connector URL: sftp://host[:port] for SFTP
// connectors (port 22 by default), http(s)://host[:port][/path] for AS2 ones.
// User info, queries and fragments are refused, as is an SFTP path.
func parseConnectorURL(raw string, sftpConn bool) (connectorTarget, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return connectorTarget{}, invalid("Url %q is not a valid URL: %v", raw, err)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return connectorTarget{}, invalid("Url %q must not carry user information, a query or a fragment", raw)
	}
	if u.Hostname() == "" {
		return connectorTarget{}, invalid("Url %q has no host", raw)
	}
	if sftpConn {
		if u.Scheme != "sftp" {
			return connectorTarget{}, invalid("Url %q of an SFTP connector must use the sftp:// scheme (sftp://host[:port])", raw)
		}
		if u.Path != "" && u.Path != "/" {
			return connectorTarget{}, invalid("Url %q of an SFTP connector must not have a path (sftp://host[:port])", raw)
		}
	} else if u.Scheme != "http" && u.Scheme != "https" {
		return connectorTarget{}, invalid("Url %q of an AS2 connector must use the http:// or https:// scheme", raw)
	}
	t := connectorTarget{host: u.Hostname(), port: 22}
	if !sftpConn {
		t.port = 80
		if u.Scheme == "https" {
			t.port = 443
		}
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return connectorTarget{}, invalid("Url %q has an invalid port %q", raw, p)
		}
		t.port = n
	}
	return t, nil
}

// trustedHostKeyTypes are the key types TrustedHostKeys accepts: "For the
// trusted host key, Transfer Family accepts RSA and ECDSA keys".
var trustedHostKeyTypes = []string{ssh.KeyAlgoRSA, ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521}

// parseTrustedHostKey parses one TrustedHostKeys entry: "<key type> <body
// base64>" or, as ssh-keyscan prints it, "<host> <key type> <body base64>"
// (the host is not compared with the URL's). VPC_LATTICE connectors take the
// form without host only.
func parseTrustedHostKey(entry string, i int, allowHost bool) (ssh.PublicKey, error) {
	field := "SftpConfig.TrustedHostKeys[" + strconv.Itoa(i) + "]"
	fields := strings.Fields(entry)
	if len(fields) >= 1 && !slices.Contains(trustedHostKeyTypes, fields[0]) && !strings.HasPrefix(fields[0], "ssh-") && !strings.HasPrefix(fields[0], "ecdsa-") {
		if !allowHost {
			return nil, invalid("%s must be \"<key type> <body base64>\" without a host name for a VPC_LATTICE connector", field)
		}
		fields = fields[1:]
	}
	if len(fields) < 2 {
		return nil, invalid("%s is not a public host key: expected \"<key type> <body base64>\"", field)
	}
	pub, _, _, _, err := ssh.ParseAuthorizedKey([]byte(fields[0] + " " + fields[1]))
	if err != nil {
		return nil, invalid("%s is not a valid SSH public key: %v", field, err)
	}
	if !slices.Contains(trustedHostKeyTypes, pub.Type()) {
		return nil, invalid("%s is a %s key; Transfer Family accepts RSA (ssh-rsa) and ECDSA (ecdsa-sha2-nistp256/384/521) host keys", field, pub.Type())
	}
	return pub, nil
}

// trustedKeys parses a connector's TrustedHostKeys.
func (c *connectorRecord) trustedKeys() ([]ssh.PublicKey, error) {
	out := make([]ssh.PublicKey, 0, len(c.SftpConfig.TrustedHostKeys))
	for i, e := range c.SftpConfig.TrustedHostKeys {
		k, err := parseTrustedHostKey(e, i, c.EgressType != transferapi.ConnectorEgressTypeVpcLattice)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, nil
}

// checkConnectorPolicy refuses a name that is not a connector policy.
func checkConnectorPolicy(name string) error {
	p, ok := findPolicy(name)
	if !ok {
		return invalid("Invalid SecurityPolicyName %s: no such security policy (see ListSecurityPolicies)", name)
	}
	if p.Type != transferapi.SecurityPolicyResourceTypeConnector {
		return invalid("Security policy %s is a %s policy and cannot be attached to a connector", name, p.Type)
	}
	return nil
}

// validateConnector checks a connector as it would be stored.
func validateConnector(tx store.Tx, sc store.Scope, c *connectorRecord) error {
	if (c.As2Config == nil) == (c.SftpConfig == nil) {
		return invalid("You must specify exactly one configuration object: either As2Config or SftpConfig")
	}
	lattice := c.EgressType == transferapi.ConnectorEgressTypeVpcLattice
	if c.isSFTP() {
		if lattice {
			if c.URL != "" {
				return invalid("Url must not be set for a VPC_LATTICE connector: the VPC Lattice resource configuration names the server")
			}
		} else {
			if c.URL == "" {
				return invalid("Url is required for an SFTP connector without EgressConfig")
			}
			if _, err := parseConnectorURL(c.URL, true); err != nil {
				return err
			}
		}
		if api.Val(c.SftpConfig.UserSecretId) == "" {
			return invalid("SftpConfig.UserSecretId is required for an SFTP connector")
		}
		if n := api.Val(c.SftpConfig.MaxConcurrentConnections); n > MaxConnectorConnections {
			return invalid("SftpConfig.MaxConcurrentConnections is %d; the maximum is %d", n, MaxConnectorConnections)
		}
		if _, err := c.trustedKeys(); err != nil {
			return err
		}
		return checkConnectorPolicy(c.SecurityPolicyName)
	}
	if lattice {
		return invalid("EgressConfig can only be used with SFTP connectors")
	}
	if c.SecurityPolicyName != "" {
		return invalid("SecurityPolicyName can only be used with SFTP connectors")
	}
	if c.URL == "" {
		return invalid("Url is required for an AS2 connector")
	}
	if _, err := parseConnectorURL(c.URL, false); err != nil {
		return err
	}
	a := c.As2Config
	if api.Val(a.LocalProfileId) == "" || api.Val(a.PartnerProfileId) == "" {
		return invalid("As2Config.LocalProfileId and As2Config.PartnerProfileId are required for an AS2 connector")
	}
	if _, err := getProfileOfType(tx, sc, *a.LocalProfileId, transferapi.ProfileTypeLocal, "As2Config.LocalProfileId"); err != nil {
		return err
	}
	if _, err := getProfileOfType(tx, sc, *a.PartnerProfileId, transferapi.ProfileTypePartner, "As2Config.PartnerProfileId"); err != nil {
		return err
	}
	if api.Val(a.EncryptionAlgorithm) == transferapi.EncryptionAlgNone && !strings.HasPrefix(c.URL, "https://") {
		return invalid("As2Config.EncryptionAlgorithm NONE can only be used when the connector's Url uses HTTPS")
	}
	if api.Val(a.MdnResponse) == transferapi.MdnResponseAsync {
		if a.AsyncMdnConfig == nil || api.Val(a.AsyncMdnConfig.Url) == "" {
			return invalid("As2Config.AsyncMdnConfig.Url is required when As2Config.MdnResponse is ASYNC")
		}
	}
	if a.AsyncMdnConfig != nil {
		for _, id := range a.AsyncMdnConfig.ServerIds {
			if _, err := getServer(tx, sc, id); err != nil {
				return err
			}
		}
	}
	return nil
}

// CreateConnector creates an AS2 or SFTP connector, ACTIVE at once. SFTP
// connectors get the default security policy and MaxConcurrentConnections 1;
// AS2 connectors PreserveContentType DISABLED ("disabled by default when you
// create an AS2 connector by calling the API directly").
func (s *Service) CreateConnector(ctx context.Context, in *transferapi.CreateConnectorRequest) (*transferapi.CreateConnectorResponse, error) {
	tags, err := checkNewTags(in.Tags)
	if err != nil {
		return nil, err
	}
	rec := connectorRecord{
		ConnectorID: ids.Hex17("c-"), URL: api.Val(in.Url), AccessRole: *in.AccessRole,
		LoggingRole: api.Val(in.LoggingRole), SecurityPolicyName: api.Val(in.SecurityPolicyName),
		EgressType:    transferapi.ConnectorEgressTypeServiceManaged,
		IPAddressType: valOr(in.IpAddressType, transferapi.ConnectorsIpAddressTypeIpv4),
		CreatedAt:     s.clock(),
	}
	if in.EgressConfig != nil && in.EgressConfig.VpcLattice != nil {
		rec.EgressType = transferapi.ConnectorEgressTypeVpcLattice
		v := *in.EgressConfig.VpcLattice
		if v.PortNumber == nil {
			v.PortNumber = api.Ptr(int32(22))
		}
		rec.VpcLattice = &v
	}
	if in.SftpConfig != nil {
		c := *in.SftpConfig
		c.TrustedHostKeys = slices.Clone(c.TrustedHostKeys)
		if c.MaxConcurrentConnections == nil {
			c.MaxConcurrentConnections = api.Ptr(int32(1))
		}
		rec.SftpConfig = &c
		if rec.SecurityPolicyName == "" {
			rec.SecurityPolicyName = DefaultConnectorSecurityPolicy
		}
	}
	if in.As2Config != nil {
		a := *in.As2Config
		if a.PreserveContentType == nil {
			a.PreserveContentType = api.Ptr(transferapi.PreserveContentTypeDisabled)
		}
		rec.As2Config = &a
	}
	sc := s.kit.Scope(ctx)
	rec.Arn = s.kit.ARN(ctx, "connector/"+rec.ConnectorID)
	key := connectorKey(sc, rec.ConnectorID)
	err = s.create(ctx, key, &rec, tags, func(tx store.Tx) error {
		return validateConnector(tx, sc, &rec)
	})
	if err != nil {
		return nil, s.kit.Err("CreateConnector", err)
	}
	return &transferapi.CreateConnectorResponse{ConnectorId: api.Ptr(rec.ConnectorID)}, nil
}

// DescribeConnector returns a connector with its tags.
func (s *Service) DescribeConnector(ctx context.Context, in *transferapi.DescribeConnectorRequest) (*transferapi.DescribeConnectorResponse, error) {
	sc := s.kit.Scope(ctx)
	out, err := describe(ctx, s.store,
		func(tx store.Tx) (connectorRecord, error) { return getConnector(tx, sc, *in.ConnectorId) },
		func(rec *connectorRecord) store.Key { return connectorKey(sc, rec.ConnectorID) },
		func(rec *connectorRecord, tags []transferapi.Tag) *transferapi.DescribedConnector {
			out := &transferapi.DescribedConnector{
				Arn: api.Ptr(rec.Arn), ConnectorId: api.Ptr(rec.ConnectorID), Url: svc.PtrIf(rec.URL),
				As2Config: rec.As2Config, AccessRole: api.Ptr(rec.AccessRole), LoggingRole: svc.PtrIf(rec.LoggingRole),
				Tags: tags, SftpConfig: rec.SftpConfig, SecurityPolicyName: svc.PtrIf(rec.SecurityPolicyName),
				EgressType: api.Ptr(rec.EgressType), Status: api.Ptr(transferapi.ConnectorStatusActive),
				IpAddressType: api.Ptr(rec.IPAddressType),
			}
			if rec.VpcLattice != nil {
				out.EgressConfig = &transferapi.DescribedConnectorEgressConfig{VpcLattice: &transferapi.DescribedConnectorVpcLatticeEgressConfig{
					ResourceConfigurationArn: rec.VpcLattice.ResourceConfigurationArn, PortNumber: rec.VpcLattice.PortNumber,
				}}
			}
			return out
		})
	if err != nil {
		return nil, s.kit.Err("DescribeConnector", err)
	}
	return &transferapi.DescribeConnectorResponse{Connector: out}, nil
}

// ListConnectors pages through the connectors in ascending order of id.
func (s *Service) ListConnectors(ctx context.Context, in *transferapi.ListConnectorsRequest) (*transferapi.ListConnectorsResponse, error) {
	sc := s.kit.Scope(ctx)
	items, next, err := listPage(ctx, s, inScope(store.Collection{Scope: sc, Kind: kindConnector}), in.NextToken, in.MaxResults, []transferapi.ListedConnector{},
		func(r *connectorRecord) transferapi.ListedConnector {
			return transferapi.ListedConnector{
				Arn: api.Ptr(r.Arn), ConnectorId: api.Ptr(r.ConnectorID), Url: svc.PtrIf(r.URL),
			}
		})
	if err != nil {
		return nil, s.kit.Err("ListConnectors", err)
	}
	return &transferapi.ListConnectorsResponse{Connectors: items, NextToken: next}, nil
}

// UpdateConnector changes the members given and validates the connector as
// it would be. SftpConfig and As2Config are merged member by member (an
// empty TrustedHostKeys list removes the keys; an empty
// As2Config.BasicAuthSecretId disables Basic authentication); a connector
// cannot change from AS2 to SFTP or back, nor its egress type.
func (s *Service) UpdateConnector(ctx context.Context, in *transferapi.UpdateConnectorRequest) (*transferapi.UpdateConnectorResponse, error) {
	sc := s.kit.Scope(ctx)
	err := s.store.Update(ctx, func(tx store.Tx) error {
		rec, err := getConnector(tx, sc, *in.ConnectorId)
		if err != nil {
			return err
		}
		if in.SftpConfig != nil && !rec.isSFTP() {
			return invalid("Connector %s is an AS2 connector; SftpConfig cannot be set", rec.ConnectorID)
		}
		if in.As2Config != nil && rec.isSFTP() {
			return invalid("Connector %s is an SFTP connector; As2Config cannot be set", rec.ConnectorID)
		}
		if in.Url != nil {
			rec.URL = *in.Url
		}
		if in.AccessRole != nil {
			rec.AccessRole = *in.AccessRole
		}
		if in.LoggingRole != nil {
			rec.LoggingRole = *in.LoggingRole
		}
		if in.SecurityPolicyName != nil {
			rec.SecurityPolicyName = *in.SecurityPolicyName
		}
		if in.IpAddressType != nil {
			rec.IPAddressType = *in.IpAddressType
		}
		if u := in.SftpConfig; u != nil {
			c := *rec.SftpConfig
			if u.UserSecretId != nil {
				c.UserSecretId = u.UserSecretId
			}
			if u.TrustedHostKeys != nil {
				c.TrustedHostKeys = slices.Clone(u.TrustedHostKeys)
			}
			if u.MaxConcurrentConnections != nil {
				c.MaxConcurrentConnections = u.MaxConcurrentConnections
			}
			rec.SftpConfig = &c
		}
		if u := in.As2Config; u != nil {
			rec.As2Config = mergeAs2Config(*rec.As2Config, u)
		}
		if e := in.EgressConfig; e != nil && e.VpcLattice != nil {
			if rec.EgressType != transferapi.ConnectorEgressTypeVpcLattice {
				return invalid("Connector %s has egress type %s; EgressConfig.VpcLattice can only be updated on a VPC_LATTICE connector",
					rec.ConnectorID, rec.EgressType)
			}
			v := *rec.VpcLattice
			if e.VpcLattice.ResourceConfigurationArn != nil {
				v.ResourceConfigurationArn = e.VpcLattice.ResourceConfigurationArn
			}
			if e.VpcLattice.PortNumber != nil {
				v.PortNumber = e.VpcLattice.PortNumber
			}
			rec.VpcLattice = &v
		}
		if err := validateConnector(tx, sc, &rec); err != nil {
			return err
		}
		return store.PutJSON(tx, connectorKey(sc, rec.ConnectorID), rec)
	})
	if err != nil {
		return nil, s.kit.Err("UpdateConnector", err)
	}
	return &transferapi.UpdateConnectorResponse{ConnectorId: in.ConnectorId}, nil
}

func mergeAs2Config(a transferapi.As2ConnectorConfig, u *transferapi.As2ConnectorConfig) *transferapi.As2ConnectorConfig {
	set := func(dst **string, v *string) {
		if v != nil {
			*dst = v
		}
	}
	set(&a.LocalProfileId, u.LocalProfileId)
	set(&a.PartnerProfileId, u.PartnerProfileId)
	set(&a.MessageSubject, u.MessageSubject)
	set(&a.Compression, u.Compression)
	set(&a.EncryptionAlgorithm, u.EncryptionAlgorithm)
	set(&a.SigningAlgorithm, u.SigningAlgorithm)
	set(&a.MdnSigningAlgorithm, u.MdnSigningAlgorithm)
	set(&a.MdnResponse, u.MdnResponse)
	set(&a.PreserveContentType, u.PreserveContentType)
	if u.BasicAuthSecretId != nil {
		a.BasicAuthSecretId = svc.PtrIf(*u.BasicAuthSecretId)
	}
	if u.AsyncMdnConfig != nil {
		a.AsyncMdnConfig = u.AsyncMdnConfig
	}
	return &a
}

// DeleteConnector deletes a connector with its operation records and tags.
// Operations still running end as FAILED ("connector deleted") when they
// next try to record progress.
func (s *Service) DeleteConnector(ctx context.Context, in *transferapi.DeleteConnectorRequest) error {
	sc := s.kit.Scope(ctx)
	err := s.store.Update(ctx, func(tx store.Tx) error {
		return svc.Delete(tx, connectorKey(sc, *in.ConnectorId), func() error { return connectorNotFound(*in.ConnectorId) })
	})
	return s.kit.Err("DeleteConnector", err)
}

// TestConnection connects to an SFTP connector's server with its secret and
// trusted host keys, and reports OK ("Connection succeeded") or ERROR with
// the reason. SftpConnectionDetails.HostKey is the key the server presented
// whenever the handshake got that far, so that a connector without
// TrustedHostKeys can be completed with it. AS2 connectors cannot be tested.
func (s *Service) TestConnection(ctx context.Context, in *transferapi.TestConnectionRequest) (*transferapi.TestConnectionResponse, error) {
	sc := s.kit.Scope(ctx)
	var rec connectorRecord
	err := s.store.View(ctx, func(tx store.Tx) error {
		var err error
		rec, err = getConnector(tx, sc, *in.ConnectorId)
		return err
	})
	if err != nil {
		return nil, s.kit.Err("TestConnection", err)
	}
	if !rec.isSFTP() {
		return nil, invalid("TestConnection only tests SFTP connectors; %s is an AS2 connector", rec.ConnectorID)
	}
	r := s.connectors()
	tctx, cancel := context.WithTimeout(ctx, r.DialTimeout()+5*time.Second)
	defer cancel()
	out := &transferapi.TestConnectionResponse{ConnectorId: api.Ptr(rec.ConnectorID)}
	ep, fail := rec.endpoint()
	var conn *connector.Conn
	var observed ssh.PublicKey
	if fail == nil {
		conn, observed, fail = r.Dial(tctx, &ep)
	}
	if observed != nil {
		out.SftpConnectionDetails = &transferapi.SftpConnectorConnectionDetails{HostKey: api.Ptr(connector.AuthorizedKey(observed))}
	}
	if fail != nil {
		out.Status, out.StatusMessage = api.Ptr("ERROR"), api.Ptr(fail.Msg)
		return out, nil
	}
	_ = conn.Close()
	out.Status, out.StatusMessage = api.Ptr("OK"), api.Ptr("Connection succeeded")
	return out, nil
}

// endpoint is where an SFTP connector connects, or why it cannot: a VPC
// Lattice egress, a URL or TrustedHostKeys entry that is not usable.
func (c *connectorRecord) endpoint() (connector.Endpoint, *connector.Failure) {
	if c.EgressType == transferapi.ConnectorEgressTypeVpcLattice {
		return connector.Endpoint{}, connector.Failf(connector.CodeLattice, "connector %s routes through VPC Lattice (%s), which Ersatz does not emulate: nothing was sent",
			c.ConnectorID, api.Val(c.VpcLattice.ResourceConfigurationArn))
	}
	target, err := parseConnectorURL(c.URL, true)
	if err != nil {
		return connector.Endpoint{}, connector.Failf(connector.CodeConnection, "connector URL %q is not usable: %v", c.URL, err)
	}
	trusted, err := c.trustedKeys()
	if err != nil {
		return connector.Endpoint{}, connector.Failf(connector.CodeHostKey, "%v", err)
	}
	ep := connector.Endpoint{ConnectorID: c.ConnectorID, Addr: target.addr(), Trusted: trusted, SecretID: api.Val(c.SftpConfig.UserSecretId)}
	if p, ok := findPolicy(c.SecurityPolicyName); ok {
		ep.Algorithms = &connector.Algorithms{Ciphers: p.Ciphers, KeyExchanges: p.Kexs, MACs: p.Macs, HostKeys: p.HostKeys}
	}
	return ep, nil
}

// connectorDirectory is what the connector runner reads of the service's
// connectors.
type connectorDirectory struct{}

func (connectorDirectory) Key(sc store.Scope, id string) store.Key { return connectorKey(sc, id) }

func (connectorDirectory) Endpoint(tx store.Tx, sc store.Scope, id string) (connector.Endpoint, error) {
	rec, err := getConnector(tx, sc, id)
	if err != nil {
		return connector.Endpoint{}, err
	}
	ep, fail := rec.endpoint()
	if fail != nil {
		return connector.Endpoint{}, fail
	}
	return ep, nil
}
