package codegen

import (
	"strings"

	"github.com/ersatz-dev/ersatz/internal/model"
)

func (g *generator) structure(name string, s *model.Shape) {
	t := typeName(name)
	switch {
	case s.Exception:
		g.p("// %s is the %s error.", t, name)
	case s.Union:
		g.p("// %s is a union: exactly one member is set.", t)
	default:
		g.p("// %s is the %s structure.", t, name)
	}
	g.p("type %s struct {", t)
	for _, mn := range g.members(s) {
		ref := s.Members[mn]
		// Members are omitted when nil (omitzero: an empty, non-nil list is
		// still sent as []). A required list or map is always sent, as AWS
		// does: the protocol layer turns a nil one into [] or {}.
		key := g.jsonKey(mn, ref)
		tag := key + ",omitzero"
		if t := g.shape(ref.Shape).Type; key == "-" || s.IsRequired(mn) && (t == "list" || t == "map") {
			tag = key
		}
		g.p("%s %s `json:\"%s\"`", goName(mn), g.goType(ref, false), tag)
	}
	g.p("}")
	g.p("")
}

func (g *generator) enum(name string, s *model.Shape) {
	t := goName(name)
	g.p("// Values of the %s enum.", name)
	g.p("const (")
	seen := map[string]bool{}
	for _, v := range s.Enum {
		c := t + goName(strings.ToLower(v))
		if seen[c] {
			continue
		}
		seen[c] = true
		g.p("%s = %q", c, v)
	}
	g.p(")")
	g.p("")
	g.p("// %sValues lists every value of the %s enum.", t, name)
	g.p("var %sValues = []string{%s}", t, quoteList(s.Enum))
	g.p("")
}
