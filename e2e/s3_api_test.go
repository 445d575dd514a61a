package e2e_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/ersatz-dev/ersatz/internal/testkit"
)

func putString(t *testing.T, c *s3.Client, bucket, key, body string) {
	t.Helper()
	if _, err := c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
		Body: strings.NewReader(body)}); err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
}

func getString(t *testing.T, c *s3.Client, in *s3.GetObjectInput) (string, *s3.GetObjectOutput) {
	t.Helper()
	out, err := c.GetObject(context.Background(), in)
	if err != nil {
		t.Fatalf("get %s: %v", aws.ToString(in.Key), err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b), out
}

// The S3 operations Ersatz serves, through aws-sdk-go-v2.
func TestS3APIGoSDK(t *testing.T) {
	t.Parallel()
	eachObjectStore(t, testS3APIGoSDK)
}

func testS3APIGoSDK(t *testing.T, srv *testkit.Server) {
	ctx := context.Background()
	c := s3Client(srv.URL, acctA)
	other := s3Client(srv.URL, acctB)
	b := aws.String("sdk-bucket")

	// Buckets belong to the account that created them.
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: b}); err != nil {
		t.Fatalf("head bucket: %v", err)
	}
	for _, tc := range []struct {
		c    *s3.Client
		code string
	}{{c, "BucketAlreadyOwnedByYou"}, {other, "BucketAlreadyExists"}} {
		if _, err := tc.c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b}); apiCode(err) != tc.code {
			t.Fatalf("create again: %v, want %s", err, tc.code)
		}
	}
	lb, err := other.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil || len(lb.Buckets) != 0 {
		t.Fatalf("another account lists %v %v", lb, err)
	}
	lb, err = c.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil || len(lb.Buckets) != 1 || aws.ToString(lb.Buckets[0].Name) != "sdk-bucket" {
		t.Fatalf("list buckets: %v %v", lb, err)
	}

	// Put with metadata, content type and tags; head, ranged get.
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("a/b/c.txt"), Body: strings.NewReader("hello, ranges"),
		ContentType: aws.String("text/plain"), Metadata: map[string]string{"color": "blue"}, Tagging: aws.String("k1=v1&k2=v%202")}); err != nil {
		t.Fatal(err)
	}
	if _, err := other.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String("a/b/c.txt")}); apiCode(err) != "AccessDenied" {
		t.Fatalf("another account reads: %v", err)
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: aws.String("a/b/c.txt")})
	if err != nil || aws.ToString(head.ContentType) != "text/plain" || head.Metadata["color"] != "blue" || aws.ToInt64(head.ContentLength) != 13 {
		t.Fatalf("head: %+v %v", head, err)
	}
	body, rng := getString(t, c, &s3.GetObjectInput{Bucket: b, Key: aws.String("a/b/c.txt"), Range: aws.String("bytes=7-12")})
	if body != "ranges" || aws.ToString(rng.ContentRange) != "bytes 7-12/13" {
		t.Fatalf("range: %q %q", body, aws.ToString(rng.ContentRange))
	}
	if body, _ := getString(t, c, &s3.GetObjectInput{Bucket: b, Key: aws.String("a/b/c.txt"), Range: aws.String("bytes=-6")}); body != "ranges" {
		t.Fatalf("suffix range: %q", body)
	}
	tags, err := c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: b, Key: aws.String("a/b/c.txt")})
	if err != nil || len(tags.TagSet) != 2 || aws.ToString(tags.TagSet[1].Value) != "v 2" {
		t.Fatalf("tags: %+v %v", tags, err)
	}

	// Listing: delimiter, pagination (V2 and V1).
	for _, k := range []string{"a/d.txt", "e.txt", "f/g.txt", "f/h.txt", "i.txt"} {
		putString(t, c, "sdk-bucket", k, k)
	}
	l, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: b, Delimiter: aws.String("/")})
	if err != nil {
		t.Fatal(err)
	}
	var prefixes, keys []string
	for _, p := range l.CommonPrefixes {
		prefixes = append(prefixes, aws.ToString(p.Prefix))
	}
	for _, o := range l.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	if !slices.Equal(prefixes, []string{"a/", "f/"}) || !slices.Equal(keys, []string{"e.txt", "i.txt"}) {
		t.Fatalf("delimiter listing: %q %q", prefixes, keys)
	}
	var paged []string
	pg := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: b, MaxKeys: aws.Int32(2)})
	pages := 0
	for pg.HasMorePages() {
		out, err := pg.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, o := range out.Contents {
			paged = append(paged, aws.ToString(o.Key))
		}
	}
	all := []string{"a/b/c.txt", "a/d.txt", "e.txt", "f/g.txt", "f/h.txt", "i.txt"}
	if !slices.Equal(paged, all) || pages != 3 {
		t.Fatalf("paged listing (%d pages): %q", pages, paged)
	}
	v1, err := c.ListObjects(ctx, &s3.ListObjectsInput{Bucket: b, Marker: aws.String("e.txt"), MaxKeys: aws.Int32(2)})
	if err != nil || len(v1.Contents) != 2 || aws.ToString(v1.Contents[0].Key) != "f/g.txt" || !aws.ToBool(v1.IsTruncated) {
		t.Fatalf("v1 listing after a marker: %+v %v", v1, err)
	}

	// Copy keeps the tags; DeleteObjects removes; tagging can be replaced and removed.
	if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: b, Key: aws.String("copy.txt"), CopySource: aws.String("sdk-bucket/a/b/c.txt")}); err != nil {
		t.Fatal(err)
	}
	if body, _ := getString(t, c, &s3.GetObjectInput{Bucket: b, Key: aws.String("copy.txt")}); body != "hello, ranges" {
		t.Fatalf("copy: %q", body)
	}
	if ct, err := c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: b, Key: aws.String("copy.txt")}); err != nil || len(ct.TagSet) != 2 {
		t.Fatalf("copy's tags: %+v %v", ct, err)
	}
	if _, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: b, Delete: &s3types.Delete{Objects: []s3types.ObjectIdentifier{
		{Key: aws.String("f/g.txt")}, {Key: aws.String("f/h.txt")}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: b, Key: aws.String("e.txt"),
		Tagging: &s3types.Tagging{TagSet: []s3types.Tag{{Key: aws.String("stage"), Value: aws.String("done")}}}}); err != nil {
		t.Fatal(err)
	}
	if et, err := c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: b, Key: aws.String("e.txt")}); err != nil || len(et.TagSet) != 1 || aws.ToString(et.TagSet[0].Key) != "stage" {
		t.Fatalf("put tagging: %+v %v", et, err)
	}
	if _, err := c.DeleteObjectTagging(ctx, &s3.DeleteObjectTaggingInput{Bucket: b, Key: aws.String("e.txt")}); err != nil {
		t.Fatal(err)
	}
	if et, err := c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: b, Key: aws.String("e.txt")}); err != nil || len(et.TagSet) != 0 {
		t.Fatalf("deleted tagging: %+v %v", et, err)
	}
	if got := s3Keys(t, c, "sdk-bucket", ""); !slices.Equal(got, []string{"a/b/c.txt", "a/d.txt", "copy.txt", "e.txt", "i.txt"}) {
		t.Fatalf("after copy and delete: %q", got)
	}

	// Presigned PUT and GET, with a plain HTTP client.
	ps := s3.NewPresignClient(c)
	put, err := ps.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("presigned.txt")}, s3.WithPresignExpires(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(put.Method, put.URL, strings.NewReader("sent by URL"))
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("presigned put: %v %v", resp, err)
	}
	get, err := ps.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String("presigned.txt")})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(get.URL)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(got) != "sent by URL" {
		t.Fatalf("presigned get: %d %q", resp.StatusCode, got)
	}

	// Multipart: a 5 MiB part and a short last one.
	part1, part2 := make([]byte, 5<<20), []byte("the last part may be short")
	_, _ = rand.Read(part1)
	mk := aws.String("multi/part.bin")
	cm, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: b, Key: mk})
	if err != nil {
		t.Fatal(err)
	}
	var done []s3types.CompletedPart
	for i, p := range [][]byte{part1, part2} {
		up, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: b, Key: mk, UploadId: cm.UploadId, PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(p)})
		if err != nil {
			t.Fatalf("part %d: %v", i+1, err)
		}
		done = append(done, s3types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: up.ETag})
	}
	lp, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: b, Key: mk, UploadId: cm.UploadId})
	if err != nil || len(lp.Parts) != 2 || aws.ToInt64(lp.Parts[0].Size) != 5<<20 {
		t.Fatalf("list parts: %+v %v", lp, err)
	}
	fin, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: b, Key: mk, UploadId: cm.UploadId,
		MultipartUpload: &s3types.CompletedMultipartUpload{Parts: done}})
	if err != nil || !strings.HasSuffix(aws.ToString(fin.ETag), `-2"`) {
		t.Fatalf("complete: %+v %v", fin, err)
	}
	whole, mh := getString(t, c, &s3.GetObjectInput{Bucket: b, Key: mk})
	if whole != string(part1)+string(part2) || aws.ToString(mh.ETag) != aws.ToString(fin.ETag) {
		t.Fatalf("multipart object: %d bytes, ETag %s (complete said %s)", len(whole), aws.ToString(mh.ETag), aws.ToString(fin.ETag))
	}

	// A bucket with objects stays; an emptied one goes.
	if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: b}); apiCode(err) != "BucketNotEmpty" {
		t.Fatalf("delete a bucket with objects: %v", err)
	}
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("empty-bucket")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("empty-bucket")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("empty-bucket")}); err == nil {
		t.Fatal("a deleted bucket still answers HeadBucket")
	}
}

