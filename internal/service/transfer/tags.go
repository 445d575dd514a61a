package transfer

import (
	"context"
	"slices"
	"strings"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/transferapi"
	"github.com/ersatz-dev/ersatz/internal/service/svc"
	"github.com/ersatz-dev/ersatz/internal/store"
)

// Tagging is generic over ARNs. The resource part of a Transfer ARN is
// "<type>/<id>[/<id>...]"; tagKinds maps the type to a tagKind that turns the
// ids into the resource's store key. A resource's tags live in one document
// below it (<resource>/tags/set), so they are deleted with the resource. To
// make a new kind taggable (connectors, profiles, certificates, agreements,
// workflows, web apps), add it to coreTagKinds and store its Tags at create
// time with putTags.

// MaxTagsPerResource is how many tags one resource can carry.
const MaxTagsPerResource = 50

const (
	kindTags = "tags"
	tagSetID = "set"
)

// tagKind is one kind of taggable resource.
type tagKind struct {
	// key returns the store key of the resource the ARN's ids name, or false
	// when they cannot name one.
	key func(sc store.Scope, ids []string) (store.Key, bool)
	// notFound is the Message and ResourceType of its ResourceNotFoundException.
	message, resourceType string
}

// coreTagKinds are the taggable kinds of the core of Transfer Family.
func coreTagKinds() map[string]tagKind {
	return map[string]tagKind{
		"server": {
			key: func(sc store.Scope, p []string) (store.Key, bool) {
				if len(p) != 1 {
					return store.Key{}, false
				}
				return serverKey(sc, p[0]), true
			},
			message: msgUnknownSrv, resourceType: rtServer,
		},
		"user": {
			key: func(sc store.Scope, p []string) (store.Key, bool) {
				if len(p) != 2 {
					return store.Key{}, false
				}
				return userKey(sc, p[0], p[1]), true
			},
			message: msgUnknownUser, resourceType: rtUser,
		},
		"host-key": {
			key: func(sc store.Scope, p []string) (store.Key, bool) {
				if len(p) != 2 {
					return store.Key{}, false
				}
				return serverKey(sc, p[0]).Child(kindHostKey, p[1]), true
			},
			message: "Unknown host key", resourceType: rtHostKey,
		},
	}
}

// tagSet is the document holding a resource's tags, sorted by key.
type tagSet struct {
	Tags []transferapi.Tag `json:"tags"`
}

