package ojson

import (
	"encoding/json"
	"testing"
)

func TestObjectKeepsOrder(t *testing.T) {
	tests := []struct {
		name string
		in   Object
		want string
	}{
		{"empty", Object{}, `{}`},
		{"reverse alphabetical", Object{{"z", 1}, {"a", "x"}}, `{"z":1,"a":"x"}`},
		{"nested", Object{{"b", Object{{"y", true}, {"x", nil}}}, {"a", []int{1}}}, `{"b":{"y":true,"x":null},"a":[1]}`},
		{"escaped key", Object{{"q\"", 0}}, `{"q\"":0}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
		})
	}
	if v, ok := (Object{{"a", 1}, {"b", 2}}).Get("b"); !ok || v != 2 {
		t.Fatalf("Get(b) = %v, %v", v, ok)
	}
	if _, ok := (Object{{"a", 1}}).Get("c"); ok {
		t.Fatal("Get(c) found a member that is not there")
	}
}

func TestObjectRefusesUnencodable(t *testing.T) {
	if _, err := json.Marshal(Object{{"f", func() {}}}); err == nil {
		t.Fatal("a function value was encoded")
	}
}
