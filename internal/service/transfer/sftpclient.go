package transfer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/transferapi"
)

// The SFTP side of connectors: Ersatz connects to the connector's
// sftp://host:port with golang.org/x/crypto/ssh, using the credentials of
// the connector's secret (secrets.go) and the algorithms of its security
// policy, verifies the server's host key against TrustedHostKeys, and speaks
// SFTP with github.com/pkg/sftp.

// Failure codes of connector operations. AWS documents RETRIEVE_FILE_NOT_FOUND;
// the others are Ersatz's, one per cause, with the cause in FailureMessage.
const (
	codeRetrieveNotFound = "RETRIEVE_FILE_NOT_FOUND"
	codeSendNotFound     = "SEND_FILE_NOT_FOUND"
	codeRemoteNotFound   = "REMOTE_PATH_NOT_FOUND"
	codePermission       = "PERMISSION_DENIED"
	codeConnection       = "CONNECTION_FAILED"
	codeHostKey          = "HOST_KEY_VERIFICATION_FAILED"
	codeAuth             = "AUTHENTICATION_FAILED"
	codeSecret           = "SECRET_ERROR"
	codeTimeout          = "TIMEOUT"
	codeRemote           = "REMOTE_ERROR"
	codeLocal            = "LOCAL_STORAGE_ERROR"
	codeAS2              = "AS2_NOT_EMULATED"
	codeLattice          = "VPC_LATTICE_NOT_EMULATED"
	codeCancelled        = "CANCELLED"
)

// opFailure is why a connector operation (or one file of it) failed.
type opFailure struct {
	code, msg string
}

func (f *opFailure) Error() string { return f.code + ": " + f.msg }

func failf(code, format string, args ...any) *opFailure {
	return &opFailure{code: code, msg: fmt.Sprintf(format, args...)}
}

// hostKeyError is what the host key callback returns.
type hostKeyError struct {
	addr    string
	offered ssh.PublicKey
	noTrust bool
}

func (e *hostKeyError) Error() string {
	if e.noTrust {
		return fmt.Sprintf("host key verification failed: the connector has no TrustedHostKeys; the server at %s presented %s key %s (add %q to SftpConfig.TrustedHostKeys)",
			e.addr, e.offered.Type(), ssh.FingerprintSHA256(e.offered), authorizedKey(e.offered))
	}
	return fmt.Sprintf("host key verification failed: the server at %s presented %s key %s, which is not one of the connector's TrustedHostKeys",
		e.addr, e.offered.Type(), ssh.FingerprintSHA256(e.offered))
}

// authorizedKey is a public key as "<type> <base64>", without comment.
func authorizedKey(k ssh.PublicKey) string {
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k)))
}

// remoteConn is an open SFTP session to a connector's server.
type remoteConn struct {
	net  net.Conn
	ssh  *ssh.Client
	sftp *sftp.Client
	stop func() bool
}

func (r *remoteConn) Close() error {
	r.stop()
	_ = r.sftp.Close()
	return r.ssh.Close()
}

// policyAlgorithms keeps the algorithms of a policy list that
// golang.org/x/crypto/ssh implements, in the policy's order.
func policyAlgorithms(policy []string, supported ...[]string) []string {
	var out []string
	for _, a := range policy {
		for _, s := range supported {
			if slices.Contains(s, a) {
				out = append(out, a)
				break
			}
		}
	}
	return out
}

