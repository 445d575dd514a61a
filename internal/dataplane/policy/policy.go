// Package policy evaluates the subset of IAM policy language that AWS
// Transfer Family session policies use, for the data plane's SFTP and FTP
// commands.
//
// What is evaluated:
//
//   - Statement as one object or a list; Effect Allow or Deny; Action and
//     NotAction, Resource and NotResource (a string or a list);
//   - wildcards * (any run of characters, "/" included) and ? (one
//     character) in actions (case-insensitive) and resources (case-sensitive);
//   - Condition operators StringEquals, StringNotEquals, StringLike,
//     StringNotLike, StringEqualsIgnoreCase, StringNotEqualsIgnoreCase, each
//     with an optional IfExists suffix, on the keys the request carries (the
//     data plane sends s3:prefix for ListBucket); several values of one key
//     match when any does, several keys and operators must all match;
//   - policy variables ${transfer:UserName}, ${transfer:HomeDirectory},
//     ${transfer:HomeBucket}, ${transfer:HomeFolder} (the "transfer" prefix in
//     any case) and the escapes ${*}, ${?}, ${$}, in resources and condition
//     values;
//   - the decision: an explicit Deny wins, then an explicit Allow, else the
//     request is denied (default deny: a session policy that exists allows
//     only what it says).
//
// What is not: the role's own policies (identity-based, resource-based,
// permission boundaries): Ersatz has no IAM, so a user's Role grants
// everything and only the session policy narrows it; Principal, NotPrincipal;
// other condition operators (a statement using one never matches when it
// allows, and always matches when it denies, so an unknown condition can only
// narrow access); multi-valued ForAllValues/ForAnyValue qualifiers (treated
// as unknown operators).
package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Decision is the outcome of an evaluation.
type Decision int

// The decisions.
const (
	// ImplicitDeny: no statement matched.
	ImplicitDeny Decision = iota
	// Allow: an Allow statement matched and no Deny did.
	Allow
	// Deny: a Deny statement matched.
	Deny
)

func (d Decision) String() string {
	switch d {
	case Allow:
		return "Allow"
	case Deny:
		return "Deny"
	}
	return "ImplicitDeny"
}

// Request is one action to decide.
type Request struct {
	Action   string            // e.g. "s3:GetObject"
	Resource string            // e.g. "arn:aws:s3:::bucket/key"
	Context  map[string]string // condition keys, e.g. {"s3:prefix": "home/bob/"}
}

// Policy is a parsed session policy with its variables substituted.
type Policy struct {
	statements []statement
}

type statement struct {
	Sid         string
	deny        bool
	actions     []string
	notActions  []string
	resources   []string
	notResource []string
	conditions  []condition
}

type condition struct {
	op       string // lower case, without IfExists
	ifExists bool
	known    bool
	key      string // lower case
	values   []string
}

// stringList is a JSON string or list of strings.
type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*l = []string{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New("must be a string or a list of strings")
	}
	*l = many
	return nil
}

type rawStatement struct {
	Sid         string                           `json:"Sid"`
	Effect      string                           `json:"Effect"`
	Action      stringList                       `json:"Action"`
	NotAction   stringList                       `json:"NotAction"`
	Resource    stringList                       `json:"Resource"`
	NotResource stringList                       `json:"NotResource"`
	Condition   map[string]map[string]stringList `json:"Condition"`
}

type rawStatements []rawStatement

func (s *rawStatements) UnmarshalJSON(b []byte) error {
	var one rawStatement
	if len(b) > 0 && b[0] == '{' {
		if err := json.Unmarshal(b, &one); err != nil {
			return err
		}
		*s = []rawStatement{one}
		return nil
	}
	var many []rawStatement
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*s = many
	return nil
}

// Parse reads a policy document and substitutes vars (names without the
// "transfer:" prefix, e.g. "UserName") in its resources and condition values.
func Parse(doc string, vars map[string]string) (*Policy, error) {
	var raw struct {
		Statement rawStatements `json:"Statement"`
	}
	if err := json.Unmarshal([]byte(doc), &raw); err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	sub := substituter(vars)
	p := &Policy{}
	for i, rs := range raw.Statement {
		st := statement{Sid: rs.Sid}
		switch rs.Effect {
		case "Allow":
		case "Deny":
			st.deny = true
		default:
			return nil, fmt.Errorf("policy: statement %d: Effect must be Allow or Deny, not %q", i, rs.Effect)
		}
		if (len(rs.Action) == 0) == (len(rs.NotAction) == 0) {
			return nil, fmt.Errorf("policy: statement %d: needs exactly one of Action and NotAction", i)
		}
		if (len(rs.Resource) == 0) == (len(rs.NotResource) == 0) {
			return nil, fmt.Errorf("policy: statement %d: needs exactly one of Resource and NotResource", i)
		}
		st.actions, st.notActions = rs.Action, rs.NotAction
		for _, r := range rs.Resource {
			st.resources = append(st.resources, sub(r))
		}
		for _, r := range rs.NotResource {
			st.notResource = append(st.notResource, sub(r))
		}
		for op, keys := range rs.Condition {
			base, ifExists := strings.CutSuffix(strings.ToLower(op), "ifexists")
			for k, vals := range keys {
				c := condition{op: base, ifExists: ifExists, known: knownOps[base], key: strings.ToLower(k)}
				for _, v := range vals {
					c.values = append(c.values, sub(v))
				}
				st.conditions = append(st.conditions, c)
			}
		}
		p.statements = append(p.statements, st)
	}
	return p, nil
}

