package dataplane

// external.go logs in the users of API_GATEWAY and AWS_LAMBDA servers
// through the server's own identity provider (internal/dataplane/idp): the
// provider's answer decides the session as a service-managed user's
// settings do.

import (
	"context"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"net"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/ersatz-dev/ersatz/internal/dataplane/idp"
	"github.com/ersatz-dev/ersatz/internal/dataplane/sftpd"
	"github.com/ersatz-dev/ersatz/internal/dataplane/vfs"
	"github.com/ersatz-dev/ersatz/internal/service/transfer"
)

// WithIdentityProviders calls custom identity providers with c (the
// transfer service's, so logins and TestIdentityProvider agree).
func WithIdentityProviders(c *idp.Client) Option { return func(m *Manager) { m.idp = c } }

func isExternal(providerType string) bool {
	return providerType == idp.TypeAPIGateway || providerType == idp.TypeLambda
}

// externalUser is a provider's answer with the server it was read for.
type externalUser struct {
	srv  transfer.LoginServer
	user idp.User
	// keyFingerprint is the key the answer let in (key logins).
	keyFingerprint string
}

// externalSFTP is the SFTP authentication of a custom identity provider
// server: SftpAuthenticationMethods decides what is offered.
// Provider calls run under ctx.
func (m *Manager) externalSFTP(ctx context.Context, s *transfer.LoginServer, id ident) *sftpd.CustomAuth {
	return &sftpd.CustomAuth{
		Methods: s.IdentityProvider.SftpAuthenticationMethods,
		Key: func(meta ssh.ConnMetadata, key ssh.PublicKey) (any, error) {
			eu, err := m.externalKey(ctx, id, meta.User(), key, meta.RemoteAddr())
			if err != nil {
				a := id.attempt(meta.User(), "publickey", meta.RemoteAddr())
				a.KeyFingerprint = ssh.FingerprintSHA256(key)
				m.record(a, err)
				return nil, err
			}
			return eu, nil
		},
		OpenKey: func(meta ssh.ConnMetadata, key ssh.PublicKey, state any) (*vfs.FS, error) {
			a := id.attempt(meta.User(), "publickey", meta.RemoteAddr())
			a.KeyFingerprint = ssh.FingerprintSHA256(key)
			f, err := m.externalOpen(id, meta.User(), state, sessionOf(meta), &a)
			m.record(a, err)
			return f, err
		},
		Password: func(meta ssh.ConnMetadata, password []byte, keyState any) (*vfs.FS, error) {
			if keyState == nil {
				return m.loginPassword(ctx, id, meta.User(), string(password), meta.RemoteAddr(), sessionOf(meta))
			}
			a := id.attempt(meta.User(), "publickey+password", meta.RemoteAddr())
			if ku, ok := keyState.(*externalUser); ok {
				a.KeyFingerprint = ku.keyFingerprint
			}
			f, err := m.externalPassword(ctx, id, meta.User(), string(password), sessionOf(meta), &a)
			m.record(a, err)
			return f, err
		},
	}
}

// providerContext bounds provider calls by the manager's life: Close
// cancels a call still waiting for its provider (each server's listeners
// derive their own, which closing them cancels).
func (m *Manager) providerContext() context.Context {
	if m.ctx != nil {
		return m.ctx
	}
	return context.Background()
}

