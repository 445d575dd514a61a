// Package validate checks inputs against the constraints of the service
// models and words each failure the way AWS's request validation does:
//
//	1 validation error detected: Value 's-XYZ' at 'serverId' failed to satisfy
//	constraint: Member must satisfy regular expression pattern: ^s-([0-9a-f]{17})$
package validate

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Redacted stands for the value of a sensitive member in messages.
const Redacted = "*** Sensitive Data Redacted ***"

// Report collects the failures of one input.
type Report struct {
	failures []string
}

// Path joins a member's name onto its parent's path, AWS style: the member
// name with a lowercase first letter, dot-separated.
func Path(parent, member string) string {
	if member == "" {
		return parent
	}
	c := member[0]
	if c >= utf8.RuneSelf {
		r, n := utf8.DecodeRuneInString(member)
		member = strings.ToLower(string(r)) + member[n:]
		if parent == "" {
			return member
		}
		return parent + "." + member
	}
	if c < 'A' || c > 'Z' { // already lower case: no copy
		if parent == "" {
			return member
		}
		return parent + "." + member
	}
	// One allocation: the parent, the dot and the member with its first
	// letter lowered.
	var b strings.Builder
	n := len(member)
	if parent != "" {
		n += len(parent) + 1
	}
	b.Grow(n)
	if parent != "" {
		b.WriteString(parent)
		b.WriteByte('.')
	}
	b.WriteByte(c + ('a' - 'A'))
	b.WriteString(member[1:])
	return b.String()
}

// Index is the path of the i-th (0-based) element of the list at path.
func Index(path string, i int) string {
	return path + "." + strconv.Itoa(i+1) + ".member"
}

// MapKey is the path of the map entry with key k at path.
func MapKey(path, k string) string { return path + ".entry." + k }

// Reset forgets the failures, so the Report can check another input.
func (r *Report) Reset() {
	clear(r.failures)
	r.failures = r.failures[:0]
}

// Failures returns the failures reported so far, in order.
func (r *Report) Failures() []string { return r.failures }

// OK reports whether nothing failed.
func (r *Report) OK() bool { return len(r.failures) == 0 }

// Fail records a failure with a free-form constraint text.
func (r *Report) Fail(value, path, constraint string) {
	r.failures = append(r.failures, fmt.Sprintf("Value %s at '%s' failed to satisfy constraint: %s", value, path, constraint))
}

// Message is the whole error message, or "" when nothing failed.
func (r *Report) Message() string {
	switch len(r.failures) {
	case 0:
		return ""
	case 1:
		return "1 validation error detected: " + r.failures[0]
	default:
		return fmt.Sprintf("%d validation errors detected: %s", len(r.failures), strings.Join(r.failures, "; "))
	}
}

// Quote renders a string value for a message.
func Quote(s string, sensitive bool) string {
	if sensitive {
		return "'" + Redacted + "'"
	}
	if len(s) > 256 {
		s = s[:256] + "..."
	}
	return "'" + s + "'"
}

// Required reports a missing required member; it returns whether the member is present.
func (r *Report) Required(path string, present bool) bool {
	if !present {
		r.failures = append(r.failures, fmt.Sprintf("Value null at '%s' failed to satisfy constraint: Member must not be null", path))
	}
	return present
}

// StringLength checks the length of a string in characters (code points).
func (r *Report) StringLength(path, s string, sensitive bool, min, max int64) {
	n := int64(utf8.RuneCountInString(s))
	if (min >= 0 && n < min) || (max >= 0 && n > max) {
		r.length(path, Quote(s, sensitive), n, min, max)
	}
}

// Length checks the size of a list, map or blob.
func (r *Report) Length(path, value string, n int, min, max int64) {
	r.length(path, value, int64(n), min, max)
}

func (r *Report) length(path, value string, n, min, max int64) {
	if min >= 0 && n < min {
		r.Fail(value, path, fmt.Sprintf("Member must have length greater than or equal to %d", min))
	}
	if max >= 0 && n > max {
		r.Fail(value, path, fmt.Sprintf("Member must have length less than or equal to %d", max))
	}
}

// Range checks a number against the model's inclusive bounds; a nil bound is absent.
func (r *Report) Range(path string, v float64, min, max *float64) {
	if (min == nil || v >= *min) && (max == nil || v <= *max) {
		return
	}
	value := "'" + strconv.FormatFloat(v, 'f', -1, 64) + "'"
	if min != nil && v < *min {
		r.Fail(value, path, "Member must have value greater than or equal to "+strconv.FormatFloat(*min, 'f', -1, 64))
	}
	if max != nil && v > *max {
		r.Fail(value, path, "Member must have value less than or equal to "+strconv.FormatFloat(*max, 'f', -1, 64))
	}
}

// Pattern checks that the whole of s matches re, whose source in the model is pattern.
func (r *Report) Pattern(path, s string, sensitive bool, re *regexp.Regexp, pattern string) {
	if !re.MatchString(s) {
		shown := pattern
		if !strings.HasPrefix(shown, "^") {
			shown = "^" + shown
		}
		if !strings.HasSuffix(shown, "$") {
			shown += "$"
		}
		r.Fail(Quote(s, sensitive), path, "Member must satisfy regular expression pattern: "+shown)
	}
}

// Enum checks that s is one of values.
func (r *Report) Enum(path, s string, values []string) {
	for _, v := range values {
		if s == v {
			return
		}
	}
	r.Fail(Quote(s, false), path, "Member must satisfy enum value set: ["+strings.Join(values, ", ")+"]")
}

// Union checks that exactly one member of a union is set.
func (r *Report) Union(path string, set int) {
	if set != 1 {
		r.Fail("'"+strconv.Itoa(set)+" members'", path, "Member must have exactly one member of the union set")
	}
}

// Whole anchors a model pattern so that it must match the whole value, as AWS
// checks it, and rewrites the Java regular expression syntax the models use
// into Go's RE2 syntax (\uXXXX escapes, \p{Print}).
func Whole(pattern string) string {
	p := pattern
	var b strings.Builder
	inClass := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '\\' && i+1 < len(p):
			switch {
			case p[i+1] == 'u' && i+6 <= len(p):
				b.WriteString(`\x{` + p[i+2:i+6] + `}`)
				i += 5
			case strings.HasPrefix(p[i:], `\p{Print}`):
				if inClass {
					b.WriteString(`[:print:]`)
				} else {
					b.WriteString(`[[:print:]]`)
				}
				i += len(`\p{Print}`) - 1
			default:
				b.WriteByte(c)
				b.WriteByte(p[i+1])
				i++
			}
		case c == '[' && !inClass:
			inClass = true
			b.WriteByte(c)
			if i+1 < len(p) && p[i+1] == '^' {
				b.WriteByte('^')
				i++
			}
			if i+1 < len(p) && p[i+1] == ']' {
				b.WriteByte(']')
				i++
			}
		case c == ']' && inClass:
			inClass = false
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return `^(?:` + b.String() + `)$`
}

// ListValue renders a list or map value for a message by its size.
func ListValue(n int) string {
	if n >= 0 && n < len(listValues) {
		return listValues[n]
	}
	return listValue(n)
}

func listValue(n int) string { return "'[" + strconv.Itoa(n) + " items]'" }

// listValues are the renderings of small lists, made once: validating a
// request renders each list's size whether or not it fails.
var listValues = func() (v [64]string) {
	for i := range v {
		v[i] = listValue(i)
	}
	return v
}()
