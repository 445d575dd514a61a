package idp

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

const role = "arn:aws:iam::111111111111:role/transfer-user"

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    User
		noRole  bool
		mention string // a malformed answer's reason names this
	}{
		{name: "empty body", body: "", noRole: true},
		{name: "blank body", body: " \n", noRole: true},
		{name: "empty object", body: "{}", noRole: true},
		{name: "empty Role", body: `{"Role": "", "HomeDirectory": "/b"}`, noRole: true},
		{name: "null Role", body: `{"Role": null}`, noRole: true},
		{name: "PATH user", body: `{"Role": "` + role + `", "HomeDirectory": "/bucket/home/alice", "Policy": "{\"Version\": \"2012-10-17\"}",
			"PublicKeys": ["ssh-ed25519 AAAA a", ""], "Extra": 1}`,
			want: User{Role: role, HomeDirectoryType: "PATH", HomeDirectory: "/bucket/home/alice", Policy: `{"Version": "2012-10-17"}`,
				PublicKeys: []string{"ssh-ed25519 AAAA a"}}},
		{name: "LOGICAL user", body: `{"Role": "` + role + `", "HomeDirectoryType": "LOGICAL",
			"HomeDirectoryDetails": "[{\"Entry\": \"/\", \"Target\": \"/bucket/alice\"}, {\"Entry\": \"/f.txt\", \"Target\": \"/bucket/f\", \"Type\": \"FILE\"}]",
			"PublicKeys": [""]}`,
			want: User{Role: role, HomeDirectoryType: "LOGICAL", Mappings: []Mapping{{Entry: "/", Target: "/bucket/alice"}, {Entry: "/f.txt", Target: "/bucket/f", Type: "FILE"}}}},
		{name: "PATH ignores details", body: `{"Role": "` + role + `", "HomeDirectoryDetails": "not json"}`,
			want: User{Role: role, HomeDirectoryType: "PATH"}},
		{name: "EFS posix as numbers", body: `{"Role": "` + role + `", "PosixProfile": {"Uid": 65534, "Gid": 100, "SecondaryGids": [1, 2]}}`,
			want: User{Role: role, HomeDirectoryType: "PATH", Posix: &Posix{Uid: 65534, Gid: 100, SecondaryGids: []uint32{1, 2}}}},
		{name: "EFS posix as strings", body: `{"Role": "` + role + `", "PosixProfile": {"Uid": "1000", "Gid": "1001"}}`,
			want: User{Role: role, HomeDirectoryType: "PATH", Posix: &Posix{Uid: 1000, Gid: 1001}}},
		{name: "not JSON", body: `Role=x`, mention: "not a JSON object"},
		{name: "a list", body: `[{"Role": "` + role + `"}]`, mention: "not a JSON object"},
		{name: "null", body: `null`, mention: "not a JSON object"},
		{name: "Role not a string", body: `{"Role": 5}`, mention: "Role"},
		{name: "Role not a role ARN", body: `{"Role": "admin"}`, mention: "Role"},
		{name: "PublicKeys not a list", body: `{"Role": "` + role + `", "PublicKeys": "ssh-rsa AAA"}`, mention: "PublicKeys"},
		{name: "Policy not a string", body: `{"Role": "` + role + `", "Policy": {"Version": "2012-10-17"}}`, mention: "Policy"},
		{name: "Policy not JSON", body: `{"Role": "` + role + `", "Policy": "allow all"}`, mention: "Policy"},
		{name: "bad type", body: `{"Role": "` + role + `", "HomeDirectoryType": "CHROOT"}`, mention: "HomeDirectoryType"},
		{name: "relative home", body: `{"Role": "` + role + `", "HomeDirectory": "bucket/home"}`, mention: "HomeDirectory"},
		{name: "LOGICAL without details", body: `{"Role": "` + role + `", "HomeDirectoryType": "LOGICAL"}`, mention: "HomeDirectoryDetails"},
		{name: "LOGICAL with empty list", body: `{"Role": "` + role + `", "HomeDirectoryType": "LOGICAL", "HomeDirectoryDetails": "[]"}`, mention: "HomeDirectoryDetails"},
		{name: "details as a list", body: `{"Role": "` + role + `", "HomeDirectoryType": "LOGICAL", "HomeDirectoryDetails": [{"Entry": "/", "Target": "/b"}]}`, mention: "HomeDirectoryDetails"},
		{name: "details not JSON", body: `{"Role": "` + role + `", "HomeDirectoryType": "LOGICAL", "HomeDirectoryDetails": "[{"}`, mention: "HomeDirectoryDetails"},
		{name: "mapping without Target", body: `{"Role": "` + role + `", "HomeDirectoryType": "LOGICAL", "HomeDirectoryDetails": "[{\"Entry\": \"/\"}]"}`, mention: "HomeDirectoryDetails[0]"},
		{name: "relative Target", body: `{"Role": "` + role + `", "HomeDirectoryType": "LOGICAL", "HomeDirectoryDetails": "[{\"Entry\": \"/\", \"Target\": \"bucket\"}]"}`, mention: "HomeDirectoryDetails[0]"},
		{name: "bad mapping Type", body: `{"Role": "` + role + `", "HomeDirectoryType": "LOGICAL", "HomeDirectoryDetails": "[{\"Entry\": \"/\", \"Target\": \"/b\", \"Type\": \"LINK\"}]"}`, mention: "Type"},
		{name: "posix without Gid", body: `{"Role": "` + role + `", "PosixProfile": {"Uid": 1}}`, mention: "PosixProfile"},
		{name: "negative Uid", body: `{"Role": "` + role + `", "PosixProfile": {"Uid": -1, "Gid": 1}}`, mention: "PosixProfile.Uid"},
		{name: "Uid too large", body: `{"Role": "` + role + `", "PosixProfile": {"Uid": 4294967296, "Gid": 1}}`, mention: "PosixProfile.Uid"},
		{name: "bad secondary gid", body: `{"Role": "` + role + `", "PosixProfile": {"Uid": 1, "Gid": 1, "SecondaryGids": ["x"]}}`, mention: "SecondaryGids[0]"},
		{name: "posix not an object", body: `{"Role": "` + role + `", "PosixProfile": 7}`, mention: "PosixProfile"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse([]byte(tc.body))
			switch {
			case tc.noRole:
				if !errors.Is(err, ErrNoRole) {
					t.Fatalf("Parse = %+v, %v; want ErrNoRole", got, err)
				}
			case tc.mention != "":
				var me *MalformedError
				if !errors.As(err, &me) || !strings.Contains(me.Reason, tc.mention) {
					t.Fatalf("Parse = %+v, %v; want a malformed answer naming %q", got, err, tc.mention)
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, tc.want) {
					t.Fatalf("Parse = %+v\nwant    %+v", got, tc.want)
				}
			}
		})
	}
}
