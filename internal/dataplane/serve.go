package dataplane

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"net"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/ersatz-dev/ersatz/internal/dataplane/ftpd"
	"github.com/ersatz-dev/ersatz/internal/dataplane/listener"
	"github.com/ersatz-dev/ersatz/internal/dataplane/sftpd"
	"github.com/ersatz-dev/ersatz/internal/dataplane/vfs"
	"github.com/ersatz-dev/ersatz/internal/service/transfer"
)

// hostSigners parses a server's host keys: the primary last, so it wins
// over another key of the same algorithm. Keys restored from a snapshot
// without their private half are skipped; a server left with none presents
// an ED25519 key made for this listener.
func hostSigners(s *transfer.LoginServer) ([]ssh.Signer, error) {
	var out []ssh.Signer
	for i := len(s.HostKeys) - 1; i >= 0; i-- {
		k := s.HostKeys[i]
		if k.PrivateKeyPEM == "" {
			continue
		}
		signer, err := ssh.ParsePrivateKey([]byte(k.PrivateKeyPEM))
		if err != nil {
			return nil, fmt.Errorf("host key %s: %w", k.ID, err)
		}
		out = append(out, signer)
	}
	if len(out) == 0 {
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("host key of %s: %w", s.ServerID, err)
		}
		signer, err := ssh.NewSignerFromKey(priv)
		if err != nil {
			return nil, fmt.Errorf("host key of %s: %w", s.ServerID, err)
		}
		out = append(out, signer)
	}
	return out, nil
}

// startSFTP serves SFTP on ln; logins through a custom identity provider
// run under ctx (cancelled when the listeners close).
func (m *Manager) startSFTP(ctx context.Context, ln net.Listener, s *transfer.LoginServer, gate *listener.Gate) (closer, error) {
	signers, err := hostSigners(s)
	if err != nil {
		return nil, err
	}
	id := ident{account: s.Account, region: s.Region, serverID: s.ServerID, protocol: ProtoSFTP}
	cfg := sftpd.Config{
		HostKeys: signers, Ciphers: s.SshCiphers, KeyExchanges: s.SshKexs, MACs: s.SshMacs,
		Banner: s.PreAuthenticationLoginBanner, NumericOwners: s.Domain == "EFS", Log: m.log,
		Name: ProtoSFTP + " " + s.ServerID, Gate: gate, MaxHandles: m.cfg.MaxHandles, LoginGrace: m.cfg.LoginGrace,
		IdleTimeout: m.cfg.IdleTimeout, UnresponsiveTimeout: m.cfg.UnresponsiveTimeout,
	}
	switch s.IdentityProviderType {
	case "SERVICE_MANAGED":
		cfg.PublicKey = func(meta ssh.ConnMetadata, key ssh.PublicKey) error {
			_, _, err := m.checkPublicKey(m.baseContext(), id, meta.User(), key)
			if err != nil {
				a := id.attempt(meta.User(), "publickey", meta.RemoteAddr())
				a.KeyFingerprint = ssh.FingerprintSHA256(key)
				m.record(a, err)
			}
			return err
		}
	case "API_GATEWAY", "AWS_LAMBDA":
		cfg.Custom = m.externalSFTP(ctx, s, id)
	default:
		// Directory users log in with a password.
		cfg.PasswordAuth = true
	}
	cfg.Login = func(meta ssh.ConnMetadata, method string, key ssh.PublicKey, password []byte) (*vfs.FS, error) {
		session := hex.EncodeToString(meta.SessionID())
		if method == "publickey" {
			return m.loginPublicKey(m.baseContext(), id, meta.User(), key, meta.RemoteAddr(), session)
		}
		return m.loginPassword(m.baseContext(), id, meta.User(), string(password), meta.RemoteAddr(), session)
	}
	return sftpd.Serve(ln, cfg), nil
}

func (m *Manager) startFTP(ctx context.Context, ln net.Listener, s *transfer.LoginServer, proto string, gate *listener.Gate) (closer, string, error) {
	id := ident{account: s.Account, region: s.Region, serverID: s.ServerID, protocol: proto}
	cfg := ftpd.Config{
		PassiveStart: m.passive.Low, PassiveEnd: m.passive.High,
		Banner: s.PreAuthenticationLoginBanner, PostAuthBanner: s.PostAuthenticationLoginBanner, Log: m.log,
		Name: proto + " " + s.ServerID, Gate: gate, LoginGrace: m.cfg.LoginGrace, IdleTimeout: m.cfg.IdleTimeout,
	}
	if cfg.IdleTimeout <= 0 { // turned off: the library needs some timeout
		cfg.IdleTimeout = 100 * 365 * 24 * time.Hour
	}
	if ip := net.ParseIP(m.host); ip != nil && !ip.IsUnspecified() {
		cfg.PublicHost = m.host
	}
	fp := ""
	if proto == ProtoFTPS {
		cert, sum, err := m.certificate(ctx, s)
		if err != nil {
			return nil, "", err
		}
		fp = sum
		cfg.TLSResumption = s.TlsSessionResumptionMode
		cfg.TLS = &tls.Config{
			Certificates: []tls.Certificate{cert},
			MinVersion:   tls.VersionTLS12,
			CipherSuites: tlsCipherSuites(s.TlsCiphers),
		}
	}
	var n atomic.Uint64
	cfg.Login = func(remote net.Addr, user, password string) (*vfs.FS, error) {
		session := fmt.Sprintf("%s-%s-%d", proto, remote, n.Add(1))
		return m.loginPassword(ctx, id, user, password, remote, session)
	}
	srv, err := ftpd.Serve(ln, cfg)
	if err != nil {
		return nil, "", err
	}
	return srv, fp, nil
}
