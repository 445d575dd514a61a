package transfer

// login.go is what the data plane (internal/dataplane: the SFTP, FTPS and
// FTP servers) reads of the control plane: the servers to serve with their
// host keys and security policy, the service-managed users who may log in,
// and the accesses of directory groups. It only reads; nothing here changes
// state.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/transferapi"
	"github.com/ersatz-dev/ersatz/internal/store"
)

// LoginServer is what the data plane needs of a server.
type LoginServer struct {
	Account  string
	Region   string
	ServerID string
	Arn      string
	// State is the state at the time of the read (ONLINE, OFFLINE, STARTING
	// or STOPPING); TransitionEnds is when a STARTING or STOPPING server
	// settles.
	State                string
	TransitionEnds       time.Time
	Protocols            []string
	Domain               string
	IdentityProviderType string
	DirectoryID          string
	// IdentityProvider is the custom identity provider of an API_GATEWAY
	// or AWS_LAMBDA server.
	IdentityProvider   LoginIdentityProvider
	SecurityPolicyName string
	SshCiphers         []string
	SshKexs            []string
	SshMacs            []string
	TlsCiphers         []string
	// HostKeys are every host key of the server, the primary one (the one
	// DescribeServer fingerprints) first, then the others oldest first.
	HostKeys                      []LoginHostKey
	HostKeyFingerprint            string
	Certificate                   string
	PreAuthenticationLoginBanner  string
	PostAuthenticationLoginBanner string
	PassiveIP                     string
	SetStatOption                 string
	// TlsSessionResumptionMode is ENFORCED (the default), ENABLED or DISABLED.
	TlsSessionResumptionMode string
	OnUpload                 []transferapi.WorkflowDetail
	OnPartialUpload          []transferapi.WorkflowDetail
}

// LoginIdentityProvider is a server's custom identity provider: the
// API_GATEWAY Url or the AWS_LAMBDA Function, and the SFTP methods allowed.
type LoginIdentityProvider struct {
	URL            string
	InvocationRole string
	Function       string
	// SftpAuthenticationMethods is PASSWORD, PUBLIC_KEY,
	// PUBLIC_KEY_OR_PASSWORD (the default) or PUBLIC_KEY_AND_PASSWORD.
	SftpAuthenticationMethods string
}

// LoginHostKey is one host key with its private key PEM.
type LoginHostKey struct {
	ID            string
	Type          string
	Fingerprint   string
	PrivateKeyPEM string
	Primary       bool
	DateImported  time.Time
}

// LoginProfile is where a user or access lands and what it may touch.
type LoginProfile struct {
	HomeDirectory     string
	HomeDirectoryType string // PATH or LOGICAL
	Mappings          []LoginMapping
	Policy            string
	Posix             *LoginPosix
	Role              string
}

// LoginMapping is one logical directory mapping.
type LoginMapping struct {
	Entry  string
	Target string
	Type   string // FILE or DIRECTORY ("" is DIRECTORY)
}

// LoginPosix is a POSIX identity (EFS).
type LoginPosix struct {
	Uid           uint32
	Gid           uint32
	SecondaryGids []uint32
}

// LoginUser is a service-managed user as the data plane authenticates it.
type LoginUser struct {
	UserName string
	Arn      string
	LoginProfile
	// PublicKeys are the user's SSH public keys in authorized_keys form.
	PublicKeys []string
}

// LoginAccess is the access of one directory group.
type LoginAccess struct {
	ExternalID string
	LoginProfile
}

