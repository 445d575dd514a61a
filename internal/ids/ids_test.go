package ids

import (
	"regexp"
	"testing"
)

func TestShapes(t *testing.T) {
	tests := []struct {
		got  string
		want string
	}{
		{Hex17("s-"), `^s-[0-9a-f]{17}$`},
		{Hex17("key-"), `^key-[0-9a-f]{17}$`},
		{UUID(), `^[\da-f]{8}-[\da-f]{4}-4[\da-f]{3}-[89ab][\da-f]{3}-[\da-f]{12}$`},
		{ARN("transfer", "us-east-1", "000000000000", "server/s-1"), `^arn:aws:transfer:us-east-1:000000000000:server/s-1$`},
	}
	for _, tt := range tests {
		if !regexp.MustCompile(tt.want).MatchString(tt.got) {
			t.Errorf("%q does not match %s", tt.got, tt.want)
		}
	}
	seen := map[string]bool{}
	for range 1000 {
		id := Hex17("s-")
		if seen[id] {
			t.Fatalf("id %s made twice", id)
		}
		seen[id] = true
	}
}
