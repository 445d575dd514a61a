package qapps

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"

	"github.com/ersatz-dev/ersatz/internal/api"
)

// The generated shapes tag every member `omitempty`, which drops empty lists
// and maps from the JSON body. Several output members are required lists that
// AWS sends as [] when empty (ListQApps.apps, every card's dependencies, a
// library item's categories, ...), and clients index them without checking
// (boto3: resp["apps"] raises KeyError). Until the generator emits `omitzero`,
// this package encodes its outputs itself with omitzero semantics: a nil
// pointer, slice or map is omitted, a non-nil empty slice or map is sent as
// [] or {}. Handlers set empty required lists to non-nil values.

// wireEncodeOutputs wraps every handler of svc so that its output is encoded
// with omitzero semantics.
func wireEncodeOutputs(svc *api.Service) {
	for _, op := range svc.Operations {
		h := op.Handler
		if h == nil {
			continue
		}
		op.Handler = func(ctx context.Context, in api.Input) (any, error) {
			out, err := h(ctx, in)
			if err != nil || out == nil {
				return out, err
			}
			return wireJSON{out}, nil
		}
	}
}

type wireJSON struct{ v any }

// MarshalJSON encodes the wrapped value with omitzero semantics.
func (w wireJSON) MarshalJSON() ([]byte, error) {
	return json.Marshal(wireValue(reflect.ValueOf(w.v)))
}

var marshalerType = reflect.TypeFor[json.Marshaler]()

// wireValue turns v into a tree json.Marshal encodes as v would be with
// omitzero tags; the second result is false for a value to omit.
func wireValue(v reflect.Value) any {
	out, _ := wireTree(v)
	return out
}

func wireTree(v reflect.Value) (any, bool) {
	if !v.IsValid() {
		return nil, false
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface, reflect.Slice, reflect.Map:
		if v.IsNil() {
			return nil, false
		}
	}
	if v.Type().Implements(marshalerType) {
		return v.Interface(), true
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		return wireTree(v.Elem())
	case reflect.Struct:
		if v.CanAddr() && v.Addr().Type().Implements(marshalerType) {
			return v.Addr().Interface(), true
		}
		if reflect.PointerTo(v.Type()).Implements(marshalerType) {
			p := reflect.New(v.Type())
			p.Elem().Set(v)
			return p.Interface(), true
		}
		m := map[string]any{}
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			if val, ok := wireTree(v.Field(i)); ok {
				m[name] = val
			}
		}
		return m, true
	case reflect.Slice, reflect.Array:
		s := make([]any, v.Len())
		for i := range v.Len() {
			s[i], _ = wireTree(v.Index(i))
		}
		return s, true
	case reflect.Map:
		m := make(map[string]any, v.Len())
		iter := v.MapRange()
		for iter.Next() {
			m[iter.Key().String()], _ = wireTree(iter.Value())
		}
		return m, true
	}
	return v.Interface(), true
}
