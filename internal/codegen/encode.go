package codegen

import "github.com/ersatz-dev/ersatz/internal/model"

// The encode-time filling of required members. AWS sends a required list or
// map as [] or {} even when empty, never null and never absent; a handler may
// leave one nil. Each structure that holds such a member, directly or through
// a nested structure or a list of structures, gets a FillRequired method
// (api.RequiredFiller) that the protocol layer calls before encoding an
// output. Members bound outside the body (URI, headers, query string) are not
// filled; map values are not walked, nor lists of lists.

// fillable returns the structures that need a FillRequired method: a fixed
// point, since structures may nest one another (and themselves).
func (g *generator) fillable() map[string]bool {
	needs := map[string]bool{}
	for changed := true; changed; {
		changed = false
		for name, s := range g.m.Shapes {
			if needs[name] || s.Type != "structure" || s.Document {
				continue
			}
			for _, mn := range g.members(s) {
				if g.fillsMember(s, mn) || g.walksMember(s.Members[mn], needs) != "" {
					needs[name] = true
					changed = true
					break
				}
			}
		}
	}
	return needs
}

// fillsMember reports whether member mn of s is a required list or map sent
// in the body.
func (g *generator) fillsMember(s *model.Shape, mn string) bool {
	ref := s.Members[mn]
	if !s.IsRequired(mn) || g.jsonKey(mn, ref) == "-" {
		return false
	}
	t := g.shape(ref.Shape).Type
	return t == "list" || t == "map"
}

// walksMember says how a member reaches structures that need filling:
// "struct" (a pointer to one), "list" (a list of them) or "" (it does not).
func (g *generator) walksMember(ref *model.ShapeRef, needs map[string]bool) string {
	s := g.shape(ref.Shape)
	switch {
	case s.Type == "structure" && !s.Document && needs[ref.Shape]:
		return "struct"
	case s.Type == "list":
		e := g.shape(s.Member.Shape)
		if e.Type == "structure" && !e.Document && needs[s.Member.Shape] {
			return "list"
		}
	}
	return ""
}

func (g *generator) fillMethod(name string, s *model.Shape) {
	if !g.fills[name] {
		return
	}
	t := typeName(name)
	g.p("// FillRequired sets the required lists and maps of %s that are nil to empty", t)
	g.p("// ones, here and in nested structures, so they go on the wire as [] or {}.")
	g.p("func (s *%s) FillRequired() {", t)
	for _, mn := range g.members(s) {
		ref := s.Members[mn]
		f := "s." + goName(mn)
		if g.fillsMember(s, mn) {
			g.p("if %s == nil { %s = %s{} }", f, f, g.goType(ref, false))
		}
		switch g.walksMember(ref, g.fills) {
		case "struct":
			g.p("if %s != nil { %s.FillRequired() }", f, f)
		case "list":
			g.p("for i := range %s { %s[i].FillRequired() }", f, f)
		}
	}
	g.p("}")
	g.p("")
}
