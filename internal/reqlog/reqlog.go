// Package reqlog keeps the last requests Ersatz answered, in a ring of
// fixed size, and serves them as JSON at GET /_ersatz/requests.
package reqlog

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ersatz-dev/ersatz/internal/gateway"
)

// DefaultSize is how many requests a Log keeps unless told otherwise.
const DefaultSize = 1000

// Entry is one request of the log.
type Entry struct {
	Time         time.Time `json:"time"`
	RequestID    string    `json:"requestId"`
	Account      string    `json:"account"`
	Region       string    `json:"region"`
	Service      string    `json:"service"`
	Operation    string    `json:"operation"`
	Status       int       `json:"status"`
	ErrorCode    string    `json:"errorCode,omitempty"`
	ErrorMessage string    `json:"errorMessage,omitempty"`
	// LatencyMs is the time from the request's arrival to its answer, in
	// milliseconds.
	LatencyMs float64 `json:"latencyMs"`
}

// Log is a ring of the last requests; safe for concurrent use.
type Log struct {
	mu   sync.Mutex
	ring []Entry
	next int  // where the next entry goes
	full bool // the ring has wrapped
}

// New returns a log keeping the last size requests (size <= 0: none).
func New(size int) *Log {
	if size < 0 {
		size = 0
	}
	return &Log{ring: make([]Entry, size)}
}

// Size is how many requests the log keeps.
func (l *Log) Size() int { return len(l.ring) }

// Observe adds a request's outcome (a gateway.Observer).
func (l *Log) Observe(_ context.Context, o *gateway.Outcome) {
	if len(l.ring) == 0 {
		return
	}
	e := Entry{Time: o.Time.UTC(), RequestID: o.RequestID, Account: o.Account, Region: o.Region,
		Service: o.Service, Operation: o.Operation, Status: o.Status, ErrorCode: o.ErrorCode,
		ErrorMessage: o.ErrorMessage, LatencyMs: float64(o.Latency.Microseconds()) / 1000}
	l.mu.Lock()
	l.ring[l.next] = e
	l.next++
	if l.next == len(l.ring) {
		l.next, l.full = 0, true
	}
	l.mu.Unlock()
}

// Filter selects entries; the zero Filter selects all.
type Filter struct {
	// Service is the service's signing name ("transfer"), "" for all.
	Service string
	// Status is an exact status ("404"), a class ("4xx", "5xx"), "error"
	// (any status of 400 or more) or "ok" (below 400); "" for all.
	Status string
	// Limit keeps the newest Limit entries (<= 0: all).
	Limit int
}

// ParseFilter reads ?service=&status=&limit= and names the field it
// refuses.
func ParseFilter(q map[string][]string) (Filter, error) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	f := Filter{Service: get("service"), Status: strings.ToLower(get("status"))}
	if len(f.Service) > 64 {
		return f, fmt.Errorf("service is longer than 64 characters")
	}
	if !validStatus(f.Status) {
		return f, fmt.Errorf("status must be a status code (404), a class (4xx), error or ok, not %q", get("status"))
	}
	if v := get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return f, fmt.Errorf("limit must be a non-negative integer, not %q", v)
		}
		f.Limit = n
	}
	return f, nil
}

func validStatus(s string) bool {
	switch {
	case s == "" || s == "error" || s == "ok":
		return true
	case len(s) == 3 && s[0] >= '1' && s[0] <= '5' && s[1:] == "xx":
		return true
	case len(s) == 3:
		n, err := strconv.Atoi(s)
		return err == nil && n >= 100 && n <= 599
	}
	return false
}

// Match reports whether e passes f (Limit aside).
func (f Filter) Match(e *Entry) bool {
	if f.Service != "" && f.Service != e.Service {
		return false
	}
	switch s := f.Status; {
	case s == "":
	case s == "error":
		return e.Status >= 400
	case s == "ok":
		return e.Status < 400
	case strings.HasSuffix(s, "xx"):
		return e.Status/100 == int(s[0]-'0')
	default:
		return strconv.Itoa(e.Status) == s
	}
	return true
}

// List returns the entries f selects, newest first.
func (l *Log) List(f Filter) []Entry {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := []Entry{}
	n := l.next
	if l.full {
		n = len(l.ring)
	}
	for i := 0; i < n; i++ {
		j := (l.next - 1 - i + len(l.ring)) % len(l.ring)
		if f.Match(&l.ring[j]) {
			out = append(out, l.ring[j])
			if f.Limit > 0 && len(out) == f.Limit {
				break
			}
		}
	}
	return out
}

// Handler serves GET /_ersatz/requests?service=&status=&limit=.
func (l *Log) Handler(writeJSON func(http.ResponseWriter, int, any)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, err := ParseFilter(r.URL.Query())
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"__type": "ValidationException", "message": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"size": len(l.ring), "requests": l.List(f)})
	})
}
