package qapps

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/qappsapi"
	"github.com/ersatz-dev/ersatz/internal/ids"
	"github.com/ersatz-dev/ersatz/internal/service/svc"
	"github.com/ersatz-dev/ersatz/internal/store"
)

// The library.
//
// CreateLibraryItem publishes a version of an app (write permission needed)
// with up to 3 existing categories. An app has at most one library item: to
// publish it again, CreateLibraryItem updates that item's version and
// categories, sets it PUBLISHED and returns the same libraryItemId, keeping
// its ratings. While the item is PUBLISHED every user of the instance may read
// and run the published version, and the app's status is PUBLISHED.
// ListLibraryItems lists PUBLISHED items only, in libraryItemId order.
// A library item is changed (UpdateLibraryItem) or deleted by its creator or a
// writer of its app. Each user rates an item once: rating twice, or removing a
// rating never given, is a ConflictException. UpdateLibraryItemMetadata
// (isVerified) and the category operations are administrator operations that
// AWS governs with IAM policies only, so any caller may use them.
//
// Categories: an instance holds at most 10 (ListCategories returns at most
// 10); titles are unique without regard to case (ConflictException); deleting
// a category a library item uses is a ConflictException; every batch is
// applied whole or not at all.

func (r req) libraryKey(itemID string) store.Key { return r.inst.Child("library", itemID) }

func (r req) categoryKey(id string) store.Key { return r.inst.Child("category", id) }

func (r req) categoryColl() store.Collection {
	return store.Collection{Scope: r.Scope, Parent: r.inst.Path(), Kind: "category"}
}

func (r req) libraryColl() store.Collection {
	return store.Collection{Scope: r.Scope, Parent: r.inst.Path(), Kind: "library"}
}

// checkCategoryIDs checks a list of category ids: distinct and existing.
func checkCategoryIDs(tx store.Tx, r req, catIDs []string, path string) error {
	seen := map[string]bool{}
	for i, id := range catIDs {
		if seen[id] {
			return validation("Value '%s' at '%s.%d.member' is listed twice", id, path, i+1)
		}
		seen[id] = true
		ok, err := svc.Exists(tx, r.categoryKey(id))
		if err != nil {
			return err
		}
		if !ok {
			return notFound("Category", id)
		}
	}
	return nil
}

func (s *Service) libraryMember(tx store.Tx, r req, item libraryItemRecord) (qappsapi.LibraryItemMember, error) {
	cats := []qappsapi.Category{}
	for _, id := range item.Categories {
		c, err := store.GetJSON[categoryRecord](tx, r.categoryKey(id))
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return qappsapi.LibraryItemMember{}, err
		}
		cats = append(cats, qappsapi.Category{Id: api.Ptr(c.ID), Title: api.Ptr(c.Title), Color: c.Color})
	}
	rated, err := svc.Exists(tx, r.libraryKey(item.ID).Child("rating", segment(r.user.ID)))
	if err != nil {
		return qappsapi.LibraryItemMember{}, err
	}
	var users int32
	if app, err := store.GetJSON[appRecord](tx, r.appKey(item.AppID)); err == nil {
		users = int32(len(app.Users))
	} else if !errors.Is(err, store.ErrNotFound) {
		return qappsapi.LibraryItemMember{}, err
	}
	return qappsapi.LibraryItemMember{
		LibraryItemId: api.Ptr(item.ID), AppId: api.Ptr(item.AppID), AppVersion: api.Ptr(item.AppVersion),
		Categories: cats, Status: api.Ptr(item.Status),
		CreatedAt: api.ISO(item.CreatedAt), CreatedBy: api.Ptr(item.CreatedBy),
		UpdatedAt: api.ISO(item.UpdatedAt), UpdatedBy: api.Ptr(item.UpdatedBy),
		RatingCount: api.Ptr(item.RatingCount), IsRatedByUser: api.Ptr(rated), UserCount: api.Ptr(users),
		IsVerified: api.Ptr(item.IsVerified),
	}, nil
}

