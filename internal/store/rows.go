package store

// Rows is the little of a SQL result set that the SQL backends' scanners
// need; *sql.Rows and pgx.Rows have it. The caller closes the rows.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// ScanList reads the rows (id, data) of a List query of c.
func ScanList(rows Rows, c Collection) ([]Item, error) {
	var items []Item
	for rows.Next() {
		it := Item{Key: Key{Scope: c.Scope, Parent: c.Parent, Kind: c.Kind}}
		if err := rows.Scan(&it.Key.ID, &it.Data); err != nil {
			return nil, err
		}
		items = append(items, it)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return items, nil
}

// Row is one row of a table of resources: the item and its path.
type Row struct {
	Item Item
	Path string
}

// ScanRows reads rows (account, region, service, parent, kind, id, path,
// data) of a table of resources.
func ScanRows(rows Rows) ([]Row, error) {
	var batch []Row
	for rows.Next() {
		var r Row
		k := &r.Item.Key
		if err := rows.Scan(&k.Account, &k.Region, &k.Service, &k.Parent, &k.Kind, &k.ID, &r.Path, &r.Item.Data); err != nil {
			return nil, err
		}
		batch = append(batch, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return batch, nil
}

// AllInBatches is BulkTx.All for a backend that reads its table in
// primary-key order, (account, region, service, path), size rows at a time:
// read returns the (at most size) rows after the given account, region,
// service and path. fn is called between reads, so it may use the
// transaction.
func AllInBatches(size int, read func(after [4]string) ([]Row, error), fn func(Item) error) error {
	var after [4]string // account, region, service, path of the last row seen
	for {
		batch, err := read(after)
		if err != nil {
			return err
		}
		for _, r := range batch {
			if err := fn(r.Item); err != nil {
				return err
			}
		}
		if len(batch) < size {
			return nil
		}
		last := batch[len(batch)-1]
		after = [4]string{last.Item.Key.Account, last.Item.Key.Region, last.Item.Key.Service, last.Path}
	}
}
