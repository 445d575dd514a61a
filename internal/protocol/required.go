package protocol

import (
	"reflect"
	"strings"
)

// FillRequired sets every nil list or map that the model requires (a field
// whose JSON tag has no omitempty) to an empty one, walking nested
// structures, so required collections go on the wire as [] or {} the way AWS
// sends them, never as null.
func FillRequired(v any) {
	fill(reflect.ValueOf(v), 0)
}

func fill(v reflect.Value, depth int) {
	if depth > 32 {
		return
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			fill(v.Elem(), depth+1)
		}
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := v.Field(i)
			sf := t.Field(i)
			if !sf.IsExported() {
				continue
			}
			tag := sf.Tag.Get("json")
			if tag != "" && tag != "-" && !strings.Contains(tag, ",omitzero") && f.IsNil() {
				switch f.Kind() {
				case reflect.Slice:
					if sf.Type.Elem().Kind() != reflect.Uint8 {
						f.Set(reflect.MakeSlice(sf.Type, 0, 0))
					}
				case reflect.Map:
					f.Set(reflect.MakeMap(sf.Type))
				}
			}
			switch f.Kind() {
			case reflect.Pointer, reflect.Struct, reflect.Slice:
				fill(f, depth+1)
			}
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Struct || v.Type().Elem().Kind() == reflect.Pointer {
			for i := 0; i < v.Len(); i++ {
				fill(v.Index(i), depth+1)
			}
		}
	}
}
