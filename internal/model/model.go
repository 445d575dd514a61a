// Package model loads the official AWS API models in botocore's JSON format
// (service-2.json and paginators-1.json), the source of Ersatz's generated code.
package model

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Model is one service's API model.
type Model struct {
	Metadata   Metadata              `json:"metadata"`
	Operations map[string]*Operation `json:"operations"`
	Shapes     map[string]*Shape     `json:"shapes"`
	Paginators map[string]*Paginator `json:"-"`
}

// Metadata is the model's metadata block.
type Metadata struct {
	APIVersion       string `json:"apiVersion"`
	EndpointPrefix   string `json:"endpointPrefix"`
	Protocol         string `json:"protocol"`
	ServiceFullName  string `json:"serviceFullName"`
	ServiceID        string `json:"serviceId"`
	SigningName      string `json:"signingName"`
	TargetPrefix     string `json:"targetPrefix"`
	JSONVersion      string `json:"jsonVersion"`
	SignatureVersion string `json:"signatureVersion"`
	UID              string `json:"uid"`
}

// Operation is one operation.
type Operation struct {
	Name   string    `json:"name"`
	HTTP   HTTP      `json:"http"`
	Input  *ShapeRef `json:"input"`
	Output *ShapeRef `json:"output"`
	Errors []ShapeRef
}

// HTTP is an operation's HTTP binding.
type HTTP struct {
	Method       string `json:"method"`
	RequestURI   string `json:"requestUri"`
	ResponseCode int    `json:"responseCode"`
}

// ShapeRef refers to a shape, with the member-level traits botocore puts on references.
type ShapeRef struct {
	Shape            string `json:"shape"`
	Location         string `json:"location"`
	LocationName     string `json:"locationName"`
	TimestampFormat  string `json:"timestampFormat"`
	Box              bool   `json:"box"`
	JSONValue        bool   `json:"jsonvalue"`
	IdempotencyToken bool   `json:"idempotencyToken"`
	Documentation    string `json:"documentation"`
}

// Shape is a named shape.
type Shape struct {
	Type            string               `json:"type"`
	Members         map[string]*ShapeRef `json:"members"`
	Required        []string             `json:"required"`
	Member          *ShapeRef            `json:"member"` // list element
	Key             *ShapeRef            `json:"key"`    // map key
	Value           *ShapeRef            `json:"value"`  // map value
	Enum            []string             `json:"enum"`
	Pattern         string               `json:"pattern"`
	Min             *float64             `json:"min"`
	Max             *float64             `json:"max"`
	Sensitive       bool                 `json:"sensitive"`
	Union           bool                 `json:"union"`
	Document        bool                 `json:"document"`
	Exception       bool                 `json:"exception"`
	Fault           bool                 `json:"fault"`
	Error           *ErrorTrait          `json:"error"`
	TimestampFormat string               `json:"timestampFormat"`
	Documentation   string               `json:"documentation"`
	// MemberOrder is the members' order in the model file.
	MemberOrder []string `json:"-"`
}

// ErrorTrait is an error shape's code and status.
type ErrorTrait struct {
	Code           string `json:"code"`
	HTTPStatusCode int    `json:"httpStatusCode"`
	SenderFault    bool   `json:"senderFault"`
}

// Paginator is one entry of paginators-1.json.
type Paginator struct {
	InputToken  any    `json:"input_token"`
	OutputToken any    `json:"output_token"`
	LimitKey    string `json:"limit_key"`
	ResultKey   any    `json:"result_key"`
}

// IsRequired reports whether member is required in shape s.
func (s *Shape) IsRequired(member string) bool {
	for _, r := range s.Required {
		if r == member {
			return true
		}
	}
	return false
}

// OperationNames returns the operation names in sorted order.
func (m *Model) OperationNames() []string {
	names := make([]string, 0, len(m.Operations))
	for n := range m.Operations {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Load reads the model of one service from dir, a folder holding
// service-2.json and optionally paginators-1.json.
func Load(dir string) (*Model, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "service-2.json"))
	if err != nil {
		return nil, fmt.Errorf("read model: %w", err)
	}
	var m Model
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("parse %s: %w", dir, err)
	}
	if err := recordMemberOrder(raw, &m); err != nil {
		return nil, fmt.Errorf("parse %s: %w", dir, err)
	}
	for name, op := range m.Operations {
		if op.Name == "" {
			op.Name = name
		}
	}
	m.Paginators = map[string]*Paginator{}
	praw, err := os.ReadFile(filepath.Join(dir, "paginators-1.json"))
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("read paginators: %w", err)
	default:
		var p struct {
			Pagination map[string]*Paginator `json:"pagination"`
		}
		if err := json.Unmarshal(praw, &p); err != nil {
			return nil, fmt.Errorf("parse paginators of %s: %w", dir, err)
		}
		m.Paginators = p.Pagination
	}
	return &m, nil
}

// recordMemberOrder keeps the order in which each structure lists its
// members, so generated code follows the model.
func recordMemberOrder(raw []byte, m *Model) error {
	var doc struct {
		Shapes map[string]struct {
			Members json.RawMessage `json:"members"`
		} `json:"shapes"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return err
	}
	for name, s := range doc.Shapes {
		if len(s.Members) == 0 {
			continue
		}
		keys, err := objectKeys(s.Members)
		if err != nil {
			return fmt.Errorf("shape %s: %w", name, err)
		}
		m.Shapes[name].MemberOrder = keys
	}
	return nil
}

func objectKeys(raw json.RawMessage) ([]string, error) {
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	var keys []string
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		keys = append(keys, t.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil, err
		}
	}
	return keys, nil
}

// SmithyErrorStatuses reads the httpError traits of a Smithy JSON AST model:
// botocore's JSON-protocol models omit the status of their error shapes.
// It returns status by shape name (without namespace).
func SmithyErrorStatuses(path string) (map[string]int, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read smithy model: %w", err)
	}
	var doc struct {
		Shapes map[string]struct {
			Traits map[string]json.RawMessage `json:"traits"`
		} `json:"shapes"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("parse smithy model: %w", err)
	}
	out := map[string]int{}
	for id, s := range doc.Shapes {
		v, ok := s.Traits["smithy.api#httpError"]
		if !ok {
			continue
		}
		var status int
		if err := json.Unmarshal(v, &status); err != nil {
			return nil, fmt.Errorf("shape %s: httpError: %w", id, err)
		}
		out[id[strings.Index(id, "#")+1:]] = status
	}
	return out, nil
}
