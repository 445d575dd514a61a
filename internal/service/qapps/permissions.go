package qapps

import (
	"context"
	"errors"
	"strings"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/qappsapi"
	"github.com/ersatz-dev/ersatz/internal/store"
)

// Permissions.
//
// The creator of an app is its owner. UpdateQAppPermissions grants and revokes
// "read" and "write" to principals: a Q Business user id, or an email address
// (compared without regard to case). A caller holds a grant when the principal
// is its user id or its email. What each level allows:
//
//	read   GetQApp, StartQAppSession, DescribeQAppPermissions, ListTagsForResource,
//	       AssociateQAppWithUser, ImportDocument/CreatePresignedUrl for a session
//	write  read, plus UpdateQApp, UpdateQAppPermissions, CreateLibraryItem,
//	       ImportDocument/CreatePresignedUrl for the app, TagResource/UntagResource
//	owner  write, plus DeleteQApp
//
// Every user of the instance may also read an app whose library item is
// PUBLISHED, at the published version only.
//
// Rules AWS does not document, chosen by Ersatz:
//   - granting what a principal already holds, or revoking what it does not
//     hold, changes nothing and succeeds;
//   - grants to the owner change nothing (the owner holds everything); revoking
//     from the owner is a ValidationException;
//   - the same principal and action in both lists is a ValidationException;
//   - read and write are separate grants: revoking write leaves a separate read
//     grant in place.
//
// DescribeQAppPermissions lists the owner first (action "write", userType
// "owner"), then the grants in the order they were made (userType "user"),
// each principal with userId or email as it was granted.

// access is what the caller may do with one app.
type access struct {
	owner, write, read bool
	// viaLibrary: read comes only from the published library item, at libraryVersion.
	viaLibrary     bool
	libraryVersion int32
}

func principalKey(p string) string {
	p = strings.TrimSpace(p)
	if strings.Contains(p, "@") {
		return strings.ToLower(p)
	}
	return p
}

// is reports whether principal names u: its id, or (without regard to case)
// its email; an id that looks like an email is compared the same way, since
// principals holding "@" are stored lower-cased.
func (u user) is(principal string) bool {
	if principal == u.ID || (u.Email != "" && strings.EqualFold(principal, u.Email)) {
		return true
	}
	return strings.Contains(principal, "@") && strings.EqualFold(principal, u.ID)
}

func (s *Service) accessTo(tx store.Tx, r req, app appRecord) (access, error) {
	var a access
	if app.Owner.ID == r.user.ID {
		return access{owner: true, write: true, read: true}, nil
	}
	for _, p := range app.Permissions {
		if r.user.is(p.Principal) {
			a.read = true
			if p.Action == qappsapi.PermissionInputActionEnumWrite {
				a.write = true
			}
		}
	}
	if !a.read && app.LibraryItemID != "" {
		item, ok, err := s.libraryItemOf(tx, r, app)
		if err != nil {
			return a, err
		}
		if ok && item.Status == qappsapi.LibraryItemStatusPublished {
			a.read, a.viaLibrary, a.libraryVersion = true, true, item.AppVersion
		}
	}
	return a, nil
}

func (s *Service) libraryItemOf(tx store.Tx, r req, app appRecord) (libraryItemRecord, bool, error) {
	if app.LibraryItemID == "" {
		return libraryItemRecord{}, false, nil
	}
	item, err := store.GetJSON[libraryItemRecord](tx, r.inst.Child("library", app.LibraryItemID))
	if errors.Is(err, store.ErrNotFound) {
		return libraryItemRecord{}, false, nil
	}
	return item, err == nil, err
}

func needRead(a access, r req, appID string) error {
	if !a.read {
		return denied("User %s is not allowed to read Q App %s", r.user.ID, appID)
	}
	return nil
}

func needWrite(a access, r req, appID, op string) error {
	if !a.write {
		return denied("User %s is not allowed to %s Q App %s: it needs the write permission", r.user.ID, op, appID)
	}
	return nil
}

// loadApp reads an app and what the caller may do with it.
func (s *Service) loadApp(tx store.Tx, r req, appID string) (appRecord, access, error) {
	app, err := get[appRecord](tx, r.appKey(appID), "QApp", appID)
	if err != nil {
		return app, access{}, err
	}
	a, err := s.accessTo(tx, r, app)
	return app, a, err
}

