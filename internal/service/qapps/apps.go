package qapps

import (
	"context"
	"errors"
	"slices"
	"strconv"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/qappsapi"
	"github.com/ersatz-dev/ersatz/internal/ids"
	"github.com/ersatz-dev/ersatz/internal/service/svc"
	"github.com/ersatz-dev/ersatz/internal/store"
)

// Apps.
//
// CreateQApp makes version 1, owned by the caller, with status DRAFT; every
// successful UpdateQApp makes the next version (GetQApp reads any version
// with appVersion). An app is PUBLISHED while its library item is PUBLISHED.
// requiredCapabilities follow from the cards: FileUpload for a file-upload
// card, CreatorMode for a Q query card answering from the LLM, RetrievalMode
// for one answering from approved sources, PluginMode for a plugin card.

func (r req) userAppKey(userID, appID string) store.Key {
	return r.inst.Child("user", segment(userID)).Child("app", appID)
}

func (r req) versionKey(appID string, v int32) store.Key {
	return r.appKey(appID).Child("version", versionID(v))
}

func loadVersion(tx store.Tx, r req, appID string, v int32) (versionRecord, error) {
	ver, err := store.GetJSON[versionRecord](tx, r.versionKey(appID, v))
	if errors.Is(err, store.ErrNotFound) {
		return ver, &qappsapi.ResourceNotFoundException{
			Message:    api.Ptr("Q App " + appID + " has no version " + itoa(v)),
			ResourceId: api.Ptr(appID), ResourceType: api.Ptr("QAppVersion"),
		}
	}
	return ver, err
}

func (s *Service) appStatus(tx store.Tx, r req, app appRecord) (string, bool, error) {
	item, ok, err := s.libraryItemOf(tx, r, app)
	if err != nil {
		return "", false, err
	}
	if ok && item.Status == qappsapi.LibraryItemStatusPublished {
		return qappsapi.AppStatusPublished, item.IsVerified, nil
	}
	return qappsapi.AppStatusDraft, ok && item.IsVerified, nil
}

// CreateQApp creates an app from a definition.
func (s *Service) CreateQApp(ctx context.Context, in *qappsapi.CreateQAppInput) (*qappsapi.CreateQAppOutput, error) {
	r, err := s.begin(ctx, in.InstanceId)
	if err != nil {
		return nil, err
	}
	if err := checkTags(in.Tags, "tags"); err != nil {
		return nil, err
	}
	now, appID := s.clock(), ids.UUID()
	var ver versionRecord
	err = s.store.Update(ctx, func(tx store.Tx) error {
		cards, caps, err := buildDefinition(in.AppDefinition, "appDefinition", appFiles(tx, r))
		if err != nil {
			return err
		}
		app := appRecord{ID: appID, Owner: r.user, Version: 1, CreatedAt: now, Users: []string{r.user.ID}, Tags: in.Tags}
		ver = versionRecord{
			Version: 1, Title: *in.Title, Description: in.Description, InitialPrompt: in.AppDefinition.InitialPrompt,
			Cards: cards, Capabilities: caps, UpdatedAt: now, UpdatedBy: r.user.ID,
		}
		if err := store.PutJSON(tx, r.appKey(appID), app); err != nil {
			return err
		}
		if err := store.PutJSON(tx, r.versionKey(appID, 1), ver); err != nil {
			return err
		}
		return store.PutJSON(tx, r.userAppKey(r.user.ID, appID), userAppRecord{AppID: appID, CreatedAt: now})
	})
	if err != nil {
		return nil, s.kit.Err("create app", err)
	}
	return &qappsapi.CreateQAppOutput{
		AppId: api.Ptr(appID), AppArn: api.Ptr(r.appArn(appID)), Title: api.Ptr(ver.Title), Description: ver.Description,
		InitialPrompt: ver.InitialPrompt, AppVersion: api.Ptr(ver.Version), Status: api.Ptr(qappsapi.AppStatusDraft),
		CreatedAt: api.ISO(now), CreatedBy: api.Ptr(r.user.ID), UpdatedAt: api.ISO(now), UpdatedBy: api.Ptr(r.user.ID),
		RequiredCapabilities: nonNil(ver.Capabilities),
	}, nil
}

// GetQApp returns an app version with its definition.
func (s *Service) GetQApp(ctx context.Context, in *qappsapi.GetQAppInput) (*qappsapi.GetQAppOutput, error) {
	r, err := s.begin(ctx, in.InstanceId)
	if err != nil {
		return nil, err
	}
	var out *qappsapi.GetQAppOutput
	err = s.store.View(ctx, func(tx store.Tx) error {
		app, a, err := s.loadApp(tx, r, *in.AppId)
		if err != nil {
			return err
		}
		if err := needRead(a, r, app.ID); err != nil {
			return err
		}
		v := app.Version
		if a.viaLibrary {
			v = a.libraryVersion
		}
		if in.AppVersion != nil {
			if a.viaLibrary && *in.AppVersion != a.libraryVersion {
				return denied("User %s may read only the published version %d of Q App %s", r.user.ID, a.libraryVersion, app.ID)
			}
			v = *in.AppVersion
		}
		ver, err := loadVersion(tx, r, app.ID, v)
		if err != nil {
			return err
		}
		status, _, err := s.appStatus(tx, r, app)
		if err != nil {
			return err
		}
		out = &qappsapi.GetQAppOutput{
			AppId: api.Ptr(app.ID), AppArn: api.Ptr(r.appArn(app.ID)), Title: api.Ptr(ver.Title), Description: ver.Description,
			InitialPrompt: ver.InitialPrompt, AppVersion: api.Ptr(ver.Version), Status: api.Ptr(status),
			CreatedAt: api.ISO(app.CreatedAt), CreatedBy: api.Ptr(app.Owner.ID),
			UpdatedAt: api.ISO(ver.UpdatedAt), UpdatedBy: api.Ptr(ver.UpdatedBy),
			RequiredCapabilities: nonNil(ver.Capabilities),
			AppDefinition: &qappsapi.AppDefinition{
				AppDefinitionVersion: api.Ptr(appDefinitionFormat), Cards: normalizeCards(ver.Cards), CanEdit: api.Ptr(a.write),
			},
		}
		return nil
	})
	if err != nil {
		return nil, s.kit.Err("get app", err)
	}
	return out, nil
}

// UpdateQApp makes a new version of an app.
func (s *Service) UpdateQApp(ctx context.Context, in *qappsapi.UpdateQAppInput) (*qappsapi.UpdateQAppOutput, error) {
	r, err := s.begin(ctx, in.InstanceId)
	if err != nil {
		return nil, err
	}
	now := s.clock()
	var out *qappsapi.UpdateQAppOutput
	err = s.store.Update(ctx, func(tx store.Tx) error {
		app, a, err := s.loadApp(tx, r, *in.AppId)
		if err != nil {
			return err
		}
		if err := needWrite(a, r, app.ID, "update"); err != nil {
			return err
		}
		prev, err := loadVersion(tx, r, app.ID, app.Version)
		if err != nil {
			return err
		}
		ver := prev
		ver.Version, ver.UpdatedAt, ver.UpdatedBy = app.Version+1, now, r.user.ID
		if in.Title != nil {
			ver.Title = *in.Title
		}
		if in.Description != nil {
			ver.Description = in.Description
		}
		if in.AppDefinition != nil {
			cards, caps, err := buildDefinition(in.AppDefinition, "appDefinition", appFiles(tx, r))
			if err != nil {
				return err
			}
			ver.Cards, ver.Capabilities, ver.InitialPrompt = cards, caps, in.AppDefinition.InitialPrompt
		}
		app.Version = ver.Version
		if err := store.PutJSON(tx, r.versionKey(app.ID, ver.Version), ver); err != nil {
			return err
		}
		if err := store.PutJSON(tx, r.appKey(app.ID), app); err != nil {
			return err
		}
		status, _, err := s.appStatus(tx, r, app)
		if err != nil {
			return err
		}
		out = &qappsapi.UpdateQAppOutput{
			AppId: api.Ptr(app.ID), AppArn: api.Ptr(r.appArn(app.ID)), Title: api.Ptr(ver.Title), Description: ver.Description,
			InitialPrompt: ver.InitialPrompt, AppVersion: api.Ptr(ver.Version), Status: api.Ptr(status),
			CreatedAt: api.ISO(app.CreatedAt), CreatedBy: api.Ptr(app.Owner.ID),
			UpdatedAt: api.ISO(now), UpdatedBy: api.Ptr(r.user.ID), RequiredCapabilities: nonNil(ver.Capabilities),
		}
		return nil
	})
	if err != nil {
		return nil, s.kit.Err("update app", err)
	}
	return out, nil
}

// DeleteQApp deletes an app, its versions, sessions, documents and library item.
func (s *Service) DeleteQApp(ctx context.Context, in *qappsapi.DeleteQAppInput) error {
	r, err := s.begin(ctx, in.InstanceId)
	if err != nil {
		return err
	}
	err = s.store.Update(ctx, func(tx store.Tx) error {
		app, a, err := s.loadApp(tx, r, *in.AppId)
		if err != nil {
			return err
		}
		if !a.owner {
			return denied("User %s is not allowed to delete Q App %s: only its owner may", r.user.ID, app.ID)
		}
		if app.LibraryItemID != "" {
			if err := svc.DeleteIfExists(tx, r.inst.Child("library", app.LibraryItemID)); err != nil {
				return err
			}
		}
		for _, u := range app.Users {
			if err := svc.DeleteIfExists(tx, r.userAppKey(u, app.ID)); err != nil {
				return err
			}
		}
		return tx.Delete(r.appKey(app.ID))
	})
	return s.kit.Err("delete app", err)
}

// ListQApps lists the apps the caller owns or associated with itself and can
// still read.
func (s *Service) ListQApps(ctx context.Context, in *qappsapi.ListQAppsInput) (*qappsapi.ListQAppsOutput, error) {
	r, err := s.begin(ctx, in.InstanceId)
	if err != nil {
		return nil, err
	}
	out := &qappsapi.ListQAppsOutput{Apps: []qappsapi.UserAppItem{}}
	err = s.store.View(ctx, func(tx store.Tx) error {
		coll := store.Collection{Scope: r.Scope, Parent: r.inst.Child("user", segment(r.user.ID)).Path(), Kind: "app"}
		entries, next, err := store.ListJSON[userAppRecord](tx, coll, store.Page{Token: api.Val(in.NextToken), Limit: s.kit.Limit(in.Limit)})
		if err != nil {
			return err
		}
		for _, e := range entries {
			app, a, err := s.loadApp(tx, r, e.AppID)
			var nf *qappsapi.ResourceNotFoundException
			if errors.As(err, &nf) {
				continue
			}
			if err != nil {
				return err
			}
			if !a.read {
				continue
			}
			v := app.Version
			if a.viaLibrary {
				v = a.libraryVersion
			}
			ver, err := loadVersion(tx, r, app.ID, v)
			if err != nil {
				return err
			}
			status, verified, err := s.appStatus(tx, r, app)
			if err != nil {
				return err
			}
			out.Apps = append(out.Apps, qappsapi.UserAppItem{
				AppId: api.Ptr(app.ID), AppArn: api.Ptr(r.appArn(app.ID)), Title: api.Ptr(ver.Title), Description: ver.Description,
				CreatedAt: api.ISO(e.CreatedAt), CanEdit: api.Ptr(a.write), Status: api.Ptr(status), IsVerified: api.Ptr(verified),
			})
		}
		if next != "" {
			out.NextToken = api.Ptr(next)
		}
		return nil
	})
	if err != nil {
		return nil, s.kit.Err("list apps", err)
	}
	return out, nil
}

// AssociateQAppWithUser adds an app the caller can read to its ListQApps.
func (s *Service) AssociateQAppWithUser(ctx context.Context, in *qappsapi.AssociateQAppWithUserInput) error {
	r, err := s.begin(ctx, in.InstanceId)
	if err != nil {
		return err
	}
	now := s.clock()
	err = s.store.Update(ctx, func(tx store.Tx) error {
		app, a, err := s.loadApp(tx, r, *in.AppId)
		if err != nil {
			return err
		}
		if err := needRead(a, r, app.ID); err != nil {
			return err
		}
		if slices.Contains(app.Users, r.user.ID) {
			return nil
		}
		app.Users = append(app.Users, r.user.ID)
		if err := store.PutJSON(tx, r.appKey(app.ID), app); err != nil {
			return err
		}
		return store.PutJSON(tx, r.userAppKey(r.user.ID, app.ID), userAppRecord{AppID: app.ID, CreatedAt: now})
	})
	return s.kit.Err("associate app", err)
}

// DisassociateQAppFromUser removes an app from the caller's ListQApps. The
// owner's own apps always stay listed: for the owner it changes nothing, as it
// does for a user who was not associated.
func (s *Service) DisassociateQAppFromUser(ctx context.Context, in *qappsapi.DisassociateQAppFromUserInput) error {
	r, err := s.begin(ctx, in.InstanceId)
	if err != nil {
		return err
	}
	err = s.store.Update(ctx, func(tx store.Tx) error {
		app, err := get[appRecord](tx, r.appKey(*in.AppId), "QApp", *in.AppId)
		if err != nil {
			return err
		}
		if app.Owner.ID == r.user.ID || !slices.Contains(app.Users, r.user.ID) {
			return nil
		}
		app.Users = slices.DeleteFunc(app.Users, func(u string) bool { return u == r.user.ID })
		if err := store.PutJSON(tx, r.appKey(app.ID), app); err != nil {
			return err
		}
		return svc.DeleteIfExists(tx, r.userAppKey(r.user.ID, app.ID))
	})
	return s.kit.Err("disassociate app", err)
}

func itoa(v int32) string { return strconv.FormatInt(int64(v), 10) }
