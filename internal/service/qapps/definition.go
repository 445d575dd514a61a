package qapps

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/qappsapi"
	"github.com/ersatz-dev/ersatz/internal/store"
)

// Card references.
//
// A Q Query or Q Plugin card's prompt refers to other cards' values with @
// mentions, the form the Q Apps API uses: "@" immediately followed by the
// card id (as in the API reference example "... go well with
// @4cf94d96-8819-45c2-98cc-58c56b35c72f"), or the id in braces, "@{<id>}".
// Ersatz reads as a mention:
//   - "@{...}": whatever the braces hold (trimmed) is a card id;
//   - "@" followed by 36 characters shaped like a UUID (8-4-4-4-12 hex digits,
//     any case): that UUID is a card id.
//
// Any other "@" (an email address, "@team") is plain text. Every mention must
// name another card of the same definition: a mention of a missing card, or of
// the card itself, is a ValidationException, and so is a cycle of mentions.
// The cards a prompt mentions become the card's dependencies.

var uuidPrefix = regexp.MustCompile(`^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}`)

// mention is one @ mention in a prompt: its text span and the card id it names.
type mention struct {
	start, end int // prompt[start:end] is the whole mention, "@" included
	id         string
}

// mentions finds the @ mentions of prompt, in order.
func mentions(prompt string) []mention {
	var out []mention
	for i := 0; i < len(prompt); i++ {
		if prompt[i] != '@' {
			continue
		}
		rest := prompt[i+1:]
		if strings.HasPrefix(rest, "{") {
			if j := strings.IndexByte(rest, '}'); j > 0 {
				out = append(out, mention{start: i, end: i + 1 + j + 1, id: strings.TrimSpace(rest[1:j])})
				i += j + 1
			}
			continue
		}
		if m := uuidPrefix.FindString(rest); m != "" {
			out = append(out, mention{start: i, end: i + 1 + len(m), id: m})
			i += len(m)
		}
	}
	return out
}

// cardView is what the definition checks need of any card.
type cardView struct {
	id, kind, title, prompt string
	path                    string // where the card sits in the request, for messages
}

// cardID returns the id of a stored card.
func cardID(c qappsapi.Card) string {
	switch {
	case c.TextInput != nil:
		return api.Val(c.TextInput.Id)
	case c.QQuery != nil:
		return api.Val(c.QQuery.Id)
	case c.QPlugin != nil:
		return api.Val(c.QPlugin.Id)
	case c.FileUpload != nil:
		return api.Val(c.FileUpload.Id)
	case c.FormInput != nil:
		return api.Val(c.FormInput.Id)
	}
	return ""
}

func cardTitle(c qappsapi.Card) string {
	switch {
	case c.TextInput != nil:
		return api.Val(c.TextInput.Title)
	case c.QQuery != nil:
		return api.Val(c.QQuery.Title)
	case c.QPlugin != nil:
		return api.Val(c.QPlugin.Title)
	case c.FileUpload != nil:
		return api.Val(c.FileUpload.Title)
	case c.FormInput != nil:
		return api.Val(c.FormInput.Title)
	}
	return ""
}

func cardDeps(c qappsapi.Card) []string {
	switch {
	case c.QQuery != nil:
		return c.QQuery.Dependencies
	case c.QPlugin != nil:
		return c.QPlugin.Dependencies
	}
	return nil
}

// fileLookup finds an APPLICATION-scoped document by id, for a file-upload
// card's default file.
type fileLookup func(fileID string) (fileRecord, bool, error)

// buildDefinition checks a definition beyond the model's constraints and
// turns it into the stored cards and the capabilities they need. path is the
// request member holding the definition ("appDefinition").
func buildDefinition(in *qappsapi.AppDefinitionInput, path string, files fileLookup) ([]qappsapi.Card, []string, error) {
	views := make([]cardView, len(in.Cards))
	index := map[string]int{}
	for i, c := range in.Cards {
		v, err := viewInput(c, fmt.Sprintf("%s.cards.%d.member", path, i+1))
		if err != nil {
			return nil, nil, err
		}
		key := strings.ToLower(v.id)
		if j, dup := index[key]; dup {
			return nil, nil, validation("Card id %s at '%s.id' is already used by %s", v.id, v.path, views[j].path)
		}
		index[key] = i
		views[i] = v
	}

	deps := make([][]string, len(views))
	for i, v := range views {
		deps[i] = []string{}
		seen := map[string]bool{}
		for _, m := range mentions(v.prompt) {
			j, ok := index[strings.ToLower(m.id)]
			if !ok {
				return nil, nil, validation("The prompt at '%s.prompt' mentions @%s, but the definition has no card with id %q", v.path, m.id, m.id)
			}
			if j == i {
				return nil, nil, validation("The prompt at '%s.prompt' mentions its own card %s", v.path, v.id)
			}
			id := views[j].id
			if !seen[id] {
				seen[id] = true
				deps[i] = append(deps[i], id)
			}
		}
	}
	if cyc := findCycle(views, deps, index); cyc != "" {
		return nil, nil, validation("The card mentions at '%s.cards' form a cycle: %s", path, cyc)
	}

	cards := make([]qappsapi.Card, len(in.Cards))
	caps := map[string]bool{}
	for i, c := range in.Cards {
		out, err := outputCard(c, views[i], deps[i], views, index, files)
		if err != nil {
			return nil, nil, err
		}
		cards[i] = out
		switch {
		case out.FileUpload != nil:
			caps[qappsapi.AppRequiredCapabilityFileupload] = true
		case out.QPlugin != nil:
			caps[qappsapi.AppRequiredCapabilityPluginmode] = true
		case out.QQuery != nil && api.Val(out.QQuery.OutputSource) == qappsapi.CardOutputSourceLlm:
			caps[qappsapi.AppRequiredCapabilityCreatormode] = true
		case out.QQuery != nil:
			caps[qappsapi.AppRequiredCapabilityRetrievalmode] = true
		}
	}
	var capList []string
	for _, c := range qappsapi.AppRequiredCapabilityValues {
		if caps[c] {
			capList = append(capList, c)
		}
	}
	return cards, capList, nil
}