// DataPlaneServers returns every server of every account and region, in ascending
// order of (account, region, server id). The store must be able to
// enumerate across scopes (every backend of this module can).
func (s *Service) DataPlaneServers(ctx context.Context) ([]LoginServer, error) {
	now := s.clock()
	var out []LoginServer
	err := s.store.View(ctx, func(tx store.Tx) error {
		out = out[:0]
		b, ok := tx.(store.BulkTx)
		if !ok {
			return fmt.Errorf("transfer: servers: %w", store.ErrNotBulk)
		}
		index := map[string]int{} // account/region/server id -> out index
		keys := map[string][]hostKeyRecord{}
		err := b.All(func(it store.Item) error {
			k := it.Key
			if k.Service != ServiceName {
				return nil
			}
			switch {
			case k.Parent == "" && k.Kind == "server":
				var rec serverRecord
				if err := decodeItem(it, &rec); err != nil {
					return err
				}
				index[k.Account+"/"+k.Region+"/"+k.ID] = len(out)
				out = append(out, serverInfo(k.Scope, &rec, now))
			case k.Kind == kindHostKey:
				var hk hostKeyRecord
				if err := decodeItem(it, &hk); err != nil {
					return err
				}
				id := k.Account + "/" + k.Region + "/" + hk.ServerID
				keys[id] = append(keys[id], hk)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("transfer: servers: %w", err)
		}
		for id, i := range index {
			out[i].HostKeys = hostKeys(out[i].HostKeys, keys[id])
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DataPlaneServer returns one server of an account and region.
func (s *Service) DataPlaneServer(ctx context.Context, account, region, serverID string) (LoginServer, error) {
	sc := store.Scope{Account: account, Region: region, Service: ServiceName}
	var out LoginServer
	err := s.store.View(ctx, func(tx store.Tx) error {
		var err error
		out, err = readServerInfo(tx, sc, serverID, s.clock())
		return err
	})
	return out, err
}

func readServerInfo(tx store.Tx, sc store.Scope, serverID string, now time.Time) (LoginServer, error) {
	rec, err := store.GetJSON[serverRecord](tx, serverKey(sc, serverID))
	if err != nil {
		return LoginServer{}, fmt.Errorf("transfer: server %s: %w", serverID, err)
	}
	info := serverInfo(sc, &rec, now)
	recs, err := listHostKeys(tx, serverKey(sc, serverID))
	if err != nil {
		return LoginServer{}, err
	}
	info.HostKeys = hostKeys(info.HostKeys, recs)
	return info, nil
}

// LoginInfo returns a server and one of its service-managed users.
func (s *Service) LoginInfo(ctx context.Context, account, region, serverID, userName string) (LoginServer, LoginUser, error) {
	sc := store.Scope{Account: account, Region: region, Service: ServiceName}
	var (
		srv LoginServer
		u   LoginUser
	)
	err := s.store.View(ctx, func(tx store.Tx) error {
		var err error
		srv, err = readServerInfo(tx, sc, serverID, s.clock())
		if err != nil {
			return err
		}
		rec, err := store.GetJSON[userRecord](tx, userKey(sc, serverID, userName))
		if err != nil {
			return fmt.Errorf("transfer: user %s of %s: %w", userName, serverID, err)
		}
		u = LoginUser{UserName: rec.UserName, Arn: rec.Arn, LoginProfile: rec.profile()}
		for _, k := range rec.SshPublicKeys {
			u.PublicKeys = append(u.PublicKeys, k.Body)
		}
		return nil
	})
	return srv, u, err
}

// LoginAccesses returns a server and every access of its directory groups, in
// ascending order of ExternalId.
func (s *Service) LoginAccesses(ctx context.Context, account, region, serverID string) (LoginServer, []LoginAccess, error) {
	sc := store.Scope{Account: account, Region: region, Service: ServiceName}
	var (
		srv LoginServer
		out []LoginAccess
	)
	err := s.store.View(ctx, func(tx store.Tx) error {
		var err error
		srv, err = readServerInfo(tx, sc, serverID, s.clock())
		if err != nil {
			return err
		}
		out = out[:0]
		token := ""
		for {
			recs, next, err := store.ListJSON[accessRecord](tx, store.Collection{
				Scope: sc, Parent: serverKey(sc, serverID).Path(), Kind: kindAccess,
			}, store.Page{Token: token, Limit: 1000})
			if err != nil {
				return fmt.Errorf("transfer: accesses of %s: %w", serverID, err)
			}
			for i := range recs {
				out = append(out, LoginAccess{ExternalID: recs[i].ExternalID, LoginProfile: recs[i].profile()})
			}
			if next == "" {
				return nil
			}
			token = next
		}
	})
	return srv, out, err
}

func (p *homeProfile) profile() LoginProfile {
	out := LoginProfile{
		HomeDirectory: api.Val(p.HomeDirectory), HomeDirectoryType: p.HomeDirectoryType,
		Policy: p.Policy, Role: p.Role,
	}
	if out.HomeDirectoryType == "" {
		out.HomeDirectoryType = transferapi.HomeDirectoryTypePath
	}
	for _, m := range p.HomeDirectoryMappings {
		out.Mappings = append(out.Mappings, LoginMapping{Entry: api.Val(m.Entry), Target: api.Val(m.Target), Type: api.Val(m.Type)})
	}
	if pp := p.PosixProfile; pp != nil {
		px := &LoginPosix{Uid: uint32(api.Val(pp.Uid)), Gid: uint32(api.Val(pp.Gid))}
		for _, g := range pp.SecondaryGids {
			px.SecondaryGids = append(px.SecondaryGids, uint32(g))
		}
		out.Posix = px
	}
	return out
}

func serverInfo(sc store.Scope, r *serverRecord, now time.Time) LoginServer {
	info := LoginServer{
		Account: sc.Account, Region: sc.Region, ServerID: r.ServerID, Arn: r.Arn,
		State: r.stateAt(now), TransitionEnds: r.TransitionEnds,
		Protocols: r.Protocols, Domain: r.Domain, IdentityProviderType: r.IdentityProviderType,
		SecurityPolicyName: r.SecurityPolicyName, HostKeyFingerprint: r.HostKeyFingerprint,
		Certificate:                   r.Certificate,
		PreAuthenticationLoginBanner:  r.PreAuthenticationLoginBanner,
		PostAuthenticationLoginBanner: r.PostAuthenticationLoginBanner,
	}
	if d := r.IdentityProviderDetails; d != nil {
		info.DirectoryID = api.Val(d.DirectoryId)
		info.IdentityProvider = LoginIdentityProvider{
			URL: api.Val(d.Url), InvocationRole: api.Val(d.InvocationRole), Function: api.Val(d.Function),
			SftpAuthenticationMethods: api.Val(d.SftpAuthenticationMethods),
		}
	}
	if pol, ok := findPolicy(r.SecurityPolicyName); ok {
		info.SshCiphers, info.SshKexs, info.SshMacs, info.TlsCiphers = pol.Ciphers, pol.Kexs, pol.Macs, pol.TLS
	}
	if pd := r.ProtocolDetails; pd != nil {
		info.PassiveIP = api.Val(pd.PassiveIp)
		info.SetStatOption = api.Val(pd.SetStatOption)
		info.TlsSessionResumptionMode = api.Val(pd.TlsSessionResumptionMode)
	}
	if w := r.WorkflowDetails; w != nil {
		info.OnUpload, info.OnPartialUpload = w.OnUpload, w.OnPartialUpload
	}
	// The primary key as the server record holds it: listed first even when
	// its hostkey child is missing (records written before host keys were
	// children).
	if r.HostKeyPEM != "" {
		info.HostKeys = []LoginHostKey{{ID: r.HostKeyID, Fingerprint: r.HostKeyFingerprint, PrivateKeyPEM: r.HostKeyPEM, Primary: true}}
	}
	return info
}

// hostKeys merges the primary key with the server's hostkey children: the
// primary first, then the others oldest first.
func hostKeys(primary []LoginHostKey, recs []hostKeyRecord) []LoginHostKey {
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].DateImported.Before(recs[j].DateImported) })
	out := primary
	for _, r := range recs {
		if len(primary) > 0 && (r.HostKeyID == primary[0].ID || r.Fingerprint == primary[0].Fingerprint) {
			out[0].Type, out[0].DateImported = r.Type, r.DateImported
			continue
		}
		out = append(out, LoginHostKey{
			ID: r.HostKeyID, Type: r.Type, Fingerprint: r.Fingerprint,
			PrivateKeyPEM: r.PrivateKeyPEM, DateImported: r.DateImported,
		})
	}
	return out
}

func decodeItem(it store.Item, v any) error {
	if err := json.Unmarshal(it.Data, v); err != nil {
		return fmt.Errorf("decode %s: %w", it.Key.Path(), err)
	}
	return nil
}

// IsLoginNotFound reports whether err says a server, user or access does not exist.
func IsLoginNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }
