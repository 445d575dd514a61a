package validate

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestMessages(t *testing.T) {
	min, max := 1.0, 25.0
	tests := []struct {
		name  string
		check func(r *Report)
		want  string
	}{
		{"null", func(r *Report) { r.Required("serverId", false) },
			"1 validation error detected: Value null at 'serverId' failed to satisfy constraint: Member must not be null"},
		{"too short", func(r *Report) { r.StringLength("userName", "ab", false, 3, 100) },
			"1 validation error detected: Value 'ab' at 'userName' failed to satisfy constraint: Member must have length greater than or equal to 3"},
		{"sensitive", func(r *Report) { r.StringLength("hostKey", "secret", true, 10, -1) },
			"1 validation error detected: Value '*** Sensitive Data Redacted ***' at 'hostKey' failed to satisfy constraint: Member must have length greater than or equal to 10"},
		{"range", func(r *Report) { r.Range("maxResults", 26, &min, &max) },
			"1 validation error detected: Value '26' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 25"},
		{"enum", func(r *Report) { r.Enum("domain", "NFS", []string{"S3", "EFS"}) },
			"1 validation error detected: Value 'NFS' at 'domain' failed to satisfy constraint: Member must satisfy enum value set: [S3, EFS]"},
		{"pattern anchored in the message", func(r *Report) {
			r.Pattern("serverId", "s-x", false, regexp.MustCompile(Whole("s-([0-9a-f]{17})")), "s-([0-9a-f]{17})")
		}, "1 validation error detected: Value 's-x' at 'serverId' failed to satisfy constraint: Member must satisfy regular expression pattern: ^s-([0-9a-f]{17})$"},
		{"two", func(r *Report) { r.Required("a", false); r.Required("b", false) },
			"2 validation errors detected: Value null at 'a' failed to satisfy constraint: Member must not be null; Value null at 'b' failed to satisfy constraint: Member must not be null"},
		{"union", func(r *Report) { r.Union("card", 2) }, "Member must have exactly one member of the union set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r Report
			tt.check(&r)
			if r.OK() || !strings.Contains(r.Message(), tt.want) {
				t.Fatalf("message %q, want %q", r.Message(), tt.want)
			}
		})
	}
	var ok Report
	ok.Required("x", true)
	ok.StringLength("x", "abc", false, 1, 3)
	ok.Union("u", 1)
	if !ok.OK() || ok.Message() != "" {
		t.Fatalf("valid values failed: %q", ok.Message())
	}
}

func TestPaths(t *testing.T) {
	if got := Index(Path(Path("", "HomeDirectoryMappings"), ""), 0); got != "homeDirectoryMappings.1.member" {
		t.Fatalf("Index = %q", got)
	}
	if got := Path("homeDirectoryMappings.1.member", "Entry"); got != "homeDirectoryMappings.1.member.entry" {
		t.Fatalf("Path = %q", got)
	}
}

func TestPathCases(t *testing.T) {
	for _, c := range []struct{ parent, member, want string }{
		{"", "ServerId", "serverId"},
		{"", "serverId", "serverId"},
		{"", "", ""},
		{"a.b", "", "a.b"},
		{"", "X", "x"},
		{"p", "X", "p.x"},
		{"p", "_x", "p._x"},
		{"p", "9Lives", "p.9Lives"},
		{"", "Ärger", "ärger"},
		{"p", "ÉtatX", "p.étatX"},
		{"homeDirectoryMappings.1.member", "Target", "homeDirectoryMappings.1.member.target"},
	} {
		if got := Path(c.parent, c.member); got != c.want {
			t.Errorf("Path(%q, %q) = %q, want %q", c.parent, c.member, got, c.want)
		}
	}
}

func TestListValue(t *testing.T) {
	for _, n := range []int{0, 1, 63, 64, 1000, -1} {
		want := "'[" + strconv.Itoa(n) + " items]'"
		if got := ListValue(n); got != want {
			t.Errorf("ListValue(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestChecksDoNotAllocateOnSuccess pins that a value within its constraints
// is not rendered for a message no one reads.
func TestChecksDoNotAllocateOnSuccess(t *testing.T) {
	var r Report
	lo, hi := 0.0, 10.0
	s := strings.Repeat("x", 40)
	n := testing.AllocsPerRun(100, func() {
		r.StringLength("p", s, false, 1, 100)
		r.Range("p", 5, &lo, &hi)
		_ = ListValue(3)
		_ = Path("", "serverId")
	})
	if n != 0 || !r.OK() {
		t.Fatalf("%v allocations for checks that pass (failures %q)", n, r.Failures())
	}
}
