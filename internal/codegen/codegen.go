// Package codegen turns a service model into Go: the operation table, a
// Handlers struct with one typed function per operation, a type for every
// structure, union and error shape, constants for every enum, validation of
// every constraint the model states, the REST bindings of inputs, and the
// encode-time filling of required lists and maps. A service's output is split
// by concern into several files (see the file* constants).
package codegen

import (
	"bytes"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/ersatz-dev/ersatz/internal/model"
	"github.com/ersatz-dev/ersatz/internal/validate"
)

// Config names what the model does not say.
type Config struct {
	Package        string // Go package name
	Name           string // service name, e.g. "transfer"
	ValidationCode string // error code of a failed validation
	// ErrorStatuses supplies the HTTP status of error shapes whose botocore
	// definition lacks one (from the Smithy model's httpError traits).
	ErrorStatuses map[string]int
}

type generator struct {
	m        *model.Model
	cfg      Config
	bufs     map[string]*bytes.Buffer // body of each generated file, by file name
	buf      *bytes.Buffer            // the file being written
	patterns map[string]string        // pattern source -> var name
	patOrder []string
	fills    map[string]bool // structures that have a FillRequired method
}

// Generate returns the formatted Go source files of one service, by file
// name. A concern with nothing to say (no REST bindings in an awsJson
// service, say) has no file.
func Generate(m *model.Model, cfg Config) (map[string][]byte, error) {
	g := &generator{m: m, cfg: cfg, bufs: map[string]*bytes.Buffer{}, patterns: map[string]string{}}
	if err := g.check(); err != nil {
		return nil, err
	}
	g.generate()
	return g.files()
}

// to directs what p writes to the named file.
func (g *generator) to(file string) {
	b, ok := g.bufs[file]
	if !ok {
		b = &bytes.Buffer{}
		g.bufs[file] = b
	}
	g.buf = b
}

func (g *generator) p(format string, args ...any) {
	fmt.Fprintf(g.buf, format, args...)
	g.buf.WriteByte('\n')
}

// generate writes every concern into its file's body.
func (g *generator) generate() {
	g.fills = g.fillable()
	g.to(fileOperations)
	g.handlers()
	g.service()
	for _, name := range g.sortedShapes() {
		s := g.shape(name)
		switch {
		case s.Type == "structure" && !s.Document:
			g.to(fileShapes)
			g.structure(name, s)
			if s.Exception {
				g.to(fileErrors)
				g.errorMethods(name, s)
			}
			g.to(fileValidators)
			g.validateMethod(name, s)
			g.to(fileBindings)
			g.bindMethod(name, s)
			g.to(fileEncode)
			g.fillMethod(name, s)
		case s.Type == "string" && len(s.Enum) > 0:
			g.to(fileShapes)
			g.enum(name, s)
		}
	}
	g.to(fileOperations)
	g.emptyInputs()
	g.to(fileValidators)
	g.emptyValidators()
	g.patternVars()
}

// check refuses models with features the generator does not handle, and
// patterns Go cannot compile, so a model update fails loudly.
func (g *generator) check() error {
	for name, s := range g.m.Shapes {
		switch s.Type {
		case "structure", "string", "integer", "long", "double", "float", "boolean", "blob", "timestamp", "list", "map":
		default:
			return fmt.Errorf("shape %s: unsupported type %q", name, s.Type)
		}
		if s.Pattern != "" {
			if _, err := regexp.Compile(validate.Whole(s.Pattern)); err != nil {
				return fmt.Errorf("shape %s: pattern %q: %w", name, s.Pattern, err)
			}
		}
	}
	return nil
}

func (g *generator) sortedShapes() []string {
	names := make([]string, 0, len(g.m.Shapes))
	for n := range g.m.Shapes {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// goName makes an exported Go identifier of a model name.
func goName(s string) string {
	var b strings.Builder
	up := true
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			up = true
			continue
		}
		if up {
			b.WriteRune(unicode.ToUpper(r))
			up = false
		} else {
			b.WriteRune(r)
		}
	}
	out := b.String()
	if out == "" || unicode.IsDigit(rune(out[0])) {
		out = "X" + out
	}
	return out
}

// typeName is the Go type name of a structure shape. Input and output
// structures keep their model names.
func typeName(shape string) string { return goName(shape) }

func (g *generator) shape(name string) *model.Shape { return g.m.Shapes[name] }

// goType is the Go type of a member referring to shape name.
func (g *generator) goType(ref *model.ShapeRef, elem bool) string {
	s := g.shape(ref.Shape)
	ptr := "*"
	if elem {
		ptr = ""
	}
	switch s.Type {
	case "string":
		return ptr + "string"
	case "integer":
		return ptr + "int32"
	case "long":
		return ptr + "int64"
	case "double", "float":
		return ptr + "float64"
	case "boolean":
		return ptr + "bool"
	case "blob":
		return "[]byte"
	case "timestamp":
		return ptr + g.timeType(ref)
	case "list":
		return "[]" + g.goType(s.Member, true)
	case "map":
		return "map[string]" + g.goType(s.Value, true)
	case "structure":
		if s.Document {
			return "json.RawMessage"
		}
		return ptr + typeName(ref.Shape)
	}
	panic("unreachable: " + s.Type)
}

func (g *generator) timeType(ref *model.ShapeRef) string {
	f := ref.TimestampFormat
	if f == "" {
		f = g.shape(ref.Shape).TimestampFormat
	}
	if f == "iso8601" {
		return "api.DateTime"
	}
	return "api.EpochSeconds"
}

// nilable reports whether a member's Go value can be nil (all can: pointers,
// slices, maps, RawMessage).
func (g *generator) jsonKey(member string, ref *model.ShapeRef) string {
	if ref.Location != "" && g.m.Metadata.Protocol == "rest-json" {
		return "-"
	}
	if ref.LocationName != "" && g.m.Metadata.Protocol == "rest-json" {
		return ref.LocationName
	}
	return member
}

func (g *generator) members(s *model.Shape) []string {
	if len(s.MemberOrder) == len(s.Members) {
		return s.MemberOrder
	}
	names := make([]string, 0, len(s.Members))
	for n := range s.Members {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func quoteList(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = strconv.Quote(v)
	}
	return strings.Join(q, ", ")
}
