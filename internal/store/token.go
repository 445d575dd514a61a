package store

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
)

// Page tokens.
//
// A token is the unpadded base64url encoding of
//
//	version (1 byte, 1) | collection fingerprint (8 bytes) | last id | MAC (16 bytes)
//
// where the fingerprint is the first 8 bytes of SHA-256 over the collection
// (account, region, service, parent, kind, each length-prefixed) and the MAC is
// HMAC-SHA256 under TokenMACKey over the version, the collection and the last
// id, truncated to 16 bytes.
//
// Tokens are not secrets: anyone can read the last id out of one. The MAC only
// detects tampering and truncation, and binds a token to its collection. Its
// key is fixed (TokenMACKey) on purpose, so that a token issued by one Ersatz
// process is honoured by another sharing the same database, and by the same
// data directory after a restart.
//
// Listing is keyset pagination: the next page holds the ids greater than the
// last id, so a token survives inserts and deletes (even of the last id itself)
// and a page costs the same however large the collection is.

// TokenMACKey is the fixed, public key of the page token MAC (see above).
const TokenMACKey = "ersatz page token v1: tamper detection only, not a secret"

const (
	tokenVersion   = 1
	tokenFPLen     = 8
	tokenMACLen    = 16
	maxTokenLength = 8192 // characters; far above any real token
)

// EncodeToken returns the token that continues a List of c after lastID.
func EncodeToken(c Collection, lastID string) string {
	buf := make([]byte, 0, 1+tokenFPLen+len(lastID)+tokenMACLen)
	buf = append(buf, tokenVersion)
	fp := collectionFingerprint(c)
	buf = append(buf, fp[:]...)
	buf = append(buf, lastID...)
	buf = append(buf, tokenMAC(c, lastID)...)
	return base64.RawURLEncoding.EncodeToString(buf)
}

// DecodeToken returns the last id a token of c carries: "" for the empty token
// (the first page), and an error wrapping ErrInvalidToken for anything that
// EncodeToken did not produce for c.
func DecodeToken(c Collection, token string) (lastID string, err error) {
	if token == "" {
		return "", nil
	}
	if len(token) > maxTokenLength {
		return "", fmt.Errorf("%w: too long", ErrInvalidToken)
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return "", fmt.Errorf("%w: not base64url", ErrInvalidToken)
	}
	if len(raw) < 1+tokenFPLen+1+tokenMACLen {
		return "", fmt.Errorf("%w: truncated", ErrInvalidToken)
	}
	if raw[0] != tokenVersion {
		return "", fmt.Errorf("%w: unknown version %d", ErrInvalidToken, raw[0])
	}
	fp := collectionFingerprint(c)
	if !hmac.Equal(raw[1:1+tokenFPLen], fp[:]) {
		return "", fmt.Errorf("%w: issued for another collection", ErrInvalidToken)
	}
	id := string(raw[1+tokenFPLen : len(raw)-tokenMACLen])
	if !hmac.Equal(raw[len(raw)-tokenMACLen:], tokenMAC(c, id)) {
		return "", fmt.Errorf("%w: tampered with", ErrInvalidToken)
	}
	return id, nil
}

func appendCollection(b []byte, c Collection) []byte {
	for _, s := range [...]string{c.Account, c.Region, c.Service, c.Parent, c.Kind} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return b
}

func collectionFingerprint(c Collection) [tokenFPLen]byte {
	sum := sha256.Sum256(appendCollection([]byte("ersatz collection"), c))
	var fp [tokenFPLen]byte
	copy(fp[:], sum[:])
	return fp
}

func tokenMAC(c Collection, lastID string) []byte {
	m := hmac.New(sha256.New, []byte(TokenMACKey))
	msg := appendCollection([]byte{tokenVersion}, c)
	msg = binary.AppendUvarint(msg, uint64(len(lastID)))
	msg = append(msg, lastID...)
	m.Write(msg)
	return m.Sum(nil)[:tokenMACLen]
}
