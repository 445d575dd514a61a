package codegen_test

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"github.com/ersatz-dev/ersatz/internal/codegen"
	"github.com/ersatz-dev/ersatz/internal/validate"
)

const modelsDir = "../../../shared/models"

// TestGeneratedCodeIsCurrent regenerates every service API and fails when
// the committed output differs (a file changed, missing, or a generated file
// the generator no longer writes): run `go generate ./...` after a model or
// generator change.
func TestGeneratedCodeIsCurrent(t *testing.T) {
	files := generateAll(t)
	diffs, err := codegen.Diff(files, filepath.Join("..", "api"))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range diffs {
		t.Errorf("internal/api/%s: run go generate ./...", d)
	}
}

func generateAll(t *testing.T) map[string][]byte {
	t.Helper()
	if _, err := os.Stat(filepath.Join(modelsDir, "botocore")); err != nil {
		t.Skipf("the AWS models are not at %s (see README: Models): %v", modelsDir, err)
	}
	files, err := codegen.GenerateAll(modelsDir)
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestOutputIsSplitByConcern checks the files of each package: one per
// concern, each marked as generated, bindings only for the REST services.
func TestOutputIsSplitByConcern(t *testing.T) {
	files := generateAll(t)
	header := regexp.MustCompile(`^// Code generated .* DO NOT EDIT\.$`)
	want := map[string][]string{
		"transferapi":       {"zz_encode.go", "zz_errors.go", "zz_operations.go", "zz_shapes.go", "zz_validators.go"},
		"amplifybackendapi": {"zz_bindings.go", "zz_encode.go", "zz_errors.go", "zz_operations.go", "zz_shapes.go", "zz_validators.go"},
		"qappsapi":          {"zz_bindings.go", "zz_encode.go", "zz_errors.go", "zz_operations.go", "zz_shapes.go", "zz_validators.go"},
	}
	got := map[string][]string{}
	for rel, src := range files {
		dir, name := filepath.Split(rel)
		got[filepath.Clean(dir)] = append(got[filepath.Clean(dir)], name)
		first, _, _ := bytes.Cut(src, []byte("\n"))
		if !header.Match(first) {
			t.Errorf("%s starts with %q, not the generated-code header", rel, first)
		}
		if bytes.Contains(src, []byte("reflect")) {
			t.Errorf("%s uses reflection", rel)
		}
	}
	for pkg, names := range want {
		g := got[pkg]
		slices.Sort(g)
		if !slices.Equal(g, names) {
			t.Errorf("%s: files %v, want %v", pkg, g, names)
		}
	}
}

// TestDiffFindsDrift writes the generated files to a folder, then changes
// it the ways a stale checkout differs: Diff must name each file.
func TestDiffFindsDrift(t *testing.T) {
	files := generateAll(t)
	dir := t.TempDir()
	if err := codegen.Write(files, dir); err != nil {
		t.Fatal(err)
	}
	if diffs, err := codegen.Diff(files, dir); err != nil || len(diffs) != 0 {
		t.Fatalf("fresh output: diffs %v, err %v", diffs, err)
	}
	edit := filepath.Join("qappsapi", "zz_errors.go")
	gone := filepath.Join("transferapi", "zz_encode.go")
	extra := filepath.Join("amplifybackendapi", "zz_generated.go")
	if err := os.WriteFile(filepath.Join(dir, edit), append(slices.Clone(files[edit]), "// edited\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, gone)); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{extra, filepath.Join("amplifybackendapi", "handwritten.go")} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("package amplifybackendapi\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	diffs, err := codegen.Diff(files, dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{extra + " is not generated anymore", edit + " differs", gone + " is missing"}
	slices.Sort(want)
	if !slices.Equal(diffs, want) {
		t.Fatalf("diffs %q, want %q", diffs, want)
	}
	// Writing again restores the output and removes the stale generated
	// file, never a hand-written one.
	if err := codegen.Write(files, dir); err != nil {
		t.Fatal(err)
	}
	if diffs, err := codegen.Diff(files, dir); err != nil || len(diffs) != 0 {
		t.Fatalf("after Write: diffs %v, err %v", diffs, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "amplifybackendapi", "handwritten.go")); err != nil {
		t.Fatalf("Write removed a hand-written file: %v", err)
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
