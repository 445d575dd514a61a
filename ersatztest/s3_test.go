package ersatztest_test

import (
	"io"
	"net"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ersatz-dev/ersatz/ersatztest"
	"github.com/ersatz-dev/ersatz/internal/testkit/s3test"
)

func pathStyle(o *s3.Options) { o.UsePathStyle = true }

// WithS3Endpoint keeps the objects in the endpoint: two servers given one
// share them, and the endpoint itself serves them.
func TestWithS3Endpoint(t *testing.T) {
	t.Parallel()
	store := s3test.StartOwn(t)
	a := ersatztest.Start(t, ersatztest.WithDataPlane(false), ersatztest.WithS3Endpoint(store.URL, store.AccessKeyID, store.SecretAccessKey))
	b := ersatztest.Start(t, ersatztest.WithDataPlane(false), ersatztest.WithS3Endpoint(store.URL, store.AccessKeyID, store.SecretAccessKey))
	ctx := t.Context()
	ca := s3.NewFromConfig(a.AWSConfig(), pathStyle)
	if _, err := ca.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("shared")}); err != nil {
		t.Fatal(err)
	}
	if _, err := ca.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("shared"), Key: aws.String("k"), Body: strings.NewReader("through a")}); err != nil {
		t.Fatal(err)
	}
	direct := s3.NewFromConfig(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(store.URL),
		Credentials: credentials.NewStaticCredentialsProvider(store.AccessKeyID, store.SecretAccessKey, "")}, pathStyle)
	for name, c := range map[string]*s3.Client{"the other server": s3.NewFromConfig(b.AWSConfig(), pathStyle), "the endpoint": direct} {
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("shared"), Key: aws.String("k")})
		if err != nil {
			t.Fatalf("get through %s: %v", name, err)
		}
		body, _ := io.ReadAll(out.Body)
		out.Body.Close()
		if string(body) != "through a" {
			t.Fatalf("through %s: %q", name, body)
		}
	}
}

// An endpoint that does not answer is New's error; nothing keeps running.
func TestWithS3EndpointUnreachable(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ln.Close()
	srv, err := ersatztest.New(ersatztest.WithDataPlane(false), ersatztest.WithS3Endpoint(url, "k", "s"))
	if err == nil {
		srv.Close()
		t.Fatal("New succeeded with an S3 endpoint that does not answer")
	}
	if !strings.Contains(err.Error(), url) {
		t.Fatalf("the error does not name the endpoint: %v", err)
	}
}
