package protocol_test

import (
	"net/http/httptest"
	"testing"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/transferapi"
	"github.com/ersatz-dev/ersatz/internal/protocol"
)

// BenchmarkWriteOutput measures encoding outputs, the filling of required
// lists included: a flat one and one with lists of nested structures.
func BenchmarkWriteOutput(b *testing.B) {
	users := make([]transferapi.ListedUser, 20)
	for i := range users {
		users[i] = transferapi.ListedUser{Arn: api.Ptr("arn:aws:transfer:us-east-1:000000000000:user/s-0123456789abcdef0/u"), UserName: api.Ptr("u"), SshPublicKeyCount: api.Ptr(int32(1))}
	}
	cases := []struct {
		name string
		out  func() any
	}{
		{"DescribeAccess", func() any {
			return &transferapi.DescribeAccessResponse{ServerId: api.Ptr("s-0123456789abcdef0"), Access: &transferapi.DescribedAccess{ExternalId: api.Ptr("S-1-1-12-1234567890")}}
		}},
		{"ListUsers", func() any {
			return &transferapi.ListUsersResponse{ServerId: api.Ptr("s-0123456789abcdef0"), Users: users}
		}},
		{"DescribeWorkflow", func() any {
			return &transferapi.DescribeWorkflowResponse{Workflow: &transferapi.DescribedWorkflow{
				Arn:   api.Ptr("arn:aws:transfer:us-east-1:000000000000:workflow/w-0123456789abcdef0"),
				Steps: []transferapi.WorkflowStep{{Type: api.Ptr("COPY")}, {Type: api.Ptr("TAG"), TagStepDetails: &transferapi.TagStepDetails{}}},
			}}
		}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				protocol.WriteOutput(rec, 200, "application/x-amz-json-1.1", c.out())
			}
		})
	}
}
