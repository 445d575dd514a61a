package qapps

import (
	"context"
	"errors"
	"maps"
	"strings"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/qappsapi"
	"github.com/ersatz-dev/ersatz/internal/ids"
	"github.com/ersatz-dev/ersatz/internal/store"
)

// Tags.
//
// Apps, sessions and library items carry tags, addressed by ARN:
//
//	arn:aws:qapps:<region>:<account>:application/<instanceId>/qapp/<appId>
//	arn:aws:qapps:<region>:<account>:application/<instanceId>/qapp/<appId>/session/<sessionId>
//	arn:aws:qapps:<region>:<account>:application/<instanceId>/library-item/<libraryItemId>
//
// An ARN of another account or region, of another shape, or of nothing that
// exists is a ResourceNotFoundException. A resource holds at most 50 tags; keys
// are 1 to 128 characters, values at most 256, and keys beginning "aws:" are
// reserved. Tagging an app needs write on it and listing its tags read; a
// session's tags belong to its host; a library item's tags to its creator and
// the app's writers (anyone may list them).

func checkTags(tags map[string]string, path string) error {
	if len(tags) > maxTagsPerResource {
		return validation("Value at '%s' has %d tags: a resource has at most %d", path, len(tags), maxTagsPerResource)
	}
	for k, v := range tags {
		switch {
		case len(k) < 1 || len(k) > 128:
			return validation("Tag key '%s' at '%s' must be 1 to 128 characters long", k, path)
		case len(v) > 256:
			return validation("The value of tag '%s' at '%s' must be at most 256 characters long", k, path)
		case strings.HasPrefix(strings.ToLower(k), "aws:"):
			return validation("Tag key '%s' at '%s' uses the reserved prefix 'aws:'", k, path)
		}
	}
	return nil
}

// arnTarget is what a Q Apps ARN names.
type arnTarget struct {
	instance, appID, sessionID, itemID string
}

func parseArn(sc store.Scope, arn string) (arnTarget, bool) {
	rest, ok := strings.CutPrefix(arn, ids.ARN(serviceName, sc.Region, sc.Account, "application/"))
	if !ok {
		return arnTarget{}, false
	}
	if i := strings.LastIndex(rest, "/library-item/"); i > 0 {
		t := arnTarget{instance: rest[:i], itemID: rest[i+len("/library-item/"):]}
		return t, t.itemID != "" && !strings.Contains(t.itemID, "/")
	}
	i := strings.LastIndex(rest, "/qapp/")
	if i <= 0 {
		return arnTarget{}, false
	}
	t := arnTarget{instance: rest[:i]}
	app := rest[i+len("/qapp/"):]
	if a, sid, ok := strings.Cut(app, "/session/"); ok {
		t.appID, t.sessionID = a, sid
	} else {
		t.appID = app
	}
	bad := t.appID == "" || strings.Contains(t.appID, "/") || strings.Contains(t.sessionID, "/")
	return t, !bad
}

// tagged is a resource found from an ARN, with its tags and a way to store them.
type tagged struct {
	tags     map[string]string
	canWrite bool
	canRead  bool
	save     func(tx store.Tx, tags map[string]string) error
}

