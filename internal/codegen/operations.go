package codegen

import "github.com/ersatz-dev/ersatz/internal/model"

func (g *generator) inputType(op *model.Operation) string {
	if op.Input == nil {
		return op.Name + "Input"
	}
	return typeName(op.Input.Shape)
}

func (g *generator) emptyInputs() {
	for _, name := range g.m.OperationNames() {
		op := g.m.Operations[name]
		if op.Input != nil {
			continue
		}
		t := g.inputType(op)
		g.p("// %s is the empty input of %s.", t, name)
		g.p("type %s struct{}", t)
		g.p("")
	}
}

func (g *generator) handlers() {
	g.p("// Handlers holds the behaviour of each operation; a nil field is an operation")
	g.p("// that is not implemented.")
	g.p("type Handlers struct {")
	for _, name := range g.m.OperationNames() {
		op := g.m.Operations[name]
		if op.Output == nil {
			g.p("%s func(ctx context.Context, in *%s) error", name, g.inputType(op))
		} else {
			g.p("%s func(ctx context.Context, in *%s) (*%s, error)", name, g.inputType(op), typeName(op.Output.Shape))
		}
	}
	g.p("}")
	g.p("")
}

func (g *generator) service() {
	md := g.m.Metadata
	g.p("// Service returns the operation table of %s, dispatching to h.", md.ServiceFullName)
	g.p("func (h *Handlers) Service() *api.Service {")
	g.p("return &api.Service{")
	g.p("Name: %q,", g.cfg.Name)
	g.p("FullName: %q,", md.ServiceFullName)
	g.p("Protocol: %q,", md.Protocol)
	g.p("APIVersion: %q,", md.APIVersion)
	g.p("TargetPrefix: %q,", md.TargetPrefix)
	g.p("ValidationCode: %q,", g.cfg.ValidationCode)
	g.p("Operations: []*api.Operation{")
	for _, name := range g.m.OperationNames() {
		op := g.m.Operations[name]
		code := op.HTTP.ResponseCode
		if code == 0 {
			code = 200
		}
		g.p("{")
		g.p("Name: %q, Method: %q, URI: %q, SuccessCode: %d,", name, op.HTTP.Method, op.HTTP.RequestURI, code)
		if pg := g.m.Paginators[name]; pg != nil {
			in, _ := pg.InputToken.(string)
			out, _ := pg.OutputToken.(string)
			g.p("Paginator: &api.Paginator{InputToken: %q, OutputToken: %q, LimitKey: %q},", in, out, pg.LimitKey)
		}
		g.p("NewInput: func() api.Input { return new(%s) },", g.inputType(op))
		if op.Output == nil {
			g.p("Handler: api.TypedNoOutput(h.%s),", name)
		} else {
			g.p("Handler: api.Typed(h.%s),", name)
		}
		g.p("},")
	}
	g.p("},")
	g.p("}")
	g.p("}")
	g.p("")
}
