package transfer

import (
	"testing"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/transferapi"
)

// TestChangeHookRunsAfterStateChanges drives operations through the
// operation table: the hook runs after each successful state-changing
// operation, and after no read, no tag operation and no failure.
func TestChangeHookRunsAfterStateChanges(t *testing.T) {
	s, ctx := newTestService(t, WithTransitionDelay(0))
	var calls int
	s.OnChange(func() { calls++ })
	s.OnChange(nil) // ignored
	svc := s.API()
	call := func(op string, in api.Input) (any, error) {
		t.Helper()
		o := svc.Operation(op)
		if o == nil || o.Handler == nil {
			t.Fatalf("%s has no handler", op)
		}
		return o.Handler(ctx, in)
	}
	out, err := call("CreateServer", &transferapi.CreateServerRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if calls != 1 {
		t.Fatalf("CreateServer: hook ran %d times, want 1", calls)
	}
	id := out.(*transferapi.CreateServerResponse).ServerId
	arn := "arn:aws:transfer:eu-west-1:123456789012:server/" + *id
	tests := []struct {
		op      string
		in      api.Input
		changes bool
		fails   bool
	}{
		{"DescribeServer", &transferapi.DescribeServerRequest{ServerId: id}, false, false},
		{"ListServers", &transferapi.ListServersRequest{}, false, false},
		{"TagResource", &transferapi.TagResourceRequest{Arn: &arn, Tags: []transferapi.Tag{{Key: api.Ptr("k"), Value: api.Ptr("v")}}}, false, false},
		{"UntagResource", &transferapi.UntagResourceRequest{Arn: &arn, TagKeys: []string{"k"}}, false, false},
		{"StopServer", &transferapi.StopServerRequest{ServerId: id}, true, false},
		{"StartServer", &transferapi.StartServerRequest{ServerId: id}, true, false},
		{"CreateUser", &transferapi.CreateUserRequest{ServerId: id, UserName: api.Ptr("alice"), Role: api.Ptr("arn:aws:iam::123456789012:role/r")}, true, false},
		{"UpdateUser", &transferapi.UpdateUserRequest{ServerId: id, UserName: api.Ptr("alice"), HomeDirectory: api.Ptr("/bucket/alice")}, true, false},
		{"DeleteUser", &transferapi.DeleteUserRequest{ServerId: id, UserName: api.Ptr("nobody")}, false, true}, // unknown user
		{"DeleteUser", &transferapi.DeleteUserRequest{ServerId: id, UserName: api.Ptr("alice")}, true, false},
		{"DeleteServer", &transferapi.DeleteServerRequest{ServerId: id}, true, false},
	}
	for _, tt := range tests {
		before := calls
		_, err := call(tt.op, tt.in)
		if (err != nil) != tt.fails {
			t.Fatalf("%s: error %v, want failure %v", tt.op, err, tt.fails)
		}
		if got := calls - before; (got == 1) != tt.changes || got > 1 {
			t.Errorf("%s (err %v): hook ran %d times, want changes=%v", tt.op, err, got, tt.changes)
		}
	}
}