// viewInput checks one input card's union member against its type.
func viewInput(c qappsapi.CardInput, path string) (cardView, error) {
	var v cardView
	var typ *string
	switch {
	case c.TextInput != nil:
		v = cardView{id: api.Val(c.TextInput.Id), kind: qappsapi.CardTypeTextInput, title: api.Val(c.TextInput.Title), path: path + ".textInput"}
		typ = c.TextInput.Type
	case c.QQuery != nil:
		v = cardView{id: api.Val(c.QQuery.Id), kind: qappsapi.CardTypeQQuery, title: api.Val(c.QQuery.Title), prompt: api.Val(c.QQuery.Prompt), path: path + ".qQuery"}
		typ = c.QQuery.Type
	case c.QPlugin != nil:
		v = cardView{id: api.Val(c.QPlugin.Id), kind: qappsapi.CardTypeQPlugin, title: api.Val(c.QPlugin.Title), prompt: api.Val(c.QPlugin.Prompt), path: path + ".qPlugin"}
		typ = c.QPlugin.Type
	case c.FileUpload != nil:
		v = cardView{id: api.Val(c.FileUpload.Id), kind: qappsapi.CardTypeFileUpload, title: api.Val(c.FileUpload.Title), path: path + ".fileUpload"}
		typ = c.FileUpload.Type
	case c.FormInput != nil:
		v = cardView{id: api.Val(c.FormInput.Id), kind: qappsapi.CardTypeFormInput, title: api.Val(c.FormInput.Title), path: path + ".formInput"}
		typ = c.FormInput.Type
	default:
		return v, validation("The card at '%s' sets none of textInput, qQuery, qPlugin, fileUpload, formInput", path)
	}
	if t := api.Val(typ); t != v.kind {
		member := v.path[strings.LastIndexByte(v.path, '.')+1:]
		return v, validation("Value '%s' at '%s.type' does not match the card: a %s card has type '%s'", t, v.path, member, v.kind)
	}
	return v, nil
}

// findCycle returns a description of a cycle of mentions, or "".
func findCycle(views []cardView, deps [][]string, index map[string]int) string {
	const (
		white = iota
		grey
		black
	)
	color := make([]int, len(views))
	var stack []int
	var found string
	var visit func(i int) bool
	visit = func(i int) bool {
		color[i] = grey
		stack = append(stack, i)
		for _, d := range deps[i] {
			j := index[strings.ToLower(d)]
			switch color[j] {
			case grey:
				var ids []string
				for k := len(stack) - 1; k >= 0; k-- {
					ids = append([]string{views[stack[k]].id}, ids...)
					if stack[k] == j {
						break
					}
				}
				found = strings.Join(append(ids, views[j].id), " -> ")
				return true
			case white:
				if visit(j) {
					return true
				}
			}
		}
		stack = stack[:len(stack)-1]
		color[i] = black
		return false
	}
	for i := range views {
		if color[i] == white && visit(i) {
			return found
		}
	}
	return ""
}

