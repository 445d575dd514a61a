package objectstore

import (
	"fmt"
	"net/netip"
	"strings"
	"unicode/utf8"
)

// ValidBucketName checks S3's rules for general purpose bucket names: 3 to
// 63 characters of lower-case letters, digits, dots and hyphens, starting
// and ending with a letter or digit, no two adjacent dots, not an IPv4
// address, and none of the prefixes and suffixes AWS reserves.
func ValidBucketName(name string) error {
	if len(name) < 3 || len(name) > 63 {
		return fmt.Errorf("%w: bucket name must be between 3 and 63 characters long", ErrInvalidBucketName)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return fmt.Errorf("%w: bucket name can consist only of lowercase letters, numbers, periods (.), and hyphens (-)", ErrInvalidBucketName)
		}
	}
	if !alnum(name[0]) || !alnum(name[len(name)-1]) {
		return fmt.Errorf("%w: bucket name must begin and end with a letter or number", ErrInvalidBucketName)
	}
	if strings.Contains(name, "..") {
		return fmt.Errorf("%w: bucket name must not contain two adjacent periods", ErrInvalidBucketName)
	}
	if a, err := netip.ParseAddr(name); err == nil && a.Is4() {
		return fmt.Errorf("%w: bucket name must not be formatted as an IP address", ErrInvalidBucketName)
	}
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(name, p) {
			return fmt.Errorf("%w: bucket name must not start with %q", ErrInvalidBucketName, p)
		}
	}
	for _, s := range []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"} {
		if strings.HasSuffix(name, s) {
			return fmt.Errorf("%w: bucket name must not end with %q", ErrInvalidBucketName, s)
		}
	}
	return nil
}

func alnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

// ValidKey checks S3's rules for a key: 1 to MaxKeyLen bytes of UTF-8.
func ValidKey(key string) error {
	if key == "" {
		return fmt.Errorf("%w: the key must not be empty", ErrInvalidKey)
	}
	if len(key) > MaxKeyLen {
		return fmt.Errorf("%w: the key is %d bytes, at most %d are allowed", ErrKeyTooLong, len(key), MaxKeyLen)
	}
	if !utf8.ValidString(key) {
		return fmt.Errorf("%w: the key is not valid UTF-8", ErrInvalidKey)
	}
	return nil
}

// ValidTags checks S3's rules for an object's tag set.
func ValidTags(tags map[string]string) error {
	if len(tags) > MaxTags {
		return fmt.Errorf("%w: object tags cannot be greater than %d", ErrInvalidTag, MaxTags)
	}
	for k, v := range tags {
		if k == "" || utf8.RuneCountInString(k) > MaxTagKeyLen || !utf8.ValidString(k) {
			return fmt.Errorf("%w: the TagKey you have provided is invalid", ErrInvalidTag)
		}
		if utf8.RuneCountInString(v) > MaxTagValueLen || !utf8.ValidString(v) {
			return fmt.Errorf("%w: the TagValue you have provided is invalid", ErrInvalidTag)
		}
	}
	return nil
}

// HasDotSegment tells whether key has a "." or ".." segment between its
// slashes. S3 allows such keys, but no backend here stores them: a folder
// cannot be named so, and in a path-style URL an endpoint (or a proxy
// before it) may resolve the segment and address another key or bucket.
func HasDotSegment(key string) bool {
	for seg := range strings.SplitSeq(key, "/") {
		if seg == "." || seg == ".." {
			return true
		}
	}
	return false
}

// CreateConflict is what CreateBucket by owner answers when the bucket b
// exists already: ErrBucketOwnedByYou for its owner, ErrBucketExists for
// another account, nil when nobody owns b (owner adopts it).
func CreateConflict(b Bucket, owner string) error {
	switch b.Owner {
	case owner:
		return fmt.Errorf("bucket %s: %w", b.Name, ErrBucketOwnedByYou)
	case "":
		return nil
	default:
		return fmt.Errorf("bucket %s: %w", b.Name, ErrBucketExists)
	}
}
