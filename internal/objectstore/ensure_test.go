package objectstore_test

import (
	"context"
	"errors"
	"testing"

	"github.com/ersatz-dev/ersatz/internal/objectstore"
	"github.com/ersatz-dev/ersatz/internal/objectstore/memstore"
)

func TestEnsureBucket(t *testing.T) {
	ctx := context.Background()
	st := memstore.New()
	if err := st.CreateBucket(ctx, "owned", "111111111111"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		bucket string
		owner  string
		bad    bool
	}{
		{bucket: "fresh"},
		{bucket: "fresh"}, // a second time: no error
		{bucket: "owned", owner: "111111111111"},
		{bucket: "Not_A_Bucket", bad: true},
	} {
		err := objectstore.EnsureBucket(ctx, st, tc.bucket)
		if tc.bad {
			if !errors.Is(err, objectstore.ErrInvalidBucketName) {
				t.Errorf("Ensure(%q) = %v, want an invalid bucket name", tc.bucket, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("Ensure(%q): %v", tc.bucket, err)
		}
		b, err := st.HeadBucket(ctx, tc.bucket)
		if err != nil || b.Owner != tc.owner {
			t.Fatalf("bucket %q after Ensure: %+v, %v", tc.bucket, b, err)
		}
	}
}