// CreateLibraryItem publishes an app version to the library.
func (s *Service) CreateLibraryItem(ctx context.Context, in *qappsapi.CreateLibraryItemInput) (*qappsapi.CreateLibraryItemOutput, error) {
	r, err := s.begin(ctx, in.InstanceId)
	if err != nil {
		return nil, err
	}
	now, newID := s.clock(), ids.UUID()
	var item libraryItemRecord
	err = s.store.Update(ctx, func(tx store.Tx) error {
		app, a, err := s.loadApp(tx, r, *in.AppId)
		if err != nil {
			return err
		}
		if err := needWrite(a, r, app.ID, "publish"); err != nil {
			return err
		}
		if _, err := loadVersion(tx, r, app.ID, *in.AppVersion); err != nil {
			return err
		}
		if err := checkCategoryIDs(tx, r, in.Categories, "categories"); err != nil {
			return err
		}
		existing, ok, err := s.libraryItemOf(tx, r, app)
		if err != nil {
			return err
		}
		if ok {
			item = existing
		} else {
			item = libraryItemRecord{ID: newID, AppID: app.ID, CreatedAt: now, CreatedBy: r.user.ID}
		}
		item.AppVersion, item.Categories, item.Status = *in.AppVersion, in.Categories, qappsapi.LibraryItemStatusPublished
		item.UpdatedAt, item.UpdatedBy = now, r.user.ID
		app.LibraryItemID = item.ID
		if err := store.PutJSON(tx, r.appKey(app.ID), app); err != nil {
			return err
		}
		return store.PutJSON(tx, r.libraryKey(item.ID), item)
	})
	if err != nil {
		return nil, s.kit.Err("create library item", err)
	}
	return &qappsapi.CreateLibraryItemOutput{
		LibraryItemId: api.Ptr(item.ID), Status: api.Ptr(item.Status),
		CreatedAt: api.ISO(item.CreatedAt), CreatedBy: api.Ptr(item.CreatedBy),
		UpdatedAt: api.ISO(item.UpdatedAt), UpdatedBy: api.Ptr(item.UpdatedBy),
		RatingCount: api.Ptr(item.RatingCount), IsVerified: api.Ptr(item.IsVerified),
	}, nil
}

// GetLibraryItem returns a library item.
func (s *Service) GetLibraryItem(ctx context.Context, in *qappsapi.GetLibraryItemInput) (*qappsapi.GetLibraryItemOutput, error) {
	r, err := s.begin(ctx, in.InstanceId)
	if err != nil {
		return nil, err
	}
	var m qappsapi.LibraryItemMember
	err = s.store.View(ctx, func(tx store.Tx) error {
		item, err := get[libraryItemRecord](tx, r.libraryKey(*in.LibraryItemId), "LibraryItem", *in.LibraryItemId)
		if err != nil {
			return err
		}
		if in.AppId != nil && *in.AppId != item.AppID {
			return notFound("LibraryItem", *in.LibraryItemId+" of Q App "+*in.AppId)
		}
		m, err = s.libraryMember(tx, r, item)
		return err
	})
	if err != nil {
		return nil, s.kit.Err("get library item", err)
	}
	return (*qappsapi.GetLibraryItemOutput)(&m), nil // a LibraryItemMember has the output's members
}

// ListLibraryItems lists the PUBLISHED library items, optionally of one category.
func (s *Service) ListLibraryItems(ctx context.Context, in *qappsapi.ListLibraryItemsInput) (*qappsapi.ListLibraryItemsOutput, error) {
	r, err := s.begin(ctx, in.InstanceId)
	if err != nil {
		return nil, err
	}
	out := &qappsapi.ListLibraryItemsOutput{LibraryItems: []qappsapi.LibraryItemMember{}}
	err = s.store.View(ctx, func(tx store.Tx) error {
		if in.CategoryId != nil {
			if _, err := get[categoryRecord](tx, r.categoryKey(*in.CategoryId), "Category", *in.CategoryId); err != nil {
				return err
			}
		}
		cur, err := s.kit.Cursor(r.libraryColl(), api.Val(in.NextToken), s.kit.Limit(in.Limit))
		if err != nil {
			return err
		}
		// The filter drops items, so the page is cut after it.
		items, _, err := store.ListJSON[libraryItemRecord](tx, r.libraryColl(), store.Page{})
		if err != nil {
			return err
		}
		items = slices.DeleteFunc(items, func(it libraryItemRecord) bool {
			return it.Status != qappsapi.LibraryItemStatusPublished ||
				(in.CategoryId != nil && !slices.Contains(it.Categories, *in.CategoryId))
		})
		page, next := svc.Page(cur, items, func(it libraryItemRecord) string { return it.ID })
		out.NextToken = next
		for _, it := range page {
			m, err := s.libraryMember(tx, r, it)
			if err != nil {
				return err
			}
			out.LibraryItems = append(out.LibraryItems, m)
		}
		return nil
	})
	if err != nil {
		return nil, s.kit.Err("list library items", err)
	}
	return out, nil
}

