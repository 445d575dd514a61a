package api_test

import (
	"strings"
	"testing"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/qappsapi"
	"github.com/ersatz-dev/ersatz/internal/api/transferapi"
	"github.com/ersatz-dev/ersatz/internal/validate"
)

type validator interface {
	Validate(r *validate.Report, path string)
}

const (
	serverID = "s-0123456789abcdef0"
	lattice  = "arn:aws:vpc-lattice:us-east-1:000000000000:resourceconfiguration/rcfg-0123456789abcdef0"
)

// TestGeneratedValidation checks the generated validators' failures, one
// kind of check at a time, with their paths (nested structures, list
// elements, map keys) and AWS's wording.
func TestGeneratedValidation(t *testing.T) {
	fail := func(value, path, constraint string) string {
		return "Value " + value + " at '" + path + "' failed to satisfy constraint: " + constraint
	}
	tests := []struct {
		name string
		in   validator
		path string
		want []string
	}{
		{"valid", &transferapi.TagResourceRequest{Arn: api.Ptr("arn:aws:transfer:us-east-1:000000000000:server/" + serverID), Tags: []transferapi.Tag{{Key: api.Ptr("k"), Value: api.Ptr("v")}}}, "", nil},
		{"required, length, pattern, list elements", &transferapi.TagResourceRequest{Arn: api.Ptr("x"), Tags: []transferapi.Tag{{Key: api.Ptr("k")}, {Key: api.Ptr(strings.Repeat("k", 129)), Value: api.Ptr("v")}}}, "", []string{
			fail("'x'", "arn", "Member must have length greater than or equal to 20"),
			fail("'x'", "arn", `Member must satisfy regular expression pattern: ^arn:\S+$`),
			fail("null", "tags.1.member.value", "Member must not be null"),
			fail("'"+strings.Repeat("k", 129)+"'", "tags.2.member.key", "Member must have length less than or equal to 128"),
		}},
		{"missing required members", &transferapi.TagResourceRequest{}, "", []string{
			fail("null", "arn", "Member must not be null"),
			fail("null", "tags", "Member must not be null"),
		}},
		{"list length, enum in a nested structure, sensitive value", &transferapi.UpdateServerRequest{
			ServerId: api.Ptr(serverID), HostKey: api.Ptr(strings.Repeat("h", 4097)), Protocols: []string{},
			ProtocolDetails: &transferapi.ProtocolDetails{TlsSessionResumptionMode: api.Ptr("SOMETIMES")},
		}, "", []string{
			fail("'SOMETIMES'", "protocolDetails.tlsSessionResumptionMode", "Member must satisfy enum value set: [DISABLED, ENABLED, ENFORCED]"),
			fail("'"+validate.Redacted+"'", "hostKey", "Member must have length less than or equal to 4096"),
			fail("'[0 items]'", "protocols", "Member must have length greater than or equal to 1"),
		}},
		{"range", &transferapi.ConnectorVpcLatticeEgressConfig{ResourceConfigurationArn: api.Ptr(lattice), PortNumber: api.Ptr(int32(0))}, "egress", []string{
			fail("'0'", "egress.portNumber", "Member must have value greater than or equal to 1"),
		}},
		{"blob length", &transferapi.UpdateWebAppCustomizationRequest{WebAppId: api.Ptr("webapp-0123456789abcdef0"), LogoFile: []byte{}}, "", []string{
			fail("'<blob>'", "logoFile", "Member must have length greater than or equal to 1"),
		}},
		{"union", &qappsapi.Card{}, "cards.1.member", []string{
			fail("'0 members'", "cards.1.member", "Member must have exactly one member of the union set"),
		}},
		{"map key", &qappsapi.GetQAppSessionOutput{SessionId: api.Ptr("s"), SessionArn: api.Ptr("a"), Status: api.Ptr("COMPLETED"), CardStatus: map[string]qappsapi.CardStatus{"nope": {}}}, "", []string{
			fail("'nope'", "cardStatus.entry.nope", `Member must satisfy regular expression pattern: ^[\da-f]{8}-[\da-f]{4}-[45][\da-f]{3}-[89ABab][\da-f]{3}-[\da-f]{12}$`),
			fail("null", "cardStatus.entry.nope.currentState", "Member must not be null"),
			fail("null", "cardStatus.entry.nope.currentValue", "Member must not be null"),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r validate.Report
			tt.in.Validate(&r, tt.path)
			got := r.Failures()
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Fatalf("failures:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// TestValidInputsDoNotAllocate: a valid input is checked without building a
// single path or message (the benchmark body of UpdateAccess minus its list
// of structures, whose element paths are built to validate them).
func TestValidInputsDoNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's sync.Pool drops the regexp package's pooled machines")
	}
	in := &transferapi.UpdateAccessRequest{
		ServerId: api.Ptr(serverID), ExternalId: api.Ptr("S-1-1-12-1234567890-123456789-1234567890-1234"),
		HomeDirectoryType: api.Ptr("LOGICAL"), Policy: api.Ptr("{}"), Role: api.Ptr("arn:aws:iam::000000000000:role/transfer"),
		PosixProfile: &transferapi.PosixProfile{Uid: api.Ptr(int64(1000)), Gid: api.Ptr(int64(1000)), SecondaryGids: []int64{2000, 2001}},
	}
	allocs := testing.AllocsPerRun(100, func() {
		var r validate.Report
		in.Validate(&r, "")
		if !r.OK() {
			t.Fatal(r.Message())
		}
	})
	if allocs != 0 {
		t.Fatalf("validating a valid input allocates %.0f times", allocs)
	}
}
