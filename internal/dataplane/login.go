package dataplane

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/ersatz-dev/ersatz/internal/dataplane/directory"
	"github.com/ersatz-dev/ersatz/internal/dataplane/vfs"
	"github.com/ersatz-dev/ersatz/internal/files"
	"github.com/ersatz-dev/ersatz/internal/service/transfer"
)

// LoginAttempt is one entry of the login log.
type LoginAttempt struct {
	Time     time.Time `json:"time"`
	ServerID string    `json:"serverId"`
	Account  string    `json:"account"`
	Region   string    `json:"region"`
	Protocol string    `json:"protocol"`
	UserName string    `json:"userName"`
	Method   string    `json:"method"` // publickey or password
	Remote   string    `json:"remote"`
	Success  bool      `json:"success"`
	// Reason says why a login was refused.
	Reason string `json:"reason,omitempty"`
	// ExternalID is the access (directory group) a directory user got.
	ExternalID    string `json:"externalId,omitempty"`
	HomeDirectory string `json:"homeDirectory,omitempty"`
	// KeyFingerprint is the public key a user offered.
	KeyFingerprint string `json:"keyFingerprint,omitempty"`
	// Backoff is the wait this failure imposes on the address's next
	// attempt, or what was left of it when an attempt came too early.
	Backoff string `json:"backoff,omitempty"`
	// Event is "session-ended" for an open session the control plane ended
	// (Reason says why); it is empty for a login attempt.
	Event string `json:"event,omitempty"`
}

// loginLog keeps the last attempts, and counts every attempt.
type loginLog struct {
	mu     sync.Mutex
	max    int
	ring   []LoginAttempt
	counts map[LoginCount]uint64
}

func newLoginLog(max int) *loginLog { return &loginLog{max: max} }

func (l *loginLog) add(a LoginAttempt) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if a.Event == "" {
		if l.counts == nil {
			l.counts = map[LoginCount]uint64{}
		}
		l.counts[LoginCount{Protocol: a.Protocol, Outcome: outcome(a.Success)}]++
	}
	l.ring = append(l.ring, a)
	if len(l.ring) > l.max {
		l.ring = slices.Delete(l.ring, 0, len(l.ring)-l.max)
	}
}

// list returns the attempts, oldest first: those of one server when
// serverID is set, the last limit when limit > 0.
func (l *loginLog) list(serverID string, limit int) []LoginAttempt {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := []LoginAttempt{}
	for _, a := range l.ring {
		if serverID == "" || a.ServerID == serverID {
			out = append(out, a)
		}
	}
	if limit > 0 && len(out) > limit {
		out = out[len(out)-limit:]
	}
	return out
}

// Logins returns the login log (see GET /_ersatz/transfer/logins).
func (m *Manager) Logins(serverID string, limit int) []LoginAttempt {
	return m.logins.list(serverID, limit)
}

// refusal is a login refused for a reason the log records (the client only
// learns that authentication failed).
type refusal struct{ reason string }

func (r *refusal) Error() string { return "login refused: " + r.reason }

func refuse(format string, args ...any) error { return &refusal{reason: fmt.Sprintf(format, args...)} }

func (m *Manager) record(a LoginAttempt, err error) {
	a.Time = m.now().UTC()
	a.Success = err == nil
	if err != nil {
		var r *refusal
		if errors.As(err, &r) {
			a.Reason = r.reason
		} else {
			a.Reason = err.Error()
		}
		m.log.Warn("transfer login refused", "server", a.ServerID, "protocol", a.Protocol, "user", a.UserName,
			"method", a.Method, "remote", a.Remote, "reason", a.Reason)
	} else {
		m.log.Info("transfer login", "server", a.ServerID, "protocol", a.Protocol, "user", a.UserName,
			"method", a.Method, "remote", a.Remote, "access", a.ExternalID, "home", a.HomeDirectory)
	}
	m.logins.add(a)
}

// ident names the server a listener serves.
type ident struct {
	account, region, serverID, protocol string
}

func (id ident) attempt(user, method string, remote net.Addr) LoginAttempt {
	r := ""
	if remote != nil {
		r = remote.String()
	}
	return LoginAttempt{ServerID: id.serverID, Account: id.account, Region: id.region, Protocol: id.protocol,
		UserName: user, Method: method, Remote: r}
}

