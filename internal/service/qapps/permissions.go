package qapps

import (
	"context"
	"errors"
	"slices"
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
// Principals resolve to users of the directory (directory.go): a grant by
// email and one by user id of the same person are one grant, and a
// principal that names no user is a ValidationException naming it.
//
// DescribeQAppPermissions lists the owner first (action "write", userType
// "owner"), then the grants in the order they were made (userType "user"),
// each principal with its userId and, when the directory knows it, email.

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

// permissionsOutput lists the owner, then the grants, each principal with
// its user id and, when the directory knows it, its email. A grant stored
// by email before the directory knew its user (older state) shows the user
// it now resolves to, or the email alone.
func (s *Service) permissionsOutput(tx store.Tx, r req, app appRecord) ([]qappsapi.PermissionOutput, error) {
	owner, err := s.identify(tx, r, app.Owner)
	if err != nil {
		return nil, err
	}
	out := []qappsapi.PermissionOutput{{Action: api.Ptr(qappsapi.PermissionOutputActionEnumWrite),
		Principal: principalOutput(owner, qappsapi.PrincipalOutputUserTypeEnumOwner)}}
	for _, p := range app.Permissions {
		u, ok, err := s.resolve(tx, r, p.Principal)
		if err != nil {
			return nil, err
		}
		if !ok {
			u = user{ID: p.Principal}
			if strings.Contains(p.Principal, "@") {
				u = user{Email: p.Principal}
			}
		}
		out = append(out, qappsapi.PermissionOutput{Action: api.Ptr(p.Action),
			Principal: principalOutput(u, qappsapi.PrincipalOutputUserTypeEnumUser)})
	}
	return out, nil
}

func principalOutput(u user, userType string) *qappsapi.PrincipalOutput {
	po := &qappsapi.PrincipalOutput{UserType: api.Ptr(userType)}
	if u.ID != "" {
		po.UserId = api.Ptr(u.ID)
	}
	if u.Email != "" {
		po.Email = api.Ptr(u.Email)
	}
	return po
}

// DescribeQAppPermissions lists who may read and write an app.
func (s *Service) DescribeQAppPermissions(ctx context.Context, in *qappsapi.DescribeQAppPermissionsInput) (*qappsapi.DescribeQAppPermissionsOutput, error) {
	r, err := s.begin(ctx, in.InstanceId)
	if err != nil {
		return nil, err
	}
	var app appRecord
	var perms []qappsapi.PermissionOutput
	err = s.store.View(ctx, func(tx store.Tx) error {
		var a access
		app, a, err = s.loadApp(tx, r, *in.AppId)
		if err != nil {
			return err
		}
		if err := needRead(a, r, app.ID); err != nil {
			return err
		}
		perms, err = s.permissionsOutput(tx, r, app)
		return err
	})
	if err != nil {
		return nil, s.kit.Err("describe permissions", err)
	}
	return &qappsapi.DescribeQAppPermissionsOutput{
		ResourceArn: api.Ptr(r.appArn(app.ID)), AppId: api.Ptr(app.ID), Permissions: perms,
	}, nil
}

// UpdateQAppPermissions grants and revokes read and write. Each principal
// is resolved to the user it names (see directory.go): a grant by email and
// a grant by user id of the same person are one grant, and a principal that
// names no user is a ValidationException naming it.
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
	var out []qappsapi.PermissionOutput
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
		granted, err := s.resolveAll(tx, r, app.Owner, in.GrantPermissions, "grantPermissions", nil)
		if err != nil {
			return err
		}
		revoked, err := s.resolveAll(tx, r, app.Owner, in.RevokePermissions, "revokePermissions", app.Permissions)
		if err != nil {
			return err
		}
		for i, k := range revoked {
			if k.user.ID == app.Owner.ID {
				return validation("Value '%s' at 'revokePermissions.%d.member.principal' is the owner of Q App %s, whose permissions cannot be revoked",
					k.given, i+1, app.ID)
			}
			for _, g := range granted {
				if g.user.ID != "" && g.user.ID == k.user.ID && g.action == k.action {
					return validation("Value at 'revokePermissions.%d.member' both grants and revokes %s for user %s", i+1, k.action, k.user.ID)
				}
			}
		}
		perms := append([]permission(nil), app.Permissions...)
		for _, g := range granted {
			if g.user.ID == app.Owner.ID || holds(perms, g) {
				continue
			}
			perms = append(perms, permission{Principal: g.user.ID, Action: g.action})
		}
		for _, k := range revoked {
			kept := perms[:0:0]
			for _, q := range perms {
				if q.Action != k.action || !(k.names(q.Principal)) {
					kept = append(kept, q)
				}
			}
			perms = kept
		}
		app.Permissions = perms
		if err := store.PutJSON(tx, r.appKey(app.ID), app); err != nil {
			return err
		}
		out, err = s.permissionsOutput(tx, r, app)
		return err
	})
	if err != nil {
		return nil, s.kit.Err("update permissions", err)
	}
	return &qappsapi.UpdateQAppPermissionsOutput{
		ResourceArn: api.Ptr(r.appArn(app.ID)), AppId: api.Ptr(app.ID), Permissions: out,
	}, nil
}

// resolvedPermission is a grant or revoke whose principal was resolved.
type resolvedPermission struct {
	given  string // the principal as given, lower-cased when an email
	user   user   // the user it names; no ID for a revoke of an unresolved stored principal
	action string
}

// names reports whether a stored principal is this permission's user.
func (p resolvedPermission) names(stored string) bool {
	if p.user.ID != "" && p.user.is(stored) {
		return true
	}
	return principalKey(stored) == p.given
}

// resolveAll resolves the principals of list (named field in errors); the
// app's owner is always known. A principal that names no user is refused,
// unless one of the stored
// permissions holds it as given (a grant made by an older Ersatz, which did
// not resolve principals: it can still be revoked).
func (s *Service) resolveAll(tx store.Tx, r req, owner user, list []qappsapi.PermissionInput, field string, stored []permission) ([]resolvedPermission, error) {
	out := make([]resolvedPermission, 0, len(list))
	for i, p := range list {
		u, ok, err := s.resolve(tx, r, *p.Principal)
		if err != nil {
			return nil, err
		}
		if !ok && (owner.is(*p.Principal) || owner.is(principalKey(*p.Principal))) {
			u, ok = owner, true
		}
		rp := resolvedPermission{given: principalKey(*p.Principal), user: u, action: *p.Action}
		if !ok && !slices.ContainsFunc(stored, func(q permission) bool { return principalKey(q.Principal) == rp.given }) {
			return nil, validation("Value '%s' at '%s.%d.member.principal' names no user: it is neither the user id nor the email "+
				"of a user of this account (users come from the credentials file, or have called Q Apps)", *p.Principal, field, i+1)
		}
		out = append(out, rp)
	}
	return out, nil
}

// holds reports whether perms already grant g's action to g's user.
func holds(perms []permission, g resolvedPermission) bool {
	for _, q := range perms {
		if q.Action == g.action && g.names(q.Principal) {
			return true
		}
	}
	return false
}
