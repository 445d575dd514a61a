package bench

import (
	"encoding/base64"
	"fmt"
	"regexp/syntax"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ersatz-dev/ersatz/internal/model"
)

// Generation: values for the members of a request, from their shapes.

const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"

func (f *Fuzzer) value(m *model.Model, ref *model.ShapeRef, member string, depth int) any {
	sh := m.Shapes[ref.Shape]
	if sh == nil {
		return nil
	}
	switch sh.Type {
	case "structure":
		out := map[string]any{}
		if depth > 5 {
			return out
		}
		names := sh.MemberOrder
		if len(names) == 0 {
			for n := range sh.Members {
				names = append(names, n)
			}
			sort.Strings(names)
		}
		if sh.Union {
			if len(names) > 0 {
				n := names[f.pick(len(names))]
				out[n] = f.value(m, sh.Members[n], n, depth+1)
			}
			return out
		}
		optional := 3
		if depth > 0 {
			optional = 5 // nested optional members make valid requests rarer
		}
		for _, n := range names {
			if sh.IsRequired(n) || f.chance(optional) {
				out[n] = f.value(m, sh.Members[n], n, depth+1)
			}
		}
		return out
	case "list":
		lo, hi := bounds(sh, 0, 3)
		n := lo + f.pick(hi-lo+1)
		out := make([]any, 0, n)
		for i := 0; i < n && depth < 6; i++ {
			out = append(out, f.value(m, sh.Member, member, depth+1))
		}
		return out
	case "map":
		lo, hi := bounds(sh, 0, 2)
		n := lo + f.pick(hi-lo+1)
		out := map[string]any{}
		for i := 0; i < n; i++ {
			k, _ := f.value(m, sh.Key, "", depth+1).(string)
			out[k] = f.value(m, sh.Value, "", depth+1)
		}
		return out
	case "string":
		if p := f.pool[f.cur+"/"+strings.ToLower(member)]; len(p) > 0 && !f.chance(4) {
			return p[f.pick(len(p))]
		}
		if len(sh.Enum) > 0 {
			return sh.Enum[f.pick(len(sh.Enum))]
		}
		if h, ok := hints[f.cur+"/"+strings.ToLower(member)]; ok && !f.chance(5) {
			return h(f)
		}
		if ref.IdempotencyToken {
			return fmt.Sprintf("%08x-0000-4000-8000-%012x", f.pick(1<<30), f.pick(1<<30))
		}
		return f.stringFor(sh)
	case "integer", "long":
		lo, hi := -5, 100
		if sh.Min != nil {
			lo = int(*sh.Min)
		}
		if sh.Max != nil && *sh.Max < float64(lo+1000) {
			hi = int(*sh.Max)
		} else {
			hi = lo + 100
		}
		if hi < lo {
			hi = lo
		}
		return lo + f.pick(hi-lo+1)
	case "double", "float":
		return float64(f.pick(1000)) / 10
	case "boolean":
		return f.chance(2)
	case "timestamp":
		t := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(f.pick(1000)) * time.Hour)
		if timestampFormat(ref, sh) == "iso8601" {
			return t.Format(time.RFC3339)
		}
		return t.Unix()
	case "blob":
		b := make([]byte, 1+f.pick(32))
		for i := range b {
			b[i] = byte(f.pick(256))
		}
		return base64.StdEncoding.EncodeToString(b)
	}
	return nil
}

func timestampFormat(ref *model.ShapeRef, sh *model.Shape) string {
	if ref.TimestampFormat != "" {
		return ref.TimestampFormat
	}
	return sh.TimestampFormat
}

func bounds(sh *model.Shape, lo, span int) (int, int) {
	if sh.Min != nil {
		lo = int(*sh.Min)
	}
	hi := lo + span
	if sh.Max != nil && int(*sh.Max) < hi {
		hi = int(*sh.Max)
	}
	if hi < lo {
		hi = lo
	}
	return lo, hi
}

func (f *Fuzzer) stringFor(sh *model.Shape) string {
	lo, hi := bounds(sh, 1, 12)
	if sh.Min == nil {
		lo = 1
	}
	if sh.Pattern != "" {
		if re := f.regexp(sh.Pattern); re != nil {
			for try := 0; try < 6; try++ {
				var b strings.Builder
				f.gen(&b, re, 0)
				s := b.String()
				if n := utf8.RuneCountInString(s); n >= lo && (sh.Max == nil || n <= int(*sh.Max)) {
					return s
				}
			}
		}
	}
	n := lo + f.pick(hi-lo+1)
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[f.pick(len(alphabet))]
	}
	return string(b)
}

