package amplifybackend

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// SchemaSourceName names the API's TransformSchema in parser messages, which
// read "TransformSchema:<line>:<column>: <message>".
const SchemaSourceName = "TransformSchema"

// amplifyPrelude declares the scalars and directives of the Amplify GraphQL
// Transformer (v2, and the v1 directives still accepted), so that a schema
// using them validates.
const amplifyPrelude = `
scalar AWSDate
scalar AWSTime
scalar AWSDateTime
scalar AWSTimestamp
scalar AWSEmail
scalar AWSJSON
scalar AWSPhone
scalar AWSURL
scalar AWSIPAddress

directive @model(queries: ModelQueryMap, mutations: ModelMutationMap, subscriptions: ModelSubscriptionMap, timestamps: TimestampConfiguration) on OBJECT
directive @primaryKey(sortKeyFields: [String]) on FIELD_DEFINITION
directive @index(name: String, sortKeyFields: [String], queryField: String) repeatable on FIELD_DEFINITION
directive @hasOne(fields: [String!], references: [String!]) on FIELD_DEFINITION
directive @hasMany(indexName: String, fields: [String!], references: [String!], limit: Int = 100) on FIELD_DEFINITION
directive @belongsTo(fields: [String!], references: [String!]) on FIELD_DEFINITION
directive @manyToMany(relationName: String!, limit: Int = 100) on FIELD_DEFINITION
directive @auth(rules: [AuthRule!]!) on OBJECT | FIELD_DEFINITION
directive @default(value: String) on FIELD_DEFINITION
directive @searchable(queries: SearchableQueryMap) on OBJECT
directive @function(name: String!, region: String, accountId: String) repeatable on FIELD_DEFINITION
directive @http(method: HttpMethod = GET, url: String!, headers: [HttpHeader] = []) on FIELD_DEFINITION
directive @predictions(actions: [PredictionsActions!]!) on FIELD_DEFINITION
directive @mapsTo(name: String!) on OBJECT
directive @refersTo(name: String!) on OBJECT | FIELD_DEFINITION
directive @aws_subscribe(mutations: [String]) on FIELD_DEFINITION
directive @aws_api_key on OBJECT | FIELD_DEFINITION
directive @aws_iam on OBJECT | FIELD_DEFINITION
directive @aws_oidc on OBJECT | FIELD_DEFINITION
directive @aws_lambda on OBJECT | FIELD_DEFINITION
directive @aws_cognito_user_pools(cognito_groups: [String]) on OBJECT | FIELD_DEFINITION
directive @aws_auth(cognito_groups: [String]) on FIELD_DEFINITION
directive @key(name: String, fields: [String!]!, queryField: String) repeatable on OBJECT
directive @connection(name: String, keyField: String, sortField: String, keyName: String, limit: Int, fields: [String]) on FIELD_DEFINITION
directive @versioned(versionField: String = "version", versionInput: String = "expectedVersion") on OBJECT

input ModelQueryMap { get: String, list: String }
input ModelMutationMap { create: String, update: String, delete: String }
input ModelSubscriptionMap { onCreate: [String], onUpdate: [String], onDelete: [String], level: ModelSubscriptionLevel }
enum ModelSubscriptionLevel { off public on }
input TimestampConfiguration { createdAt: String, updatedAt: String }
input SearchableQueryMap { search: String }
input AuthRule { allow: AuthStrategy!, provider: AuthProvider, identityClaim: String, groupClaim: String, ownerField: String, groupsField: String, groups: [String], operations: [ModelOperation], queries: [ModelQuery], mutations: [ModelMutation] }
enum AuthStrategy { owner groups private public custom }
enum AuthProvider { apiKey iam oidc userPools function }
enum ModelOperation { create update delete read get list sync listen search }
enum ModelQuery { get list }
enum ModelMutation { create update delete }
enum HttpMethod { GET POST PUT DELETE PATCH }
input HttpHeader { key: String, value: String }
enum PredictionsActions { identifyText identifyLabels convertTextToSpeech translateText }
`

// ModelsOutput is what GenerateBackendAPIModels derives from a schema.
type ModelsOutput struct {
	// Models is the DataStore schema (models/schema.js of Amplify codegen) as
	// JSON: {"models", "enums", "nonModels", "codegenVersion", "version"}.
	Models string
	// ModelIntrospectionSchema is the model introspection schema (version 1):
	// {"version", "models", "enums", "nonModels"}, each model carrying
	// primaryKeyInfo.
	ModelIntrospectionSchema string
}

// obj is a JSON object that keeps its members in order.
type obj []kv

type kv struct {
	K string
	V any
}

