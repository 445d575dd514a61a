package protocol

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ersatz-dev/ersatz/internal/awserr"
)

// CheckStrings refuses a JSON body holding a string that is not valid
// Unicode: raw bytes that are not UTF-8, or a \u escape of a lone UTF-16
// surrogate. encoding/json would replace either with U+FFFD and the service
// would store an altered value; AWS refuses such bodies. The error is a
// SerializationException naming the member, e.g. 'Tags[0].Value'.
//
// It only looks at strings: a body that is not valid JSON otherwise passes,
// and the decoder reports it.
func CheckStrings(body []byte) error {
	var frames [8]frame
	s := scanner{body: body}
	return s.run(frames[:0])
}

// frame is an open object or array on the path to the current value.
type frame struct {
	object  bool
	key     []byte // the member being read (objects): its raw literal, quotes included, decoded only to name a path
	index   int    // the item being read (arrays)
	wantKey bool   // objects: the next string is a key
}

// scanner reads a body; the stack of open frames is run's (a local, so
// that the first frames stay on CheckStrings' stack).
type scanner struct {
	body []byte
	pos  int
}

func (s *scanner) run(stack []frame) error {
	for s.pos < len(s.body) {
		c := s.body[s.pos]
		switch c {
		case '{':
			stack = append(stack, frame{object: true, wantKey: true})
			s.pos++
		case '[':
			stack = append(stack, frame{})
			s.pos++
		case '}', ']':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			s.pos++
		case ',':
			if n := len(stack); n > 0 {
				if stack[n-1].object {
					stack[n-1].wantKey = true
				} else {
					stack[n-1].index++
				}
			}
			s.pos++
		case '"':
			if err := s.str(stack); err != nil {
				return err
			}
		default:
			s.pos++
		}
	}
	return nil
}

// str reads the string literal at s.pos, checking its bytes and escapes.
func (s *scanner) str(stack []frame) error {
	start := s.pos
	s.pos++ // the opening quote
	isKey := false
	if n := len(stack); n > 0 && stack[n-1].object && stack[n-1].wantKey {
		isKey = true
		stack[n-1].wantKey = false
	}
	problem := ""
	for s.pos < len(s.body) {
		c := s.body[s.pos]
		switch {
		case c == '"':
			s.pos++
			if problem != "" {
				return s.refuse(stack, isKey, problem)
			}
			if isKey {
				stack[len(stack)-1].key = s.body[start:s.pos]
			}
			return nil
		case c == '\\':
			if s.pos+1 < len(s.body) && s.body[s.pos+1] == 'u' {
				n, p := s.escape()
				if problem == "" {
					problem = p
				}
				s.pos += n
				continue
			}
			s.pos += 2
		case c < utf8.RuneSelf:
			s.pos++
		default:
			r, size := utf8.DecodeRune(s.body[s.pos:])
			if r == utf8.RuneError && size <= 1 && problem == "" {
				problem = "invalid UTF-8 (byte 0x" + strconv.FormatUint(uint64(c), 16) + ")"
			}
			s.pos += size
		}
	}
	return nil // unterminated: the decoder reports it
}

// escape checks the \u escape at s.pos and returns its length and, when it
// is a lone surrogate, the problem.
func (s *scanner) escape() (int, string) {
	hi, ok := hex4(s.body, s.pos+2)
	if !ok {
		return 2, "" // malformed: the decoder reports it
	}
	switch {
	case hi >= 0xDC00 && hi <= 0xDFFF:
		return 6, "a lone surrogate (\\u" + strings.ToLower(string(s.body[s.pos+2:s.pos+6])) + ")"
	case hi >= 0xD800 && hi <= 0xDBFF:
		next := s.pos + 6
		if next+1 < len(s.body) && s.body[next] == '\\' && s.body[next+1] == 'u' {
			if lo, ok := hex4(s.body, next+2); ok && lo >= 0xDC00 && lo <= 0xDFFF {
				return 12, ""
			}
		}
		return 6, "a lone surrogate (\\u" + strings.ToLower(string(s.body[s.pos+2:s.pos+6])) + ")"
	}
	return 6, ""
}

func hex4(b []byte, at int) (rune, bool) {
	if at+4 > len(b) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(b[at:at+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	return rune(v), true
}

// decodeKey is a member name as the decoder reads it.
func decodeKey(raw []byte) string {
	if plainKey(raw) {
		return string(raw[1 : len(raw)-1])
	}
	var k string
	// A copy, so the scanner's frames (which hold raw) stay on the stack.
	if err := json.Unmarshal(bytes.Clone(raw), &k); err != nil {
		return string(raw)
	}
	return k
}

// plainKey reports a quoted literal without escapes or control characters,
// which decodes to its bytes between the quotes.
func plainKey(raw []byte) bool {
	if len(raw) < 2 {
		return false
	}
	for _, c := range raw[1 : len(raw)-1] {
		if c == '\\' || c < 0x20 || c == '"' {
			return false
		}
	}
	return true
}

func (s *scanner) refuse(stack []frame, isKey bool, problem string) error {
	path := path(stack, isKey)
	if isKey {
		if path == "" {
			return awserr.Serialization("A member name of the request body contains %s", problem)
		}
		return awserr.Serialization("A member name in '%s' contains %s", path, problem)
	}
	if path == "" {
		return awserr.Serialization("The request body contains %s", problem)
	}
	return awserr.Serialization("Value at '%s' contains %s; it must be valid UTF-8", path, problem)
}

// path names the current value: members joined by '.', list items as [i].
// For a key, it is the object holding it.
func path(stack []frame, isKey bool) string {
	var b strings.Builder
	frames := stack
	if isKey && len(frames) > 0 {
		frames = frames[:len(frames)-1]
		// The object itself is the value of its parent's current member.
	}
	for _, f := range frames {
		if f.object {
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(decodeKey(f.key))
		} else {
			b.WriteString("[" + strconv.Itoa(f.index) + "]")
		}
	}
	return b.String()
}