func (s *Service) resolveArn(ctx context.Context, tx store.Tx, arn string) (tagged, error) {
	r, err := s.begin(ctx, nil)
	if err != nil {
		return tagged{}, err
	}
	missing := &qappsapi.ResourceNotFoundException{
		Message: api.Ptr("No Q Apps resource has the ARN " + arn), ResourceId: api.Ptr(arn), ResourceType: api.Ptr("Resource"),
	}
	t, ok := parseArn(r.Scope, arn)
	if !ok {
		return tagged{}, missing
	}
	r, err = s.begin(ctx, &t.instance)
	if err != nil {
		return tagged{}, err
	}
	if t.itemID != "" {
		key := r.inst.Child("library", segment(t.itemID))
		item, err := get[libraryItemRecord](tx, key, "LibraryItem", t.itemID)
		if err != nil {
			return tagged{}, notFoundAs(err, missing)
		}
		write := item.CreatedBy == r.user.ID
		if !write {
			if _, a, err := s.loadApp(tx, r, item.AppID); err == nil {
				write = a.write
			}
		}
		return tagged{tags: item.Tags, canWrite: write, canRead: true, save: func(tx store.Tx, tags map[string]string) error {
			item.Tags = tags
			return store.PutJSON(tx, key, item)
		}}, nil
	}
	app, a, err := s.loadApp(tx, r, segment(t.appID))
	if err != nil {
		return tagged{}, notFoundAs(err, missing)
	}
	if t.sessionID == "" {
		return tagged{tags: app.Tags, canWrite: a.write, canRead: a.read, save: func(tx store.Tx, tags map[string]string) error {
			app.Tags = tags
			return store.PutJSON(tx, r.appKey(app.ID), app)
		}}, nil
	}
	key := r.appKey(app.ID).Child("session", segment(t.sessionID))
	sess, err := get[sessionRecord](tx, key, "QAppSession", t.sessionID)
	if err != nil {
		return tagged{}, notFoundAs(err, missing)
	}
	host := sess.Host.ID == r.user.ID
	return tagged{tags: sess.Tags, canWrite: host, canRead: host, save: func(tx store.Tx, tags map[string]string) error {
		sess.Tags = tags
		return store.PutJSON(tx, key, sess)
	}}, nil
}

func notFoundAs(err error, missing error) error {
	var nf *qappsapi.ResourceNotFoundException
	if errors.As(err, &nf) {
		return missing
	}
	return err
}

// TagResource adds or replaces tags.
func (s *Service) TagResource(ctx context.Context, in *qappsapi.TagResourceRequest) (*qappsapi.TagResourceResponse, error) {
	if err := checkTags(in.Tags, "tags"); err != nil {
		return nil, err
	}
	err := s.store.Update(ctx, func(tx store.Tx) error {
		res, err := s.resolveArn(ctx, tx, *in.ResourceARN)
		if err != nil {
			return err
		}
		if !res.canWrite {
			return denied("You are not allowed to tag %s", *in.ResourceARN)
		}
		tags := maps.Clone(res.tags)
		if tags == nil {
			tags = map[string]string{}
		}
		maps.Copy(tags, in.Tags)
		if err := checkTags(tags, "tags"); err != nil {
			return err
		}
		return res.save(tx, tags)
	})
	if err != nil {
		return nil, s.kit.Err("tag resource", err)
	}
	return &qappsapi.TagResourceResponse{}, nil
}

// UntagResource removes tags; keys the resource does not have are ignored.
func (s *Service) UntagResource(ctx context.Context, in *qappsapi.UntagResourceRequest) (*qappsapi.UntagResourceResponse, error) {
	err := s.store.Update(ctx, func(tx store.Tx) error {
		res, err := s.resolveArn(ctx, tx, *in.ResourceARN)
		if err != nil {
			return err
		}
		if !res.canWrite {
			return denied("You are not allowed to untag %s", *in.ResourceARN)
		}
		tags := maps.Clone(res.tags)
		for _, k := range in.TagKeys {
			delete(tags, k)
		}
		if len(tags) == 0 {
			tags = nil
		}
		return res.save(tx, tags)
	})
	if err != nil {
		return nil, s.kit.Err("untag resource", err)
	}
	return &qappsapi.UntagResourceResponse{}, nil
}

// ListTagsForResource returns a resource's tags.
func (s *Service) ListTagsForResource(ctx context.Context, in *qappsapi.ListTagsForResourceRequest) (*qappsapi.ListTagsForResourceResponse, error) {
	var tags map[string]string
	err := s.store.View(ctx, func(tx store.Tx) error {
		res, err := s.resolveArn(ctx, tx, *in.ResourceARN)
		if err != nil {
			return err
		}
		if !res.canRead {
			return denied("You are not allowed to list the tags of %s", *in.ResourceARN)
		}
		tags = res.tags
		return nil
	})
	if err != nil {
		return nil, s.kit.Err("list tags", err)
	}
	if tags == nil {
		tags = map[string]string{}
	}
	return &qappsapi.ListTagsForResourceResponse{Tags: tags}, nil
}
