package dataplane

// sessions.go keeps the open sessions and ends those the control plane no
// longer allows: at every reconciliation (right after each state-changing
// Transfer operation, and on the periodic tick for changes made by another
// Ersatz process), every open session is checked against the store.

import (
	"bytes"
	"context"
	"encoding/json"
	"sort"
	"strings"
	"sync"

	"golang.org/x/crypto/ssh"

	"github.com/ersatz-dev/ersatz/internal/dataplane/directory"
	"github.com/ersatz-dev/ersatz/internal/dataplane/vfs"
	"github.com/ersatz-dev/ersatz/internal/service/transfer"
)

// Event of a login-log entry that records the end of a session.
const EventSessionEnded = "session-ended"

// openSession is what a session was opened with.
type openSession struct {
	id     ident
	user   string
	method string
	remote string
	// key is the wire form of the public key a service-managed user logged
	// in with.
	key []byte
	// directoryID, dirUser, groups and externalID are a directory user's
	// directory, name there, group SIDs and the access they selected.
	directoryID string
	dirUser     string
	groups      []string
	externalID  string
	// profile is profileSignature of the profile the session was opened with.
	profile string
	fs      *vfs.FS
}

// sessions is the set of open sessions, by file system.
type sessions struct {
	mu   sync.Mutex
	open map[*vfs.FS]*openSession
}

// add keeps the session of f (nothing for a nil f: the login failed) until
// f closes (remove, its OnClose).
func (s *sessions) add(f *vfs.FS, o *openSession) {
	if f == nil {
		return
	}
	o.fs = f
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.open == nil {
		s.open = map[*vfs.FS]*openSession{}
	}
	s.open[f] = o
}

func (s *sessions) remove(f *vfs.FS) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.open, f)
}

func (s *sessions) list() []*openSession {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*openSession, 0, len(s.open))
	for _, o := range s.open {
		out = append(out, o)
	}
	return out
}

// profileSignature is what of a profile decides a session's view: the home
// directory, its type and mappings, the session policy and the POSIX
// identity. A change of any of them ends the sessions opened with the old
// one; the Role (Ersatz has no IAM) does not.
func profileSignature(p transfer.LoginProfile) string {
	b, _ := json.Marshal([]any{p.HomeDirectory, p.HomeDirectoryType, p.Mappings, p.Policy, p.Posix})
	return string(b)
}

// recheckSessions ends every open session the control plane no longer
// allows (see endReason). A failure to read the store keeps the session.
func (m *Manager) recheckSessions(ctx context.Context) {
	open := m.sessions.list()
	sort.Slice(open, func(i, j int) bool { return open[i].remote < open[j].remote })
	c := &recheckCache{accesses: map[ident][]transfer.LoginAccess{}, users: map[userRef]userLookup{},
		directories: map[string][]directory.User{}}
	for _, o := range open {
		if o.fs.Ended() != "" {
			continue
		}
		reason, err := m.endReason(ctx, o, c)
		if err != nil {
			m.log.Debug("transfer data plane: session check", "server", o.id.serverID, "user", o.user, "error", err)
			continue
		}
		if reason == "" {
			continue
		}
		o.fs.End(reason)
		a := o.id.attempt(o.user, o.method, nil)
		a.Remote = o.remote
		a.Time = m.now().UTC()
		a.Event = EventSessionEnded
		a.Reason = reason
		a.ExternalID = o.externalID
		m.log.Info("transfer session ended", "server", a.ServerID, "protocol", a.Protocol, "user", a.UserName,
			"remote", a.Remote, "reason", reason)
		m.logins.add(a)
	}
}

// endReason says why the control plane no longer allows a session ("" if
// it still does): for a service-managed user, the user was deleted, the
// key it logged in with was deleted, or its profile changed; for a
// directory user, it was removed from its directory, no access of its
// (current) groups remains, another access now applies, or the access's
// profile changed.
func (m *Manager) endReason(ctx context.Context, o *openSession, c *recheckCache) (string, error) {
	if o.method == "publickey" {
		ref := userRef{o.id, o.user}
		l, ok := c.users[ref]
		if !ok {
			_, l.user, l.err = m.cp.LoginInfo(ctx, o.id.account, o.id.region, o.id.serverID, o.user)
			c.users[ref] = l
		}
		u, err := l.user, l.err
		if transfer.IsLoginNotFound(err) {
			return "the user was deleted", nil
		}
		if err != nil {
			return "", err
		}
		if !hasKey(u.PublicKeys, o.key) {
			return "the SSH public key of the session was deleted", nil
		}
		if profileSignature(u.LoginProfile) != o.profile {
			return "the user's home directory, mappings, policy or POSIX profile changed", nil
		}
		return "", nil
	}
	accesses, ok := c.accesses[o.id]
	if !ok {
		_, list, err := m.cp.LoginAccesses(ctx, o.id.account, o.id.region, o.id.serverID)
		if transfer.IsLoginNotFound(err) {
			return "", nil // the server is gone: its listeners close
		}
		if err != nil {
			return "", err
		}
		accesses, c.accesses[o.id] = list, list
	}
	dirUsers, ok := c.directories[o.directoryID]
	if !ok {
		list, err := m.directory.Users(ctx, o.directoryID)
		if err != nil {
			return "", err
		}
		dirUsers, c.directories[o.directoryID] = list, list
	}
	groups, found := []string(nil), false
	for _, du := range dirUsers {
		if strings.EqualFold(du.Name, o.dirUser) {
			groups, found = du.Groups, true
		}
	}
	if !found {
		return "the user was removed from directory " + o.directoryID, nil
	}
	acc, ok := SelectAccess(accesses, groups)
	switch {
	case !ok:
		return "no access of the user's groups remains", nil
	case acc.ExternalID != o.externalID:
		return "another access (" + acc.ExternalID + ") now applies to the user", nil
	case profileSignature(acc.LoginProfile) != o.profile:
		return "the access's home directory, mappings, policy or POSIX profile changed", nil
	}
	return "", nil
}

// recheckCache keeps what one recheck read of the store, so sessions of
// one user or server read it once.
type recheckCache struct {
	accesses    map[ident][]transfer.LoginAccess
	users       map[userRef]userLookup
	directories map[string][]directory.User
}

type userRef struct {
	id   ident
	user string
}

type userLookup struct {
	user transfer.LoginUser
	err  error
}

func hasKey(bodies []string, key []byte) bool {
	for _, body := range bodies {
		pub, _, _, _, err := ssh.ParseAuthorizedKey([]byte(body))
		if err == nil && bytes.Equal(pub.Marshal(), key) {
			return true
		}
	}
	return false
}