func checkServer(s *transfer.LoginServer, protocol string) error {
	if s.State != "ONLINE" {
		return refuse("server is %s", s.State)
	}
	if !slices.Contains(s.Protocols, protocol) {
		return refuse("server does not enable %s", protocol)
	}
	return nil
}

// checkPublicKey decides whether a service-managed user may log in with key.
func (m *Manager) checkPublicKey(ctx context.Context, id ident, user string, key ssh.PublicKey) (transfer.LoginServer, transfer.LoginUser, error) {
	srv, u, err := m.cp.LoginInfo(ctx, id.account, id.region, id.serverID, user)
	if err != nil {
		if transfer.IsLoginNotFound(err) {
			if srv.ServerID == "" {
				return srv, u, refuse("server no longer exists")
			}
			return srv, u, refuse("unknown user")
		}
		return srv, u, err
	}
	if err := checkServer(&srv, id.protocol); err != nil {
		return srv, u, err
	}
	if srv.IdentityProviderType != "SERVICE_MANAGED" {
		return srv, u, refuse("identity provider %s does not take public keys", srv.IdentityProviderType)
	}
	offered := key.Marshal()
	for _, body := range u.PublicKeys {
		pub, _, _, _, err := ssh.ParseAuthorizedKey([]byte(body))
		if err != nil {
			continue
		}
		if subtle.ConstantTimeCompare(pub.Marshal(), offered) == 1 {
			return srv, u, nil
		}
	}
	return srv, u, refuse("public key %s is not one of the user's %d keys", ssh.FingerprintSHA256(key), len(u.PublicKeys))
}

// loginPublicKey opens the session of a service-managed user whose key was
// verified.
func (m *Manager) loginPublicKey(ctx context.Context, id ident, user string, key ssh.PublicKey, remote net.Addr, session string) (*vfs.FS, error) {
	a := id.attempt(user, "publickey", remote)
	a.KeyFingerprint = ssh.FingerprintSHA256(key)
	srv, u, err := m.checkPublicKey(ctx, id, user, key)
	var f *vfs.FS
	if err == nil {
		a.HomeDirectory = u.HomeDirectory
		f, err = m.openFS(&srv, id, user, u.LoginProfile, session)
		m.sessions.add(f, &openSession{id: id, user: user, method: "publickey", remote: addrString(remote),
			key: key.Marshal(), profile: profileSignature(u.LoginProfile)})
	}
	m.record(a, err)
	return f, err
}

// loginPassword authenticates a directory user and opens its session with
// the access of its groups.
func (m *Manager) loginPassword(ctx context.Context, id ident, user, password string, remote net.Addr, session string) (*vfs.FS, error) {
	a := id.attempt(user, "password", remote)
	key := backoffKey(id, remote)
	if wait := m.backoff.wait(key, m.now()); wait > 0 {
		a.Backoff = wait.Round(time.Millisecond).String()
		err := refuse("too many failed logins from this address: back-off, next attempt checked in %s", a.Backoff)
		m.record(a, err)
		return nil, err
	}
	f, err := m.passwordLogin(ctx, id, user, password, session, &a)
	var r *refusal
	if err == nil || errors.As(err, &r) {
		if wait := m.backoff.result(key, err == nil, m.now()); wait > 0 {
			a.Backoff = wait.String()
		}
	}
	m.record(a, err)
	return f, err
}

// loginServer reads the server a login is for and checks it serves the
// login's protocol now.
func (m *Manager) loginServer(ctx context.Context, id ident) (transfer.LoginServer, error) {
	srv, err := m.cp.DataPlaneServer(ctx, id.account, id.region, id.serverID)
	if err != nil {
		if transfer.IsLoginNotFound(err) {
			return srv, refuse("server no longer exists")
		}
		return srv, err
	}
	return srv, checkServer(&srv, id.protocol)
}

