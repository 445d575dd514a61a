// Package seed loads a seed file: the resources a CI job wants present when
// Ersatz starts (Transfer servers and their users, Amplify Backend backends,
// Q Apps apps), created by calling the services' own operations, so every
// entry is validated as the same request sent over the wire would be.
//
// A seed file is a JSON object:
//
//	{
//	  "account": "000000000000",   // optional: the account that owns them
//	  "region":  "us-east-1",      // optional: their region
//	  "accessKeyId": "test",       // optional: the caller's access key id (Q Apps' user)
//	  "userId": "...",             // optional: the Q Apps user, instead of the key's
//	  "transfer": {"servers": [{...CreateServer members..., "Users": [{...CreateUser members but ServerId...}]}]},
//	  "amplifybackend": {"backends": [{...CreateBackend members...}]},
//	  "qapps": {"apps": [{"instanceId": "...", ...CreateQApp members...}]}
//	}
//
// Members are spelled as on the wire (Transfer: "Protocols"; Amplify
// Backend and Q Apps: "appName", "title").
package seed

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/protocol"
	"github.com/ersatz-dev/ersatz/internal/validate"
)

// File is a decoded seed file.
type File struct {
	Account     string `json:"account"`
	Region      string `json:"region"`
	AccessKeyID string `json:"accessKeyId"`
	UserID      string `json:"userId"`
	Transfer    struct {
		Servers []map[string]json.RawMessage `json:"servers"`
	} `json:"transfer"`
	AmplifyBackend struct {
		Backends []json.RawMessage `json:"backends"`
	} `json:"amplifybackend"`
	QApps struct {
		Apps []map[string]json.RawMessage `json:"apps"`
	} `json:"qapps"`
}

// DefaultAccessKeyID is the access key a seed file's resources are created
// with when it names none: the one the README's examples use, so that their
// Q Apps user owns the seeded apps.
const DefaultAccessKeyID = "test"

var accountRE = regexp.MustCompile(`^[0-9]{12}$`)

// Parse decodes and checks a seed file's structure (not its entries, which
// the operations check when Apply calls them). Unknown top-level members
// are refused so that a typo is not silently skipped.
func Parse(data []byte) (*File, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f File
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	if dec.More() {
		return nil, errors.New("seed: trailing data after the JSON object")
	}
	if f.Account == "" {
		f.Account = "000000000000"
	}
	if f.AccessKeyID == "" {
		f.AccessKeyID = DefaultAccessKeyID
	}
	if !accountRE.MatchString(f.Account) {
		return nil, fmt.Errorf("seed: account must be 12 digits, not %q", f.Account)
	}
	return &f, nil
}

// Count is how many resources a file creates.
func (f *File) Count() int {
	n := len(f.AmplifyBackend.Backends) + len(f.QApps.Apps)
	for _, s := range f.Transfer.Servers {
		n++
		var users []json.RawMessage
		if raw, ok := s["Users"]; ok && json.Unmarshal(raw, &users) == nil {
			n += len(users)
		}
	}
	return n
}

