package idp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// User is what a custom identity provider's answer says of an
// authenticated user: the same settings a service-managed user has.
type User struct {
	Role       string
	PublicKeys []string
	Policy     string
	// HomeDirectoryType is PATH or LOGICAL (PATH when the answer names none).
	HomeDirectoryType string
	HomeDirectory     string
	// Mappings are the LOGICAL mappings of HomeDirectoryDetails.
	Mappings []Mapping
	Posix    *Posix
}

// Mapping is one Entry/Target pair of HomeDirectoryDetails.
type Mapping struct {
	Entry  string
	Target string
	// Type is FILE or DIRECTORY ("" is DIRECTORY).
	Type string
}

// Posix is the answer's PosixProfile.
type Posix struct {
	Uid           uint32
	Gid           uint32
	SecondaryGids []uint32
}

// ErrNoRole is an answer without Role: AWS's documented way for a provider
// to refuse a user (an empty body or an empty JSON object do the same).
var ErrNoRole = errors.New("the identity provider's answer has no Role: the user is not authenticated")

// MalformedError is an answer Ersatz cannot use; Reason names the field.
type MalformedError struct{ Reason string }

func (e *MalformedError) Error() string { return "malformed identity provider answer: " + e.Reason }

func malformed(format string, args ...any) error {
	return &MalformedError{Reason: fmt.Sprintf(format, args...)}
}

// roleARN is the pattern of an IAM role ARN (CreateUser's Role).
var roleARN = regexp.MustCompile(`^arn:.*role/\S+$`)

