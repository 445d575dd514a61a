package dataplane

import (
	"maps"
	"sync"
	"time"

	"github.com/ersatz-dev/ersatz/internal/dataplane/vfs"
)

// maxFileOps is how many file operations the data plane keeps.
const maxFileOps = 500

// seen counts the bytes moved through files by protocol and keeps the last
// file operations; the zero value is ready.
type seen struct {
	mu    sync.Mutex
	bytes map[string]*vfs.Traffic
	ops   []FileOp
}

// traffic is the counter of a protocol's bytes.
func (s *seen) traffic(protocol string) *vfs.Traffic {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.bytes == nil {
		s.bytes = map[string]*vfs.Traffic{}
	}
	t := s.bytes[protocol]
	if t == nil {
		t = &vfs.Traffic{}
		s.bytes[protocol] = t
	}
	return t
}

func (s *seen) fileOp(at time.Time, id ident, user string, op vfs.FileOp) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ops = append(s.ops, FileOp{Time: at, ServerID: id.serverID, Account: id.account, Region: id.region,
		Protocol: id.protocol, UserName: user, Op: op.Op, Path: op.Path, To: op.To, Bytes: op.Bytes})
	if len(s.ops) > maxFileOps {
		s.ops = append(s.ops[:0], s.ops[len(s.ops)-maxFileOps:]...)
	}
}

// FileOp is one operation of a session on its files.
type FileOp struct {
	Time     time.Time `json:"time"`
	ServerID string    `json:"serverId"`
	Account  string    `json:"account"`
	Region   string    `json:"region"`
	Protocol string    `json:"protocol"`
	UserName string    `json:"userName"`
	// Op is read or write (a file closed after moving Bytes), remove,
	// mkdir, rmdir or rename (to To).
	Op    string `json:"op"`
	Path  string `json:"path"`
	To    string `json:"to,omitempty"`
	Bytes int64  `json:"bytes"`
}

// FileOps returns the last file operations, newest first (at most limit
// when limit > 0).
func (m *Manager) FileOps(limit int) []FileOp {
	m.seen.mu.Lock()
	defer m.seen.mu.Unlock()
	out := []FileOp{}
	for i := len(m.seen.ops) - 1; i >= 0 && (limit <= 0 || len(out) < limit); i-- {
		out = append(out, m.seen.ops[i])
	}
	return out
}

// Bytes are the bytes of one protocol's sessions: In written by clients
// (uploads), Out read by them (downloads).
type Bytes struct{ In, Out int64 }

// Outcomes of a login, as Stats counts them.
const (
	LoginSucceeded = "success"
	LoginRefused   = "refused"
)

func outcome(success bool) string {
	if success {
		return LoginSucceeded
	}
	return LoginRefused
}

// LoginCount names a count of login attempts: by protocol and outcome.
type LoginCount struct {
	Protocol string
	Outcome  string // LoginSucceeded or LoginRefused
}

// Stats are the data plane's counts, for metrics.
type Stats struct {
	// Sessions are the open sessions by protocol.
	Sessions map[string]int
	// Logins are every login attempt since start, by protocol and outcome.
	Logins map[LoginCount]uint64
	// Bytes are the bytes moved through files since start, by protocol.
	Bytes map[string]Bytes
}

// Stats returns the data plane's counts now.
func (m *Manager) Stats() Stats {
	st := Stats{Sessions: map[string]int{}}
	for _, o := range m.sessions.list() {
		st.Sessions[o.id.protocol]++
	}
	m.logins.mu.Lock()
	st.Logins = maps.Clone(m.logins.counts)
	m.logins.mu.Unlock()
	if st.Logins == nil {
		st.Logins = map[LoginCount]uint64{}
	}
	st.Bytes = map[string]Bytes{}
	m.seen.mu.Lock()
	for proto, t := range m.seen.bytes {
		st.Bytes[proto] = Bytes{In: t.In.Load(), Out: t.Out.Load()}
	}
	m.seen.mu.Unlock()
	return st
}

// Session is an open session, as the resource browser shows it.
type Session struct {
	ServerID string `json:"serverId"`
	Account  string `json:"account"`
	Region   string `json:"region"`
	Protocol string `json:"protocol"`
	UserName string `json:"userName"`
	Method   string `json:"method"`
	Remote   string `json:"remote"`
	// ExternalID is the access a directory user's session uses.
	ExternalID string `json:"externalId,omitempty"`
}

// Sessions returns the open sessions, in no particular order.
func (m *Manager) Sessions() []Session {
	open := m.sessions.list()
	out := make([]Session, 0, len(open))
	for _, o := range open {
		out = append(out, Session{ServerID: o.id.serverID, Account: o.id.account, Region: o.id.region,
			Protocol: o.id.protocol, UserName: o.user, Method: o.method, Remote: o.remote, ExternalID: o.externalID})
	}
	return out
}