// boto3 (botocore's own S3 client) puts, lists and reads.
func TestS3APIBoto(t *testing.T) {
	t.Parallel()
	eachObjectStore(t, testS3APIBoto)
}

func testS3APIBoto(t *testing.T, srv *testkit.Server) {
	boto := srv.Boto(t)
	call := func(op string, params map[string]any) map[string]any {
		t.Helper()
		out, berr := boto.Call(t, testkit.BotoRequest{Service: "s3", Op: op, Params: params, AccessKey: acctA})
		if berr != nil {
			t.Fatalf("%s: %v", op, berr)
		}
		return out
	}
	call("CreateBucket", map[string]any{"Bucket": "boto-bucket"})
	call("PutObject", map[string]any{"Bucket": "boto-bucket", "Key": "dir/k.txt", "Body": "from boto3", "Metadata": map[string]string{"who": "boto"}})
	got := call("GetObject", map[string]any{"Bucket": "boto-bucket", "Key": "dir/k.txt"})
	if got["Body"] != "from boto3" || got["Metadata"].(map[string]any)["who"] != "boto" {
		t.Fatalf("get: %v", got)
	}
	l := call("ListObjectsV2", map[string]any{"Bucket": "boto-bucket", "Delimiter": "/"})
	cps, _ := l["CommonPrefixes"].([]any)
	if len(cps) != 1 || cps[0].(map[string]any)["Prefix"] != "dir/" {
		t.Fatalf("list: %v", l)
	}
	if _, berr := boto.Call(t, testkit.BotoRequest{Service: "s3", Op: "GetObject", AccessKey: acctA,
		Params: map[string]any{"Bucket": "boto-bucket", "Key": "missing"}}); berr == nil || berr.Code != "NoSuchKey" || berr.Status != 404 {
		t.Fatalf("missing key: %v", berr)
	}
}

