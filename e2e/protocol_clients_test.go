package e2e_test

import (
	"strings"
	"testing"

	"github.com/ersatz-dev/ersatz/internal/testkit"
)

// TestValidationThroughBoto checks that botocore parses the framework's
// validation errors of both protocols into the code and message AWS sends.
func TestValidationThroughBoto(t *testing.T) {
	t.Parallel()
	srv := testkit.Start(t)
	boto := srv.Boto(t)
	tests := []struct {
		service, op string
		params      map[string]any
		code        string
		message     string
	}{
		{"transfer", "DescribeServer", map[string]any{"ServerId": "s-XYZ"}, "ValidationException",
			"Value 's-XYZ' at 'serverId' failed to satisfy constraint: Member must satisfy regular expression pattern: ^s-([0-9a-f]{17})$"},
		{"qapps", "GetQApp", map[string]any{"instanceId": "inst", "appId": "not-a-uuid"}, "ValidationException",
			"Value 'not-a-uuid' at 'appId' failed to satisfy constraint: Member must satisfy regular expression pattern"},
		{"amplifybackend", "ListBackendJobs", map[string]any{"AppId": "a", "BackendEnvironmentName": "dev", "MaxResults": 26}, "BadRequestException",
			"Value '26' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 25"},
	}
	for _, tt := range tests {
		t.Run(tt.service+"/"+tt.op, func(t *testing.T) {
			_, berr := boto.Call(t, testkit.BotoRequest{Service: tt.service, Op: tt.op, Params: tt.params, NoValidation: true})
			if berr == nil || berr.Code != tt.code || berr.Status != 400 || !strings.Contains(berr.Message, tt.message) {
				t.Fatalf("got %+v, want %s containing %q", berr, tt.code, tt.message)
			}
		})
	}
}

// TestErrorsThroughCLI checks that the AWS CLI reports Ersatz's errors the way
// it reports AWS's: code and message on stderr, non-zero exit.
func TestErrorsThroughCLI(t *testing.T) {
	t.Parallel()
	testkit.RequireAWSCLI(t)
	srv := testkit.Start(t)
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"transfer", "describe-server", "--server-id", "s-XYZXYZXYZXYZXYZXY"}, []string{"(ValidationException)", "Member must satisfy regular expression pattern: ^s-([0-9a-f]{17})$"}},
		{[]string{"transfer", "describe-server", "--server-id", "s-00000000000000000"}, []string{"(ResourceNotFoundException)"}},
		{[]string{"qapps", "get-q-app", "--instance-id", "inst", "--app-id", "x"}, []string{"(ValidationException)", "'appId'"}},
		{[]string{"amplifybackend", "get-backend-job", "--app-id", "a", "--backend-environment-name", "dev", "--job-id", "j"}, []string{"(NotFoundException)"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args[:2], " "), func(t *testing.T) {
			t.Parallel()
			cli := testkit.AWSCLI{URL: srv.URL, AccessKeyID: "AKIDEXAMPLE", Region: "us-east-1"}
			_, stderr, err := cli.Run(tt.args...)
			if err == nil {
				t.Fatalf("aws %v succeeded", tt.args)
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr %q lacks %q", stderr, w)
				}
			}
		})
	}
}
