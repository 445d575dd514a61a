package modelgen

import (
	"encoding/json"
	"testing"
)

// FuzzGenerate feeds arbitrary TransformSchema text to the models
// generator (it runs in GenerateBackendAPIModels' job): it may only refuse
// with an error; what it accepts gives two JSON documents, the same for the
// same schema.
func FuzzGenerate(f *testing.F) {
	f.Add(blogSchema)
	f.Add("type Todo @model {\n  id: ID!\n  name: \n}")
	f.Add("type Todo @model { id: ID! name: String! done: Boolean @default(value: \"false\") }")
	f.Add("type A @model { id: ID! bs: [B] @manyToMany(relationName: \"AB\") }\ntype B @model { id: ID! as: [A] @manyToMany(relationName: \"AB\") }")
	f.Add("type P @model { id: ID! c: C @hasOne }\ntype C @model { id: ID! p: P @belongsTo }")
	f.Add("type T @model { a: ID! @primaryKey(sortKeyFields: [\"b\", \"c\"]) b: String! c: Int! d: String @index(name: \"byD\", sortKeyFields: [\"a\"]) }")
	f.Add("type B @model { id: ID! as: [A] @hasMany(indexName: \"byB\", fields: [\"id\"]) }\ntype A @model { id: ID! bID: ID! @index(name: \"byB\") }")
	f.Add("type Todo @model @auth(rules: [{allow: groups, groups: [\"Admin\"], operations: [create]}, {allow: owner, ownerField: \"x\"}]) { id: ID! }")
	f.Add("enum E { A B }\ntype T @model(timestamps: null, queries: null) { id: ID! e: E! n: N }\ntype N { x: [[Int!]!] }")
	f.Add("extend type Query { x: Int }\nschema { query: Query }")
	f.Add("")
	f.Fuzz(func(t *testing.T, schema string) {
		out, err := Generate(schema)
		if err != nil {
			return
		}
		for name, doc := range map[string]string{"Models": out.Models, "ModelIntrospectionSchema": out.ModelIntrospectionSchema} {
			if !json.Valid([]byte(doc)) {
				t.Fatalf("%s is not JSON: %s", name, doc)
			}
		}
		again, err := Generate(schema)
		if err != nil || again != out {
			t.Fatalf("a second run differs: %v", err)
		}
	})
}
