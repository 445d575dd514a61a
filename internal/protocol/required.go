package protocol

import "github.com/ersatz-dev/ersatz/internal/api"

// FillRequired sets every nil list or map that the model requires to an
// empty one, in nested structures too, so required collections go on the wire
// as [] or {} the way AWS sends them, never as null. The generated output
// structures that hold such members implement api.RequiredFiller; for any
// other value it does nothing.
func FillRequired(v any) {
	if f, ok := v.(api.RequiredFiller); ok {
		f.FillRequired()
	}
}
