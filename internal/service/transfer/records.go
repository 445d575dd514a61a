package transfer

import (
	"context"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/transferapi"
	"github.com/ersatz-dev/ersatz/internal/service/svc"
	"github.com/ersatz-dev/ersatz/internal/store"
)

// The shapes most resources share: read one record, create one with its
// tags, describe one with its tags, list a page of them.

// getRecord reads the record at key. When there is none it returns
// notFound(key.ID), the resource's ResourceNotFoundException; any other store
// error is returned as is, for the handler to map (s.kit.Err).
func getRecord[R any](tx store.Tx, key store.Key, notFound func(id string) error) (R, error) {
	return svc.Get[R](tx, key, func() error { return notFound(key.ID) })
}

// create stores a new resource's record at key and its tags in one
// transaction, once check (when not nil) has passed in it; its error is the
// transaction's, for the handler to map (s.kit.Err). rec is encoded after
// check ran, so check may fill it in through a pointer.
func (s *Service) create(ctx context.Context, key store.Key, rec any, tags []transferapi.Tag, check func(store.Tx) error) error {
	return s.store.Update(ctx, func(tx store.Tx) error {
		if check != nil {
			if err := check(tx); err != nil {
				return err
			}
		}
		if err := store.PutJSON(tx, key, rec); err != nil {
			return err
		}
		return putTags(tx, key, tags)
	})
}

// describe reads, in one view, a resource with get and the tags of the
// resource at key(&rec), and builds its description.
func describe[R, D any](ctx context.Context, st store.Store, get func(store.Tx) (R, error),
	key func(*R) store.Key, build func(*R, []transferapi.Tag) *D) (*D, error) {
	var out *D
	err := st.View(ctx, func(tx store.Tx) error {
		rec, err := get(tx)
		if err != nil {
			return err
		}
		tags, err := getTags(tx, key(&rec))
		if err != nil {
			return err
		}
		out = build(&rec, tags)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// listPage reads, in one view, the page that nextToken and maxResults ask
// for of the collection coll gives (coll may first check that its parent
// exists), in ascending order of id, and appends each record, as listed
// gives it, to items.
func listPage[R, L any](ctx context.Context, s *Service, coll func(store.Tx) (store.Collection, error),
	nextToken *string, maxResults *int32, items []L, listed func(*R) L) ([]L, *string, error) {
	var next *string
	err := s.store.View(ctx, func(tx store.Tx) error {
		c, err := coll(tx)
		if err != nil {
			return err
		}
		recs, token, err := store.ListJSON[R](tx, c, store.Page{Token: api.Val(nextToken), Limit: s.kit.Limit(maxResults)})
		if err != nil {
			return s.kit.Err("list "+c.Kind, err)
		}
		for i := range recs {
			items = append(items, listed(&recs[i]))
		}
		next = svc.PtrIf(token)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return items, next, nil
}

// inScope is the collection c, for listPage.
func inScope(c store.Collection) func(store.Tx) (store.Collection, error) {
	return func(store.Tx) (store.Collection, error) { return c, nil }
}

// underServer is, for listPage, the collection of kind under a server, which
// must exist.
func underServer(sc store.Scope, serverID, kind string) func(store.Tx) (store.Collection, error) {
	return func(tx store.Tx) (store.Collection, error) {
		srv, err := getServer(tx, sc, serverID)
		if err != nil {
			return store.Collection{}, err
		}
		return store.Collection{Scope: sc, Parent: serverKey(sc, srv.ServerID).Path(), Kind: kind}, nil
	}
}
