package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
)

// hmacSum is HMAC-SHA256 (RFC 2104) under key of the message held in
// buf[sha256.BlockSize:]; buf[:sha256.BlockSize] is its working space, and
// the whole of buf is overwritten.
func hmacSum(key, buf []byte) [sha256.Size]byte {
	if len(key) > sha256.BlockSize {
		h := sha256.Sum256(key) // RFC 2104: a longer key is hashed first
		key = h[:]
	}
	pad := buf[:sha256.BlockSize]
	clear(pad)
	copy(pad, key)
	for i := range pad {
		pad[i] ^= 0x36
	}
	inner := sha256.Sum256(buf)
	for i := range pad {
		pad[i] ^= 0x36 ^ 0x5c
	}
	return sha256.Sum256(append(buf[:sha256.BlockSize], inner[:]...))
}

// decodeHex decodes the hex string s into dst, which it must fill exactly.
func decodeHex(dst []byte, s string) bool {
	if len(s) != 2*len(dst) {
		return false
	}
	for i := range dst {
		hi, ok1 := fromHex(s[2*i])
		lo, ok2 := fromHex(s[2*i+1])
		if !ok1 || !ok2 {
			return false
		}
		dst[i] = hi<<4 | lo
	}
	return true
}

func fromHex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// appendCanonicalRequest appends CanonicalRequest(method, uri, query,
// headerBlock, signedHeaders, payloadHash) to b.
func appendCanonicalRequest(b []byte, method, uri, query string, headerBlock, signedHeaders []byte, payloadHash string) []byte {
	b = append(b, method...)
	b = append(b, '\n')
	b = append(b, uri...)
	b = append(b, '\n')
	b = append(b, query...)
	b = append(b, '\n')
	b = append(b, headerBlock...)
	b = append(b, '\n')
	b = append(b, signedHeaders...)
	b = append(b, '\n')
	return append(b, payloadHash...)
}

// appendStringToSign appends StringToSign(amzDate, scope, cr) to b, given
// the SHA-256 of the canonical request cr.
func appendStringToSign(b []byte, amzDate string, scope Scope, crHash [sha256.Size]byte) []byte {
	b = append(b, Algorithm+"\n"...)
	b = append(b, amzDate...)
	b = append(b, '\n')
	b = append(b, scope.Date...)
	b = append(b, '/')
	b = append(b, scope.Region...)
	b = append(b, '/')
	b = append(b, scope.Service...)
	b = append(b, "/aws4_request\n"...)
	return hex.AppendEncode(b, crHash[:])
}

// verifyHashes checks the signature against each canonical URI and payload
// hash with the signing key of its scope.
func (s *Signature) verifyHashes(r *http.Request, uris, hashes []string, key []byte) error {
	var got [sha256.Size]byte
	valid := decodeHex(got[:], s.Signature)
	// The header block and the signed-headers line, on the stack too.
	var hdrSpace [512]byte
	hdr := s.appendCanonicalHeaders(hdrSpace[:0], r)
	nBlock := len(hdr)
	for i, h := range s.SignedHeaders {
		if i > 0 {
			hdr = append(hdr, ';')
		}
		hdr = append(hdr, h...)
	}
	block, signed := hdr[:nBlock], hdr[nBlock:]
	query := CanonicalQuery(r, s.Presigned)
	// The canonical request and the string to sign are built in one
	// buffer on the stack (on the heap only past 1 KiB).
	var space [1024]byte
	buf := space[:0]
	ok := false
	for _, uri := range uris {
		for _, ph := range hashes {
			buf = appendCanonicalRequest(buf[:0], r.Method, uri, query, block, signed, ph)
			crHash := sha256.Sum256(buf)
			// The string to sign goes after the block hmacSum works in.
			buf = appendStringToSign(buf[:sha256.BlockSize], s.AmzDate, s.Scope, crHash)
			want := hmacSum(key, buf)
			// Compared whatever the form of the signature, so the timing
			// does not depend on it.
			if hmac.Equal(want[:], got[:]) && valid {
				ok = true
			}
		}
	}
	if !ok {
		var first string
		if len(uris) > 0 && len(hashes) > 0 {
			cr := CanonicalRequest(r.Method, uris[0], query, string(block), string(signed), hashes[0])
			first = "\n\nThe Canonical String for this request should have been\n'" + cr +
				"'\n\nThe String-to-Sign should have been\n'" + StringToSign(s.AmzDate, s.Scope, cr) + "'\n"
		}
		return fail(Invalid, "%s%s", MsgBadSignature, first)
	}
	return nil
}
