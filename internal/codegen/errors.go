package codegen

import (
	"strings"

	"github.com/ersatz-dev/ersatz/internal/model"
)

// errorMethods gives an error shape the methods of api.ServiceError, which
// mirror the SDK's smithy.APIError (ErrorCode, ErrorMessage, ErrorFault) and
// add the HTTP status; and ResponseHeaders when members are bound to headers.
func (g *generator) errorMethods(name string, s *model.Shape) {
	t := typeName(name)
	code := name
	status := 400
	if s.Error != nil {
		if s.Error.Code != "" {
			code = s.Error.Code
		}
		if s.Error.HTTPStatusCode != 0 {
			status = s.Error.HTTPStatusCode
		}
	} else if st, ok := g.cfg.ErrorStatuses[name]; ok {
		status = st
	} else if s.Fault {
		status = 500
	}
	msg := ""
	for _, mn := range g.members(s) {
		if strings.EqualFold(mn, "message") && g.shape(s.Members[mn].Shape).Type == "string" {
			msg = goName(mn)
		}
	}
	g.p("// ErrorCode is the error's code on the wire.")
	g.p("func (*%s) ErrorCode() string { return %q }", t, code)
	g.p("")
	g.p("// HTTPStatus is the error's HTTP status.")
	g.p("func (*%s) HTTPStatus() int { return %d }", t, status)
	g.p("")
	fault := "awserr.FaultClient"
	if s.Fault || status >= 500 {
		fault = "awserr.FaultServer"
	}
	g.p("// ErrorFault says whether the client or the server is at fault.")
	g.p("func (*%s) ErrorFault() awserr.ErrorFault { return %s }", t, fault)
	g.p("")
	g.p("// ErrorMessage is the error's message; empty when it has none.")
	g.p("func (e *%s) ErrorMessage() string {", t)
	if msg != "" {
		g.p("if e.%s != nil { return *e.%s }", msg, msg)
	}
	g.p("return \"\"")
	g.p("}")
	g.p("")
	g.p("func (e *%s) Error() string {", t)
	if msg != "" {
		g.p("if e.%s != nil { return %q + \": \" + *e.%s }", msg, code, msg)
	}
	g.p("return %q", code)
	g.p("}")
	g.p("")
	var headers []string
	for _, mn := range g.members(s) {
		ref := s.Members[mn]
		if ref.Location == "header" && g.m.Metadata.Protocol == "rest-json" {
			headers = append(headers, mn)
		}
	}
	if len(headers) > 0 {
		g.p("// ResponseHeaders returns the members bound to response headers.")
		g.p("func (e *%s) ResponseHeaders() http.Header {", t)
		g.p("h := http.Header{}")
		for _, mn := range headers {
			ref := s.Members[mn]
			f := goName(mn)
			g.p("if e.%s != nil { h.Set(%q, %s) }", f, ref.LocationName, g.formatScalar(ref.Shape, "*e."+f))
		}
		g.p("return h")
		g.p("}")
		g.p("")
	}
}

func (g *generator) formatScalar(shape, expr string) string {
	switch g.shape(shape).Type {
	case "integer":
		return "strconv.FormatInt(int64(" + expr + "), 10)"
	case "long":
		return "strconv.FormatInt(" + expr + ", 10)"
	case "boolean":
		return "strconv.FormatBool(" + expr + ")"
	case "double", "float":
		return "strconv.FormatFloat(" + expr + ", 'f', -1, 64)"
	}
	return expr
}
