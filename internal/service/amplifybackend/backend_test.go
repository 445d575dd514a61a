package amplifybackend

import (
	"strings"
	"testing"
)

func TestGeneratedBucketNameFits(t *testing.T) {
	seed := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	tests := []struct{ resource, env string }{
		{"files", "dev"},
		{strings.Repeat("r", 80), "dev"},
		{"files", strings.Repeat("e", 60)},
		{strings.Repeat("r", 80), strings.Repeat("e", 200)},
	}
	for _, tt := range tests {
		name := generatedBucketName(tt.resource, tt.env, seed)
		if len(name) > 63 || len(name) < 3 {
			t.Errorf("generatedBucketName(%d chars, %d chars) = %q (%d chars)", len(tt.resource), len(tt.env), name, len(name))
		}
	}
}
