package e2e_test

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/smithy-go"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/server"
	"github.com/ersatz-dev/ersatz/internal/testkit"
)

func services(t *testing.T) map[string]*api.Service {
	t.Helper()
	out := map[string]*api.Service{}
	for _, s := range server.Services(nil) {
		out[s.Name] = s
	}
	return out
}

// TestEveryTransferOperationIsRouted sends every Transfer operation through
// the real Go SDK with an empty input (client-side validation removed): an
// operation without behaviour must answer the honest 501, one with behaviour
// must answer anything else.
func TestEveryTransferOperationIsRouted(t *testing.T) {
	t.Parallel()
	srv := testkit.Start(t)
	client := srv.TransferAs("AKIDEXAMPLE", "us-east-1", func(o *transfer.Options) {
		o.APIOptions = append(o.APIOptions, testkit.NoClientValidation)
	})
	svc := services(t)["transfer"]
	if got := len(svc.Operations); got != 71 {
		t.Fatalf("transfer has %d operations, want 71", got)
	}
	cv := reflect.ValueOf(client)
	for _, op := range svc.Operations {
		t.Run(op.Name, func(t *testing.T) {
			m := cv.MethodByName(op.Name)
			if !m.IsValid() {
				t.Fatalf("the Go SDK has no method %s", op.Name)
			}
			in := reflect.New(m.Type().In(1).Elem())
			res := m.Call([]reflect.Value{reflect.ValueOf(context.Background()), in})
			err, _ := res[1].Interface().(error)
			checkRouted(t, op, err)
		})
	}
}

func checkRouted(t *testing.T, op *api.Operation, err error) {
	t.Helper()
	var ae smithy.APIError
	notImpl := errors.As(err, &ae) && ae.ErrorCode() == "NotImplemented"
	if op.Handler == nil && !notImpl {
		t.Fatalf("%s has no behaviour but answered %v, want NotImplemented", op.Name, err)
	}
	if op.Handler != nil && notImpl {
		t.Fatalf("%s has behaviour but answered NotImplemented", op.Name)
	}
	if notImpl {
		var re interface{ HTTPStatusCode() int }
		if !errors.As(err, &re) || re.HTTPStatusCode() != 501 {
			t.Fatalf("NotImplemented answered with status other than 501: %v", err)
		}
	}
}

// TestEveryRESTOperationIsRouted does the same for Amplify Backend and Q Apps
// through boto3 (the Go SDK modules of these two services cannot be fetched
// here), filling each required member with a plausible value.
func TestEveryRESTOperationIsRouted(t *testing.T) {
	t.Parallel()
	srv := testkit.Start(t)
	boto := srv.Boto(t)
	all := services(t)
	for name, want := range map[string]int{"amplifybackend": 31, "qapps": 35} {
		svc := all[name]
		if got := len(svc.Operations); got != want {
			t.Fatalf("%s has %d operations, want %d", name, got, want)
		}
		for _, op := range svc.Operations {
			t.Run(name+"/"+op.Name, func(t *testing.T) {
				_, berr := boto.Call(t, testkit.BotoRequest{Service: name, Op: op.Name, Minimal: true})
				notImpl := berr != nil && berr.Code == "NotImplemented"
				if op.Handler == nil && (!notImpl || berr.Status != 501) {
					t.Fatalf("%s has no behaviour but answered %v, want 501 NotImplemented", op.Name, berr)
				}
				if op.Handler != nil && notImpl {
					t.Fatalf("%s has behaviour but answered NotImplemented", op.Name)
				}
			})
		}
	}
}
