package modelgen

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

const blogSchema = `
input AMPLIFY { globalAuthRule: AuthRule = { allow: public } }

enum Status { DRAFT PUBLISHED }

type Address { street: String! city: String }

type Blog @model @auth(rules: [{ allow: owner }, { allow: public, operations: [read] }]) {
  id: ID!
  name: String!
  status: Status
  tags: [String!]
  address: Address
  posts: [Post] @hasMany
}

type Post @model(timestamps: { createdAt: "createdOn", updatedAt: null }) {
  title: String!
  rating: Int @index(name: "byRating", queryField: "postsByRating")
  blog: Blog @belongsTo
}

type Order @model {
  customerId: ID! @primaryKey(sortKeyFields: ["createdAt"])
  createdAt: AWSDateTime!
  total: Float
}
`

func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, s)
	}
	return m
}

func dig(t *testing.T, v any, keys ...string) any {
	t.Helper()
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("%v is not an object at %q", v, k)
		}
		if v, ok = m[k]; !ok {
			t.Fatalf("no %q in %v", k, m)
		}
	}
	return v
}

func TestGenerateModelsFromSchema(t *testing.T) {
	out, err := Generate(blogSchema)
	if err != nil {
		t.Fatal(err)
	}
	mis := decode(t, out.ModelIntrospectionSchema)
	ds := decode(t, out.Models)
	if mis["version"] != float64(1) {
		t.Fatalf("MIS version %v", mis["version"])
	}
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"Blog.id", dig(t, mis, "models", "Blog", "fields", "id"), map[string]any{"name": "id", "isArray": false, "type": "ID", "isRequired": true, "attributes": []any{}}},
		{"Blog.tags", dig(t, mis, "models", "Blog", "fields", "tags"), map[string]any{"name": "tags", "isArray": true, "type": "String", "isRequired": true, "attributes": []any{}, "isArrayNullable": true}},
		{"Blog.status enum", dig(t, mis, "models", "Blog", "fields", "status", "type"), map[string]any{"enum": "Status"}},
		{"Blog.address nonModel", dig(t, mis, "models", "Blog", "fields", "address", "type"), map[string]any{"nonModel": "Address"}},
		{"Blog.posts", dig(t, mis, "models", "Blog", "fields", "posts", "association"), map[string]any{"connectionType": "HAS_MANY", "associatedWith": []any{"blogPostsId"}}},
		{"Post.blog", dig(t, mis, "models", "Post", "fields", "blog", "association"), map[string]any{"connectionType": "BELONGS_TO", "targetNames": []any{"blogPostsId"}}},
		{"Post implicit key", dig(t, mis, "models", "Post", "fields", "blogPostsId", "type"), "ID"},
		{"Blog timestamps", dig(t, mis, "models", "Blog", "fields", "updatedAt", "isReadOnly"), true},
		{"Post renamed timestamp", dig(t, mis, "models", "Post", "fields", "createdOn", "type"), "AWSDateTime"},
		{"Blog pk", dig(t, mis, "models", "Blog", "primaryKeyInfo"), map[string]any{"isCustomPrimaryKey": false, "primaryKeyFieldName": "id", "sortKeyFieldNames": []any{}}},
		{"Order pk", dig(t, mis, "models", "Order", "primaryKeyInfo"), map[string]any{"isCustomPrimaryKey": true, "primaryKeyFieldName": "customerId", "sortKeyFieldNames": []any{"createdAt"}}},
		{"Order plural", dig(t, mis, "models", "Order", "pluralName"), "Orders"},
		{"enum", dig(t, mis, "enums", "Status"), map[string]any{"name": "Status", "values": []any{"DRAFT", "PUBLISHED"}}},
		{"nonModel", dig(t, mis, "nonModels", "Address", "fields", "street", "isRequired"), true},
		{"DataStore models have no primaryKeyInfo", func() any { _, ok := dig(t, ds, "models", "Blog").(map[string]any)["primaryKeyInfo"]; return ok }(), false},
		{"DataStore carries the same fields", dig(t, ds, "models", "Blog", "fields", "name", "isRequired"), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !reflect.DeepEqual(tc.got, tc.want) {
				t.Fatalf("got %#v, want %#v", tc.got, tc.want)
			}
		})
	}
	// Post has no id field of its own, gets one; it has no updatedAt.
	postFields := dig(t, mis, "models", "Post", "fields").(map[string]any)
	if _, ok := postFields["id"]; !ok {
		t.Fatal("Post has no implicit id")
	}
	if _, ok := postFields["updatedAt"]; ok {
		t.Fatal("Post has updatedAt although timestamps removed it")
	}
	// Fields keep the declaration order.
	if i, j := strings.Index(out.ModelIntrospectionSchema, `"name":{"name":"name"`), strings.Index(out.ModelIntrospectionSchema, `"posts":{"name":"posts"`); i < 0 || j < i {
		t.Fatalf("field order lost: name at %d, posts at %d", i, j)
	}
	attrs := dig(t, mis, "models", "Blog", "attributes").([]any)
	auth := attrs[len(attrs)-1].(map[string]any)
	rules := dig(t, auth, "properties", "rules").([]any)
	if len(rules) != 2 || dig(t, rules[0], "ownerField") != "owner" || dig(t, rules[1], "provider") != "apiKey" ||
		!reflect.DeepEqual(dig(t, rules[1], "operations"), []any{"read"}) {
		t.Fatalf("auth rules %v", rules)
	}
}

func TestGenerateModelsRejects(t *testing.T) {
	tests := []struct {
		name, schema, want string
	}{
		{"syntax", "type Todo @model {\n  id: ID!\n  name: \n}", "TransformSchema:4:1: Expected Name, found }"},
		{"unknown type", "type Todo @model {\n  id: ID!\n  name: Strin\n}", "TransformSchema:3:9: Undefined type Strin."},
		{"unknown directive", "type Todo @modle { id: ID! }", "TransformSchema:1:12: Undefined directive modle."},
		{"nullable primary key", "type Todo @model {\n  key: String @primaryKey\n}", "TransformSchema:2:16: The primary key of Todo must reference a non-null scalar field"},
		{"hasMany to a non-model", "type A { x: Int }\ntype B @model {\n  as: [A] @hasMany\n}", "TransformSchema:3:12: @hasMany field as of B must refer to a @model type"},
		{"hasMany not a list", "type A @model { x: Int }\ntype B @model {\n  a: A @hasMany\n}", "must be a list"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Generate(tc.schema)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestPluralName(t *testing.T) {
	for in, want := range map[string]string{"Todo": "Todos", "Category": "Categories", "Day": "Days", "Box": "Boxes", "Bus": "Buses", "Match": "Matches"} {
		if got := pluralName(in); got != want {
			t.Errorf("pluralName(%s) = %s, want %s", in, got, want)
		}
	}
}
