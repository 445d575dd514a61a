package idp

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParse: any answer is a User, ErrNoRole or a *MalformedError, never a
// panic; an accepted answer has a role ARN, a known home type, LOGICAL
// mappings when LOGICAL, and absolute paths only.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"", "{}", "null", "[]", `{"Role": ""}`,
		`{"Role": "` + role + `", "HomeDirectory": "/b/h", "PublicKeys": ["ssh-ed25519 AAAA"]}`,
		`{"Role": "` + role + `", "HomeDirectoryType": "LOGICAL", "HomeDirectoryDetails": "[{\"Entry\": \"/\", \"Target\": \"/b\"}]"}`,
		`{"Role": "` + role + `", "PosixProfile": {"Uid": "1", "Gid": 2, "SecondaryGids": [3]}}`,
		`{"Role": "` + role + `", "Policy": "{\"Statement\": []}"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		u, err := Parse(body)
		if err != nil {
			var me *MalformedError
			if !errors.Is(err, ErrNoRole) && !errors.As(err, &me) {
				t.Fatalf("Parse error %T %v", err, err)
			}
			return
		}
		if !roleARN.MatchString(u.Role) {
			t.Fatalf("accepted Role %q", u.Role)
		}
		if u.HomeDirectoryType != "PATH" && u.HomeDirectoryType != "LOGICAL" {
			t.Fatalf("accepted HomeDirectoryType %q", u.HomeDirectoryType)
		}
		if u.HomeDirectoryType == "LOGICAL" && len(u.Mappings) == 0 {
			t.Fatal("a LOGICAL answer without mappings was accepted")
		}
		if u.HomeDirectory != "" && !strings.HasPrefix(u.HomeDirectory, "/") {
			t.Fatalf("accepted HomeDirectory %q", u.HomeDirectory)
		}
		for _, m := range u.Mappings {
			if !strings.HasPrefix(m.Entry, "/") || !strings.HasPrefix(m.Target, "/") {
				t.Fatalf("accepted mapping %+v", m)
			}
		}
		for _, k := range u.PublicKeys {
			if strings.TrimSpace(k) == "" {
				t.Fatal("an empty public key was kept")
			}
		}
	})
}
