package store

import (
	"fmt"
	"strings"
	"testing"
)

// checkParentSplit is checkParent as it was, splitting the path: the
// reference the allocation-free one must agree with, message included.
func checkParentSplit(p string) error {
	if p == "" {
		return nil
	}
	if err := checkText("parent", p); err != nil {
		return err
	}
	segs := strings.Split(p, "/")
	if len(segs)%2 != 0 {
		return fmt.Errorf("%w: parent %q is not a resource path (kind/id pairs)", ErrInvalidKey, p)
	}
	for _, s := range segs {
		if s == "" {
			return fmt.Errorf("%w: parent %q has an empty segment", ErrInvalidKey, p)
		}
	}
	return nil
}

func FuzzCheckParent(f *testing.F) {
	for _, s := range []string{"", "server/s-1", "server/s-1/user/a", "server", "/server/s-1", "server/s-1/", "server//s-1/x", "a/b/c", "//", "/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		got, want := checkParent(p), checkParentSplit(p)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%q: %v, want %v", p, got, want)
		}
	})
}
