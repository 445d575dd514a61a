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

// ListPage is the part of Tx.List every backend shares. A collection no
// resource can belong to is empty (ListOfInvalid); otherwise the page token is
// decoded to the last id of the previous page, fetch reads the items of c
// whose ids follow it in ascending order (at most limit of them, or all for
// limit -1: see FetchLimit), and FinishPage makes a page of them.
func ListPage(c Collection, page Page, fetch func(after string, limit int) ([]Item, error)) ([]Item, string, error) {
	if err := c.Validate(); err != nil {
		return nil, "", ListOfInvalid(page)
	}
	last, err := DecodeToken(c, page.Token)
	if err != nil {
		return nil, "", err
	}
	items, err := fetch(last, FetchLimit(page))
	if err != nil {
		return nil, "", err
	}
	items, next := FinishPage(c, page, items)
	return items, next, nil
}
