package validate

import (
	"regexp"
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
