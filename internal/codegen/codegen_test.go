package codegen_test

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/ersatz-dev/ersatz/internal/codegen"
	"github.com/ersatz-dev/ersatz/internal/validate"
)

const modelsDir = "../../../shared/models"

// TestGeneratedCodeIsCurrent regenerates every service API and fails when
// the committed output differs: run `go generate ./...` after a model or
// generator change.
func TestGeneratedCodeIsCurrent(t *testing.T) {
	if _, err := os.Stat(filepath.Join(modelsDir, "botocore")); err != nil {
		t.Skipf("the AWS models are not at %s (see README: Models): %v", modelsDir, err)
	}
	files, err := codegen.GenerateAll(modelsDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 3 {
		t.Fatalf("generated %d files, want 3", len(files))
	}
	for rel, want := range files {
		got, err := os.ReadFile(filepath.Join("..", "api", rel))
		if err != nil {
			t.Fatalf("read committed %s: %v", rel, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("internal/api/%s is stale: run go generate ./...", rel)
		}
	}
}

func TestWholePatternTranslation(t *testing.T) {
	tests := []struct {
		pattern string
		match   []string
		reject  []string
	}{
		{`s-([0-9a-f]{17})`, []string{"s-0123456789abcdef0"}, []string{"xs-0123456789abcdef0", "s-0123456789abcdef0x", "s-XYZ"}},
		{`[\u0020-\u00FF]+`, []string{"hello é"}, []string{"", "\x01"}},
		{`[\p{Print}]*`, []string{"", "abc def"}, []string{"a\nb"}},
		{`\p{Print}*`, []string{"abc"}, []string{"a\tb"}},
		{`(|/.*)`, []string{"", "/home"}, []string{"home"}},
		{`[^\x00]+`, []string{"a"}, []string{"a\x00"}},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			re, err := regexp.Compile(validate.Whole(tt.pattern))
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range tt.match {
				if !re.MatchString(s) {
					t.Errorf("%q should match", s)
				}
			}
			for _, s := range tt.reject {
				if re.MatchString(s) {
					t.Errorf("%q should not match", s)
				}
			}
		})
	}
}
