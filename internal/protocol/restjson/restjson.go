// Package restjson speaks the restJson1 protocol: operations found by method
// and URI template, members bound to labels, headers and the query string,
// the rest in a JSON body keyed by each member's JSON name.
package restjson

import (
	"net/http"
	"net/url"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/awserr"
	"github.com/ersatz-dev/ersatz/internal/protocol"
)

// ContentType is the protocol's media type.
const ContentType = "application/json"

type segment struct {
	literal string
	label   string // "" for a literal segment
	greedy  bool
}

type route struct {
	op       *api.Operation
	segments []segment
	literals int
}

// Router finds a REST operation from a request's method and path.
type Router struct {
	routes map[string][]route // by method
}

// NewRouter compiles the URI templates of svc's operations.
func NewRouter(svc *api.Service) *Router {
	rt := &Router{routes: map[string][]route{}}
	for _, op := range svc.Operations {
		path, _, _ := strings.Cut(op.URI, "?")
		r := route{op: op}
		for _, s := range splitPath(path) {
			if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
				name := s[1 : len(s)-1]
				greedy := strings.HasSuffix(name, "+")
				r.segments = append(r.segments, segment{label: strings.TrimSuffix(name, "+"), greedy: greedy})
				continue
			}
			r.segments = append(r.segments, segment{literal: s})
			r.literals++
		}
		rt.routes[op.Method] = append(rt.routes[op.Method], r)
	}
	for m := range rt.routes {
		rs := rt.routes[m]
		// The most literal template wins where two could match.
		sort.SliceStable(rs, func(i, j int) bool { return rs[i].literals > rs[j].literals })
	}
	return rt
}

func splitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// Match is a routed request.
type Match = protocol.Route

// Route finds the operation for r, or reports whether any template matched
// the path under another method.
func (rt *Router) Route(r *http.Request) (*Match, bool) {
	segs := splitPath(r.URL.EscapedPath())
	for _, rr := range rt.routes[r.Method] {
		if !rr.matches(segs) {
			continue
		}
		if labels, ok := rr.match(segs); ok {
			return &Match{Op: rr.op, Labels: labels}, true
		}
	}
	return nil, false
}

// Knows reports whether some operation's template matches the path, whatever the method.
func (rt *Router) Knows(r *http.Request) bool {
	segs := splitPath(r.URL.EscapedPath())
	for _, rs := range rt.routes {
		for _, rr := range rs {
			if rr.matches(segs) {
				return true
			}
		}
	}
	return false
}

// matches is match without building the labels: whether the template
// matches segs.
func (rr route) matches(segs []string) bool {
	for i, s := range rr.segments {
		if i >= len(segs) {
			return false
		}
		if s.greedy {
			for _, raw := range segs[i:] {
				if _, err := url.PathUnescape(raw); err != nil {
					return false
				}
			}
			return true
		}
		if s.label == "" {
			if segs[i] != s.literal {
				return false
			}
			continue
		}
		if !labelOK(segs[i]) {
			return false
		}
	}
	return len(segs) == len(rr.segments)
}

// labelOK reports whether a raw path segment unescapes to a non-empty label.
func labelOK(raw string) bool {
	if raw == "" {
		return false
	}
	if strings.IndexByte(raw, '%') < 0 {
		return true
	}
	v, err := url.PathUnescape(raw)
	return err == nil && v != ""
}

func (rr route) match(segs []string) (map[string]string, bool) {
	labels := map[string]string{}
	for i, s := range rr.segments {
		if s.greedy {
			if i >= len(segs) {
				return nil, false
			}
			parts := make([]string, 0, len(segs)-i)
			for _, raw := range segs[i:] {
				v, err := url.PathUnescape(raw)
				if err != nil {
					return nil, false
				}
				parts = append(parts, v)
			}
			labels[s.label] = strings.Join(parts, "/")
			return labels, true
		}
		if i >= len(segs) {
			return nil, false
		}
		if s.label == "" {
			if segs[i] != s.literal {
				return nil, false
			}
			continue
		}
		v, err := url.PathUnescape(segs[i])
		if err != nil || v == "" {
			return nil, false
		}
		labels[s.label] = v
	}
	return labels, len(segs) == len(rr.segments)
}

type bindings struct {
	r      *http.Request
	labels map[string]string
	query  url.Values
}

func (b bindings) Label(name string) (string, bool) {
	v, ok := b.labels[name]
	return v, ok
}

func (b bindings) Header(name string) (string, bool) {
	vs := b.r.Header.Values(name)
	if len(vs) == 0 {
		return "", false
	}
	return vs[0], true
}

func (b bindings) Query(name string) (string, bool) {
	vs, ok := b.query[name]
	if !ok || len(vs) == 0 {
		return "", false
	}
	return vs[0], true
}

func (b bindings) QueryAll(name string) []string { return b.query[name] }

// Decode reads the body of r into in, then sets the members bound to the
// URI labels, headers and query string.
func Decode(r *http.Request, m *Match, in api.Input) error {
	body, err := protocol.ReadBody(r)
	if err != nil {
		return err
	}
	if err := protocol.DecodeJSON(body, in); err != nil {
		return err
	}
	bi, ok := in.(api.BoundInput)
	if !ok {
		return nil
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return awserr.Serialization("The query string is malformed: %v", err)
	}
	if err := checkUnicode(m.Labels, q); err != nil {
		return err
	}
	return bi.Bind(bindings{r: r, labels: m.Labels, query: q})
}

// checkUnicode refuses URI labels and query values that percent-decode to
// bytes that are not UTF-8, as CheckStrings does for the body.
func checkUnicode(labels map[string]string, q url.Values) error {
	names := make([]string, 0, len(labels))
	for name := range labels {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if !utf8.ValidString(labels[name]) {
			return awserr.Serialization("Value at '%s' (in the URI) contains invalid UTF-8; it must be valid UTF-8", name)
		}
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !utf8.ValidString(k) {
			return awserr.Serialization("A query parameter name contains invalid UTF-8; it must be valid UTF-8")
		}
		for _, v := range q[k] {
			if !utf8.ValidString(v) {
				return awserr.Serialization("Value at '%s' (in the query string) contains invalid UTF-8; it must be valid UTF-8", k)
			}
		}
	}
	return nil
}

// Encode writes a successful response with the operation's status.
func Encode(w http.ResponseWriter, op *api.Operation, out any) {
	status := op.SuccessCode
	if status == 0 {
		status = http.StatusOK
	}
	protocol.WriteOutput(w, status, ContentType, out)
}

// EncodeError writes err as the protocol's error response.
func EncodeError(w http.ResponseWriter, err error) {
	protocol.WriteError(w, err, ContentType, "message", false)
}