// outputCard is the stored (and GetQApp) form of an input card.
func outputCard(c qappsapi.CardInput, v cardView, deps []string, views []cardView, index map[string]int, files fileLookup) (qappsapi.Card, error) {
	switch {
	case c.TextInput != nil:
		in := c.TextInput
		return qappsapi.Card{TextInput: &qappsapi.TextInputCard{
			Id: in.Id, Title: in.Title, Type: in.Type, Dependencies: []string{},
			Placeholder: in.Placeholder, DefaultValue: in.DefaultValue,
		}}, nil
	case c.QQuery != nil:
		in := c.QQuery
		src := in.OutputSource
		if src == nil {
			src = api.Ptr(qappsapi.CardOutputSourceApprovedSources)
		}
		var memory []string
		for _, d := range deps {
			if views[index[strings.ToLower(d)]].kind == qappsapi.CardTypeFormInput {
				memory = append(memory, d)
			}
		}
		return qappsapi.Card{QQuery: &qappsapi.QQueryCard{
			Id: in.Id, Title: in.Title, Type: in.Type, Dependencies: deps, Prompt: in.Prompt,
			OutputSource: src, AttributeFilter: in.AttributeFilter, MemoryReferences: memory,
		}}, nil
	case c.QPlugin != nil:
		in := c.QPlugin
		return qappsapi.Card{QPlugin: &qappsapi.QPluginCard{
			Id: in.Id, Title: in.Title, Type: in.Type, Dependencies: deps, Prompt: in.Prompt,
			// Ersatz has no registry of Q Business plugins to read the type from.
			PluginType: api.Ptr(qappsapi.PluginTypeCustom), PluginId: in.PluginId, ActionIdentifier: in.ActionIdentifier,
		}}, nil
	case c.FileUpload != nil:
		in := c.FileUpload
		out := &qappsapi.FileUploadCard{
			Id: in.Id, Title: in.Title, Type: in.Type, Dependencies: []string{},
			Filename: in.Filename, FileId: in.FileId, AllowOverride: in.AllowOverride,
		}
		if in.FileId != nil {
			f, ok, err := files(*in.FileId)
			if err != nil {
				return qappsapi.Card{}, err
			}
			if !ok {
				return qappsapi.Card{}, validation("Value '%s' at '%s.fileId' names no document uploaded with APPLICATION scope in this instance", *in.FileId, v.path)
			}
			if out.Filename == nil {
				out.Filename = api.Ptr(f.Name)
			}
		}
		return qappsapi.Card{FileUpload: out}, nil
	case c.FormInput != nil:
		in := c.FormInput
		if in.Metadata == nil || !isJSONObject(in.Metadata.Schema) {
			return qappsapi.Card{}, validation("The value at '%s.metadata.schema' must be a JSON object (a JSON schema of the form's data)", v.path)
		}
		return qappsapi.Card{FormInput: &qappsapi.FormInputCard{
			Id: in.Id, Title: in.Title, Type: in.Type, Dependencies: []string{},
			Metadata: in.Metadata, ComputeMode: in.ComputeMode,
		}}, nil
	}
	return qappsapi.Card{}, validation("The card at '%s' is empty", v.path)
}

func isJSONObject(raw json.RawMessage) bool {
	var m map[string]json.RawMessage
	return len(raw) > 0 && json.Unmarshal(raw, &m) == nil && m != nil
}

// normalizeCards makes a stored definition ready to send: required lists
// that came back from the store as nil are sent as [].
func normalizeCards(cards []qappsapi.Card) []qappsapi.Card {
	out := make([]qappsapi.Card, len(cards))
	for i, c := range cards {
		switch {
		case c.TextInput != nil:
			v := *c.TextInput
			v.Dependencies = nonNil(v.Dependencies)
			c.TextInput = &v
		case c.QQuery != nil:
			v := *c.QQuery
			v.Dependencies = nonNil(v.Dependencies)
			c.QQuery = &v
		case c.QPlugin != nil:
			v := *c.QPlugin
			v.Dependencies = nonNil(v.Dependencies)
			c.QPlugin = &v
		case c.FileUpload != nil:
			v := *c.FileUpload
			v.Dependencies = nonNil(v.Dependencies)
			c.FileUpload = &v
		case c.FormInput != nil:
			v := *c.FormInput
			v.Dependencies = nonNil(v.Dependencies)
			c.FormInput = &v
		}
		out[i] = c
	}
	return out
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// appFiles looks documents up in the instance of r.
func appFiles(tx store.Tx, r req) fileLookup {
	return func(fileID string) (fileRecord, bool, error) {
		f, err := findFile(tx, r, fileID)
		if err != nil || f == nil || f.Scope != qappsapi.DocumentScopeApplication {
			return fileRecord{}, false, err
		}
		return *f, true, nil
	}
}

// checkFormValue checks a form submission against the card's schema. Ersatz
// understands the part of JSON Schema forms use: an object value, the
// "required" property names, and each property's primitive "type"
// (string, number, integer, boolean, array, object).
func checkFormValue(schema json.RawMessage, value json.RawMessage, path string) error {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(value, &obj); err != nil || obj == nil {
		return validation("The value at '%s' must be a JSON object for a form-input card", path)
	}
	var sc struct {
		Required   []string `json:"required"`
		Properties map[string]struct {
			Type any `json:"type"`
		} `json:"properties"`
	}
	if json.Unmarshal(schema, &sc) != nil {
		return nil
	}
	for _, name := range sc.Required {
		if _, ok := obj[name]; !ok {
			return validation("The value at '%s' lacks the required form field %q", path, name)
		}
	}
	for name, prop := range sc.Properties {
		raw, ok := obj[name]
		if !ok {
			continue
		}
		want, _ := prop.Type.(string)
		if want != "" && !jsonHasType(raw, want) {
			return validation("The form field %q at '%s' must be of type %s", name, path, want)
		}
	}
	return nil
}

func jsonHasType(raw json.RawMessage, want string) bool {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return false
	}
	switch want {
	case "string":
		_, ok := v.(string)
		return ok
	case "number":
		_, ok := v.(float64)
		return ok
	case "integer":
		f, ok := v.(float64)
		return ok && f == float64(int64(f))
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "null":
		return v == nil
	}
	return true
}
