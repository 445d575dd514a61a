package codegen

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ersatz-dev/ersatz/internal/model"
)

// Target is one service to generate.
type Target struct {
	Dir    string // folder under models/botocore
	Smithy string // file under models/smithy
	Config Config
}

// Targets are the services Ersatz emulates.
func Targets() []Target {
	return []Target{
		{Dir: "transfer", Smithy: "transfer.json", Config: Config{Package: "transferapi", Name: "transfer", ValidationCode: "ValidationException"}},
		{Dir: "amplifybackend", Smithy: "amplifybackend.json", Config: Config{Package: "amplifybackendapi", Name: "amplifybackend", ValidationCode: "BadRequestException"}},
		{Dir: "qapps", Smithy: "qapps.json", Config: Config{Package: "qappsapi", Name: "qapps", ValidationCode: "ValidationException"}},
	}
}

// GenerateAll reads the models under modelsDir (holding botocore/ and
// smithy/) and returns every generated file's source by its path relative to
// the output folder (package folder/zz_*.go).
func GenerateAll(modelsDir string) (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, t := range Targets() {
		m, err := model.Load(filepath.Join(modelsDir, "botocore", t.Dir))
		if err != nil {
			return nil, err
		}
		cfg := t.Config
		statuses, err := model.SmithyErrorStatuses(filepath.Join(modelsDir, "smithy", t.Smithy))
		if err != nil {
			return nil, err
		}
		cfg.ErrorStatuses = statuses
		files, err := Generate(m, cfg)
		if err != nil {
			return nil, fmt.Errorf("generate %s: %w", t.Dir, err)
		}
		for name, src := range files {
			out[filepath.Join(cfg.Package, name)] = src
		}
	}
	return out, nil
}

// WriteAll generates every target into outDir.
func WriteAll(modelsDir, outDir string) error {
	files, err := GenerateAll(modelsDir)
	if err != nil {
		return err
	}
	return Write(files, outDir)
}

// Write writes files (from GenerateAll) under outDir and removes the
// generated files (zz_*.go) of their package folders that files no longer
// holds.
func Write(files map[string][]byte, outDir string) error {
	for _, rel := range sortedKeys(files) {
		path := filepath.Join(outDir, rel)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("create %s: %w", filepath.Dir(path), err)
		}
		if err := os.WriteFile(path, files[rel], 0o644); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
	}
	extra, err := extraFiles(files, outDir)
	if err != nil {
		return err
	}
	for _, rel := range extra {
		if err := os.Remove(filepath.Join(outDir, rel)); err != nil {
			return fmt.Errorf("remove stale %s: %w", rel, err)
		}
	}
	return nil
}

// Diff compares files (from GenerateAll) with what outDir holds and returns
// one line per difference, sorted: a file that is missing or differs, and a
// generated file (zz_*.go) in a package folder that files does not hold.
func Diff(files map[string][]byte, outDir string) ([]string, error) {
	var diffs []string
	for _, rel := range sortedKeys(files) {
		got, err := os.ReadFile(filepath.Join(outDir, rel))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			diffs = append(diffs, rel+" is missing")
		case err != nil:
			return nil, fmt.Errorf("read %s: %w", rel, err)
		case !bytes.Equal(got, files[rel]):
			diffs = append(diffs, rel+" differs")
		}
	}
	extra, err := extraFiles(files, outDir)
	if err != nil {
		return nil, err
	}
	for _, rel := range extra {
		diffs = append(diffs, rel+" is not generated anymore")
	}
	sort.Strings(diffs)
	return diffs, nil
}

// extraFiles lists the generated files (zz_*.go) in the package folders of
// files that files does not hold, relative to outDir.
func extraFiles(files map[string][]byte, outDir string) ([]string, error) {
	dirs := map[string]bool{}
	for rel := range files {
		dirs[filepath.Dir(rel)] = true
	}
	var extra []string
	for _, dir := range sortedKeys(dirs) {
		entries, err := os.ReadDir(filepath.Join(outDir, dir))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("list %s: %w", dir, err)
		}
		for _, e := range entries {
			name := e.Name()
			rel := filepath.Join(dir, name)
			if e.Type().IsRegular() && strings.HasPrefix(name, GeneratedPrefix) && strings.HasSuffix(name, GeneratedSuffix) {
				if _, ok := files[rel]; !ok {
					extra = append(extra, rel)
				}
			}
		}
	}
	return extra, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
