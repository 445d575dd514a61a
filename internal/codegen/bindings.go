package codegen

import (
	"fmt"

	"github.com/ersatz-dev/ersatz/internal/model"
)

func (g *generator) bindMethod(name string, s *model.Shape) {
	if g.m.Metadata.Protocol != "rest-json" || s.Exception {
		return
	}
	var bound []string
	for _, mn := range g.members(s) {
		switch s.Members[mn].Location {
		case "uri", "header", "querystring":
			bound = append(bound, mn)
		}
	}
	if len(bound) == 0 {
		return
	}
	t := typeName(name)
	g.p("// Bind sets the members of %s bound to the URI, headers and query string.", t)
	g.p("func (s *%s) Bind(b api.Bindings) error {", t)
	for _, mn := range bound {
		ref := s.Members[mn]
		f := "s." + goName(mn)
		sh := g.shape(ref.Shape)
		getter := map[string]string{"uri": "Label", "header": "Header", "querystring": "Query"}[ref.Location]
		key := ref.LocationName
		if key == "" {
			key = mn
		}
		if sh.Type == "list" {
			g.p("if vs := b.QueryAll(%q); len(vs) > 0 { %s = vs }", key, f)
			continue
		}
		g.p("if v, ok := b.%s(%q); ok {", getter, key)
		switch sh.Type {
		case "string":
			g.p("%s = &v", f)
		case "integer":
			g.p("n, err := api.ParseInt32(%q, v); if err != nil { return err }; %s = &n", key, f)
		case "long":
			g.p("n, err := api.ParseInt64(%q, v); if err != nil { return err }; %s = &n", key, f)
		case "double", "float":
			g.p("n, err := api.ParseFloat64(%q, v); if err != nil { return err }; %s = &n", key, f)
		case "boolean":
			g.p("n, err := api.ParseBool(%q, v); if err != nil { return err }; %s = &n", key, f)
		default:
			panic(fmt.Sprintf("codegen: %s.%s: cannot bind a %s", name, mn, sh.Type))
		}
		g.p("}")
	}
	g.p("return nil")
	g.p("}")
	g.p("")
}
