package s3api

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"io"
	"net/http"
	"strings"

	"github.com/ersatz-dev/ersatz/internal/sigv4"
)

// crc64NVME is the table of CRC-64/NVME, the SDKs' CRC64NVME checksum
// (reflected polynomial; Go's crc64 starts and ends with an inversion, as
// that checksum does).
var crc64NVME = crc64.MakeTable(0x9a6c9329ac4bc9b5)

// checksums are the x-amz-checksum-* headers the SDKs send (the default
// being CRC32), each with the hash that checks it.
var checksums = []struct {
	header string
	new    func() hash.Hash
}{
	{"X-Amz-Checksum-Crc32", func() hash.Hash { return crc32.NewIEEE() }},
	{"X-Amz-Checksum-Crc32c", func() hash.Hash { return crc32.New(crc32.MakeTable(crc32.Castagnoli)) }},
	{"X-Amz-Checksum-Crc64nvme", func() hash.Hash { return crc64.New(crc64NVME) }},
	{"X-Amz-Checksum-Sha1", sha1.New},
	{"X-Amz-Checksum-Sha256", sha256.New},
}

// verifier passes a body through, and at its end compares its digest with
// the one the request declared: a mismatch is the read's error, so the
// object store keeps nothing.
type verifier struct {
	r    io.Reader
	h    hash.Hash
	want []byte
	fail *s3Error
}

func (v *verifier) Read(p []byte) (int, error) {
	n, err := v.r.Read(p)
	v.h.Write(p[:n])
	if err == io.EOF && !bytes.Equal(v.h.Sum(nil), v.want) {
		return n, v.fail
	}
	return n, err
}

// wrapBody checks the body against what the request declares of it: its
// signed SHA-256 (declared, when the signature covers a hex hash) and an
// x-amz-checksum-* header. Content-MD5 is gofakes3's. aws-chunked bodies
// (the SDKs' trailing checksums, used over HTTPS only) are refused: Ersatz
// serves plain HTTP.
func wrapBody(r *http.Request, declared string) error {
	if r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	if strings.HasPrefix(r.Header.Get("X-Amz-Content-Sha256"), "STREAMING-") {
		return newError(http.StatusNotImplemented, "NotImplemented", "aws-chunked (STREAMING-*) bodies are not implemented by Ersatz; send the body as it is (the SDKs do over http://)")
	}
	if len(declared) == 64 && declared != sigv4.UnsignedPayload {
		want, err := hex.DecodeString(declared)
		if err != nil {
			return newError(http.StatusBadRequest, "InvalidArgument", "x-amz-content-sha256 must be UNSIGNED-PAYLOAD or a hex SHA-256")
		}
		r.Body = readCloser{&verifier{r: r.Body, h: sha256.New(), want: want, fail: newError(http.StatusBadRequest,
			"XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.")}, r.Body}
	}
	for _, c := range checksums {
		v := r.Header.Get(c.header)
		if v == "" {
			continue
		}
		want, err := base64.StdEncoding.DecodeString(v)
		h := c.new()
		if err != nil || len(want) != h.Size() {
			return newError(http.StatusBadRequest, "InvalidRequest", "Value for "+strings.ToLower(c.header)+" header is invalid.")
		}
		algo := strings.ToUpper(strings.TrimPrefix(c.header, "X-Amz-Checksum-"))
		r.Body = readCloser{&verifier{r: r.Body, h: h, want: want, fail: newError(http.StatusBadRequest,
			"BadDigest", "The "+algo+" you specified did not match the calculated checksum.")}, r.Body}
	}
	return nil
}

type readCloser struct {
	io.Reader
	io.Closer
}
