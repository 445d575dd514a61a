package ids

import (
	"regexp"
	"testing"
	"time"
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

func TestUUIDForms(t *testing.T) {
	dns := [16]byte{0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}
	tests := []struct {
		name, got, want string
	}{
		{"v5 of RFC 9562 appendix A.4", UUIDv5(dns, "www.example.com"), "2ed6657d-e927-568b-95e1-2665a8aea6a2"},
		{"format", FormatUUID([16]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}), "00010203-0405-0607-0809-0a0b0c0d0e0f"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, tt.got, tt.want)
		}
	}
	v7 := regexp.MustCompile(`^[\da-f]{8}-[\da-f]{4}-7[\da-f]{3}-[89ab][\da-f]{3}-[\da-f]{12}$`)
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 6_000_000, time.UTC)
	prev := ""
	for i := range 50 {
		id := UUIDv7(t0.Add(time.Duration(i) * 300 * time.Microsecond))
		if !v7.MatchString(id) {
			t.Fatalf("%s is not a version 7 UUID", id)
		}
		if id <= prev {
			t.Fatalf("%s made later sorts before %s", id, prev)
		}
		prev = id
	}
	if h := RandHex(17); !regexp.MustCompile(`^[0-9a-f]{17}$`).MatchString(h) {
		t.Fatalf("RandHex(17) = %q", h)
	}
}
