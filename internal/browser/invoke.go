package browser

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/awserr"
	"github.com/ersatz-dev/ersatz/internal/protocol/awsjson"
	"github.com/ersatz-dev/ersatz/internal/protocol/restjson"
	"github.com/ersatz-dev/ersatz/internal/validate"
)

// members are the input of an operation: body member names, REST labels,
// header names and query names alike (the generated types tell which is
// which).
type members map[string]string

func (m members) Label(name string) (string, bool)  { v, ok := m[name]; return v, ok }
func (m members) Header(name string) (string, bool) { v, ok := m[name]; return v, ok }
func (m members) Query(name string) (string, bool)  { v, ok := m[name]; return v, ok }
func (m members) QueryAll(name string) []string {
	if v, ok := m[name]; ok {
		return []string{v}
	}
	return nil
}

// answer is what an operation answered: the HTTP status and the body a
// client reads.
type answer struct {
	Status int
	Body   []byte
}

// OK reports whether the operation succeeded.
func (a answer) OK() bool { return a.Status < 300 }

// call runs an operation of svc in process, as caller, through the
// service's own handler and the protocol's own encoder: its answer is
// byte for byte what the operation answers a client.
func call(ctx context.Context, svc *api.Service, opName string, in members, caller api.Caller) (answer, error) {
	op := svc.Operation(opName)
	if op == nil || op.Handler == nil {
		return answer{}, fmt.Errorf("browser: %s has no operation %s", svc.Name, opName)
	}
	input := op.NewInput()
	if b, ok := input.(api.BoundInput); ok {
		if err := b.Bind(in); err != nil {
			return encode(svc, op, nil, err), nil
		}
	}
	body, err := json.Marshal(map[string]string(in))
	if err != nil {
		return answer{}, fmt.Errorf("browser: encode the input of %s: %w", opName, err)
	}
	if err := json.Unmarshal(body, input); err != nil {
		return answer{}, fmt.Errorf("browser: decode the input of %s: %w", opName, err)
	}
	var rep validate.Report
	input.Validate(&rep, "")
	if !rep.OK() {
		return encode(svc, op, nil, awserr.New(http.StatusBadRequest, svc.ValidationCode, "%s", rep.Message())), nil
	}
	out, err := invoke(api.WithCaller(ctx, caller), op, input)
	return encode(svc, op, out, err), nil
}

func invoke(ctx context.Context, op *api.Operation, in api.Input) (out any, err error) {
	defer func() {
		if p := recover(); p != nil {
			out, err = nil, awserr.Internal(fmt.Errorf("panic in %s: %v", op.Name, p))
		}
	}()
	return op.Handler(ctx, in)
}

func encode(svc *api.Service, op *api.Operation, out any, err error) answer {
	rec := httptest.NewRecorder()
	switch {
	case err != nil && svc.Protocol == api.RESTJSON:
		restjson.EncodeError(rec, err)
	case err != nil:
		awsjson.EncodeError(rec, err)
	case svc.Protocol == api.RESTJSON:
		restjson.Encode(rec, op, out)
	default:
		awsjson.Encode(rec, out)
	}
	return answer{Status: rec.Code, Body: rec.Body.Bytes()}
}
