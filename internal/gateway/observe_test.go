package gateway_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/transferapi"
	"github.com/ersatz-dev/ersatz/internal/awserr"
	"github.com/ersatz-dev/ersatz/internal/gateway"
	"github.com/ersatz-dev/ersatz/internal/testkit"
)

type outcomes struct {
	mu  sync.Mutex
	all []gateway.Outcome
}

func (o *outcomes) Observe(_ context.Context, out *gateway.Outcome) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.all = append(o.all, *out)
}

func (o *outcomes) last() gateway.Outcome {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.all[len(o.all)-1]
}

// TestObserverSeesEachOutcome: the observer is told once per request its
// account, region, service, operation, status, error code and message
// (the generic one for an internal failure), latency and request id.
func TestObserverSeesEachOutcome(t *testing.T) {
	t.Parallel()
	tr := &transferapi.Handlers{
		DescribeServer: func(ctx context.Context, in *transferapi.DescribeServerRequest) (*transferapi.DescribeServerResponse, error) {
			switch *in.ServerId {
			case "s-00000000000000000":
				return nil, &transferapi.ResourceNotFoundException{Message: api.Ptr("Unknown server"), Resource: in.ServerId, ResourceType: api.Ptr("Server")}
			case "s-0000000000000000f":
				panic("secret detail")
			}
			return &transferapi.DescribeServerResponse{Server: &transferapi.DescribedServer{Arn: api.Ptr("arn"), ServerId: in.ServerId}}, nil
		},
	}
	obs := &outcomes{}
	srv := testkit.StartHandler(t, gateway.New(gateway.Options{Services: []*api.Service{tr.Service()}, DefaultRegion: "us-east-1", Observer: obs}))
	c := srv.TransferAs("222222222222", "eu-west-3")
	cases := []struct {
		id, code, message string
		status            int
	}{
		{"s-11111111111111111", "", "", 200},
		{"s-00000000000000000", "ResourceNotFoundException", "Unknown server", 404},
		{"s-0000000000000000f", "InternalFailure", awserr.InternalMessage, 500},
	}
	for _, tc := range cases {
		_, _ = c.DescribeServer(t.Context(), &transfer.DescribeServerInput{ServerId: aws.String(tc.id)})
		o := obs.last()
		if o.Account != "222222222222" || o.Region != "eu-west-3" || o.Service != "transfer" || o.Operation != "DescribeServer" ||
			o.Status != tc.status || o.ErrorCode != tc.code || o.ErrorMessage != tc.message ||
			o.RequestID == "" || o.Latency <= 0 || o.Time.IsZero() {
			t.Errorf("%s: outcome %+v, want status %d code %q message %q", tc.id, o, tc.status, tc.code, tc.message)
		}
		if strings.Contains(o.ErrorMessage, "secret detail") {
			t.Errorf("the outcome leaks the panic: %q", o.ErrorMessage)
		}
	}
	resp, err := http.Get(srv.URL + "/nothing/here")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if o := obs.last(); o.Status != 404 || o.ErrorCode != "UnknownOperationException" || o.Service != "" || o.Account != gateway.DefaultAccount {
		t.Errorf("unrouted request: outcome %+v", o)
	}
	if n := len(obs.all); n != 4 {
		t.Errorf("%d outcomes for 4 requests", n)
	}
}