var knownOps = map[string]bool{
	"stringequals": true, "stringnotequals": true,
	"stringlike": true, "stringnotlike": true,
	"stringequalsignorecase": true, "stringnotequalsignorecase": true,
}

// substituter replaces ${transfer:Name} (any case of "transfer" and of the
// name) and the escapes ${*}, ${?}, ${$}. An unknown variable is left as
// written, so it never matches a real path.
func substituter(vars map[string]string) func(string) string {
	lower := make(map[string]string, len(vars))
	for k, v := range vars {
		lower[strings.ToLower(k)] = v
	}
	return func(s string) string {
		var b strings.Builder
		for {
			i := strings.Index(s, "${")
			if i < 0 {
				b.WriteString(s)
				return b.String()
			}
			j := strings.IndexByte(s[i:], '}')
			if j < 0 {
				b.WriteString(s)
				return b.String()
			}
			b.WriteString(s[:i])
			name := s[i+2 : i+j]
			switch {
			case name == "*" || name == "?" || name == "$":
				// Escapes keep their character literal: marked so the
				// matcher does not treat it as a wildcard.
				b.WriteString(escapeMark + name)
			default:
				ln := strings.ToLower(name)
				if v, ok := lower[strings.TrimPrefix(ln, "transfer:")]; ok && strings.HasPrefix(ln, "transfer:") {
					b.WriteString(escapeWild(v))
				} else {
					b.WriteString(s[i : i+j+1])
				}
			}
			s = s[i+j+1:]
		}
	}
}

// escapeMark precedes a character that must match literally. NUL cannot
// occur in a policy or a path the data plane evaluates.
const escapeMark = "\x00"

// escapeWild marks wildcard characters of a variable's value as literal: a
// user named "a*" must not match every name.
func escapeWild(v string) string {
	if !strings.ContainsAny(v, "*?") {
		return v
	}
	var b strings.Builder
	for _, r := range v {
		if r == '*' || r == '?' {
			b.WriteString(escapeMark)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Evaluate decides req.
func (p *Policy) Evaluate(req Request) Decision {
	allowed := false
	for i := range p.statements {
		st := &p.statements[i]
		if !st.matches(req) {
			continue
		}
		if st.deny {
			return Deny
		}
		allowed = true
	}
	if allowed {
		return Allow
	}
	return ImplicitDeny
}

// Allows reports whether req is allowed.
func (p *Policy) Allows(req Request) bool { return p.Evaluate(req) == Allow }

func (st *statement) matches(req Request) bool {
	if len(st.actions) > 0 && !anyMatch(st.actions, req.Action, true) {
		return false
	}
	if len(st.notActions) > 0 && anyMatch(st.notActions, req.Action, true) {
		return false
	}
	if len(st.resources) > 0 && !anyMatch(st.resources, req.Resource, false) {
		return false
	}
	if len(st.notResource) > 0 && anyMatch(st.notResource, req.Resource, false) {
		return false
	}
	for _, c := range st.conditions {
		if !c.known {
			// Unknown operators can only narrow access.
			if st.deny {
				continue
			}
			return false
		}
		if !c.holds(req.Context) {
			return false
		}
	}
	return true
}

func anyMatch(patterns []string, s string, fold bool) bool {
	for _, p := range patterns {
		if Match(p, s, fold) {
			return true
		}
	}
	return false
}

func (c *condition) holds(ctx map[string]string) bool {
	var v string
	found := false
	for k, val := range ctx {
		if strings.EqualFold(k, c.key) {
			v, found = val, true
			break
		}
	}
	negated := strings.Contains(c.op, "not")
	if !found {
		// IAM: a missing key satisfies ...IfExists and the negated
		// operators, and fails the others.
		return c.ifExists || negated
	}
	matched := false
	for _, want := range c.values {
		var ok bool
		switch c.op {
		case "stringequals", "stringnotequals":
			ok = unescape(want) == v
		case "stringequalsignorecase", "stringnotequalsignorecase":
			ok = strings.EqualFold(unescape(want), v)
		case "stringlike", "stringnotlike":
			ok = Match(want, v, false)
		}
		if ok {
			matched = true
			break
		}
	}
	if negated {
		return !matched
	}
	return matched
}

func unescape(s string) string { return strings.ReplaceAll(s, escapeMark, "") }

// Match reports whether s matches pattern, where * matches any run of
// characters and ? any one character (a character after escapeMark matches
// only itself). fold compares case-insensitively.
func Match(pattern, s string, fold bool) bool {
	if fold {
		pattern, s = strings.ToLower(pattern), strings.ToLower(s)
	}
	p, r := []rune(pattern), []rune(s)
	// Iterative wildcard matching with one backtrack point (the last *).
	pi, si := 0, 0
	starP, starS := -1, 0
	for si < len(r) {
		if pi < len(p) {
			c, lit := p[pi], false
			step := 1
			if c == 0 && pi+1 < len(p) {
				c, lit, step = p[pi+1], true, 2
			}
			switch {
			case !lit && c == '*':
				starP, starS = pi, si
				pi++
				continue
			case (!lit && c == '?') || c == r[si]:
				pi += step
				si++
				continue
			}
		}
		if starP < 0 {
			return false
		}
		pi = starP + 1
		starS++
		si = starS
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}
