// Package protocol holds what the wire protocols share: reading a capped
// request body and turning JSON decoding failures into AWS-shaped errors.
package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"sync"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/awserr"
)

// MaxBody is the largest request body Ersatz reads.
const MaxBody = 16 << 20

// ReadBody reads the request body, refusing more than MaxBody bytes. A body
// KeepBody put back, still unread, is answered without reading or copying.
func ReadBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	if k, ok := r.Body.(*keptBody); ok && k.Len() == len(k.data) {
		_, _ = k.Seek(0, io.SeekEnd) // read, as if by io.ReadAll
		return k.data, nil
	}
	var b []byte
	var err error
	if n := r.ContentLength; n >= 0 && n <= MaxBody {
		// One buffer of the announced size (and a byte to see a longer body).
		b, err = readAtMost(r.Body, make([]byte, 0, n+1), MaxBody+1)
	} else {
		b, err = io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	}
	if err != nil {
		return nil, awserr.Serialization("could not read the request body: %v", err)
	}
	if len(b) > MaxBody {
		return nil, awserr.New(http.StatusRequestEntityTooLarge, "RequestEntityTooLargeException",
			"The request body is larger than %d bytes", MaxBody)
	}
	return b, nil
}

// KeepBody reads the request body (ReadBody) and puts back one that reads
// the same bytes, for a step that must see the body before the protocol
// decodes it (signature verification); the protocol's ReadBody then gets
// the same bytes without a copy.
func KeepBody(r *http.Request) ([]byte, error) {
	body, err := ReadBody(r)
	if err != nil {
		return nil, err
	}
	if r.Body != nil {
		_ = r.Body.Close()
		k := &keptBody{data: body}
		k.Reset(body)
		r.Body = k
	}
	return body, nil
}

// keptBody is a body KeepBody read, read again from memory.
type keptBody struct {
	bytes.Reader
	data []byte
}

func (*keptBody) Close() error { return nil }

// readAtMost appends to buf what r holds, up to limit bytes.
func readAtMost(r io.Reader, buf []byte, limit int) ([]byte, error) {
	for len(buf) < limit {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		room := buf[len(buf):min(cap(buf), limit)]
		n, err := r.Read(room)
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
	return buf, nil
}

// DecodeJSON decodes a JSON object body into v. Unknown members are ignored
// (newer clients send members older models lack); a body that is not a JSON
// object of the right member types, or holds a string that is not valid
// Unicode (CheckStrings), is a SerializationException naming the member.
func DecodeJSON(body []byte, v any) error {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil
	}
	if trimmed[0] != '{' {
		return awserr.Serialization("The request body must be a JSON object")
	}
	if err := CheckStrings(body); err != nil {
		return err
	}
	if err := json.Unmarshal(body, v); err != nil {
		var te *json.UnmarshalTypeError
		var se *json.SyntaxError
		switch {
		case errors.As(err, &te):
			field := te.Field
			if field == "" {
				field = "(body)"
			}
			return awserr.Serialization("Value of type %s at '%s' cannot be deserialized as %s", te.Value, field, typeName(te))
		case errors.As(err, &se):
			return awserr.Serialization("The request body is not valid JSON at offset %d: %v", se.Offset, err)
		default:
			var ae *awserr.Error
			if errors.As(err, &ae) {
				return ae
			}
			return awserr.Serialization("The request body could not be deserialized: %v", err)
		}
	}
	return nil
}

func typeName(te *json.UnmarshalTypeError) string {
	if te.Type == nil {
		return "the expected type"
	}
	t := te.Type
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Float64:
		return "a number"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return "a base64 blob"
		}
		return "a list"
	case reflect.Map:
		return "a map"
	case reflect.Struct:
		if strings.Contains(t.Name(), "Seconds") || strings.Contains(t.Name(), "DateTime") {
			return "a timestamp"
		}
		return "a structure"
	}
	return fmt.Sprint(t)
}