// libraryItemForChange reads an item the caller may change: its creator or a
// writer of its app.
func (s *Service) libraryItemForChange(tx store.Tx, r req, itemID, op string) (libraryItemRecord, error) {
	item, err := get[libraryItemRecord](tx, r.libraryKey(itemID), "LibraryItem", itemID)
	if err != nil {
		return item, err
	}
	if item.CreatedBy == r.user.ID {
		return item, nil
	}
	if _, a, err := s.loadApp(tx, r, item.AppID); err == nil && a.write {
		return item, nil
	}
	return item, denied("User %s is not allowed to %s library item %s", r.user.ID, op, itemID)
}

// UpdateLibraryItem changes a library item's status or categories.
func (s *Service) UpdateLibraryItem(ctx context.Context, in *qappsapi.UpdateLibraryItemInput) (*qappsapi.UpdateLibraryItemOutput, error) {
	r, err := s.begin(ctx, in.InstanceId)
	if err != nil {
		return nil, err
	}
	now := s.clock()
	var m qappsapi.LibraryItemMember
	err = s.store.Update(ctx, func(tx store.Tx) error {
		item, err := s.libraryItemForChange(tx, r, *in.LibraryItemId, "update")
		if err != nil {
			return err
		}
		if in.Categories != nil {
			if err := checkCategoryIDs(tx, r, in.Categories, "categories"); err != nil {
				return err
			}
			item.Categories = in.Categories
		}
		if in.Status != nil {
			item.Status = *in.Status
		}
		if in.Categories != nil || in.Status != nil {
			item.UpdatedAt, item.UpdatedBy = now, r.user.ID
			if err := store.PutJSON(tx, r.libraryKey(item.ID), item); err != nil {
				return err
			}
		}
		m, err = s.libraryMember(tx, r, item)
		return err
	})
	if err != nil {
		return nil, s.kit.Err("update library item", err)
	}
	return (*qappsapi.UpdateLibraryItemOutput)(&m), nil // a LibraryItemMember has the output's members
}

// UpdateLibraryItemMetadata sets whether a library item is verified.
func (s *Service) UpdateLibraryItemMetadata(ctx context.Context, in *qappsapi.UpdateLibraryItemMetadataInput) error {
	r, err := s.begin(ctx, in.InstanceId)
	if err != nil {
		return err
	}
	now := s.clock()
	err = s.store.Update(ctx, func(tx store.Tx) error {
		item, err := get[libraryItemRecord](tx, r.libraryKey(*in.LibraryItemId), "LibraryItem", *in.LibraryItemId)
		if err != nil || in.IsVerified == nil {
			return err
		}
		item.IsVerified, item.UpdatedAt, item.UpdatedBy = *in.IsVerified, now, r.user.ID
		return store.PutJSON(tx, r.libraryKey(item.ID), item)
	})
	return s.kit.Err("update library item metadata", err)
}

