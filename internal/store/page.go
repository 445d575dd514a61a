package store

import "math"

// FetchLimit is how many rows a backend should read for page: one more than
// page.Limit, so that it can tell whether a next page exists, or -1 for no
// limit.
func FetchLimit(page Page) int {
	if page.Limit <= 0 || page.Limit == math.MaxInt {
		return -1
	}
	return page.Limit + 1
}

// FinishPage trims the items a backend read with FetchLimit(page) to
// page.Limit and returns the token of the next page ("" when items held no
// more than page.Limit).
func FinishPage(c Collection, page Page, items []Item) ([]Item, string) {
	if page.Limit <= 0 || len(items) <= page.Limit {
		return items, ""
	}
	items = items[:page.Limit]
	return items, EncodeToken(c, items[len(items)-1].Key.ID)
}