// Operations Ersatz does not serve answer 501 NotImplemented, never a
// plain listing or write of the bucket or object they name.
func TestS3Unserved(t *testing.T) {
	t.Parallel()
	srv := testkit.Start(t)
	ctx := context.Background()
	c := s3Client(srv.URL, acctA)
	b := aws.String("plain-bucket")
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b}); err != nil {
		t.Fatal(err)
	}
	putString(t, c, "plain-bucket", "k", "v")
	calls := map[string]func() error{
		"GetBucketAcl": func() error { _, err := c.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: b}); return err },
		"PutObjectAcl": func() error {
			_, err := c.PutObjectAcl(ctx, &s3.PutObjectAclInput{Bucket: b, Key: aws.String("k"), ACL: s3types.ObjectCannedACLPrivate})
			return err
		},
		"GetBucketVersioning": func() error {
			_, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: b})
			return err
		},
		"ListMultipartUploads": func() error {
			_, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: b})
			return err
		},
		"GetBucketTagging": func() error { _, err := c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: b}); return err },
		"UploadPartCopy": func() error {
			cm, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: b, Key: aws.String("m")})
			if err != nil {
				return err
			}
			_, err = c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: b, Key: aws.String("m"), UploadId: cm.UploadId,
				PartNumber: aws.Int32(1), CopySource: aws.String("plain-bucket/k")})
			return err
		},
	}
	for name, call := range calls {
		if err := call(); apiCode(err) != "NotImplemented" || s3Status(err) != 501 {
			t.Errorf("%s: %v, want 501 NotImplemented", name, err)
		}
	}
	if got, _ := getString(t, c, &s3.GetObjectInput{Bucket: b, Key: aws.String("k")}); got != "v" {
		t.Fatalf("the object changed: %q", got)
	}
}

// Virtual-host-style requests (<bucket>.localhost) reach the same buckets
// as path-style ones.
func TestS3VirtualHost(t *testing.T) {
	t.Parallel()
	srv := testkit.Start(t)
	ctx := context.Background()
	addr := strings.TrimPrefix(srv.URL, "http://")
	_, port, _ := strings.Cut(addr, ":")
	var dialer net.Dialer
	vh := s3.NewFromConfig((&testkit.Server{URL: "http://localhost:" + port}).AWSConfig(acctA, "us-east-1"), func(o *s3.Options) {
		o.HTTPClient = &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return dialer.DialContext(ctx, network, addr) // every <bucket>.localhost is this server
		}}}
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			return st.Finalize.Add(middleware.FinalizeMiddlewareFunc("seeHost", func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				if req, ok := in.Request.(*smithyhttp.Request); ok && !strings.HasPrefix(req.URL.Host, "vh-bucket.localhost") {
					return middleware.FinalizeOutput{}, middleware.Metadata{}, fmt.Errorf("not virtual-host style: %s", req.URL.Host)
				}
				return next.HandleFinalize(ctx, in)
			}), middleware.After)
		})
	})
	path := s3Client(srv.URL, acctA)
	if _, err := vh.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("vh-bucket")}); err != nil {
		t.Fatal(err)
	}
	if _, err := vh.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("vh-bucket"), Key: aws.String("dir/v.txt"), Body: strings.NewReader("virtual")}); err != nil {
		t.Fatal(err)
	}
	if got, _ := getString(t, path, &s3.GetObjectInput{Bucket: aws.String("vh-bucket"), Key: aws.String("dir/v.txt")}); got != "virtual" {
		t.Fatalf("path-style read of a virtual-host write: %q", got)
	}
	if keys := s3Keys(t, vh, "vh-bucket", "dir/"); !slices.Equal(keys, []string{"dir/v.txt"}) {
		t.Fatalf("virtual-host listing: %q", keys)
	}
}
