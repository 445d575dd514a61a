// Package ojson writes JSON objects whose members keep the order they were
// given in, as Amplify's generated documents list them.
package ojson

import (
	"bytes"
	"encoding/json"
)

// Object is a JSON object that keeps its members in order.
type Object []Member

// Member is one member of an Object. It is an unnamed struct type so that
// other packages can write {"key", value} without field names.
type Member = struct {
	K string
	V any
}

// MarshalJSON writes the members in order.
func (o Object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(m.K)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(m.V)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// Get returns the value of member k.
func (o Object) Get(k string) (any, bool) {
	for _, m := range o {
		if m.K == k {
			return m.V, true
		}
	}
	return nil, false
}
