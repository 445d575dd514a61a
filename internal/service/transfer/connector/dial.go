package connector

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
)

// The SFTP side of connectors: Ersatz connects to the connector's
// sftp://host:port with golang.org/x/crypto/ssh, using the credentials of
// the connector's secret (secrets.go) and the algorithms of its security
// policy, verifies the server's host key against TrustedHostKeys, and speaks
// SFTP with github.com/pkg/sftp.

// Endpoint is where an SFTP connector connects, as the Transfer service
// reads it from the connector.
type Endpoint struct {
	ConnectorID string
	// Addr is host:port.
	Addr string
	// Trusted are the connector's TrustedHostKeys (none: every host key is
	// refused, and the failure names the one presented).
	Trusted []ssh.PublicKey
	// SecretID is SftpConfig.UserSecretId.
	SecretID string
	// Algorithms are its security policy's (nil: the library's defaults).
	Algorithms *Algorithms
}

// Algorithms are the SSH algorithms of a security policy, in its order of
// preference.
type Algorithms struct {
	Ciphers, KeyExchanges, MACs, HostKeys []string
}

// Failure codes of connector operations. AWS documents RETRIEVE_FILE_NOT_FOUND;
// the others are Ersatz's, one per cause, with the cause in FailureMessage.
const (
	CodeRetrieveNotFound = "RETRIEVE_FILE_NOT_FOUND"
	CodeSendNotFound     = "SEND_FILE_NOT_FOUND"
	CodeRemoteNotFound   = "REMOTE_PATH_NOT_FOUND"
	CodePermission       = "PERMISSION_DENIED"
	CodeConnection       = "CONNECTION_FAILED"
	CodeHostKey          = "HOST_KEY_VERIFICATION_FAILED"
	CodeAuth             = "AUTHENTICATION_FAILED"
	CodeSecret           = "SECRET_ERROR"
	CodeTimeout          = "TIMEOUT"
	CodeRemote           = "REMOTE_ERROR"
	CodeLocal            = "LOCAL_STORAGE_ERROR"
	CodeAS2              = "AS2_NOT_EMULATED"
	CodeLattice          = "VPC_LATTICE_NOT_EMULATED"
	CodeCancelled        = "CANCELLED"
)

// Failure is why a connector operation (or one file of it) failed: the
// FailureCode and FailureMessage ListFileTransferResults reports.
type Failure struct {
	Code, Msg string
}

func (f *Failure) Error() string { return f.Code + ": " + f.Msg }

// Failf is a Failure with a formatted message.
func Failf(code, format string, args ...any) *Failure {
	return &Failure{Code: code, Msg: fmt.Sprintf(format, args...)}
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
			e.addr, e.offered.Type(), ssh.FingerprintSHA256(e.offered), AuthorizedKey(e.offered))
	}
	return fmt.Sprintf("host key verification failed: the server at %s presented %s key %s, which is not one of the connector's TrustedHostKeys",
		e.addr, e.offered.Type(), ssh.FingerprintSHA256(e.offered))
}

// AuthorizedKey is a public key as "<type> <base64>", without comment.
func AuthorizedKey(k ssh.PublicKey) string {
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k)))
}

// Conn is an open SFTP session to a connector's server.
type Conn struct {
	net  net.Conn
	ssh  *ssh.Client
	sftp *sftp.Client
	stop func() bool
}

