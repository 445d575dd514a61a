package modelgen

import (
	"fmt"
	"testing"
)

// BenchmarkGenerate parses and renders a schema of 20 related models.
func BenchmarkGenerate(b *testing.B) {
	schema := "enum Kind { A B C }\n"
	for i := 0; i < 20; i++ {
		schema += fmt.Sprintf("type M%d @model @auth(rules: [{allow: owner}]) {\n  id: ID!\n  name: String!\n  kind: Kind\n  tags: [String]\n  children: [C%d] @hasMany\n}\n", i, i)
		schema += fmt.Sprintf("type C%d @model {\n  title: String @index(name: \"byTitle%d\")\n  parent: M%d @belongsTo\n}\n", i, i, i)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := Generate(schema); err != nil {
			b.Fatal(err)
		}
	}
}
