// Package ids makes resource identifiers the way AWS shapes them.
package ids

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
)

// Hex17 returns prefix followed by 17 random lowercase hex digits, the shape
// of Transfer ids (s-, user key-, c-, p-, a-, cert-, w-, webapp- ...).
func Hex17(prefix string) string {
	var b [9]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])[:17]
}

// UUID returns a random version 4 UUID.
func UUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// ARN builds an ARN in the aws partition.
func ARN(service, region, account, resource string) string {
	return "arn:aws:" + service + ":" + region + ":" + account + ":" + resource
}
