package testkit

import (
	"bytes"
	"os"
	"os/exec"
	"testing"
)

// AWSCLI runs the AWS CLI (the aws command) against an Ersatz, with the
// given credentials and region and nothing else from the environment: no
// config or credentials file, no session token, no instance metadata, no
// pager, and one attempt per request.
type AWSCLI struct {
	URL             string // of the Ersatz
	AccessKeyID     string
	SecretAccessKey string // "secret" when empty
	Region          string
}

// RequireAWSCLI skips the test when the AWS CLI is not installed.
func RequireAWSCLI(tb testing.TB) {
	tb.Helper()
	if _, err := exec.LookPath("aws"); err != nil {
		tb.Skip("the AWS CLI is not installed")
	}
}

// Run runs `aws --endpoint-url <URL> --region <Region> --output json <args>`
// and returns what it printed on stdout and on stderr; err is not nil when
// the command failed.
func (c AWSCLI) Run(args ...string) (stdout, stderr string, err error) {
	secret := c.SecretAccessKey
	if secret == "" {
		secret = "secret"
	}
	cmd := exec.Command("aws", append([]string{"--endpoint-url", c.URL, "--region", c.Region, "--output", "json"}, args...)...)
	cmd.Env = append(os.Environ(),
		"AWS_ACCESS_KEY_ID="+c.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+secret, "AWS_SESSION_TOKEN=",
		"AWS_DEFAULT_REGION="+c.Region, "AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"AWS_PAGER=", "AWS_MAX_ATTEMPTS=1")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}
