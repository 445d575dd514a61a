package store

import (
	"encoding/json"
	"fmt"
)

// Secret names a member of a kind of resource that holds a secret: a private
// key, a password hash. A snapshot leaves secrets out unless asked for them
// (see WithoutSecrets).
type Secret struct {
	Service string // the resource's scope service, e.g. "transfer"
	Kind    string // the resource's kind, e.g. "hostkey"
	Member  string // the member of its JSON document, e.g. "privateKeyPem"
}

// WithoutSecrets returns a copy of snap whose resources lack the members
// secrets name (a document of such a kind that is not a JSON object becomes
// {}). The result is still a valid snapshot: it restores every resource,
// each without those members.
func (snap *Snapshot) WithoutSecrets(secrets []Secret) (*Snapshot, error) {
	if snap == nil {
		return nil, fmt.Errorf("%w: nil snapshot", ErrInvalidSnapshot)
	}
	byKind := map[[2]string][]string{}
	for _, s := range secrets {
		k := [2]string{s.Service, s.Kind}
		byKind[k] = append(byKind[k], s.Member)
	}
	out := &Snapshot{Format: snap.Format, Version: snap.Version, Resources: make([]SnapshotResource, len(snap.Resources))}
	for i, r := range snap.Resources {
		out.Resources[i] = r
		members := byKind[[2]string{r.Service, r.Kind}]
		if len(members) == 0 {
			continue
		}
		var doc map[string]json.RawMessage
		if err := json.Unmarshal(r.Data, &doc); err != nil || doc == nil {
			// Not an object (an imported oddity): nothing of it can be told
			// safe, so none of it is kept.
			out.Resources[i].Data = json.RawMessage(`{}`)
			continue
		}
		removed := false
		for _, m := range members {
			if _, ok := doc[m]; ok {
				delete(doc, m)
				removed = true
			}
		}
		if !removed {
			continue
		}
		data, err := json.Marshal(doc)
		if err != nil {
			return nil, fmt.Errorf("store: leave secrets out of %s/%s %s: %w", r.Service, r.Kind, r.ID, err)
		}
		out.Resources[i].Data = data
	}
	return out, nil
}