// Apply creates f's resources through the operations of services, as a
// caller of f's account in f's region (defaultRegion when f names none). It
// stops at the first entry an operation refuses, with an error naming the
// entry; the caller undoes what came before (see Load).
func Apply(ctx context.Context, f *File, services []*api.Service, defaultRegion string) (int, error) {
	region := f.Region
	if region == "" {
		region = defaultRegion
	}
	ctx = api.WithCaller(ctx, api.Caller{RequestID: "seed", Account: f.Account, Region: region,
		AccessKeyID: f.AccessKeyID, UserID: f.UserID})
	c := caller{services: services}
	n := 0
	for i, s := range f.Transfer.Servers {
		where := fmt.Sprintf("transfer.servers[%d]", i)
		var users []map[string]json.RawMessage
		server := map[string]json.RawMessage{}
		for k, v := range s {
			if k == "Users" {
				if err := json.Unmarshal(v, &users); err != nil {
					return n, fmt.Errorf("seed %s.Users: must be a list of objects: %w", where, err)
				}
				continue
			}
			server[k] = v
		}
		out, err := c.call(ctx, where, "transfer", "CreateServer", server, nil)
		if err != nil {
			return n, err
		}
		n++
		id, _ := out["ServerId"].(string)
		for j, u := range users {
			if u == nil {
				u = map[string]json.RawMessage{}
			}
			u["ServerId"], _ = json.Marshal(id)
			if _, err := c.call(ctx, fmt.Sprintf("%s.Users[%d]", where, j), "transfer", "CreateUser", u, nil); err != nil {
				return n, err
			}
			n++
		}
	}
	for i, b := range f.AmplifyBackend.Backends {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(b, &m); err != nil {
			return n, fmt.Errorf("seed amplifybackend.backends[%d]: must be an object: %w", i, err)
		}
		if _, err := c.call(ctx, fmt.Sprintf("amplifybackend.backends[%d]", i), "amplifybackend", "CreateBackend", m, nil); err != nil {
			return n, err
		}
		n++
	}
	for i, a := range f.QApps.Apps {
		headers := map[string]string{}
		body := map[string]json.RawMessage{}
		for k, v := range a {
			if k == "instanceId" {
				var id string
				if err := json.Unmarshal(v, &id); err != nil {
					return n, fmt.Errorf("seed qapps.apps[%d].instanceId: must be a string", i)
				}
				headers["instance-id"] = id
				continue
			}
			body[k] = v
		}
		if _, err := c.call(ctx, fmt.Sprintf("qapps.apps[%d]", i), "qapps", "CreateQApp", body, headers); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

type caller struct {
	services []*api.Service
}

// call runs one operation as the gateway would: decode, bind, validate,
// handle. Its output comes back as a JSON object.
func (c caller) call(ctx context.Context, where, service, operation string, members map[string]json.RawMessage, headers map[string]string) (map[string]any, error) {
	var op *api.Operation
	var svc *api.Service
	for _, s := range c.services {
		if s.Name == service {
			svc, op = s, s.Operation(operation)
		}
	}
	if op == nil || op.Handler == nil {
		return nil, fmt.Errorf("seed %s: %s %s is not available", where, service, operation)
	}
	body, err := json.Marshal(members)
	if err != nil {
		return nil, fmt.Errorf("seed %s: %w", where, err)
	}
	in := op.NewInput()
	if err := protocol.DecodeJSON(body, in); err != nil {
		return nil, fmt.Errorf("seed %s: %w", where, err)
	}
	strict := json.NewDecoder(bytes.NewReader(body))
	strict.DisallowUnknownFields()
	if err := strict.Decode(op.NewInput()); err != nil {
		return nil, fmt.Errorf("seed %s: %s has no such member: %w", where, operation, err)
	}
	if b, ok := in.(api.BoundInput); ok {
		if err := b.Bind(bindings(headers)); err != nil {
			return nil, fmt.Errorf("seed %s: %w", where, err)
		}
	}
	var rep validate.Report
	in.Validate(&rep, "")
	if !rep.OK() {
		return nil, fmt.Errorf("seed %s: %s: %s", where, svc.ValidationCode, rep.Message())
	}
	out, err := op.Handler(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("seed %s: %s %s: %w", where, service, operation, err)
	}
	raw, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("seed %s: %w", where, err)
	}
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return m, nil
}

// bindings offers the headers of a seed entry to an input's Bind.
type bindings map[string]string

func (b bindings) Label(string) (string, bool) { return "", false }
func (b bindings) Header(name string) (string, bool) {
	v, ok := b[name]
	return v, ok
}
func (b bindings) Query(string) (string, bool) { return "", false }
func (b bindings) QueryAll(string) []string    { return nil }
