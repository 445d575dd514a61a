package seed

import (
	"os"
	"testing"
)

// FuzzParse: no seed file makes Parse panic, and what it accepts has a
// 12-digit account and an access key.
func FuzzParse(f *testing.F) {
	example, err := os.ReadFile("../../docs/examples/seed.json")
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{string(example), `{}`, `{"account": "1"}`, `{"transfer": {"servers": [{"Users": 3}]}}`,
		`{"qapps": {"apps": [null]}}`, `[]`, `{"x": 1}`, `{} {}`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse(data)
		if err != nil {
			return
		}
		if !accountRE.MatchString(file.Account) || file.AccessKeyID == "" {
			t.Fatalf("accepted %q with account %q and key %q", data, file.Account, file.AccessKeyID)
		}
		_ = file.Count()
	})
}

func TestParseExample(t *testing.T) {
	data, err := os.ReadFile("../../docs/examples/seed.json")
	if err != nil {
		t.Fatal(err)
	}
	f, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Count(); got != 4 {
		t.Fatalf("the example creates %d resources, want 4 (a server, a user, a backend, an app)", got)
	}
}
