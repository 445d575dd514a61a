// Package modelgen derives Amplify's generated models from a GraphQL
// TransformSchema: the DataStore schema (models/schema.js of Amplify codegen)
// and the model introspection schema, as GenerateBackendAPIModels publishes
// them. It is a pure function of the schema text (Generate), with no state
// and no I/O; the Amplify Backend service runs it in a job.
//
// modelgen.go parses and drives the walk, relations.go records the implicit
// fields and join models of relationships, render.go writes each model.
package modelgen

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/ersatz-dev/ersatz/internal/service/amplifybackend/ojson"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
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

// Output is what GenerateBackendAPIModels derives from a schema.
type Output struct {
	// Models is the DataStore schema (models/schema.js of Amplify codegen) as
	// JSON: {"models", "enums", "nonModels", "codegenVersion", "version"}.
	Models string
	// ModelIntrospectionSchema is the model introspection schema (version 1):
	// {"version", "models", "enums", "nonModels"}, each model carrying
	// primaryKeyInfo.
	ModelIntrospectionSchema string
}

// obj and kv are JSON objects that keep their members in order.
type (
	obj = ojson.Object
	kv  = ojson.Member
)

// SchemaHash identifies a TransformSchema, to tell LATEST models from STALE.
func SchemaHash(schema string) string {
	sum := sha256.Sum256([]byte(schema))
	return hex.EncodeToString(sum[:])
}

// Generate parses a GraphQL TransformSchema and derives the DataStore
// models and the model introspection schema of its @model types. A schema
// that does not parse or validate gives the parser's error, located
// ("TransformSchema:<line>:<column>: <message>").
func Generate(schema string) (Output, error) {
	sch, err := gqlparser.LoadSchema(
		&ast.Source{Name: "amplify-directives.graphql", Input: amplifyPrelude, BuiltIn: true},
		&ast.Source{Name: SchemaSourceName, Input: schema},
	)
	if err != nil {
		return Output{}, err
	}
	g := &modelGen{sch: sch, extra: map[string][]*extraField{}, extraKeys: map[string][]obj{}}
	if err := g.run(); err != nil {
		return Output{}, err
	}
	mis := obj{{"version", 1}, {"models", g.models(true)}, {"enums", g.enums()}, {"nonModels", g.nonModels()}}
	misJSON, err := json.Marshal(mis)
	if err != nil {
		return Output{}, fmt.Errorf("encode model introspection schema: %w", err)
	}
	sum := sha256.Sum256(misJSON)
	ds := obj{{"models", g.models(false)}, {"enums", g.enums()}, {"nonModels", g.nonModels()},
		{"codegenVersion", "ersatz-1"}, {"version", hex.EncodeToString(sum[:16])}}
	dsJSON, err := json.Marshal(ds)
	if err != nil {
		return Output{}, fmt.Errorf("encode models: %w", err)
	}
	return Output{Models: string(dsJSON), ModelIntrospectionSchema: string(misJSON)}, nil
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
