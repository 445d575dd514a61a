package objectstore_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ersatz-dev/ersatz/internal/objectstore"
)

func TestValidBucketName(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"abc", true}, {"my.bucket-1", true}, {strings.Repeat("a", 63), true},
		{"ab", false}, {strings.Repeat("a", 64), false}, {"Upper", false}, {"under_score", false},
		{"-start", false}, {"end-", false}, {"a..b", false}, {"10.0.0.1", false},
		{"xn--abc", false}, {"sthree-x", false}, {"amzn-s3-demo-x", false}, {"abc-s3alias", false}, {"abc--ol-s3", false},
	} {
		err := objectstore.ValidBucketName(tc.name)
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, objectstore.ErrInvalidBucketName)) {
			t.Errorf("ValidBucketName(%q) = %v", tc.name, err)
		}
	}
}

func TestRangeResolve(t *testing.T) {
	for _, tc := range []struct {
		r     objectstore.RangeRequest
		size  int64
		start int64
		n     int64
		ok    bool
	}{
		{objectstore.RangeRequest{Start: 0, End: 4}, 10, 0, 5, true},
		{objectstore.RangeRequest{Start: 5, End: -1}, 10, 5, 5, true},
		{objectstore.RangeRequest{Start: 5, End: 100}, 10, 5, 5, true},
		{objectstore.RangeRequest{IsSuffix: true, Suffix: 3}, 10, 7, 3, true},
		{objectstore.RangeRequest{IsSuffix: true, Suffix: 30}, 10, 0, 10, true},
		{objectstore.RangeRequest{Start: 10, End: -1}, 10, 0, 0, false},
		{objectstore.RangeRequest{Start: 4, End: 2}, 10, 0, 0, false},
		{objectstore.RangeRequest{IsSuffix: true, Suffix: 0}, 10, 0, 0, false},
	} {
		got, err := tc.r.Resolve(tc.size)
		if (err == nil) != tc.ok || (err == nil && (got.Start != tc.start || got.Length != tc.n)) {
			t.Errorf("%+v.Resolve(%d) = %+v, %v", tc.r, tc.size, got, err)
		}
	}
}
