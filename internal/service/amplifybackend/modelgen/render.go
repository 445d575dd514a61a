package modelgen

import (
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Rendering: each built model, its fields, keys, attributes and auth rules,
// as DataStore and the model introspection schema spell them.

func (g *modelGen) buildModel(d *ast.Definition) (*builtModel, error) {
	b := &builtModel{def: d}
	modelDir := d.Directives.ForName("model")
	props := obj{}
	for _, a := range modelDir.Arguments {
		if v, err := a.Value.Value(nil); err == nil {
			props = append(props, kv{a.Name, v})
		}
	}
	b.attrs = append(b.attrs, obj{{"type", "model"}, {"properties", props}})

	pkField, sortKeys := "id", []string{}
	custom := false
	for _, f := range d.Fields {
		dir := f.Directives.ForName("primaryKey")
		if dir == nil {
			continue
		}
		if custom {
			return nil, gqlerror.ErrorPosf(dir.Position, "%s has more than one @primaryKey", d.Name)
		}
		if !f.Type.NonNull || f.Type.Elem != nil {
			return nil, gqlerror.ErrorPosf(dir.Position, "The primary key of %s must reference a non-null scalar field, not %s: %s", d.Name, f.Name, f.Type.String())
		}
		pkField, custom = f.Name, true
		for _, sk := range argStrings(dir, "sortKeyFields") {
			sf := d.Fields.ForName(sk)
			if sf == nil {
				return nil, gqlerror.ErrorPosf(dir.Position, "sortKeyFields of the primary key of %s names unknown field %q", d.Name, sk)
			}
			if !sf.Type.NonNull {
				return nil, gqlerror.ErrorPosf(dir.Position, "The primary key of %s must reference non-null fields, not %s", d.Name, sk)
			}
			sortKeys = append(sortKeys, sk)
		}
		b.attrs = append(b.attrs, obj{{"type", "key"}, {"properties", obj{{"fields", append([]string{pkField}, sortKeys...)}}}})
	}
	b.pkInfo = obj{{"isCustomPrimaryKey", custom && (pkField != "id" || len(sortKeys) > 0)},
		{"primaryKeyFieldName", pkField}, {"sortKeyFieldNames", sortKeys}}

	if !custom && d.Fields.ForName("id") == nil {
		b.fields = append(b.fields, kv{"id", obj{{"name", "id"}, {"isArray", false}, {"type", "ID"}, {"isRequired", true}, {"attributes", []any{}}}})
	}
	for _, f := range d.Fields {
		fj := g.fieldJSON(f)
		assoc, err := g.association(d, f)
		if err != nil {
			return nil, err
		}
		if assoc != nil {
			if f.Type.Elem != nil {
				fj = setKey(fj, "isRequired", false)
			}
			fj = append(fj, kv{"association", assoc})
		}
		b.fields = append(b.fields, kv{f.Name, fj})
		for _, dir := range f.Directives.ForNames("index") {
			p := obj{}
			if n := argString(dir, "name"); n != "" {
				p = append(p, kv{"name", n})
			}
			if q := argString(dir, "queryField"); q != "" {
				p = append(p, kv{"queryField", q})
			}
			sks := argStrings(dir, "sortKeyFields")
			for _, sk := range sks {
				if d.Fields.ForName(sk) == nil {
					return nil, gqlerror.ErrorPosf(dir.Position, "sortKeyFields of index %q of %s names unknown field %q", argString(dir, "name"), d.Name, sk)
				}
			}
			p = append(p, kv{"fields", append([]string{f.Name}, sks...)})
			b.attrs = append(b.attrs, obj{{"type", "key"}, {"properties", p}})
		}
	}
	for _, e := range g.extra[d.Name] {
		b.fields = append(b.fields, kv{e.name, e.json})
	}
	for _, k := range g.extraKeys[d.Name] {
		b.attrs = append(b.attrs, k)
	}
	for _, ts := range timestampFields(modelDir) {
		if d.Fields.ForName(ts) == nil {
			b.fields = append(b.fields, kv{ts, obj{{"name", ts}, {"isArray", false}, {"type", "AWSDateTime"},
				{"isRequired", false}, {"attributes", []any{}}, {"isReadOnly", true}}})
		}
	}
	if auth := d.Directives.ForName("auth"); auth != nil {
		b.attrs = append(b.attrs, obj{{"type", "auth"}, {"properties", obj{{"rules", authRules(auth)}}}})
	}
	return b, nil
}

func setKey(o obj, k string, v any) obj {
	for i := range o {
		if o[i].K == k {
			o[i].V = v
		}
	}
	return o
}

// timestampFields are the createdAt/updatedAt fields @model adds, renamed or
// removed by its timestamps argument.
func timestampFields(model *ast.Directive) []string {
	a := model.Arguments.ForName("timestamps")
	if a == nil {
		return []string{"createdAt", "updatedAt"}
	}
	if a.Value == nil || a.Value.Kind == ast.NullValue {
		return nil
	}
	out := []string{}
	for _, key := range []string{"createdAt", "updatedAt"} {
		c := a.Value.Children.ForName(key)
		switch {
		case c == nil:
			out = append(out, key)
		case c.Kind == ast.NullValue:
		default:
			out = append(out, c.Raw)
		}
	}
	return out
}

// authRules renders @auth rules with Amplify's defaults filled in.
func authRules(dir *ast.Directive) []any {
	a := dir.Arguments.ForName("rules")
	if a == nil || a.Value == nil {
		return []any{}
	}
	rules := []any{}
	for _, c := range a.Value.Children {
		r := c.Value
		get := func(k string) *ast.Value {
			if ch := r.Children.ForName(k); ch != nil && ch.Kind != ast.NullValue {
				return ch
			}
			return nil
		}
		allow := ""
		if v := get("allow"); v != nil {
			allow = v.Raw
		}
		provider := map[string]string{"owner": "userPools", "groups": "userPools", "private": "userPools", "public": "apiKey", "custom": "function"}[allow]
		if v := get("provider"); v != nil {
			provider = v.Raw
		}
		rule := obj{{"allow", allow}, {"provider", provider}}
		switch allow {
		case "owner":
			owner := "owner"
			if v := get("ownerField"); v != nil {
				owner = v.Raw
			}
			claim := "cognito:username"
			if v := get("identityClaim"); v != nil {
				claim = v.Raw
			}
			rule = append(rule, kv{"ownerField", owner}, kv{"identityClaim", claim})
		case "groups":
			claim := "cognito:groups"
			if v := get("groupClaim"); v != nil {
				claim = v.Raw
			}
			rule = append(rule, kv{"groupClaim", claim})
			if v := get("groups"); v != nil {
				var gs []string
				for _, e := range v.Children {
					gs = append(gs, e.Value.Raw)
				}
				rule = append(rule, kv{"groups", gs})
			}
			if v := get("groupsField"); v != nil {
				rule = append(rule, kv{"groupsField", v.Raw})
			}
		}
		ops := []string{"create", "update", "delete", "read"}
		if v := get("operations"); v != nil {
			ops = ops[:0]
			for _, e := range v.Children {
				ops = append(ops, e.Value.Raw)
			}
		}
		rule = append(rule, kv{"operations", ops})
		rules = append(rules, rule)
	}
	return rules
}

// models renders every @model type, then the join models of @manyToMany;
// the model introspection schema adds primaryKeyInfo.
func (g *modelGen) models(withPK bool) obj {
	out := obj{}
	for _, d := range g.modelDefs {
		b := g.built[d.Name]
		m := obj{{"name", d.Name}, {"fields", b.fields}, {"syncable", true}, {"pluralName", pluralName(d.Name)}, {"attributes", b.attrs}}
		if withPK {
			m = append(m, kv{"primaryKeyInfo", b.pkInfo})
		}
		out = append(out, kv{d.Name, m})
	}
	for _, j := range g.joinModels {
		if _, taken := out.Get(j.name); taken {
			continue
		}
		req := func(n, t string) obj {
			return obj{{"name", n}, {"isArray", false}, {"type", t}, {"isRequired", false}, {"attributes", []any{}}}
		}
		rel := func(n, model, target string) obj {
			return obj{{"name", n}, {"isArray", false}, {"type", obj{{"model", model}}}, {"isRequired", true}, {"attributes", []any{}},
				{"association", obj{{"connectionType", "BELONGS_TO"}, {"targetNames", []string{target}}}}}
		}
		ts := func(n string) obj {
			return obj{{"name", n}, {"isArray", false}, {"type", "AWSDateTime"}, {"isRequired", false}, {"attributes", []any{}}, {"isReadOnly", true}}
		}
		fields := obj{
			{"id", obj{{"name", "id"}, {"isArray", false}, {"type", "ID"}, {"isRequired", true}, {"attributes", []any{}}}},
			{j.leftField, req(j.leftField, "ID")},
			{j.rightField, req(j.rightField, "ID")},
			{j.leftRelated, rel(j.leftRelated, j.left, j.leftField)},
			{j.rightRelated, rel(j.rightRelated, j.right, j.rightField)},
			{"createdAt", ts("createdAt")},
			{"updatedAt", ts("updatedAt")},
		}
		attrs := []any{
			obj{{"type", "model"}, {"properties", obj{}}},
			obj{{"type", "key"}, {"properties", obj{{"name", "by" + j.left}, {"fields", []string{j.leftField}}}}},
			obj{{"type", "key"}, {"properties", obj{{"name", "by" + j.right}, {"fields", []string{j.rightField}}}}},
		}
		m := obj{{"name", j.name}, {"fields", fields}, {"syncable", true}, {"pluralName", pluralName(j.name)}, {"attributes", attrs}}
		if withPK {
			m = append(m, kv{"primaryKeyInfo", obj{{"isCustomPrimaryKey", false}, {"primaryKeyFieldName", "id"}, {"sortKeyFieldNames", []string{}}}})
		}
		out = append(out, kv{j.name, m})
	}
	return out
}

func (g *modelGen) enums() obj {
	out := obj{}
	for _, d := range g.enumDefs {
		values := make([]string, len(d.EnumValues))
		for i, v := range d.EnumValues {
			values[i] = v.Name
		}
		out = append(out, kv{d.Name, obj{{"name", d.Name}, {"values", values}}})
	}
	return out
}

func (g *modelGen) nonModels() obj {
	out := obj{}
	for _, d := range g.otherDefs {
		fields := obj{}
		for _, f := range d.Fields {
			fields = append(fields, kv{f.Name, g.fieldJSON(f)})
		}
		out = append(out, kv{d.Name, obj{{"name", d.Name}, {"fields", fields}}})
	}
	return out
}
