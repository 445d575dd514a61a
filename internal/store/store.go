// Package store defines the state contract every Ersatz service uses, and the
// helpers shared by its backends (memory, sqlite, postgres).
//
// A resource is a JSON document addressed by a Key. Keys are scoped by account,
// region and service; within that scope a resource lives under a parent path
// (empty for top-level resources) and has a kind and an id. Its own path is
// parent + "/" + kind + "/" + id (without the leading slash when the parent is
// empty), so "server/s-0123" is a server and "server/s-0123/user/alice" one of
// its users. Deleting a resource deletes every resource whose parent path lies
// under its path, in the same transaction.
package store

import (
	"context"
	"errors"
	"strings"
)

// ErrNotFound is returned by Tx.Get and Tx.Delete when no resource has the key.
var ErrNotFound = errors.New("store: resource not found")

// ErrInvalidToken is returned by Tx.List when a page token is malformed,
// tampered with, or was issued for another scope.
var ErrInvalidToken = errors.New("store: invalid page token")

// ErrBusy is returned by View and Update when a shared backend could not run
// the transaction within its retry budget (conflicting writers, a lock held
// too long, or the database unreachable for too long): nothing fn wrote is
// kept, and the same call may succeed later. The services answer it with
// their modelled throttling error, which the AWS SDKs retry.
var ErrBusy = errors.New("store: busy")

// Scope is the isolation boundary: nothing crosses from one scope to another.
type Scope struct {
	Account string
	Region  string
	Service string
}

// Key addresses one resource.
type Key struct {
	Scope
	Parent string // path of the parent resource; "" for top-level resources
	Kind   string // e.g. "server", "user", "access"
	ID     string
}

// Path is the resource's own path, the Parent of its children.
func (k Key) Path() string {
	if k.Parent != "" {
		return k.Parent + "/" + k.Kind + "/" + k.ID
	}
	return k.Kind + "/" + k.ID
}

// Child returns the key of a resource of the given kind and id under k.
func (k Key) Child(kind, id string) Key {
	return Key{Scope: k.Scope, Parent: k.Path(), Kind: kind, ID: id}
}

// Collection names the resources of one kind under one parent: what List walks.
type Collection struct {
	Scope
	Parent string
	Kind   string
}

// Collection returns the collection k belongs to.
func (k Key) Collection() Collection {
	return Collection{Scope: k.Scope, Parent: k.Parent, Kind: k.Kind}
}

// Item is one resource as stored: its key and its JSON document.
type Item struct {
	Key  Key
	Data []byte
}

// Page asks List for one page of a collection.
type Page struct {
	// Token continues a previous List of the same collection; "" starts at the beginning.
	Token string
	// Limit is the most items to return; <= 0 means no limit.
	Limit int
}

// Store runs transactions. Implementations must be safe for concurrent use by
// many goroutines (and, for shared backends, many processes).
type Store interface {
	// View runs fn in a read-only transaction.
	View(ctx context.Context, fn func(tx Tx) error) error
	// Update runs fn in a read-write transaction. If fn returns an error nothing
	// it wrote is kept. Concurrent Updates are serializable: two read-modify-write
	// transactions of the same resource never lose one another's write
	// (implementations may retry fn, so fn must not have side effects outside tx).
	Update(ctx context.Context, fn func(tx Tx) error) error
	// Reset deletes every resource of every scope.
	Reset(ctx context.Context) error
	// Kind names the backend: "memory", "sqlite" or "postgres".
	Kind() string
	// Close releases the backend's resources.
	Close() error
}

// Tx is one transaction's view of the store.
type Tx interface {
	// Get returns the document stored at key, or ErrNotFound.
	Get(key Key) ([]byte, error)
	// Put creates or replaces the document at key. data must be valid JSON.
	Put(key Key, data []byte) error
	// Delete removes the resource at key and, in the same transaction, every
	// resource below it. It returns ErrNotFound when key does not exist.
	Delete(key Key) error
	// List returns the resources of a collection in ascending order of ID, at
	// most page.Limit of them, and a token for the next page ("" when there is
	// none). A token stays valid when resources are inserted or deleted; a token
	// that is malformed or belongs to another collection gives ErrInvalidToken.
	// A collection no resource can belong to (a NUL byte in its parent, say)
	// is empty.
	List(c Collection, page Page) (items []Item, next string, err error)
}

// Under reports whether path lies strictly below the resource path parent.
func Under(path, parent string) bool {
	return strings.HasPrefix(path, parent+"/")
}
