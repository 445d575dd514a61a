package workflow

import (
	"regexp"
	"strings"
	"testing"
)

var sessionIDPattern = regexp.MustCompile(`^[\w-]*$`)

// FuzzWireSessionID: whatever session id the data plane reports, the
// execution's SessionId is empty or fits the model (3..32 of [\w-]).
func FuzzWireSessionID(f *testing.F) {
	for _, s := range []string{"", "ab", "abc", strings.Repeat("0123456789abcdef", 4), "a b\x00c-d_e", "ünïcödé-session"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		got := wireSessionID(id)
		if got == "" {
			return
		}
		if len(got) < 3 || len(got) > 32 || !sessionIDPattern.MatchString(got) {
			t.Fatalf("wireSessionID(%q) = %q", id, got)
		}
		if !strings.HasPrefix(id, got) && len(id) >= 32 && sessionIDPattern.MatchString(id) {
			t.Fatalf("wireSessionID(%q) = %q is not its prefix", id, got)
		}
	})
}
