package protocol_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/amplifybackendapi"
	"github.com/ersatz-dev/ersatz/internal/api/qappsapi"
	"github.com/ersatz-dev/ersatz/internal/api/transferapi"
	"github.com/ersatz-dev/ersatz/internal/protocol"
)

func TestFillRequired(t *testing.T) {
	out := &transferapi.ListServersResponse{}
	protocol.FillRequired(out)
	b, _ := json.Marshal(out)
	if string(b) != `{"Servers":[]}` {
		t.Fatalf("got %s", b)
	}
	users := &transferapi.ListUsersResponse{ServerId: new(string), Users: []transferapi.ListedUser{{}}}
	protocol.FillRequired(users)
	b, _ = json.Marshal(users)
	if string(b) != `{"ServerId":"","Users":[{}]}` {
		t.Fatalf("got %s", b)
	}
	// Nested: a required list two structures down; absent structures stay absent.
	storage := &amplifybackendapi.GetBackendStorageResponse{ResourceConfig: &amplifybackendapi.GetBackendStorageResourceConfig{
		Permissions: &amplifybackendapi.BackendStoragePermissions{},
	}}
	protocol.FillRequired(storage)
	b, _ = json.Marshal(storage)
	if string(b) != `{"resourceConfig":{"permissions":{"authenticated":[]}}}` {
		t.Fatalf("got %s", b)
	}
	// Values that are not generated outputs are left alone.
	protocol.FillRequired(nil)
	protocol.FillRequired(map[string]any{})
}

// TestFillRequiredMatchesTheModel compares the generated FillRequired of every
// input and output structure of the three services with a walk of the JSON
// tags (the rule: a list or map member without omitzero is required), on
// values with every nested structure allocated, lists empty or holding one
// element.
func TestFillRequiredMatchesTheModel(t *testing.T) {
	types := map[reflect.Type]bool{}
	for _, h := range []any{&transferapi.Handlers{}, &amplifybackendapi.Handlers{}, &qappsapi.Handlers{}} {
		ht := reflect.TypeOf(h).Elem()
		for i := range ht.NumField() {
			ft := ht.Field(i).Type
			types[ft.In(1).Elem()] = true
			if ft.NumOut() == 2 {
				types[ft.Out(0).Elem()] = true
			}
		}
	}
	changed := 0
	for typ := range types {
		for _, dense := range []bool{false, true} {
			gen := reflect.New(typ)
			populate(gen.Elem(), dense, 0)
			before, _ := json.Marshal(gen.Interface())
			oracle := reflect.New(typ)
			populate(oracle.Elem(), dense, 0)
			protocol.FillRequired(gen.Interface())
			walkTags(oracle, 0)
			got, _ := json.Marshal(gen.Interface())
			want, _ := json.Marshal(oracle.Interface())
			if string(got) != string(want) {
				t.Errorf("%s (dense %t):\n got %s\nwant %s", typ, dense, got, want)
			}
			if string(got) != string(before) {
				changed++
			}
			if _, ok := gen.Interface().(api.RequiredFiller); !ok && string(want) != string(before) {
				t.Errorf("%s needs filling but has no FillRequired", typ)
			}
		}
	}
	if changed < 20 {
		t.Fatalf("only %d values changed by filling: the check is not exercising the fill", changed)
	}
}

// populate allocates every nested structure of v (to a depth, as shapes may
// nest themselves) and, when dense, gives lists of structures one element.
func populate(v reflect.Value, dense bool, depth int) {
	if depth > 4 || v.Kind() != reflect.Struct {
		return
	}
	for i := range v.NumField() {
		f := v.Field(i)
		if !v.Type().Field(i).IsExported() {
			continue
		}
		switch {
		case f.Kind() == reflect.Pointer && f.Type().Elem().Kind() == reflect.Struct && !strings.HasPrefix(f.Type().Elem().PkgPath(), "time"):
			f.Set(reflect.New(f.Type().Elem()))
			populate(f.Elem(), dense, depth+1)
		case dense && f.Kind() == reflect.Slice && f.Type().Elem().Kind() == reflect.Struct:
			f.Set(reflect.MakeSlice(f.Type(), 1, 1))
			populate(f.Index(0), dense, depth+1)
		}
	}
}

// walkTags is the rule FillRequired implements, by reflection: every nil
// list (not a blob) or map whose JSON tag has no omitzero becomes empty;
// pointers and lists of structures are walked, maps are not.
func walkTags(v reflect.Value, depth int) {
	if depth > 32 {
		return
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			walkTags(v.Elem(), depth+1)
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f, sf := v.Field(i), t.Field(i)
			if !sf.IsExported() {
				continue
			}
			tag := sf.Tag.Get("json")
			if tag != "" && tag != "-" && !strings.Contains(tag, ",omitzero") && f.IsNil() {
				switch {
				case f.Kind() == reflect.Slice && sf.Type.Elem().Kind() != reflect.Uint8:
					f.Set(reflect.MakeSlice(sf.Type, 0, 0))
				case f.Kind() == reflect.Map:
					f.Set(reflect.MakeMap(sf.Type))
				}
			}
			switch f.Kind() {
			case reflect.Pointer, reflect.Struct, reflect.Slice:
				walkTags(f, depth+1)
			}
		}
	case reflect.Slice:
		if k := v.Type().Elem().Kind(); k == reflect.Struct || k == reflect.Pointer {
			for i := range v.Len() {
				walkTags(v.Index(i), depth+1)
			}
		}
	}
}