// ErrorBody returns the JSON members of an error response, its code and its
// status. Generated error shapes are sent with their members; other errors
// become an awserr.Error whose message goes under messageKey.
func ErrorBody(err error, messageKey string) (map[string]any, string, int) {
	var se api.ServiceError
	if !errors.As(err, &se) {
		se = awserr.Internal(err)
	}
	fields := map[string]any{}
	if ae, ok := se.(*awserr.Error); ok {
		// Its members are Fields; the message goes under messageKey.
		for k, v := range ae.Fields {
			fields[k] = v
		}
		fields[messageKey] = se.ErrorMessage()
	} else if b, mErr := json.Marshal(se); mErr == nil {
		// A generated error shape: its members, the message among them
		// under the model's name.
		_ = json.Unmarshal(b, &fields)
	}
	return fields, se.ErrorCode(), se.HTTPStatus()
}

// WriteOutput writes a successful JSON response: out (nil for {}) with its
// required lists and maps filled.
func WriteOutput(w http.ResponseWriter, status int, contentType string, out any) {
	var o *outputBuffer
	body := []byte("{}")
	if out != nil {
		FillRequired(out)
		o = outputBuffers.Get().(*outputBuffer)
		o.buf.Reset()
		if err := o.enc.Encode(out); err != nil {
			outputBuffers.Put(o)
			WriteError(w, awserr.Internal(err), contentType, "message", false)
			return
		}
		body = bytes.TrimSuffix(o.buf.Bytes(), []byte("\n")) // what json.Marshal gives
	}
	setContentType(w.Header(), contentType)
	w.WriteHeader(status)
	_, _ = w.Write(body)
	if o != nil && o.buf.Cap() <= maxPooledOutput {
		outputBuffers.Put(o)
	}
}

// outputBuffer is where WriteOutput encodes a response: a buffer and an
// encoder writing to it, kept for the next response (an io.Writer does not
// keep what it is given).
type outputBuffer struct {
	buf bytes.Buffer
	enc *json.Encoder
}

// outputBuffers are WriteOutput's spare outputBuffers; one that grew past
// maxPooledOutput is dropped rather than kept.
var outputBuffers = sync.Pool{New: func() any {
	o := new(outputBuffer)
	o.enc = json.NewEncoder(&o.buf) // escapes HTML like json.Marshal
	return o
}}

const maxPooledOutput = 64 << 10

// contentTypeValues are the header values of the protocols' media types,
// made once: a response's header refers to one rather than to a fresh copy
// (a header's value slice is replaced or appended to, never written in
// place, and appending to a full slice copies it).
var contentTypeValues = map[string][]string{
	"application/x-amz-json-1.1": {"application/x-amz-json-1.1"},
	"application/json":           {"application/json"},
}

// setContentType sets h's Content-Type to ct.
func setContentType(h http.Header, ct string) {
	if v, ok := contentTypeValues[ct]; ok {
		h["Content-Type"] = v
		return
	}
	h.Set("Content-Type", ct)
}

// WriteError writes err as a JSON error response: its members, the message
// under messageKey, the code in X-Amzn-ErrorType (and in __type when
// withType), header-bound members as headers.
func WriteError(w http.ResponseWriter, err error, contentType, messageKey string, withType bool) {
	fields, code, status := ErrorBody(err, messageKey)
	if code == "InternalFailure" {
		// The detail is in the log; the client gets the id to find it by.
		fields[messageKey] = awserr.InternalMessage
		if id := w.Header().Get("X-Amzn-RequestId"); id != "" {
			fields[messageKey] = awserr.InternalMessage + " Request id: " + id + "."
		}
	}
	if withType {
		fields["__type"] = code
	}
	body, mErr := json.Marshal(fields)
	if mErr != nil {
		body = []byte(`{"__type":"InternalFailure","message":"error could not be encoded"}`)
		code, status = "InternalFailure", http.StatusInternalServerError
	}
	var he api.HeaderError
	if errors.As(err, &he) {
		for k, vs := range he.ResponseHeaders() {
			w.Header()[k] = vs
		}
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
