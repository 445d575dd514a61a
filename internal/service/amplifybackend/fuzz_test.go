package amplifybackend

import (
	"encoding/json"
	"testing"
)

// FuzzGenerateModels feeds arbitrary TransformSchema text to the models
// generator (it runs in GenerateBackendAPIModels' job): it may only refuse
// with an error; what it accepts gives two JSON documents, the same for the
// same schema.
func FuzzGenerateModels(f *testing.F) {
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
		out, err := GenerateModels(schema)
		if err != nil {
			return
		}
		for name, doc := range map[string]string{"Models": out.Models, "ModelIntrospectionSchema": out.ModelIntrospectionSchema} {
			if !json.Valid([]byte(doc)) {
				t.Fatalf("%s is not JSON: %s", name, doc)
			}
		}
		again, err := GenerateModels(schema)
		if err != nil || again != out {
			t.Fatalf("a second run differs: %v", err)
		}
	})
}

// FuzzParseJobDelay feeds arbitrary --amplify-job-delay values: what is
// accepted is a range within 0..MaxJobDelay that reads back the same, and
// every job delay picked from it lies in the range.
func FuzzParseJobDelay(f *testing.F) {
	for _, s := range []string{"100ms", "0", "2s~5s", "5s~2s", "~", "1s~", "-1s", "25h", " 3s ~ 3s ", "1h30m~24h", "abc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseJobDelay(s)
		if err != nil {
			return
		}
		if d.Min < 0 || d.Max < d.Min || d.Max > MaxJobDelay {
			t.Fatalf("ParseJobDelay(%q) = %+v", s, d)
		}
		again, err := ParseJobDelay(d.String())
		if err != nil || again != d {
			t.Fatalf("ParseJobDelay(%q) = %+v, reads back as %+v, %v", s, d, again, err)
		}
		for range 3 {
			if p := d.pick(); p < d.Min || p > d.Max {
				t.Fatalf("%+v picked %v", d, p)
			}
		}
	})
}
