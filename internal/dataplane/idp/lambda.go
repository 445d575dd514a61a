package idp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// event is the event AWS documents for Lambda identity providers; the
// password is left out for a public key authentication.
type event struct {
	Username string  `json:"username"`
	Password *string `json:"password,omitempty"`
	Protocol string  `json:"protocol"`
	ServerID string  `json:"serverId"`
	SourceIP string  `json:"sourceIp"`
}

// FunctionARN splits a Lambda function ARN
// (arn:partition:lambda:region:account:function:name[:qualifier]).
func FunctionARN(arn string) (region, account string, err error) {
	parts := strings.Split(arn, ":")
	if len(parts) < 7 || parts[0] != "arn" || parts[2] != "lambda" || parts[3] == "" || parts[5] != "function" || parts[6] == "" {
		return "", "", fmt.Errorf("the Function %q is not a Lambda function ARN (arn:aws:lambda:region:account:function:name)", arn)
	}
	return parts[3], parts[4], nil
}

// callLambda invokes the function synchronously through the configured
// Lambda endpoint with aws-sdk-go-v2, signing with the function's account
// as access key id (local Lambda emulators take any credentials; some pick
// the account from the key) and the region of the ARN. No retries: one
// login is one invocation.
func (c *Client) callLambda(ctx context.Context, fn string, r Request) (Result, error) {
	if c.lambdaEndpoint == "" {
		return Result{}, ErrNoLambdaEndpoint
	}
	region, account, err := FunctionARN(fn)
	if err != nil {
		return Result{}, &CallError{Provider: fn, Err: err}
	}
	if account == "" {
		account = "000000000000"
	}
	payload, err := json.Marshal(event{Username: r.UserName, Password: r.Password, Protocol: r.Protocol, ServerID: r.ServerID, SourceIP: r.SourceIP})
	if err != nil {
		return Result{}, &CallError{Provider: fn, Err: fmt.Errorf("encode event: %w", err)}
	}
	client := lambda.New(lambda.Options{
		Region:       region,
		BaseEndpoint: aws.String(c.lambdaEndpoint),
		Credentials:  credentials.NewStaticCredentialsProvider(account, "ersatz", ""),
		HTTPClient:   c.http,
		Retryer:      aws.NopRetryer{},
	})
	out, err := client.Invoke(ctx, &lambda.InvokeInput{
		FunctionName:   aws.String(fn),
		InvocationType: types.InvocationTypeRequestResponse,
		Payload:        payload,
	})
	if err != nil {
		return Result{}, &CallError{Provider: fn, Err: c.reason(ctx, lambdaReason(err))}
	}
	res := Result{StatusCode: int(out.StatusCode), Body: out.Payload}
	if len(res.Body) > MaxAnswer {
		return Result{}, &CallError{Provider: fn, Err: fmt.Errorf("answer larger than %d bytes", MaxAnswer)}
	}
	if fe := aws.ToString(out.FunctionError); fe != "" {
		res.FunctionError = fe
		res.StatusCode = 500
	}
	return res, nil
}

// lambdaReason keeps the Lambda API's own error code and message.
func lambdaReason(err error) error {
	var re interface{ ErrorCode() string }
	if errors.As(err, &re) {
		return fmt.Errorf("the Lambda Invoke API failed (%s): %w", re.ErrorCode(), err)
	}
	return err
}