// resolveARN finds the store key of the resource an ARN names and checks it
// exists. An ARN that is not a Transfer ARN is an InvalidRequestException; one
// of another partition, account or region, of an unknown resource type, or
// naming no resource is a ResourceNotFoundException.
func (s *Service) resolveARN(ctx context.Context, tx store.Tx, arnStr string) (store.Key, error) {
	parts := strings.SplitN(arnStr, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != ServiceName {
		return store.Key{}, invalid("Invalid ARN %s: not an AWS Transfer Family resource ARN", arnStr)
	}
	unknown := notFound("Unknown resource", arnStr, rtResourceARN)
	c := api.CallerFrom(ctx)
	if parts[1] != "aws" || parts[3] != c.Region || parts[4] != c.Account {
		return store.Key{}, unknown
	}
	path := strings.Split(parts[5], "/")
	kind, ok := s.tagKinds[path[0]]
	if !ok {
		return store.Key{}, unknown
	}
	key, ok := kind.key(s.kit.Scope(ctx), path[1:])
	if !ok || store.NotFoundIfInvalid(key) != nil {
		return store.Key{}, notFound(kind.message, arnStr, kind.resourceType)
	}
	found, err := svc.Exists(tx, key)
	if err != nil {
		return store.Key{}, err
	}
	if !found {
		return store.Key{}, notFound(kind.message, arnStr, kind.resourceType)
	}
	return key, nil
}

// checkNewTags checks the Tags of a create: no empty and no repeated keys.
// It returns them sorted by key.
func checkNewTags(tags []transferapi.Tag) ([]transferapi.Tag, error) {
	return mergeTags(nil, tags)
}

// mergeTags adds (or re-values) add to have, checking the keys and the limit.
func mergeTags(have, add []transferapi.Tag) ([]transferapi.Tag, error) {
	seen := map[string]bool{}
	out := slices.Clone(have)
	for _, t := range add {
		k := api.Val(t.Key)
		if k == "" {
			return nil, invalid("Tag keys must not be empty")
		}
		if seen[k] {
			return nil, invalid("Tag key %q is given more than once", k)
		}
		seen[k] = true
		i := slices.IndexFunc(out, func(e transferapi.Tag) bool { return api.Val(e.Key) == k })
		v := transferapi.Tag{Key: api.Ptr(k), Value: api.Ptr(api.Val(t.Value))}
		if i >= 0 {
			out[i] = v
		} else {
			out = append(out, v)
		}
	}
	if len(out) > MaxTagsPerResource {
		return nil, invalid("A resource can have at most %d tags; this request would leave it with %d", MaxTagsPerResource, len(out))
	}
	slices.SortFunc(out, func(a, b transferapi.Tag) int { return strings.Compare(*a.Key, *b.Key) })
	return out, nil
}

// getTags reads the tags of the resource at key (nil when it has none).
func getTags(tx store.Tx, key store.Key) ([]transferapi.Tag, error) {
	set, _, err := svc.Lookup[tagSet](tx, key.Child(kindTags, tagSetID))
	return set.Tags, err
}

// putTags stores the tags of the resource at key (deleting the document when
// there are none).
func putTags(tx store.Tx, key store.Key, tags []transferapi.Tag) error {
	k := key.Child(kindTags, tagSetID)
	if len(tags) == 0 {
		return svc.DeleteIfExists(tx, k)
	}
	return store.PutJSON(tx, k, tagSet{Tags: tags})
}

// TagResource adds tags to a resource, replacing the values of keys it has.
func (s *Service) TagResource(ctx context.Context, in *transferapi.TagResourceRequest) error {
	return s.editTags(ctx, "TagResource", *in.Arn, func(have []transferapi.Tag) ([]transferapi.Tag, error) {
		return mergeTags(have, in.Tags)
	})
}

// UntagResource removes the tags with the given keys; absent keys are ignored.
func (s *Service) UntagResource(ctx context.Context, in *transferapi.UntagResourceRequest) error {
	return s.editTags(ctx, "UntagResource", *in.Arn, func(have []transferapi.Tag) ([]transferapi.Tag, error) {
		return slices.DeleteFunc(have, func(t transferapi.Tag) bool { return slices.Contains(in.TagKeys, api.Val(t.Key)) }), nil
	})
}

// editTags replaces, in one transaction, the tags of the resource arn names
// with what edit makes of them; op names the operation in a store error.
func (s *Service) editTags(ctx context.Context, op, arn string, edit func(have []transferapi.Tag) ([]transferapi.Tag, error)) error {
	err := s.store.Update(ctx, func(tx store.Tx) error {
		key, err := s.resolveARN(ctx, tx, arn)
		if err != nil {
			return err
		}
		have, err := getTags(tx, key)
		if err != nil {
			return err
		}
		tags, err := edit(have)
		if err != nil {
			return err
		}
		return putTags(tx, key, tags)
	})
	return s.kit.Err(op, err)
}

// ListTagsForResource pages through a resource's tags in ascending order of
// key. The NextToken is a store page token over the resource's tag keys, so a
// token of another resource is refused.
func (s *Service) ListTagsForResource(ctx context.Context, in *transferapi.ListTagsForResourceRequest) (*transferapi.ListTagsForResourceResponse, error) {
	out := &transferapi.ListTagsForResourceResponse{Arn: in.Arn}
	err := s.store.View(ctx, func(tx store.Tx) error {
		key, err := s.resolveARN(ctx, tx, *in.Arn)
		if err != nil {
			return err
		}
		tags, err := getTags(tx, key)
		if err != nil {
			return err
		}
		coll := store.Collection{Scope: key.Scope, Parent: key.Path(), Kind: "tag"}
		cur, err := s.kit.Cursor(coll, api.Val(in.NextToken), s.kit.Limit(in.MaxResults))
		if err != nil {
			return err
		}
		out.Tags, out.NextToken = svc.Page(cur, tags, func(t transferapi.Tag) string { return *t.Key })
		return nil
	})
	if err != nil {
		return nil, s.kit.Err("ListTagsForResource", err)
	}
	return out, nil
}
