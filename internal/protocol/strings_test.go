package protocol_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ersatz-dev/ersatz/internal/awserr"
	"github.com/ersatz-dev/ersatz/internal/protocol"
)

func TestCheckStrings(t *testing.T) {
	cases := []struct {
		name, body string
		want       string // "" accepts; else a part of the message
	}{
		{"plain", `{"Description":"café ✓ 😀"}`, ""},
		{"escaped pair", `{"Description":"\ud83d\ude00"}`, ""},
		{"escaped backslash then u", `{"Description":"\\ud800"}`, ""},
		{"escaped quote", `{"Description":"a\"\ud800"}`, "'Description'"},
		{"invalid byte", "{\"Description\":\"v\xff\xfe\"}", "Value at 'Description' contains invalid UTF-8 (byte 0xff)"},
		{"lone high", `{"Description":"x\ud800y"}`, "'Description' contains a lone surrogate (\\ud800)"},
		{"lone high at end", `{"Description":"x\uD800"}`, "lone surrogate (\\ud800)"},
		{"lone low", `{"Description":"\udc00"}`, "lone surrogate (\\udc00)"},
		{"reversed pair", `{"Description":"\udc00\ud800"}`, "lone surrogate (\\udc00)"},
		{"nested list", `{"Tags":[{"Key":"a","Value":"b"},{"Key":"c","Value":"\ud800"}]}`, "'Tags[1].Value'"},
		{"after a nested object", `{"A":{"B":"x"},"C":"\udfff"}`, "'C'"},
		{"map key", "{\"Tags\":{\"k\xc3\":\"v\"}}", "member name in 'Tags' contains invalid UTF-8"},
		{"top-level key", "{\"\xed\xa0\x80\":1}", "member name of the request body"},
		{"encoded surrogate bytes", "{\"Description\":\"\xed\xa0\x80\"}", "invalid UTF-8"},
		{"not JSON", `{"a":`, ""},
		{"numbers", `{"a":[1,2.5e3,true,null],"b":"ok"}`, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := protocol.CheckStrings([]byte(c.body))
			if c.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var ae *awserr.Error
			if !errors.As(err, &ae) || ae.Code != "SerializationException" || ae.Status != 400 || !strings.Contains(ae.Message, c.want) {
				t.Fatalf("got %v, want a 400 SerializationException saying %q", err, c.want)
			}
		})
	}
}

// FuzzCheckStrings: CheckStrings never panics, refuses only with a 400
// SerializationException, and never accepts valid JSON that is not UTF-8.
func FuzzCheckStrings(f *testing.F) {
	f.Add([]byte(`{"a":"b"}`))
	f.Add([]byte("{\"a\":\"v\xff\xfe\"}"))
	f.Add([]byte(`{"a":["\ud800",{"\udc00":1}]}`))
	f.Add([]byte(`{"a":"\u`))
	f.Add([]byte(`]]]}}}"`))
	f.Fuzz(func(t *testing.T, body []byte) {
		err := protocol.CheckStrings(body)
		if err != nil {
			var ae *awserr.Error
			if !errors.As(err, &ae) || ae.Code != "SerializationException" || ae.Status != 400 {
				t.Fatalf("refused with %v", err)
			}
			return
		}
		// Invalid UTF-8 in valid JSON can only be inside a string.
		if json.Valid(body) && !utf8.Valid(body) {
			t.Fatalf("accepted valid JSON that is not UTF-8: %q", body)
		}
	})
}

// TestCheckStringsNamesEscapedKeys: member names are decoded only to name a
// refused value, escapes included.
func TestCheckStringsNamesEscapedKeys(t *testing.T) {
	for _, c := range []struct{ body, want string }{
		{`{"Ta\u0067s":[{"Value":"\udc00"}]}`, "'Tags[0].Value'"},
		{`{"A\"B":"\udc00"}`, `'A"B'`},
		{`{"Plain":{"Inner":"\udc00"}}`, "'Plain.Inner'"},
	} {
		err := protocol.CheckStrings([]byte(c.body))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("CheckStrings(%s) = %v, want a message naming %s", c.body, err, c.want)
		}
	}
}