// externalAuthenticate asks the server's provider about user (password nil:
// a public key authentication) and reads its answer.
func (m *Manager) externalAuthenticate(ctx context.Context, id ident, user string, password *string, remote string) (*externalUser, error) {
	srv, err := m.loginServer(ctx, id)
	if err != nil {
		return nil, err
	}
	if !isExternal(srv.IdentityProviderType) {
		return nil, refuse("the server's identity provider is now %s", srv.IdentityProviderType)
	}
	p := idp.Provider{Type: srv.IdentityProviderType, URL: srv.IdentityProvider.URL, Function: srv.IdentityProvider.Function}
	req := idp.Request{ServerID: srv.ServerID, UserName: user, Password: password, Protocol: id.protocol, SourceIP: sourceIP(remote)}
	start := time.Now()
	u, _, err := m.idp.Authenticate(ctx, p, req)
	if err != nil {
		if errors.Is(err, idp.ErrNoRole) {
			return nil, refuse("%s identity provider refused the user: its answer has no Role", srv.IdentityProviderType)
		}
		return nil, refuse("%s identity provider: %v", srv.IdentityProviderType, err)
	}
	m.log.Debug("transfer identity provider answered", "server", srv.ServerID, "user", user, "took", time.Since(start))
	if srv.Domain == "EFS" && u.Posix == nil {
		return nil, refuse("%s identity provider: the answer has no PosixProfile, which EFS servers require", srv.IdentityProviderType)
	}
	return &externalUser{srv: srv, user: u}, nil
}

// externalKey asks the provider about a public key login: the offered key
// must be one of the answer's PublicKeys.
func (m *Manager) externalKey(ctx context.Context, id ident, user string, key ssh.PublicKey, remote net.Addr) (*externalUser, error) {
	eu, err := m.externalAuthenticate(ctx, id, user, nil, addrString(remote))
	if err != nil {
		return nil, err
	}
	offered := key.Marshal()
	for _, body := range eu.user.PublicKeys {
		pub, _, _, _, err := ssh.ParseAuthorizedKey([]byte(body))
		if err != nil {
			continue
		}
		if subtle.ConstantTimeCompare(pub.Marshal(), offered) == 1 {
			eu.keyFingerprint = ssh.FingerprintSHA256(key)
			return eu, nil
		}
	}
	return nil, refuse("public key %s is not one of the %d keys the identity provider answered", ssh.FingerprintSHA256(key), len(eu.user.PublicKeys))
}

// externalPassword authenticates a password with the provider and opens
// the session its answer describes.
func (m *Manager) externalPassword(ctx context.Context, id ident, user, password, session string, a *LoginAttempt) (*vfs.FS, error) {
	eu, err := m.externalAuthenticate(ctx, id, user, &password, a.Remote)
	if err != nil {
		return nil, err
	}
	return m.externalOpen(id, user, eu, session, a)
}

// externalOpen opens the session of a provider's answer.
func (m *Manager) externalOpen(id ident, user string, state any, session string, a *LoginAttempt) (*vfs.FS, error) {
	eu, ok := state.(*externalUser)
	if !ok || eu == nil {
		return nil, refuse("no identity provider answer for this key")
	}
	a.HomeDirectory = eu.user.HomeDirectory
	return m.openFS(&eu.srv, id, user, externalProfile(eu.user), session)
}

// externalProfile turns an answer into the profile a service-managed user
// has.
func externalProfile(u idp.User) transfer.LoginProfile {
	p := transfer.LoginProfile{
		HomeDirectory: u.HomeDirectory, HomeDirectoryType: u.HomeDirectoryType,
		Policy: u.Policy, Role: u.Role,
	}
	for _, mp := range u.Mappings {
		p.Mappings = append(p.Mappings, transfer.LoginMapping{Entry: mp.Entry, Target: mp.Target, Type: mp.Type})
	}
	if u.Posix != nil {
		p.Posix = &transfer.LoginPosix{Uid: u.Posix.Uid, Gid: u.Posix.Gid, SecondaryGids: u.Posix.SecondaryGids}
	}
	return p
}

// sessionOf is an SFTP session's id: the SSH session id in hex.
func sessionOf(meta ssh.ConnMetadata) string { return hex.EncodeToString(meta.SessionID()) }

// sourceIP is the client's address without its port.
func sourceIP(remote string) string {
	if host, _, err := net.SplitHostPort(remote); err == nil {
		return host
	}
	return remote
}

// addrString is a's text ("" when there is none).
func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}
