package svc

import (
	"fmt"

	"github.com/ersatz-dev/ersatz/internal/store"
)

// A Cursor is one page request over a collection: where the previous page
// ended and how many items this one holds. Its tokens are the store's keyset
// tokens, bound to the collection, so a token of another list is refused.
type Cursor struct {
	coll  store.Collection
	after string
	given bool
	limit int
}

// Limit is the page size a request asks for: the service's default when
// limit is nil or not positive.
func (k *Kit) Limit(limit *int32) int {
	if limit == nil || *limit <= 0 {
		return k.cfg.PageSize
	}
	return int(*limit)
}

// Cursor decodes a page request over coll: token is the request's page
// token ("" for the first page), limit its page size (see Limit). A token
// the store did not hand out for coll is the service's bad-token error.
func (k *Kit) Cursor(coll store.Collection, token string, limit int) (Cursor, error) {
	c, err := NewCursor(coll, token, limit)
	if err != nil {
		return Cursor{}, k.cfg.BadToken()
	}
	return c, nil
}

// NewCursor is Kit.Cursor without a Kit: a bad token is an error wrapping
// store.ErrInvalidToken, for Kit.Err to map.
func NewCursor(coll store.Collection, token string, limit int) (Cursor, error) {
	after, err := store.DecodeToken(coll, token)
	if err != nil {
		return Cursor{}, fmt.Errorf("page of %s: %w", coll.Kind, err)
	}
	return Cursor{coll: coll, after: after, given: token != "", limit: limit}, nil
}

// After reports whether an item of this id belongs after the cursor's token
// (every id does on the first page).
func (c Cursor) After(id string) bool { return !c.given || id > c.after }

// Page cuts the page the cursor asks for out of items, which are sorted by
// id in ascending order (and already filtered): the items after the token,
// at most limit of them, and the token of the next page when more remain
// (nil on the last page).
func Page[T any](c Cursor, items []T, id func(T) string) ([]T, *string) {
	start := 0
	if c.given {
		start = len(items)
		for i, it := range items {
			if id(it) > c.after {
				start = i
				break
			}
		}
	}
	end := min(start+max(c.limit, 0), len(items))
	if end < len(items) && end > start {
		next := store.EncodeToken(c.coll, id(items[end-1]))
		return items[start:end], &next
	}
	return items[start:end], nil
}
