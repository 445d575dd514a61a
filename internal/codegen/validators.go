package codegen

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ersatz-dev/ersatz/internal/model"
	"github.com/ersatz-dev/ersatz/internal/validate"
)

func (g *generator) validateMethod(name string, s *model.Shape) {
	t := typeName(name)
	g.p("// Validate checks the model's constraints on %s.", t)
	g.p("func (s *%s) Validate(r *validate.Report, path string) {", t)
	if s.Union {
		g.p("set := 0")
		for _, mn := range g.members(s) {
			g.p("if s.%s != nil { set++ }", goName(mn))
		}
		g.p("r.Union(path, set)")
	}
	for _, mn := range g.members(s) {
		ref := s.Members[mn]
		f := "s." + goName(mn)
		body := g.checks(ref.Shape, f, "p", true)
		required := s.IsRequired(mn)
		if !required && body == "" {
			continue
		}
		g.p("{")
		g.p("p := validate.Path(path, %q)", mn)
		if required {
			g.p("if r.Required(p, %s != nil) {", f)
		} else {
			g.p("if %s != nil {", f)
		}
		if body != "" {
			g.buf.WriteString(body)
		} else {
			g.p("_ = p")
		}
		g.p("}")
		g.p("}")
	}
	g.p("}")
	g.p("")
}

// checks returns code that checks the value expr (of shape) at path expression
// pathExpr; expr is a pointer when ptr is true and the shape is a scalar.
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
		if s.Min != nil || s.Max != nil {
			w("r.StringLength(%s, %s, %t, %s, %s)", pathExpr, val, s.Sensitive, bound(s.Min), bound(s.Max))
		}
		if s.Pattern != "" {
			w("r.Pattern(%s, %s, %t, %s, %q)", pathExpr, val, s.Sensitive, g.patternVar(s.Pattern), s.Pattern)
		}
		if len(s.Enum) > 0 {
			w("r.Enum(%s, %s, %sValues)", pathExpr, val, goName(shape))
		}
	case "integer", "long", "double", "float":
		if s.Min != nil || s.Max != nil {
			w("r.Range(%s, float64(%s), %s, %s)", pathExpr, val, fbound(s.Min), fbound(s.Max))
		}
	case "blob":
		if s.Min != nil || s.Max != nil {
			w("r.Length(%s, \"'<blob>'\", len(%s), %s, %s)", pathExpr, expr, bound(s.Min), bound(s.Max))
		}
	case "list":
		if s.Min != nil || s.Max != nil {
			w("r.Length(%s, validate.ListValue(len(%s)), len(%s), %s, %s)", pathExpr, expr, expr, bound(s.Min), bound(s.Max))
		}
		inner := g.checks(s.Member.Shape, "v", "validate.Index("+pathExpr+", i)", false)
		if inner != "" {
			w("for i, v := range %s {", expr)
			b.WriteString(inner)
			w("}")
		}
	case "map":
		if s.Min != nil || s.Max != nil {
			w("r.Length(%s, validate.ListValue(len(%s)), len(%s), %s, %s)", pathExpr, expr, expr, bound(s.Min), bound(s.Max))
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
			if ptr {
				w("%s.Validate(r, %s)", expr, pathExpr)
			} else {
				w("%s.Validate(r, %s)", "(&"+expr+")", pathExpr)
			}
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
