package codegen

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ersatz-dev/ersatz/internal/model"
	"github.com/ersatz-dev/ersatz/internal/validate"
)

// validateMethod writes Validate. A valid value costs no allocation: every
// check is a condition written inline, and only a failing one builds its
// path and message (through the validate.Report method of the same check,
// which words it). A member's path is built up front only when the member
// holds structures to validate, which take it as their parent path.
func (g *generator) validateMethod(name string, s *model.Shape) {
	t := typeName(name)
	g.p("// Validate checks the model's constraints on %s.", t)
	g.p("func (s *%s) Validate(r *validate.Report, path string) {", t)
	if s.Union {
		g.p("set := 0")
		for _, mn := range g.members(s) {
			g.p("if s.%s != nil { set++ }", goName(mn))
		}
		g.p("if set != 1 { r.Union(path, set) }")
	}
	for _, mn := range g.members(s) {
		ref := s.Members[mn]
		f := "s." + goName(mn)
		lazy := fmt.Sprintf("validate.Path(path, %q)", lowerFirst(mn))
		pathExpr := lazy
		hoist := g.nests(ref.Shape)
		if hoist {
			pathExpr = "p"
		}
		body := g.checks(ref.Shape, f, pathExpr, true)
		required := s.IsRequired(mn)
		if body == "" {
			if required {
				g.p("if %s == nil { r.Required(%s, false) }", f, lazy)
			}
			continue
		}
		if required {
			g.p("if %s == nil { r.Required(%s, false) } else {", f, lazy)
		} else {
			g.p("if %s != nil {", f)
		}
		if hoist {
			g.p("p := %s", lazy)
		}
		g.buf.WriteString(body)
		g.p("}")
	}
	g.p("}")
	g.p("")
}

// lowerFirst is validate.Path's spelling of a member name: its first letter
// in lower case. Generated code passes it so that validate.Path need not.
func lowerFirst(member string) string {
	r, n := utf8.DecodeRuneInString(member)
	return strings.ToLower(string(r)) + member[n:]
}

// nests reports whether a value of shape holds structures to validate (so
// its path is needed whether or not a check fails).
func (g *generator) nests(shape string) bool {
	s := g.shape(shape)
	switch s.Type {
	case "structure":
		return !s.Document
	case "list":
		return g.nests(s.Member.Shape)
	case "map":
		return g.nests(s.Value.Shape)
	}
	return false
}

// lengthFails is the condition under which length n breaks min..max (nil:
// no bound); "" when it cannot (no bound, or a minimum of 0).
func lengthFails(n string, min, max *float64) string {
	if min != nil && max != nil && *min == *max {
		return n + " != " + strconv.FormatInt(int64(*min), 10)
	}
	var c []string
	if min != nil && int64(*min) > 0 {
		c = append(c, n+" < "+strconv.FormatInt(int64(*min), 10))
	}
	if max != nil && int64(*max) >= 0 {
		c = append(c, n+" > "+strconv.FormatInt(int64(*max), 10))
	}
	return strings.Join(c, " || ")
}

// checks returns code that checks the value expr (of shape) at path expression
// pathExpr, which it evaluates only on failure (or to validate a nested
// structure); expr is a pointer when ptr is true and the shape is a scalar.
func (g *generator) checks(shape, expr, pathExpr string, ptr bool) string {
	s := g.shape(shape)
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	val := expr
	if ptr {
		val = "*" + expr
	}
	switch s.Type {
	case "string":
		if cond := lengthFails("n", s.Min, s.Max); cond != "" {
			w("if n := utf8.RuneCountInString(%s); %s { r.StringLength(%s, %s, %t, %s, %s) }", val, cond, pathExpr, val, s.Sensitive, bound(s.Min), bound(s.Max))
		}
		if s.Pattern != "" {
			pv := g.patternVar(s.Pattern)
			w("if !%s.MatchString(%s) { r.Pattern(%s, %s, %t, %s, %q) }", pv, val, pathExpr, val, s.Sensitive, pv, s.Pattern)
		}
		if len(s.Enum) > 0 {
			w("if !slices.Contains(%sValues, %s) { r.Enum(%s, %s, %sValues) }", goName(shape), val, pathExpr, val, goName(shape))
		}
	case "integer", "long", "double", "float":
		var c []string
		if s.Min != nil {
			c = append(c, "float64("+val+") < "+ffloat(*s.Min))
		}
		if s.Max != nil {
			c = append(c, "float64("+val+") > "+ffloat(*s.Max))
		}
		if len(c) > 0 {
			w("if %s { r.Range(%s, float64(%s), %s, %s) }", strings.Join(c, " || "), pathExpr, val, fbound(s.Min), fbound(s.Max))
		}
	case "blob":
		if cond := lengthFails("n", s.Min, s.Max); cond != "" {
			w("if n := len(%s); %s { r.Length(%s, \"'<blob>'\", n, %s, %s) }", expr, cond, pathExpr, bound(s.Min), bound(s.Max))
		}
	case "list", "map":
		if cond := lengthFails("n", s.Min, s.Max); cond != "" {
			w("if n := len(%s); %s { r.Length(%s, validate.ListValue(n), n, %s, %s) }", expr, cond, pathExpr, bound(s.Min), bound(s.Max))
		}
		if s.Type == "list" {
			inner := g.checks(s.Member.Shape, expr+"[i]", "validate.Index("+pathExpr+", i)", false)
			if inner != "" {
				w("for i := range %s {", expr)
				b.WriteString(inner)
				w("}")
			}
			break
		}
		kin := g.checks(s.Key.Shape, "k", "validate.MapKey("+pathExpr+", k)", false)
		vin := g.checks(s.Value.Shape, "v", "validate.MapKey("+pathExpr+", k)", false)
		if kin != "" || vin != "" {
			w("for k, v := range %s {", expr)
			w("_, _ = k, v")
			b.WriteString(kin)
			b.WriteString(vin)
			w("}")
		}
	case "structure":
		if !s.Document {
			// A pointer, or an addressable list element or loop variable.
			w("%s.Validate(r, %s)", expr, pathExpr)
		}
	}
	return b.String()
}

func bound(v *float64) string {
	if v == nil {
		return "-1"
	}
	return strconv.FormatInt(int64(*v), 10)
}

func ffloat(v float64) string {
	return "float64(" + strconv.FormatFloat(v, 'f', -1, 64) + ")"
}

func fbound(v *float64) string {
	if v == nil {
		return "nil"
	}
	return "api.Ptr(float64(" + strconv.FormatFloat(*v, 'f', -1, 64) + "))"
}

func (g *generator) patternVar(pattern string) string {
	if v, ok := g.patterns[pattern]; ok {
		return v
	}
	v := "pattern" + strconv.Itoa(len(g.patterns))
	g.patterns[pattern] = v
	g.patOrder = append(g.patOrder, pattern)
	return v
}

// emptyValidators gives the empty inputs their (empty) Validate methods.
func (g *generator) emptyValidators() {
	for _, name := range g.m.OperationNames() {
		op := g.m.Operations[name]
		if op.Input != nil {
			continue
		}
		g.p("// Validate checks nothing: the input has no members.")
		g.p("func (*%s) Validate(*validate.Report, string) {}", g.inputType(op))
		g.p("")
	}
}

func (g *generator) patternVars() {
	if len(g.patOrder) == 0 {
		return
	}
	g.p("// The model's patterns, anchored to match whole values and compiled once.")
	g.p("var (")
	for _, pat := range g.patOrder {
		g.p("%s = regexp.MustCompile(%s)", g.patterns[pat], strconv.Quote(validate.Whole(pat)))
	}
	g.p(")")
}
