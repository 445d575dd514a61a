package modelgen

import (
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Relationships: the implicit fields and join models that @hasOne, @hasMany,
// @belongsTo and @manyToMany imply, and the associations they render as.

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// pluralName is the plural Amplify gives a model name (English rules).
func pluralName(s string) string {
	lower := strings.ToLower(s)
	switch {
	case strings.HasSuffix(lower, "y") && len(s) > 1 && !strings.ContainsAny(lower[len(lower)-2:len(lower)-1], "aeiou"):
		return s[:len(s)-1] + "ies"
	case strings.HasSuffix(lower, "s"), strings.HasSuffix(lower, "x"), strings.HasSuffix(lower, "z"),
		strings.HasSuffix(lower, "ch"), strings.HasSuffix(lower, "sh"):
		return s + "es"
	}
	return s + "s"
}

func argStrings(d *ast.Directive, name string) []string {
	a := d.Arguments.ForName(name)
	if a == nil || a.Value == nil {
		return nil
	}
	v, err := a.Value.Value(nil)
	if err != nil {
		return nil
	}
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func argString(d *ast.Directive, name string) string {
	if s := argStrings(d, name); len(s) > 0 {
		return s[0]
	}
	return ""
}

func idField(name string) obj {
	return obj{{"name", name}, {"isArray", false}, {"type", "ID"}, {"isRequired", false}, {"attributes", []any{}}}
}

func (g *modelGen) addExtra(model, field string) {
	if d := g.sch.Types[model]; d != nil && d.Fields.ForName(field) != nil {
		return
	}
	for _, e := range g.extra[model] {
		if e.name == field {
			return
		}
	}
	g.extra[model] = append(g.extra[model], &extraField{name: field, json: idField(field)})
}

// relationship checks a relationship directive of a model field and records
// the implicit foreign keys it implies.
func (g *modelGen) relationship(d *ast.Definition, f *ast.FieldDefinition) error {
	related := f.Type.Name()
	isList := f.Type.Elem != nil
	for _, name := range []string{"hasMany", "hasOne", "belongsTo", "manyToMany"} {
		dir := f.Directives.ForName(name)
		if dir == nil {
			continue
		}
		if !g.isModel(related) {
			return gqlerror.ErrorPosf(dir.Position, "@%s field %s of %s must refer to a @model type, not %s", name, f.Name, d.Name, related)
		}
		many := name == "hasMany" || name == "manyToMany"
		if many && !isList {
			return gqlerror.ErrorPosf(dir.Position, "@%s field %s of %s must be a list", name, f.Name, d.Name)
		}
		if !many && isList {
			return gqlerror.ErrorPosf(dir.Position, "@%s field %s of %s must not be a list", name, f.Name, d.Name)
		}
		for _, fld := range argStrings(dir, "fields") {
			if d.Fields.ForName(fld) == nil {
				return gqlerror.ErrorPosf(dir.Position, "@%s field %s of %s names unknown field %q in fields", name, f.Name, d.Name, fld)
			}
		}
		switch name {
		case "hasMany":
			if len(argStrings(dir, "references")) == 0 && argString(dir, "indexName") == "" && len(argStrings(dir, "fields")) == 0 {
				fk := g.hasManyKey(d.Name, f.Name)
				g.addExtra(related, fk)
				g.extraKeys[related] = append(g.extraKeys[related], obj{{"type", "key"},
					{"properties", obj{{"name", "gsi-" + d.Name + "." + f.Name}, {"fields", []string{fk}}}}})
			}
		case "hasOne", "belongsTo":
			if len(argStrings(dir, "references")) == 0 && len(argStrings(dir, "fields")) == 0 {
				if name == "belongsTo" {
					if parentField := g.parentHasMany(related, d.Name); parentField != "" {
						continue // the parent's hasMany key serves
					}
				}
				g.addExtra(d.Name, lowerFirst(d.Name)+upperFirst(f.Name)+"Id")
			}
		case "manyToMany":
			rel := argString(dir, "relationName")
			g.addJoin(rel, d.Name, related)
		}
	}
	return nil
}

func (g *modelGen) hasManyKey(model, field string) string {
	return lowerFirst(model) + upperFirst(field) + "Id"
}

// parentHasMany returns the field of parent that is a bare @hasMany of child.
func (g *modelGen) parentHasMany(parent, child string) string {
	p := g.sch.Types[parent]
	if p == nil {
		return ""
	}
	for _, f := range p.Fields {
		dir := f.Directives.ForName("hasMany")
		if dir != nil && f.Type.Name() == child && len(argStrings(dir, "references")) == 0 &&
			argString(dir, "indexName") == "" && len(argStrings(dir, "fields")) == 0 {
			return f.Name
		}
	}
	return ""
}

func (g *modelGen) addJoin(rel, a, b string) {
	for _, j := range g.joinModels {
		if j.name == rel {
			return
		}
	}
	left, right := a, b
	g.joinModels = append(g.joinModels, &joinModel{
		name: rel, left: left, right: right,
		leftField: lowerFirst(left) + "Id", rightField: lowerFirst(right) + "Id",
		leftRelated: lowerFirst(left), rightRelated: lowerFirst(right),
	})
}

// fieldJSON renders a field the way DataStore schemas do.
func (g *modelGen) fieldJSON(f *ast.FieldDefinition) obj {
	t := f.Type
	isArray := t.Elem != nil
	base := t
	if isArray {
		base = t.Elem
		for base.Elem != nil { // nested lists: describe the innermost type
			base = base.Elem
		}
	}
	// As in Amplify codegen, isRequired is about the value (for a list, its
	// elements) and isArrayNullable about the list itself.
	o := obj{{"name", f.Name}, {"isArray", isArray}, {"type", g.typeRef(base.Name())}, {"isRequired", base.NonNull}, {"attributes", []any{}}}
	if isArray {
		o = append(o, kv{"isArrayNullable", !t.NonNull})
	}
	return o
}

func (g *modelGen) typeRef(name string) any {
	d := g.sch.Types[name]
	if d == nil {
		return name
	}
	switch {
	case d.Kind == ast.Enum:
		return obj{{"enum", name}}
	case d.Kind == ast.Object && d.Directives.ForName("model") != nil:
		return obj{{"model", name}}
	case d.Kind == ast.Object:
		return obj{{"nonModel", name}}
	}
	return name
}

// association describes a relationship field.
func (g *modelGen) association(d *ast.Definition, f *ast.FieldDefinition) (obj, error) {
	related := f.Type.Name()
	if dir := f.Directives.ForName("hasMany"); dir != nil {
		with := argStrings(dir, "references")
		if len(with) == 0 {
			if idx := argString(dir, "indexName"); idx != "" {
				field := g.indexField(related, idx)
				if field == "" {
					return nil, gqlerror.ErrorPosf(dir.Position, "@hasMany field %s of %s names index %q, which %s does not have", f.Name, d.Name, idx, related)
				}
				with = []string{field}
			} else if len(argStrings(dir, "fields")) > 0 {
				with = argStrings(dir, "fields")
			} else {
				with = []string{g.hasManyKey(d.Name, f.Name)}
			}
		}
		return obj{{"connectionType", "HAS_MANY"}, {"associatedWith", with}}, nil
	}
	if dir := f.Directives.ForName("hasOne"); dir != nil {
		if refs := argStrings(dir, "references"); len(refs) > 0 {
			return obj{{"connectionType", "HAS_ONE"}, {"associatedWith", refs}}, nil
		}
		targets := argStrings(dir, "fields")
		if len(targets) == 0 {
			targets = []string{lowerFirst(d.Name) + upperFirst(f.Name) + "Id"}
		}
		return obj{{"connectionType", "HAS_ONE"}, {"associatedWith", []string{g.pkOf(related)}}, {"targetNames", targets}}, nil
	}
	if dir := f.Directives.ForName("belongsTo"); dir != nil {
		targets := argStrings(dir, "references")
		if len(targets) == 0 {
			targets = argStrings(dir, "fields")
		}
		if len(targets) == 0 {
			if pf := g.parentHasMany(related, d.Name); pf != "" {
				targets = []string{g.hasManyKey(related, pf)}
			} else {
				targets = []string{lowerFirst(d.Name) + upperFirst(f.Name) + "Id"}
			}
		}
		return obj{{"connectionType", "BELONGS_TO"}, {"targetNames", targets}}, nil
	}
	if dir := f.Directives.ForName("manyToMany"); dir != nil {
		return obj{{"connectionType", "HAS_MANY"}, {"associatedWith", []string{lowerFirst(d.Name)}}}, nil
	}
	return nil, nil
}

func (g *modelGen) indexField(model, index string) string {
	d := g.sch.Types[model]
	if d == nil {
		return ""
	}
	for _, f := range d.Fields {
		for _, dir := range f.Directives.ForNames("index") {
			if argString(dir, "name") == index {
				return f.Name
			}
		}
	}
	return ""
}

func (g *modelGen) pkOf(model string) string {
	d := g.sch.Types[model]
	if d != nil {
		for _, f := range d.Fields {
			if f.Directives.ForName("primaryKey") != nil {
				return f.Name
			}
		}
	}
	return "id"
}
