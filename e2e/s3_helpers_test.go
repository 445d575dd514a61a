package e2e_test

import (
	"context"
	"errors"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/ersatz-dev/ersatz/internal/testkit"
)

// eachObjectStore runs body, in parallel, on an Ersatz of each object
// store backend: the data directory's ("local") and a real S3 server of its
// own ("external", --s3-endpoint: skipped without versitygw).
func eachObjectStore(t *testing.T, body func(t *testing.T, srv *testkit.Server)) {
	for _, b := range []struct {
		name  string
		start func(testing.TB) *testkit.Server
	}{
		{"local", func(t testing.TB) *testkit.Server { return testkit.Start(t) }},
		{"external", func(t testing.TB) *testkit.Server { return testkit.StartExternal(t) }},
	} {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			body(t, b.start(t))
		})
	}
}

// s3Client is an aws-sdk-go-v2 S3 client of accessKey aimed at url
// (path-style, as for any endpoint that is not S3's own).
func s3Client(url, accessKey string) *s3.Client {
	return s3.NewFromConfig((&testkit.Server{URL: url}).AWSConfig(accessKey, "us-east-1"), func(o *s3.Options) {
		o.UsePathStyle = true
	})
}

// s3CLI is the AWS CLI of accessKey aimed at url.
func s3CLI(t testing.TB, url, accessKey string) testkit.AWSCLI {
	t.Helper()
	testkit.RequireAWSCLI(t)
	return testkit.AWSCLI{URL: url, AccessKeyID: accessKey, Region: "us-east-1"}
}

// apiCode is the error code of an SDK error ("" for none).
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// s3Keys lists every key under prefix with ListObjectsV2, page by page.
func s3Keys(t testing.TB, c *s3.Client, bucket, prefix string) []string {
	t.Helper()
	var keys []string
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("list %s/%s: %v", bucket, prefix, err)
		}
		for _, o := range out.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	return keys
}

// cliLsNames are the names `aws s3 ls` printed (files and PRE folders).
func cliLsNames(out string) []string {
	var names []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		name := f[len(f)-1]
		names = append(names, strings.TrimSuffix(name, "/"))
	}
	sort.Strings(names)
	return names
}

// sftpLsNames are the names `ls -1` printed in an sftp batch (the lines
// after the "sftp> ls -1" echo, up to the next prompt).
func sftpLsNames(out, cmd string) []string {
	var names []string
	in := false
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "sftp> ") {
			in = strings.TrimPrefix(line, "sftp> ") == cmd
			continue
		}
		if in && line != "" {
			for _, n := range strings.Fields(line) {
				n = n[strings.LastIndex(n, "/")+1:]
				names = append(names, n)
			}
		}
	}
	sort.Strings(names)
	return names
}