func (f *Fuzzer) regexp(p string) *syntax.Regexp {
	if re, ok := f.regexps[p]; ok {
		return re
	}
	re, err := syntax.Parse(p, syntax.Perl)
	if err != nil {
		re = nil
	} else {
		re = re.Simplify()
	}
	f.regexps[p] = re
	return re
}

// gen writes a random string matched by re (best effort).
func (f *Fuzzer) gen(b *strings.Builder, re *syntax.Regexp, depth int) {
	if depth > 30 || b.Len() > 4096 {
		return
	}
	switch re.Op {
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			b.WriteRune(r)
		}
	case syntax.OpCharClass:
		b.WriteRune(f.classRune(re.Rune))
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		b.WriteByte(alphabet[f.pick(len(alphabet))])
	case syntax.OpCapture:
		f.gen(b, re.Sub[0], depth+1)
	case syntax.OpConcat:
		for _, s := range re.Sub {
			f.gen(b, s, depth+1)
		}
	case syntax.OpAlternate:
		f.gen(b, re.Sub[f.pick(len(re.Sub))], depth+1)
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpRepeat:
		lo, hi := 0, 3
		switch re.Op {
		case syntax.OpPlus:
			lo, hi = 1, 4
		case syntax.OpQuest:
			lo, hi = 0, 1
		case syntax.OpRepeat:
			lo = re.Min
			hi = re.Max
			if hi < 0 || hi > lo+4 {
				hi = lo + 4
			}
		}
		n := lo + f.pick(hi-lo+1)
		for i := 0; i < n; i++ {
			f.gen(b, re.Sub[0], depth+1)
		}
	}
}

// classRune picks a rune of a character class, preferring printable ASCII.
func (f *Fuzzer) classRune(ranges []rune) rune {
	if len(ranges) == 0 {
		return 'a'
	}
	var ascii [][2]rune
	for i := 0; i+1 < len(ranges); i += 2 {
		lo, hi := ranges[i], ranges[i+1]
		if lo < 0x21 {
			lo = 0x21
		}
		if hi > 0x7e {
			hi = 0x7e
		}
		if lo <= hi {
			ascii = append(ascii, [2]rune{lo, hi})
		}
	}
	if len(ascii) > 0 && !f.chance(20) {
		r := ascii[f.pick(len(ascii))]
		return r[0] + rune(f.pick(int(r[1]-r[0])+1))
	}
	i := f.pick(len(ranges)/2) * 2
	lo, hi := ranges[i], ranges[i+1]
	span := int(hi - lo)
	if span > 1<<16 {
		span = 1 << 16
	}
	r := lo + rune(f.pick(span+1))
	if !utf8.ValidRune(r) {
		return 'a'
	}
	return r
}

// Mutations of the input document.

// hints give members whose valid values the services define beyond the model
// (ARNs, Amplify ids) values those services accept, so valid requests get past
// validation to the behaviour.
var hints = map[string]func(f *Fuzzer) string{
	"transfer/role":                         func(f *Fuzzer) string { return "arn:aws:iam::111111111111:role/fuzz-" + f.word(4) },
	"transfer/loggingrole":                  func(f *Fuzzer) string { return "arn:aws:iam::111111111111:role/fuzz-logging" },
	"amplifybackend/appid":                  func(f *Fuzzer) string { return "d" + f.lower(1+f.pick(2)) },
	"amplifybackend/backendenvironmentname": func(f *Fuzzer) string { return []string{"dev", "prod", "test"}[f.pick(3)] },
	"amplifybackend/targetenvironmentname":  func(f *Fuzzer) string { return []string{"dev", "prod", "stage"}[f.pick(3)] },
	"amplifybackend/resourcename":           func(f *Fuzzer) string { return "r" + f.lower(5) },
	"amplifybackend/bucketname":             func(f *Fuzzer) string { return "fuzz-" + f.lower(8) },
	"amplifybackend/appname":                func(f *Fuzzer) string { return "app" + f.lower(4) },
}

func (f *Fuzzer) lower(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + f.pick(26))
	}
	return string(b)
}

func (f *Fuzzer) word(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[f.pick(62)]
	}
	return string(b)
}