func (m *Manager) passwordLogin(ctx context.Context, id ident, user, password, session string, a *LoginAttempt) (*vfs.FS, error) {
	srv, err := m.loginServer(ctx, id)
	if err != nil {
		return nil, err
	}
	switch srv.IdentityProviderType {
	case "AWS_DIRECTORY_SERVICE":
	case "SERVICE_MANAGED":
		return nil, refuse("service-managed users log in with an SSH key, not a password")
	case "API_GATEWAY", "AWS_LAMBDA":
		return m.externalPassword(ctx, id, user, password, session, a)
	default:
		return nil, refuse("identity provider %s does not take passwords", srv.IdentityProviderType)
	}
	du, err := m.directory.Authenticate(ctx, srv.DirectoryID, user, password)
	if errors.Is(err, directory.ErrBadCredentials) {
		return nil, refuse("unknown directory user or wrong password (directory %s)", srv.DirectoryID)
	}
	if err != nil {
		return nil, err
	}
	srv, accesses, err := m.cp.LoginAccesses(ctx, id.account, id.region, id.serverID)
	if err != nil {
		return nil, err
	}
	acc, ok := SelectAccess(accesses, du.Groups)
	if !ok {
		return nil, refuse("none of the user's %d groups has an access to this server", len(du.Groups))
	}
	a.ExternalID, a.HomeDirectory = acc.ExternalID, acc.HomeDirectory
	f, err := m.openFS(&srv, id, du.Name, acc.LoginProfile, session)
	m.sessions.add(f, &openSession{id: id, user: user, method: "password", remote: a.Remote, directoryID: du.DirectoryID,
		dirUser: du.Name, groups: du.Groups, externalID: acc.ExternalID, profile: profileSignature(acc.LoginProfile)})
	return f, err
}

// SelectAccess picks the access of a directory user: among the accesses
// whose ExternalId is one of the user's group SIDs, the one with the
// smallest ExternalId in byte order. AWS documents no order; this rule is
// Ersatz's, deterministic and independent of the order of the groups.
func SelectAccess(accesses []transfer.LoginAccess, groups []string) (transfer.LoginAccess, bool) {
	var best transfer.LoginAccess
	found := false
	for _, a := range accesses {
		if !slices.Contains(groups, a.ExternalID) {
			continue
		}
		if !found || a.ExternalID < best.ExternalID {
			best, found = a, true
		}
	}
	return best, found
}

// openFS builds the session's file system from a user's or access's profile.
func (m *Manager) openFS(srv *transfer.LoginServer, id ident, user string, p transfer.LoginProfile, session string) (*vfs.FS, error) {
	cfg := vfs.Config{
		Files: m.files, Domain: files.S3, Objects: m.objects, SpoolDir: m.spool, Context: m.baseContext(), UserName: user,
		HomeDirectory: p.HomeDirectory, HomeDirectoryType: p.HomeDirectoryType,
		Policy: p.Policy, SetStatNoOp: srv.SetStatOption == "ENABLE_NO_OP",
	}
	if srv.Domain == "EFS" {
		cfg.Domain = files.EFS
		if p.Posix != nil {
			cfg.Owner = &vfs.Owner{Uid: p.Posix.Uid, Gid: p.Posix.Gid}
		}
	}
	for _, mp := range p.Mappings {
		cfg.Mappings = append(cfg.Mappings, vfs.Mapping{Entry: mp.Entry, Target: mp.Target, Type: mp.Type})
	}
	if m.uploads != nil && (len(srv.OnUpload) > 0 || len(srv.OnPartialUpload) > 0) {
		domain := srv.Domain
		cfg.OnUpload = func(u vfs.Upload) {
			m.fireUpload(Upload{
				Account: id.account, Region: id.region, ServerID: id.serverID, UserName: user,
				Protocol: id.protocol, Domain: domain, Path: u.Path, Bucket: u.Container, Key: u.Key,
				Size: u.Size, SessionID: session, Time: m.now().UTC(), Partial: u.Partial,
			})
		}
	}
	cfg.Traffic = m.seen.traffic(id.protocol)
	cfg.OnOp = func(op vfs.FileOp) { m.seen.fileOp(m.now().UTC(), id, user, op) }
	var f *vfs.FS
	cfg.OnClose = func() { m.sessions.remove(f) }
	f, err := vfs.New(cfg)
	if err != nil {
		return nil, refuse("home directory: %v", err)
	}
	return f, nil
}

// fireUpload runs the upload hook in the background (workflows run
// asynchronously on AWS too); its errors are logged.
func (m *Manager) fireUpload(u Upload) {
	m.hookWG.Add(1)
	go func() {
		defer m.hookWG.Done()
		ctx, cancel := context.WithTimeout(m.baseContext(), time.Minute)
		defer cancel()
		if err := m.uploads(ctx, u); err != nil {
			m.log.Warn("transfer upload workflow", "server", u.ServerID, "path", u.Path, "error", err)
		}
	}()
}

func (m *Manager) baseContext() context.Context {
	if m.ctx != nil {
		return context.WithoutCancel(m.ctx)
	}
	return context.Background()
}
