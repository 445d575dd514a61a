package codegen

import (
	"fmt"
	"os"
	"path/filepath"

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
// smithy/) and returns each target's source by output path relative to outDir.
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
		src, err := Generate(m, cfg)
		if err != nil {
			return nil, fmt.Errorf("generate %s: %w", t.Dir, err)
		}
		out[filepath.Join(cfg.Package, "zz_generated.go")] = src
	}
	return out, nil
}

// WriteAll generates every target into outDir.
func WriteAll(modelsDir, outDir string) error {
	files, err := GenerateAll(modelsDir)
	if err != nil {
		return err
	}
	for rel, src := range files {
		path := filepath.Join(outDir, rel)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("create %s: %w", filepath.Dir(path), err)
		}
		if err := os.WriteFile(path, src, 0o644); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
	}
	return nil
}