// DeleteLibraryItem removes an item (and its ratings) from the library.
func (s *Service) DeleteLibraryItem(ctx context.Context, in *qappsapi.DeleteLibraryItemInput) error {
	r, err := s.begin(ctx, in.InstanceId)
	if err != nil {
		return err
	}
	err = s.store.Update(ctx, func(tx store.Tx) error {
		item, err := s.libraryItemForChange(tx, r, *in.LibraryItemId, "delete")
		if err != nil {
			return err
		}
		app, err := store.GetJSON[appRecord](tx, r.appKey(item.AppID))
		switch {
		case err == nil && app.LibraryItemID == item.ID:
			app.LibraryItemID = ""
			if err := store.PutJSON(tx, r.appKey(app.ID), app); err != nil {
				return err
			}
		case err != nil && !errors.Is(err, store.ErrNotFound):
			return err
		}
		return tx.Delete(r.libraryKey(item.ID))
	})
	return s.kit.Err("delete library item", err)
}

func (s *Service) rate(ctx context.Context, instanceID *string, itemID string, add bool) error {
	r, err := s.begin(ctx, instanceID)
	if err != nil {
		return err
	}
	now := s.clock()
	err = s.store.Update(ctx, func(tx store.Tx) error {
		item, err := get[libraryItemRecord](tx, r.libraryKey(itemID), "LibraryItem", itemID)
		if err != nil {
			return err
		}
		key := r.libraryKey(item.ID).Child("rating", segment(r.user.ID))
		rated, err := svc.Exists(tx, key)
		if err != nil {
			return err
		}
		switch {
		case add && rated:
			return conflict("LibraryItem", itemID, "User %s has already rated library item %s", r.user.ID, itemID)
		case !add && !rated:
			return conflict("LibraryItem", itemID, "User %s has not rated library item %s", r.user.ID, itemID)
		case add:
			item.RatingCount++
			if err := store.PutJSON(tx, key, ratingRecord{UserID: r.user.ID, CreatedAt: now}); err != nil {
				return err
			}
		default:
			item.RatingCount--
			if err := tx.Delete(key); err != nil {
				return err
			}
		}
		return store.PutJSON(tx, r.libraryKey(item.ID), item)
	})
	return s.kit.Err("rate library item", err)
}

// AssociateLibraryItemReview records the caller's rating of an item.
func (s *Service) AssociateLibraryItemReview(ctx context.Context, in *qappsapi.AssociateLibraryItemReviewInput) error {
	return s.rate(ctx, in.InstanceId, *in.LibraryItemId, true)
}

// DisassociateLibraryItemReview removes the caller's rating of an item.
func (s *Service) DisassociateLibraryItemReview(ctx context.Context, in *qappsapi.DisassociateLibraryItemReviewInput) error {
	return s.rate(ctx, in.InstanceId, *in.LibraryItemId, false)
}

// ---- categories ----

func listCategories(tx store.Tx, r req) ([]categoryRecord, error) {
	cats, _, err := store.ListJSON[categoryRecord](tx, r.categoryColl(), store.Page{})
	return cats, err
}

// titleTaken reports a category other than except with title (case-insensitively).
func titleTaken(cats []categoryRecord, title, except string) (categoryRecord, bool) {
	for _, c := range cats {
		if c.ID != except && strings.EqualFold(c.Title, title) {
			return c, true
		}
	}
	return categoryRecord{}, false
}

// BatchCreateCategory creates categories.
func (s *Service) BatchCreateCategory(ctx context.Context, in *qappsapi.BatchCreateCategoryInput) error {
	r, err := s.begin(ctx, in.InstanceId)
	if err != nil {
		return err
	}
	newIDs := make([]string, len(in.Categories))
	for i, c := range in.Categories {
		newIDs[i] = api.Val(c.Id)
		if newIDs[i] == "" {
			newIDs[i] = ids.UUID()
		}
	}
	err = s.store.Update(ctx, func(tx store.Tx) error {
		cats, err := listCategories(tx, r)
		if err != nil {
			return err
		}
		if len(cats)+len(in.Categories) > maxCategories {
			return validation("The instance has %d categories; creating %d more would exceed the limit of %d", len(cats), len(in.Categories), maxCategories)
		}
		for i, c := range in.Categories {
			id := newIDs[i]
			for _, have := range cats {
				if have.ID == id {
					return conflict("Category", id, "Category %s at 'categories.%d.member.id' already exists", id, i+1)
				}
			}
			if other, taken := titleTaken(cats, *c.Title, ""); taken {
				return conflict("Category", other.ID, "Category title '%s' at 'categories.%d.member.title' is already used by category %s", *c.Title, i+1, other.ID)
			}
			rec := categoryRecord{ID: id, Title: *c.Title, Color: c.Color}
			cats = append(cats, rec)
			if err := store.PutJSON(tx, r.categoryKey(id), rec); err != nil {
				return err
			}
		}
		return nil
	})
	return s.kit.Err("create categories", err)
}