// Parse reads a provider's answer, as AWS documents it for API Gateway
// and Lambda providers alike: a JSON object with Role, PublicKeys, Policy
// (a JSON policy as a string), HomeDirectoryType, HomeDirectory,
// HomeDirectoryDetails (the LOGICAL mappings as a JSON string) and
// PosixProfile. Other members are ignored. An empty body, an empty object
// and an object without Role are ErrNoRole; anything else Ersatz cannot
// use is a *MalformedError naming the member.
func Parse(body []byte) (User, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return User{}, ErrNoRole
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil || obj == nil {
		return User{}, malformed("the answer is not a JSON object")
	}
	var u User
	role, err := optString(obj, "Role")
	if err != nil {
		return User{}, err
	}
	if role == "" {
		return User{}, ErrNoRole
	}
	if !roleARN.MatchString(role) || len(role) > 2048 {
		return User{}, malformed("Role %q is not an IAM role ARN (arn:...:role/name)", role)
	}
	u.Role = role
	if u.PublicKeys, err = publicKeys(obj); err != nil {
		return User{}, err
	}
	if u.Policy, err = optString(obj, "Policy"); err != nil {
		return User{}, err
	}
	if p := strings.TrimSpace(u.Policy); p != "" && (!strings.HasPrefix(p, "{") || !json.Valid([]byte(p))) {
		return User{}, malformed("Policy is not a JSON policy document")
	}
	if err := u.home(obj); err != nil {
		return User{}, err
	}
	if raw, ok := obj["PosixProfile"]; ok && !isNull(raw) {
		px, err := posix(raw)
		if err != nil {
			return User{}, err
		}
		u.Posix = px
	}
	return u, nil
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// optString reads a string member; a missing or null member is "".
func optString(obj map[string]json.RawMessage, name string) (string, error) {
	raw, ok := obj[name]
	if !ok || isNull(raw) {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", malformed("%s must be a string", name)
	}
	return s, nil
}

func publicKeys(obj map[string]json.RawMessage) ([]string, error) {
	raw, ok := obj["PublicKeys"]
	if !ok || isNull(raw) {
		return nil, nil
	}
	var keys []string
	if err := json.Unmarshal(raw, &keys); err != nil {
		return nil, malformed("PublicKeys must be a list of strings")
	}
	var out []string
	for _, k := range keys {
		// AWS's own examples answer "PublicKeys": [""] for password users.
		if k = strings.TrimSpace(k); k != "" {
			out = append(out, k)
		}
	}
	return out, nil
}

// home reads HomeDirectoryType, HomeDirectory and HomeDirectoryDetails.
func (u *User) home(obj map[string]json.RawMessage) error {
	typ, err := optString(obj, "HomeDirectoryType")
	if err != nil {
		return err
	}
	switch typ {
	case "":
		typ = "PATH"
	case "PATH", "LOGICAL":
	default:
		return malformed("HomeDirectoryType %q must be PATH or LOGICAL", typ)
	}
	u.HomeDirectoryType = typ
	if u.HomeDirectory, err = optString(obj, "HomeDirectory"); err != nil {
		return err
	}
	if u.HomeDirectory != "" && !strings.HasPrefix(u.HomeDirectory, "/") {
		return malformed("HomeDirectory %q must be an absolute path (start with /)", u.HomeDirectory)
	}
	details, err := optString(obj, "HomeDirectoryDetails")
	if err != nil {
		return malformed("HomeDirectoryDetails must be a string holding the JSON list of mappings")
	}
	if typ != "LOGICAL" {
		// Mappings only mean something to a LOGICAL home, as for users.
		return nil
	}
	if strings.TrimSpace(details) == "" {
		return malformed("HomeDirectoryDetails are required when HomeDirectoryType is LOGICAL")
	}
	var entries []struct {
		Entry  *string `json:"Entry"`
		Target *string `json:"Target"`
		Type   *string `json:"Type"`
	}
	if err := json.Unmarshal([]byte(details), &entries); err != nil {
		return malformed("HomeDirectoryDetails is not a JSON list of {\"Entry\", \"Target\"} mappings")
	}
	if len(entries) == 0 {
		return malformed("HomeDirectoryDetails are required when HomeDirectoryType is LOGICAL")
	}
	for i, e := range entries {
		if e.Entry == nil || e.Target == nil {
			return malformed("HomeDirectoryDetails[%d] needs Entry and Target", i)
		}
		if !strings.HasPrefix(*e.Entry, "/") || !strings.HasPrefix(*e.Target, "/") {
			return malformed("HomeDirectoryDetails[%d]: Entry %q and Target %q must start with /", i, *e.Entry, *e.Target)
		}
		m := Mapping{Entry: *e.Entry, Target: *e.Target}
		if e.Type != nil {
			switch *e.Type {
			case "FILE", "DIRECTORY":
				m.Type = *e.Type
			default:
				return malformed("HomeDirectoryDetails[%d].Type %q must be FILE or DIRECTORY", i, *e.Type)
			}
		}
		u.Mappings = append(u.Mappings, m)
	}
	return nil
}

// posix reads PosixProfile: Uid and Gid are required; numbers may be JSON
// numbers or decimal strings (AWS's own example quotes them).
func posix(raw json.RawMessage) (*Posix, error) {
	var p struct {
		Uid, Gid      json.RawMessage
		SecondaryGids []json.RawMessage
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, malformed("PosixProfile must be an object with Uid, Gid and SecondaryGids")
	}
	if p.Uid == nil || p.Gid == nil {
		return nil, malformed("PosixProfile needs Uid and Gid")
	}
	uid, err := posixID("PosixProfile.Uid", p.Uid)
	if err != nil {
		return nil, err
	}
	gid, err := posixID("PosixProfile.Gid", p.Gid)
	if err != nil {
		return nil, err
	}
	out := &Posix{Uid: uid, Gid: gid}
	for i, g := range p.SecondaryGids {
		id, err := posixID(fmt.Sprintf("PosixProfile.SecondaryGids[%d]", i), g)
		if err != nil {
			return nil, err
		}
		out.SecondaryGids = append(out.SecondaryGids, id)
	}
	return out, nil
}

func posixID(name string, raw json.RawMessage) (uint32, error) {
	s := strings.TrimSpace(string(raw))
	var str string
	if json.Unmarshal(raw, &str) == nil {
		s = strings.TrimSpace(str)
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n > math.MaxUint32 {
		return 0, malformed("%s must be a whole number from 0 to 4294967295", name)
	}
	return uint32(n), nil
}
