package e2e_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/transfer"

	"github.com/ersatz-dev/ersatz/internal/testkit"
)

// readmeGoSnippet is the README's Go snippet as the test runs it: the
// README must hold it verbatim (TestReadmeGoSnippet checks).
const readmeGoSnippet = `cfg, err := config.LoadDefaultConfig(ctx)
if err != nil {
    log.Fatal(err)
}
client := transfer.NewFromConfig(cfg, func(o *transfer.Options) {
    o.BaseEndpoint = aws.String("http://127.0.0.1:4566")
})`

// TestReadmeGoSnippet runs the README's Go snippet with only the variables
// the README exports before it (and the endpoint moved to the test
// server's): LoadDefaultConfig must find credentials and a region there.
// It sets the process's environment, so it does not run in parallel.
func TestReadmeGoSnippet(t *testing.T) {
	if got := readmeIndented(t, "Go (aws-sdk-go-v2"); got != readmeGoSnippet {
		t.Fatalf("the README's Go snippet changed; update this test with it:\n%s", got)
	}
	srv := testkit.Start(t)
	exports := readmeIndented(t, "AWS CLI:")
	line := exports[strings.Index(exports, "export "):]
	for _, kv := range strings.Fields(strings.TrimPrefix(strings.SplitN(line, "\n", 2)[0], "export ")) {
		k, v, _ := strings.Cut(kv, "=")
		if k == "AWS_ENDPOINT_URL" {
			v = srv.URL
		}
		t.Setenv(k, v)
	}
	// Nothing else of this machine's AWS configuration may help.
	for _, k := range []string{"AWS_PROFILE", "AWS_REGION", "AWS_SESSION_TOKEN"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	ctx := context.Background()

	// The snippet, with the endpoint of the test server (and t.Fatal for
	// log.Fatal, which would end every test).
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	client := transfer.NewFromConfig(cfg, func(o *transfer.Options) {
		o.BaseEndpoint = aws.String(srv.URL)
	})

	out, err := client.ListServers(ctx, &transfer.ListServersInput{})
	if err != nil {
		t.Fatalf("ListServers with the snippet's client: %v", err)
	}
	if len(out.Servers) != 0 || cfg.Region != "us-east-1" {
		t.Fatalf("servers %v, region %q", out.Servers, cfg.Region)
	}
}