// Close ends the session.
func (r *Conn) Close() error {
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

// clientConfig builds the SSH client configuration of a connection to ep.
func (r *Runner) clientConfig(ep *Endpoint, sec Secret, observed *ssh.PublicKey) (*ssh.ClientConfig, *Failure) {
	var auth []ssh.AuthMethod
	if sec.PrivateKey != "" {
		signer, err := ssh.ParsePrivateKey([]byte(sec.PrivateKey))
		if err != nil {
			return nil, Failf(CodeSecret, "the PrivateKey of secret %s is not a usable private key: %v", ep.SecretID, err)
		}
		auth = append(auth, ssh.PublicKeys(signer))
	}
	if sec.Password != "" {
		auth = append(auth, ssh.Password(sec.Password))
	}
	sup, insecure := ssh.SupportedAlgorithms(), ssh.InsecureAlgorithms()
	trusted, addr := ep.Trusted, ep.Addr
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
		Timeout:       r.cfg.DialTimeout,
		ClientVersion: "SSH-2.0-Ersatz_SFTP_Connector",
	}
	if p := ep.Algorithms; p != nil {
		cfg.Ciphers = policyAlgorithms(p.Ciphers, sup.Ciphers, insecure.Ciphers)
		cfg.KeyExchanges = policyAlgorithms(p.KeyExchanges, sup.KeyExchanges, insecure.KeyExchanges)
		cfg.MACs = policyAlgorithms(p.MACs, sup.MACs, insecure.MACs)
		cfg.HostKeyAlgorithms = hostKeyAlgorithmsFor(policyAlgorithms(p.HostKeys, sup.HostKeys, insecure.HostKeys), trusted)
	}
	return cfg, nil
}

// Dial opens an SFTP session to an SFTP connector's server. It returns the
// host key the server presented (nil when the handshake did not get that
// far) and, on failure, why.
func (r *Runner) Dial(ctx context.Context, ep *Endpoint) (*Conn, ssh.PublicKey, *Failure) {
	sec, err := LookupSecret(r.cfg.SecretsFile, ep.SecretID)
	if err != nil {
		return nil, nil, Failf(CodeSecret, "%v", err)
	}
	addr := ep.Addr
	var observed ssh.PublicKey
	cfg, fail := r.clientConfig(ep, sec, &observed)
	if fail != nil {
		return nil, nil, fail
	}
	timeout := r.cfg.DialTimeout
	dctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	d := net.Dialer{}
	nc, err := d.DialContext(dctx, "tcp", addr)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, stoppedFailure(ctx, "connecting to "+addr)
		}
		if dctx.Err() != nil {
			return nil, nil, Failf(CodeTimeout, "connecting to %s timed out after %s", addr, timeout)
		}
		return nil, nil, Failf(CodeConnection, "could not connect to %s: %v", addr, err)
	}
	_ = nc.SetDeadline(time.Now().Add(timeout))
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
		return nil, observed, Failf(CodeRemote, "the server at %s refused the SFTP subsystem: %v", addr, err)
	}
	return &Conn{net: nc, ssh: client, sftp: sftpClient, stop: stop}, observed, nil
}

// stoppedFailure is the failure of work its context stopped.
func stoppedFailure(ctx context.Context, what string) *Failure {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return Failf(CodeTimeout, "%s timed out", what)
	}
	return Failf(CodeCancelled, "%s was cancelled", what)
}

// classifyHandshake turns an SSH handshake error into an operation failure.
func classifyHandshake(err error, addr, user string) *Failure {
	var hk *hostKeyError
	var ne net.Error
	switch {
	case errors.As(err, &hk):
		return Failf(CodeHostKey, "%s", hk.Error())
	case strings.Contains(err.Error(), "unable to authenticate"):
		return Failf(CodeAuth, "authentication failed for user %q at %s: %v", user, addr, err)
	case errors.As(err, &ne) && ne.Timeout():
		return Failf(CodeTimeout, "the SSH handshake with %s timed out: %v", addr, err)
	default:
		return Failf(CodeConnection, "the SSH handshake with %s failed: %v", addr, err)
	}
}

// remoteFailure classifies an SFTP error on a remote path.
func remoteFailure(err error, notFoundCode, what, p string) *Failure {
	var se *sftp.StatusError
	switch {
	case errors.Is(err, os.ErrNotExist) || (errors.As(err, &se) && se.FxCode() == sftp.ErrSSHFxNoSuchFile):
		return Failf(notFoundCode, "%s %s does not exist on the remote server", what, p)
	case errors.Is(err, os.ErrPermission) || (errors.As(err, &se) && se.FxCode() == sftp.ErrSSHFxPermissionDenied):
		return Failf(CodePermission, "the remote server denied access to %s %s: %v", what, p, err)
	default:
		return Failf(CodeRemote, "the remote server failed on %s %s: %v", what, p, err)
	}
}