// hostKeyAlgorithmsFor narrows the policy's host key algorithms to those
// that can present one of the trusted keys, so that a server with several
// host keys shows the one the connector trusts.
func hostKeyAlgorithmsFor(policy []string, trusted []ssh.PublicKey) []string {
	var want []string
	for _, k := range trusted {
		switch k.Type() {
		case ssh.KeyAlgoRSA:
			want = append(want, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSA)
		default:
			want = append(want, k.Type())
		}
	}
	var out []string
	for _, a := range policy {
		if slices.Contains(want, a) {
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		return policy
	}
	return out
}

// clientConfig builds the SSH client configuration of a connector.
func (s *Service) clientConfig(c *connectorRecord, sec connectorSecret, trusted []ssh.PublicKey, addr string, observed *ssh.PublicKey) (*ssh.ClientConfig, *opFailure) {
	var auth []ssh.AuthMethod
	if sec.PrivateKey != "" {
		signer, err := ssh.ParsePrivateKey([]byte(sec.PrivateKey))
		if err != nil {
			return nil, failf(codeSecret, "the PrivateKey of secret %s is not a usable private key: %v", api.Val(c.SftpConfig.UserSecretId), err)
		}
		auth = append(auth, ssh.PublicKeys(signer))
	}
	if sec.Password != "" {
		auth = append(auth, ssh.Password(sec.Password))
	}
	sup, insecure := ssh.SupportedAlgorithms(), ssh.InsecureAlgorithms()
	cfg := &ssh.ClientConfig{
		User: sec.Username,
		Auth: auth,
		HostKeyCallback: func(_ string, _ net.Addr, key ssh.PublicKey) error {
			*observed = key
			if len(trusted) == 0 {
				return &hostKeyError{addr: addr, offered: key, noTrust: true}
			}
			for _, t := range trusted {
				if bytes.Equal(t.Marshal(), key.Marshal()) {
					return nil
				}
			}
			return &hostKeyError{addr: addr, offered: key}
		},
		Timeout:       s.b2bConf().dialTimeout,
		ClientVersion: "SSH-2.0-Ersatz_SFTP_Connector",
	}
	if p, ok := findPolicy(c.SecurityPolicyName); ok {
		cfg.Ciphers = policyAlgorithms(p.Ciphers, sup.Ciphers, insecure.Ciphers)
		cfg.KeyExchanges = policyAlgorithms(p.Kexs, sup.KeyExchanges, insecure.KeyExchanges)
		cfg.MACs = policyAlgorithms(p.Macs, sup.MACs, insecure.MACs)
		cfg.HostKeyAlgorithms = hostKeyAlgorithmsFor(policyAlgorithms(p.HostKeys, sup.HostKeys, insecure.HostKeys), trusted)
	}
	return cfg, nil
}

// dialConnector opens an SFTP session to an SFTP connector's server. It
// returns the host key the server presented (nil when the handshake did not
// get that far) and, on failure, why.
func (s *Service) dialConnector(ctx context.Context, c *connectorRecord) (*remoteConn, ssh.PublicKey, *opFailure) {
	if c.EgressType == transferapi.ConnectorEgressTypeVpcLattice {
		return nil, nil, failf(codeLattice, "connector %s routes through VPC Lattice (%s), which Ersatz does not emulate: nothing was sent",
			c.ConnectorID, api.Val(c.VpcLattice.ResourceConfigurationArn))
	}
	target, err := parseConnectorURL(c.URL, true)
	if err != nil {
		return nil, nil, failf(codeConnection, "connector URL %q is not usable: %v", c.URL, err)
	}
	trusted, err := c.trustedKeys()
	if err != nil {
		return nil, nil, failf(codeHostKey, "%v", err)
	}
	sec, err := s.lookupSecret(api.Val(c.SftpConfig.UserSecretId))
	if err != nil {
		return nil, nil, failf(codeSecret, "%v", err)
	}
	addr := target.addr()
	var observed ssh.PublicKey
	cfg, fail := s.clientConfig(c, sec, trusted, addr, &observed)
	if fail != nil {
		return nil, nil, fail
	}
	dctx, cancel := context.WithTimeout(ctx, s.b2bConf().dialTimeout)
	defer cancel()
	d := net.Dialer{}
	nc, err := d.DialContext(dctx, "tcp", addr)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, stoppedFailure(ctx, "connecting to "+addr)
		}
		if dctx.Err() != nil {
			return nil, nil, failf(codeTimeout, "connecting to %s timed out after %s", addr, s.b2bConf().dialTimeout)
		}
		return nil, nil, failf(codeConnection, "could not connect to %s: %v", addr, err)
	}
	_ = nc.SetDeadline(time.Now().Add(s.b2bConf().dialTimeout))
	stopHandshake := context.AfterFunc(ctx, func() { _ = nc.Close() })
	sc, chans, reqs, err := ssh.NewClientConn(nc, addr, cfg)
	stopHandshake()
	if err != nil {
		_ = nc.Close()
		if ctx.Err() != nil {
			return nil, observed, stoppedFailure(ctx, "the SSH handshake with "+addr)
		}
		return nil, observed, classifyHandshake(err, addr, sec.Username)
	}
	_ = nc.SetDeadline(time.Time{})
	client := ssh.NewClient(sc, chans, reqs)
	stop := context.AfterFunc(ctx, func() { _ = client.Close() })
	sftpClient, err := sftp.NewClient(client)
	if err != nil {
		stop()
		_ = client.Close()
		return nil, observed, failf(codeRemote, "the server at %s refused the SFTP subsystem: %v", addr, err)
	}
	return &remoteConn{net: nc, ssh: client, sftp: sftpClient, stop: stop}, observed, nil
}

// stoppedFailure is the failure of work its context stopped.
func stoppedFailure(ctx context.Context, what string) *opFailure {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return failf(codeTimeout, "%s timed out", what)
	}
	return failf(codeCancelled, "%s was cancelled", what)
}

// classifyHandshake turns an SSH handshake error into an operation failure.
func classifyHandshake(err error, addr, user string) *opFailure {
	var hk *hostKeyError
	var ne net.Error
	switch {
	case errors.As(err, &hk):
		return failf(codeHostKey, "%s", hk.Error())
	case strings.Contains(err.Error(), "unable to authenticate"):
		return failf(codeAuth, "authentication failed for user %q at %s: %v", user, addr, err)
	case errors.As(err, &ne) && ne.Timeout():
		return failf(codeTimeout, "the SSH handshake with %s timed out: %v", addr, err)
	default:
		return failf(codeConnection, "the SSH handshake with %s failed: %v", addr, err)
	}
}

// remoteFailure classifies an SFTP error on a remote path.
func remoteFailure(err error, notFoundCode, what, p string) *opFailure {
	var se *sftp.StatusError
	switch {
	case errors.Is(err, os.ErrNotExist) || (errors.As(err, &se) && se.FxCode() == sftp.ErrSSHFxNoSuchFile):
		return failf(notFoundCode, "%s %s does not exist on the remote server", what, p)
	case errors.Is(err, os.ErrPermission) || (errors.As(err, &se) && se.FxCode() == sftp.ErrSSHFxPermissionDenied):
		return failf(codePermission, "the remote server denied access to %s %s: %v", what, p, err)
	default:
		return failf(codeRemote, "the remote server failed on %s %s: %v", what, p, err)
	}
}
