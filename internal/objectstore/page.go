package objectstore

import (
	"context"
	"io"
	"strings"
)

// ListPage builds one page of q over keys, which must be in ascending byte
// order, as ListObjectsV2 does: keys after q.After that start with
// q.Prefix; with a delimiter, the keys holding it after the prefix rolled
// up into common prefixes; at most q.Limit entries (DefaultListLimit when
// 0). describe gives a listed key's ObjectInfo; ok false drops the key (a
// key gone meanwhile). The backends share it, so their pages agree.
func ListPage(ctx context.Context, keys []string, q ListQuery, describe func(key string) (info ObjectInfo, ok bool)) (ListResult, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultListLimit
	}
	var res ListResult
	count, last := 0, ""
	for _, k := range keys {
		if err := ctx.Err(); err != nil {
			return ListResult{}, err
		}
		if k <= q.After || !strings.HasPrefix(k, q.Prefix) {
			continue
		}
		item, isPrefix := k, false
		if q.Delimiter != "" {
			if i := strings.Index(k[len(q.Prefix):], q.Delimiter); i >= 0 {
				item, isPrefix = k[:len(q.Prefix)+i+len(q.Delimiter)], true
				if item == last || strings.HasPrefix(q.After, item) {
					continue
				}
			}
		}
		if count == limit {
			res.Truncated, res.Next = true, last
			break
		}
		if isPrefix {
			res.CommonPrefixes = append(res.CommonPrefixes, item)
		} else {
			info, ok := describe(k)
			if !ok {
				continue
			}
			res.Objects = append(res.Objects, info)
		}
		count, last = count+1, item
	}
	return res, nil
}

// ContextReader stops a copy from R once Ctx is done.
type ContextReader struct {
	Ctx context.Context
	R   io.Reader
}

// Read reads from R unless Ctx is done.
func (c ContextReader) Read(p []byte) (int, error) {
	if err := c.Ctx.Err(); err != nil {
		return 0, err
	}
	return c.R.Read(p)
}