func permissionsOutput(app appRecord) []qappsapi.PermissionOutput {
	owner := &qappsapi.PrincipalOutput{UserId: api.Ptr(app.Owner.ID), UserType: api.Ptr(qappsapi.PrincipalOutputUserTypeEnumOwner)}
	if app.Owner.Email != "" {
		owner.Email = api.Ptr(app.Owner.Email)
	}
	out := []qappsapi.PermissionOutput{{Action: api.Ptr(qappsapi.PermissionOutputActionEnumWrite), Principal: owner}}
	for _, p := range app.Permissions {
		po := &qappsapi.PrincipalOutput{UserType: api.Ptr(qappsapi.PrincipalOutputUserTypeEnumUser)}
		if strings.Contains(p.Principal, "@") {
			po.Email = api.Ptr(p.Principal)
		} else {
			po.UserId = api.Ptr(p.Principal)
		}
		out = append(out, qappsapi.PermissionOutput{Action: api.Ptr(p.Action), Principal: po})
	}
	return out
}

// DescribeQAppPermissions lists who may read and write an app.
func (s *Service) DescribeQAppPermissions(ctx context.Context, in *qappsapi.DescribeQAppPermissionsInput) (*qappsapi.DescribeQAppPermissionsOutput, error) {
	r, err := s.begin(ctx, in.InstanceId)
	if err != nil {
		return nil, err
	}
	var app appRecord
	err = s.store.View(ctx, func(tx store.Tx) error {
		var a access
		app, a, err = s.loadApp(tx, r, *in.AppId)
		if err != nil {
			return err
		}
		return needRead(a, r, app.ID)
	})
	if err != nil {
		return nil, storeErr(err, "describe permissions")
	}
	return &qappsapi.DescribeQAppPermissionsOutput{
		ResourceArn: api.Ptr(r.appArn(app.ID)), AppId: api.Ptr(app.ID), Permissions: permissionsOutput(app),
	}, nil
}

// UpdateQAppPermissions grants and revokes read and write.
func (s *Service) UpdateQAppPermissions(ctx context.Context, in *qappsapi.UpdateQAppPermissionsInput) (*qappsapi.UpdateQAppPermissionsOutput, error) {
	r, err := s.begin(ctx, in.InstanceId)
	if err != nil {
		return nil, err
	}
	grants := map[permission]bool{}
	for i, p := range in.GrantPermissions {
		k := permission{Principal: principalKey(*p.Principal), Action: *p.Action}
		if k.Principal == "" {
			return nil, validation("Value at 'grantPermissions.%d.member.principal' must not be blank", i+1)
		}
		grants[k] = true
	}
	for i, p := range in.RevokePermissions {
		k := permission{Principal: principalKey(*p.Principal), Action: *p.Action}
		if k.Principal == "" {
			return nil, validation("Value at 'revokePermissions.%d.member.principal' must not be blank", i+1)
		}
		if grants[k] {
			return nil, validation("Value at 'revokePermissions.%d.member' both grants and revokes %s for %s", i+1, k.Action, k.Principal)
		}
	}
	var app appRecord
	err = s.store.Update(ctx, func(tx store.Tx) error {
		var a access
		app, a, err = s.loadApp(tx, r, *in.AppId)
		if err != nil {
			return err
		}
		if err := needWrite(a, r, app.ID, "change the permissions of"); err != nil {
			return err
		}
		for i, p := range in.RevokePermissions {
			if app.Owner.is(*p.Principal) || app.Owner.is(principalKey(*p.Principal)) {
				return validation("Value '%s' at 'revokePermissions.%d.member.principal' is the owner of Q App %s, whose permissions cannot be revoked", *p.Principal, i+1, app.ID)
			}
		}
		perms := append([]permission(nil), app.Permissions...)
		for _, p := range in.GrantPermissions {
			k := permission{Principal: principalKey(*p.Principal), Action: *p.Action}
			if app.Owner.is(*p.Principal) || app.Owner.is(k.Principal) || hasPermission(perms, k) {
				continue
			}
			perms = append(perms, k)
		}
		for _, p := range in.RevokePermissions {
			k := permission{Principal: principalKey(*p.Principal), Action: *p.Action}
			kept := perms[:0:0]
			for _, q := range perms {
				if q != k {
					kept = append(kept, q)
				}
			}
			perms = kept
		}
		app.Permissions = perms
		return store.PutJSON(tx, r.appKey(app.ID), app)
	})
	if err != nil {
		return nil, storeErr(err, "update permissions")
	}
	return &qappsapi.UpdateQAppPermissionsOutput{
		ResourceArn: api.Ptr(r.appArn(app.ID)), AppId: api.Ptr(app.ID), Permissions: permissionsOutput(app),
	}, nil
}

func hasPermission(perms []permission, k permission) bool {
	for _, p := range perms {
		if p == k {
			return true
		}
	}
	return false
}