// BatchUpdateCategory changes the titles and colors of categories.
func (s *Service) BatchUpdateCategory(ctx context.Context, in *qappsapi.BatchUpdateCategoryInput) error {
	r, err := s.begin(ctx, in.InstanceId)
	if err != nil {
		return err
	}
	err = s.store.Update(ctx, func(tx store.Tx) error {
		cats, err := listCategories(tx, r)
		if err != nil {
			return err
		}
		for i, c := range in.Categories {
			j := slices.IndexFunc(cats, func(x categoryRecord) bool { return x.ID == *c.Id })
			if j < 0 {
				return notFound("Category", *c.Id)
			}
			if other, taken := titleTaken(cats, *c.Title, *c.Id); taken {
				return conflict("Category", other.ID, "Category title '%s' at 'categories.%d.member.title' is already used by category %s", *c.Title, i+1, other.ID)
			}
			cats[j].Title = *c.Title
			if c.Color != nil {
				cats[j].Color = c.Color
			}
			if err := store.PutJSON(tx, r.categoryKey(cats[j].ID), cats[j]); err != nil {
				return err
			}
		}
		return nil
	})
	return s.kit.Err("update categories", err)
}

// BatchDeleteCategory deletes categories no library item uses.
func (s *Service) BatchDeleteCategory(ctx context.Context, in *qappsapi.BatchDeleteCategoryInput) error {
	r, err := s.begin(ctx, in.InstanceId)
	if err != nil {
		return err
	}
	err = s.store.Update(ctx, func(tx store.Tx) error {
		items, _, err := store.ListJSON[libraryItemRecord](tx, r.libraryColl(), store.Page{})
		if err != nil {
			return err
		}
		for _, id := range in.Categories {
			ok, err := svc.Exists(tx, r.categoryKey(id))
			if err != nil {
				return err
			}
			if !ok {
				return notFound("Category", id)
			}
			for _, it := range items {
				if slices.Contains(it.Categories, id) {
					return conflict("Category", id, "Category %s is used by library item %s", id, it.ID)
				}
			}
		}
		for _, id := range in.Categories {
			if err := svc.DeleteIfExists(tx, r.categoryKey(id)); err != nil {
				return err
			}
		}
		return nil
	})
	return s.kit.Err("delete categories", err)
}

// ListCategories lists the instance's categories by title, each with the
// number of PUBLISHED library items in it.
func (s *Service) ListCategories(ctx context.Context, in *qappsapi.ListCategoriesInput) (*qappsapi.ListCategoriesOutput, error) {
	r, err := s.begin(ctx, in.InstanceId)
	if err != nil {
		return nil, err
	}
	out := &qappsapi.ListCategoriesOutput{Categories: []qappsapi.Category{}}
	err = s.store.View(ctx, func(tx store.Tx) error {
		cats, err := listCategories(tx, r)
		if err != nil {
			return err
		}
		items, _, err := store.ListJSON[libraryItemRecord](tx, r.libraryColl(), store.Page{})
		if err != nil {
			return err
		}
		slices.SortFunc(cats, func(a, b categoryRecord) int {
			return strings.Compare(strings.ToLower(a.Title), strings.ToLower(b.Title))
		})
		for _, c := range cats {
			var n int32
			for _, it := range items {
				if it.Status == qappsapi.LibraryItemStatusPublished && slices.Contains(it.Categories, c.ID) {
					n++
				}
			}
			out.Categories = append(out.Categories, qappsapi.Category{Id: api.Ptr(c.ID), Title: api.Ptr(c.Title), Color: c.Color, AppCount: api.Ptr(n)})
		}
		return nil
	})
	if err != nil {
		return nil, s.kit.Err("list categories", err)
	}
	return out, nil
}