func (o obj) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(m.K)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(m.V)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func (o obj) get(k string) (any, bool) {
	for _, m := range o {
		if m.K == k {
			return m.V, true
		}
	}
	return nil, false
}

// schemaHash identifies a TransformSchema, to tell LATEST models from STALE.
func schemaHash(schema string) string {
	sum := sha256.Sum256([]byte(schema))
	return hex.EncodeToString(sum[:])
}

// GenerateModels parses a GraphQL TransformSchema and derives the DataStore
// models and the model introspection schema of its @model types. A schema
// that does not parse or validate gives the parser's error, located
// ("TransformSchema:<line>:<column>: <message>").
func GenerateModels(schema string) (ModelsOutput, error) {
	sch, err := gqlparser.LoadSchema(
		&ast.Source{Name: "amplify-directives.graphql", Input: amplifyPrelude, BuiltIn: true},
		&ast.Source{Name: SchemaSourceName, Input: schema},
	)
	if err != nil {
		return ModelsOutput{}, err
	}
	g := &modelGen{sch: sch, extra: map[string][]*extraField{}, extraKeys: map[string][]obj{}}
	if err := g.run(); err != nil {
		return ModelsOutput{}, err
	}
	mis := obj{{"version", 1}, {"models", g.models(true)}, {"enums", g.enums()}, {"nonModels", g.nonModels()}}
	misJSON, err := json.Marshal(mis)
	if err != nil {
		return ModelsOutput{}, fmt.Errorf("encode model introspection schema: %w", err)
	}
	sum := sha256.Sum256(misJSON)
	ds := obj{{"models", g.models(false)}, {"enums", g.enums()}, {"nonModels", g.nonModels()},
		{"codegenVersion", "ersatz-1"}, {"version", hex.EncodeToString(sum[:16])}}
	dsJSON, err := json.Marshal(ds)
	if err != nil {
		return ModelsOutput{}, fmt.Errorf("encode models: %w", err)
	}
	return ModelsOutput{Models: string(dsJSON), ModelIntrospectionSchema: string(misJSON)}, nil
}

// modelGen walks a validated schema.
type modelGen struct {
	sch        *ast.Schema
	modelDefs  []*ast.Definition
	enumDefs   []*ast.Definition
	otherDefs  []*ast.Definition // non-model object types
	joinModels []*joinModel
	built      map[string]*builtModel
	// extra are implicit fields (foreign keys) a model gains from relationships.
	extra     map[string][]*extraField
	extraKeys map[string][]obj
}

type extraField struct {
	name string
	json obj
}

type joinModel struct {
	name         string
	left, right  string // model names
	leftField    string // e.g. postId
	rightField   string
	leftRelated  string // e.g. post
	rightRelated string
}

type builtModel struct {
	def    *ast.Definition
	fields obj
	attrs  []any
	pkInfo obj
}

// userDefs returns the definitions of the TransformSchema in source order.
func (g *modelGen) userDefs() []*ast.Definition {
	var defs []*ast.Definition
	for _, d := range g.sch.Types {
		if d.Position != nil && d.Position.Src != nil && d.Position.Src.Name == SchemaSourceName {
			defs = append(defs, d)
		}
	}
	sort.Slice(defs, func(i, j int) bool { return defs[i].Position.Start < defs[j].Position.Start })
	return defs
}

func (g *modelGen) isModel(name string) bool {
	d := g.sch.Types[name]
	return d != nil && d.Kind == ast.Object && d.Directives.ForName("model") != nil
}

func (g *modelGen) run() error {
	roots := map[string]bool{"Query": true, "Mutation": true, "Subscription": true}
	for _, r := range []*ast.Definition{g.sch.Query, g.sch.Mutation, g.sch.Subscription} {
		if r != nil {
			roots[r.Name] = true
		}
	}
	for _, d := range g.userDefs() {
		switch {
		case d.Kind == ast.Object && d.Directives.ForName("model") != nil:
			g.modelDefs = append(g.modelDefs, d)
		case d.Kind == ast.Object && !roots[d.Name]:
			g.otherDefs = append(g.otherDefs, d)
		case d.Kind == ast.Enum:
			g.enumDefs = append(g.enumDefs, d)
		}
	}
	// Relationships first: they add implicit fields to other models.
	for _, d := range g.modelDefs {
		for _, f := range d.Fields {
			if err := g.relationship(d, f); err != nil {
				return err
			}
		}
	}
	g.built = map[string]*builtModel{}
	for _, d := range g.modelDefs {
		b, err := g.buildModel(d)
		if err != nil {
			return err
		}
		g.built[d.Name] = b
	}
	return nil
}

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
		if _, taken := out.get(j.name); taken {
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
