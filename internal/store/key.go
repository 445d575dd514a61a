package store

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// ErrInvalidKey is returned by Tx.Put (and by Tx.List for a malformed
// collection) when a key cannot address a resource: an empty kind or id, a
// "/" inside a kind or id, a parent that is not a resource path, or a NUL
// byte or invalid UTF-8 in any component. Get and Delete report such a key
// as ErrNotFound (the error wraps both), since no resource can have it.
var ErrInvalidKey = errors.New("store: invalid key")

// ErrReadOnly is returned by Put and Delete inside View.
var ErrReadOnly = errors.New("store: write in a read-only transaction")

// ErrClosed is returned by a Store, or a Tx, used after it was closed or after
// its transaction ended.
var ErrClosed = errors.New("store: closed")

// Validate reports whether every component of s can be stored by every
// backend (valid UTF-8 without NUL bytes). Empty components are allowed.
func (s Scope) Validate() error {
	for _, f := range [...]struct{ name, v string }{
		{"account", s.Account}, {"region", s.Region}, {"service", s.Service},
	} {
		if err := checkText(f.name, f.v); err != nil {
			return err
		}
	}
	return nil
}

// Validate reports whether c names a collection resources can live in.
func (c Collection) Validate() error {
	if err := c.Scope.Validate(); err != nil {
		return err
	}
	if err := checkSegment("kind", c.Kind); err != nil {
		return err
	}
	return checkParent(c.Parent)
}

// Validate reports whether k can address a resource (see ErrInvalidKey).
func (k Key) Validate() error {
	if err := k.Collection().Validate(); err != nil {
		return err
	}
	return checkSegment("id", k.ID)
}

// NotFoundIfInvalid returns nil for a valid key, and otherwise an error that
// wraps both ErrNotFound and ErrInvalidKey: what Get and Delete return for a
// key no resource can have.
func NotFoundIfInvalid(k Key) error {
	if err := k.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	return nil
}

// ListOfInvalid is what List returns for a collection no resource can belong
// to (ids come from requests, so such a collection is simply empty): no
// items, or ErrInvalidToken when a page token was given.
func ListOfInvalid(page Page) error {
	if page.Token != "" {
		return ErrInvalidToken
	}
	return nil
}

func checkText(name, v string) error {
	if !utf8.ValidString(v) {
		return fmt.Errorf("%w: %s is not valid UTF-8", ErrInvalidKey, name)
	}
	if strings.IndexByte(v, 0) >= 0 {
		return fmt.Errorf("%w: %s contains a NUL byte", ErrInvalidKey, name)
	}
	return nil
}

func checkSegment(name, v string) error {
	if v == "" {
		return fmt.Errorf("%w: empty %s", ErrInvalidKey, name)
	}
	if strings.IndexByte(v, '/') >= 0 {
		return fmt.Errorf("%w: %s %q contains '/'", ErrInvalidKey, name, v)
	}
	return checkText(name, v)
}

// checkParent accepts "" or a resource path: kind/id pairs of non-empty
// segments joined by "/".
func checkParent(p string) error {
	if p == "" {
		return nil
	}
	if err := checkText("parent", p); err != nil {
		return err
	}
	if (strings.Count(p, "/")+1)%2 != 0 { // the number of segments
		return fmt.Errorf("%w: parent %q is not a resource path (kind/id pairs)", ErrInvalidKey, p)
	}
	if p[0] == '/' || p[len(p)-1] == '/' || strings.Contains(p, "//") {
		return fmt.Errorf("%w: parent %q has an empty segment", ErrInvalidKey, p)
	}
	return nil
}

// PathRange returns the bounds of the paths strictly below path: every
// descendant d satisfies lo < d < hi, and nothing else of the same scope does
// ('0' is the byte after '/'). Backends compare paths bytewise.
func PathRange(path string) (lo, hi string) {
	return path + "/", path + "0"
}
