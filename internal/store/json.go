package store

import (
	"encoding/json"
	"errors"
	"fmt"
)

// GetJSON reads the document at key and decodes it into a T. It returns
// ErrNotFound (wrapped) when there is none.
func GetJSON[T any](tx Tx, key Key) (T, error) {
	var v T
	data, err := tx.Get(key)
	if err != nil {
		return v, err
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return v, fmt.Errorf("store: decode %s: %w", key.Path(), err)
	}
	return v, nil
}

// Exists reports whether key holds a document. A Tx that can tell without
// copying the document (a Haser) is asked; any other reads it.
func Exists(tx Tx, key Key) (bool, error) {
	if h, ok := tx.(Haser); ok {
		return h.Has(key)
	}
	_, err := tx.Get(key)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// Haser is a Tx that answers Exists without copying the document: Has
// reports whether key holds one, and fails as Get would otherwise.
type Haser interface {
	Has(key Key) (bool, error)
}

// PutJSON encodes v as JSON and stores it at key.
func PutJSON(tx Tx, key Key, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("store: encode %s: %w", key.Path(), err)
	}
	return tx.Put(key, data)
}

// ListJSON lists one page of a collection and decodes each document into a T.
func ListJSON[T any](tx Tx, c Collection, page Page) ([]T, string, error) {
	items, next, err := tx.List(c, page)
	if err != nil {
		return nil, "", err
	}
	out := make([]T, len(items))
	for i, it := range items {
		if err := json.Unmarshal(it.Data, &out[i]); err != nil {
			return nil, "", fmt.Errorf("store: decode %s: %w", it.Key.Path(), err)
		}
	}
	return out, next, nil
}

// ValidatePut is what every backend's Put checks before it writes: that key
// can address a resource (see Key.Validate) and that data is JSON. backend
// names the backend in the error.
func ValidatePut(backend string, key Key, data []byte) error {
	if err := key.Validate(); err != nil {
		return err
	}
	if !json.Valid(data) {
		return fmt.Errorf("%s: put %s: data is not valid JSON", backend, key.Path())
	}
	return nil
}
