package dataplane

import "maps"

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
