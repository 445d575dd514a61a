package httpserve

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
)

// cannedHeaders are the headers of every answer net/http writes itself when
// it cannot read a request (a malformed request line or header, headers over
// the limit, an unsupported HTTP version or transfer coding). Answers of
// handlers never start so: net/http sorts their headers (Connection before
// Content-Type) and adds a Date.
const cannedHeaders = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"

// rewriteCanned turns such an answer into an AWS-shaped JSON error: 431
// RequestHeaderFieldsTooLargeException for headers over the limit, 400
// BadRequestException for everything else (505 and 501 included: every
// answer to a request Ersatz cannot read is a 4xx), with a request id. It
// reports false for any other bytes.
func rewriteCanned(p []byte) ([]byte, bool) {
	if !bytes.HasPrefix(p, []byte("HTTP/1.1 ")) {
		return nil, false
	}
	eol := bytes.Index(p, []byte("\r\n"))
	if eol < 12 || !bytes.HasPrefix(p[eol:], []byte(cannedHeaders)) {
		return nil, false
	}
	status, err := strconv.Atoi(string(p[9:12]))
	if err != nil {
		return nil, false
	}
	detail := strings.TrimSpace(string(p[eol+len(cannedHeaders):]))
	code, text := "BadRequestException", "400 Bad Request"
	msg := "The request is not valid HTTP/1.1"
	switch status {
	case 431:
		code, text = "RequestHeaderFieldsTooLargeException", "431 Request Header Fields Too Large"
		msg = "The request's headers are larger than the server accepts"
	case 505:
		msg = "The request's HTTP version is not supported; send HTTP/1.1"
	case 501:
		msg = "The request's Transfer-Encoding is not supported"
	default:
		if _, d, ok := strings.Cut(detail, ": "); ok && d != "" {
			msg += ": " + d
		}
	}
	body, _ := json.Marshal(map[string]string{"__type": code, "message": msg})
	var b bytes.Buffer
	b.WriteString("HTTP/1.1 " + text + "\r\n")
	b.WriteString("Content-Type: application/json\r\n")
	b.WriteString("X-Amzn-ErrorType: " + code + "\r\n")
	b.WriteString("X-Amzn-RequestId: " + requestID() + "\r\n")
	b.WriteString("Content-Length: " + strconv.Itoa(len(body)) + "\r\n")
	b.WriteString("Connection: close\r\n\r\n")
	b.Write(body)
	return b.Bytes(), true
}

func requestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
