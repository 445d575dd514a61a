// Package ids makes resource identifiers the way AWS shapes them.
package ids

import (
	"crypto/rand"
	"crypto/sha1" //nolint:gosec // UUID version 5 is defined over SHA-1; not a security use.
	"encoding/hex"
	"time"
)

// Hex17 returns prefix followed by 17 random lowercase hex digits, the shape
// of Transfer ids (s-, user key-, c-, p-, a-, cert-, w-, webapp- ...).
func Hex17(prefix string) string {
	var b [9]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])[:17]
}

// RandHex returns n random lowercase hex digits.
func RandHex(n int) string {
	b := make([]byte, (n+1)/2)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)[:n]
}

// UUID returns a random version 4 UUID.
func UUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return FormatUUID(b)
}

// UUIDv7 returns a version 7 UUID whose first 60 bits are t (milliseconds,
// then a 1/4096 ms fraction), so that ids made later sort after.
func UUIDv7(t time.Time) string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	ms := uint64(t.UnixMilli())
	frac := uint64(t.Nanosecond()%int(time.Millisecond)) * 4096 / uint64(time.Millisecond)
	for i := range 6 {
		b[i] = byte(ms >> (40 - 8*i))
	}
	b[6] = 0x70 | byte(frac>>8)
	b[7] = byte(frac)
	b[8] = b[8]&0x3f | 0x80
	return FormatUUID(b)
}

// UUIDv5 is the RFC 9562 name-based (SHA-1) UUID of name in namespace ns.
func UUIDv5(ns [16]byte, name string) string {
	h := sha1.New() //nolint:gosec // see import
	h.Write(ns[:])
	h.Write([]byte(name))
	var b [16]byte
	copy(b[:], h.Sum(nil))
	b[6] = b[6]&0x0f | 0x50
	b[8] = b[8]&0x3f | 0x80
	return FormatUUID(b)
}

// FormatUUID writes 16 bytes in the 8-4-4-4-12 lowercase hex form of a UUID,
// as they are (the caller sets the version and variant bits).
func FormatUUID(b [16]byte) string {
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	hex.Encode(s[9:13], b[4:6])
	hex.Encode(s[14:18], b[6:8])
	hex.Encode(s[19:23], b[8:10])
	hex.Encode(s[24:36], b[10:16])
	s[8], s[13], s[18], s[23] = '-', '-', '-', '-'
	return string(s[:])
}

// ARN builds an ARN in the aws partition.
func ARN(service, region, account, resource string) string {
	return "arn:aws:" + service + ":" + region + ":" + account + ":" + resource
}
