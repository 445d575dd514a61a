package e2e_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/ersatz-dev/ersatz/internal/auth"
	"github.com/ersatz-dev/ersatz/internal/server"
	"github.com/ersatz-dev/ersatz/internal/store/memory"
	"github.com/ersatz-dev/ersatz/internal/testkit"
)

// s3Status is the HTTP status of an SDK error (0 for none).
func s3Status(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// Bad input gets S3's error and stores nothing: an invalid bucket name, a
// key over 1,024 bytes, a part under 5 MiB that is not the last, a wrong
// Content-MD5, a wrong CRC32, a cross-origin request.
func TestS3BadInput(t *testing.T) {
	t.Parallel()
	eachObjectStore(t, testS3BadInput)
}

func testS3BadInput(t *testing.T, srv *testkit.Server) {
	ctx := context.Background()
	cli := s3CLI(t, srv.URL, acctA)
	c := s3Client(srv.URL, acctA)
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("good-bucket")}); err != nil {
		t.Fatal(err)
	}
	body := filepath.Join(t.TempDir(), "body.txt")
	if err := os.WriteFile(body, []byte("some content"), 0o644); err != nil {
		t.Fatal(err)
	}
	wrongMD5 := md5.Sum([]byte("other content"))
	longKey := strings.Repeat("k", 1025)

	for _, tc := range []struct {
		name string
		args []string
		code string
	}{
		{"upper case and underscore", []string{"s3api", "create-bucket", "--bucket", "Bad_Bucket"}, "InvalidBucketName"},
		{"too short", []string{"s3api", "create-bucket", "--bucket", "ab"}, "InvalidBucketName"},
		{"an IP address", []string{"s3api", "create-bucket", "--bucket", "192.168.1.1"}, "InvalidBucketName"},
		{"two dots", []string{"s3api", "create-bucket", "--bucket", "a..b"}, "InvalidBucketName"},
		{"key over 1024 bytes", []string{"s3api", "put-object", "--bucket", "good-bucket", "--key", longKey, "--body", body}, "KeyTooLongError"},
		{"wrong Content-MD5", []string{"s3api", "put-object", "--bucket", "good-bucket", "--key", "md5.txt", "--body", body,
			"--content-md5", base64.StdEncoding.EncodeToString(wrongMD5[:])}, "BadDigest"},
		{"Content-MD5 not 16 bytes", []string{"s3api", "put-object", "--bucket", "good-bucket", "--key", "md5.txt", "--body", body,
			"--content-md5", "bm90IGFuIG1kNQ=="}, "InvalidDigest"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, err := cli.Run(tc.args...)
			if err == nil || !strings.Contains(stderr, "("+tc.code+")") {
				t.Fatalf("got %v: %s, want %s", err, stderr, tc.code)
			}
		})
	}
	lb, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil || len(lb.Buckets) != 1 {
		t.Fatalf("buckets after the refused creations: %+v %v", lb.Buckets, err)
	}

	// A wrong CRC32 (the SDKs' default checksum).
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("good-bucket"), Key: aws.String("crc.txt"),
		Body: strings.NewReader("some content"), ChecksumCRC32: aws.String("AAAAAA==")})
	if apiCode(err) != "BadDigest" || s3Status(err) != 400 {
		t.Fatalf("wrong CRC32: %v", err)
	}

	// A part under 5 MiB that is not the last.
	k := aws.String("small-parts.bin")
	cm, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("good-bucket"), Key: k})
	if err != nil {
		t.Fatal(err)
	}
	var parts []s3types.CompletedPart
	for i := int32(1); i <= 2; i++ {
		up, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("good-bucket"), Key: k, UploadId: cm.UploadId,
			PartNumber: aws.Int32(i), Body: bytes.NewReader(make([]byte, 1<<20))})
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, s3types.CompletedPart{PartNumber: aws.Int32(i), ETag: up.ETag})
	}
	_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("good-bucket"), Key: k,
		UploadId: cm.UploadId, MultipartUpload: &s3types.CompletedMultipartUpload{Parts: parts}})
	if apiCode(err) != "EntityTooSmall" || s3Status(err) != 400 {
		t.Fatalf("small part: %v", err)
	}
	// Parts out of order, and a part that was never uploaded.
	_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("good-bucket"), Key: k,
		UploadId: cm.UploadId, MultipartUpload: &s3types.CompletedMultipartUpload{Parts: []s3types.CompletedPart{parts[1], parts[0]}}})
	if apiCode(err) != "InvalidPartOrder" {
		t.Fatalf("parts out of order: %v", err)
	}
	_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("good-bucket"), Key: k,
		UploadId: cm.UploadId, MultipartUpload: &s3types.CompletedMultipartUpload{Parts: []s3types.CompletedPart{
			{PartNumber: aws.Int32(3), ETag: parts[0].ETag}}}})
	if apiCode(err) != "InvalidPart" {
		t.Fatalf("a part never uploaded: %v", err)
	}
	if _, err := c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String("good-bucket"), Key: k, UploadId: cm.UploadId}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("good-bucket"), Key: k, UploadId: cm.UploadId,
		PartNumber: aws.Int32(1), Body: strings.NewReader("x")}); apiCode(err) != "NoSuchUpload" {
		t.Fatalf("a part of an aborted upload: %v", err)
	}

	// Nothing of it was stored.
	if keys := s3Keys(t, c, "good-bucket", ""); len(keys) != 0 {
		t.Fatalf("refused writes left %q", keys)
	}
	for _, key := range []string{"md5.txt", "crc.txt", "small-parts.bin"} {
		if _, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("good-bucket"), Key: aws.String(key)}); s3Status(err) != 404 {
			t.Fatalf("head %s after a refused write: %v", key, err)
		}
	}

	// A web page cannot reach the buckets: S3 without a CORS configuration
	// refuses cross-origin requests, preflights included.
	for _, method := range []string{http.MethodGet, http.MethodOptions} {
		req, _ := http.NewRequest(method, srv.URL+"/good-bucket?list-type=2", nil)
		req.Header.Set("Origin", "https://evil.example")
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+acctA+"/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 403 || resp.Header.Get("Access-Control-Allow-Origin") != "" || (method == http.MethodGet && !strings.Contains(string(b), "AccessForbidden")) {
			t.Fatalf("cross-origin %s: %d %v %s", method, resp.StatusCode, resp.Header, b)
		}
	}
}

// Under --auth sigv4, S3 requests are verified: the right key works, a
// wrong secret or a body that is not the one signed is refused, and
// nothing is stored.
func TestS3SigV4(t *testing.T) {
	t.Parallel()
	a := auth.NewSigV4(authCredentials(t), server.Services(nil))
	srv := server.New(server.Config{Store: memory.New(), DefaultRegion: authRegion, Auth: a, DataDir: t.TempDir(),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	hs := testkit.StartHandler(t, srv.Handler())
	ctx := context.Background()
	client := func(key, secret string) *s3.Client {
		return s3.NewFromConfig(aws.Config{Region: authRegion, Credentials: credentials.NewStaticCredentialsProvider(key, secret, ""),
			BaseEndpoint: aws.String(hs.URL), RetryMaxAttempts: 1}, func(o *s3.Options) { o.UsePathStyle = true })
	}
	good, bad := client(authKeyA, authSecretA), client(authKeyA, "not-the-secret")
	if _, err := good.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("signed-bucket")}); err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB, over the API's body limit for JSON
	if _, err := good.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("signed-bucket"), Key: aws.String("ok.bin"), Body: bytes.NewReader(big)}); err != nil {
		t.Fatalf("signed put: %v", err)
	}
	// Keys that S3 signs as sent, not encoded twice.
	for _, k := range []string{"with space/and+plus (1).txt", "ünï/çödé.txt", "a=b&c~d*e.txt"} {
		if _, err := good.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("signed-bucket"), Key: aws.String(k), Body: strings.NewReader(k)}); err != nil {
			t.Fatalf("signed put of %q: %v", k, err)
		}
		out, err := good.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("signed-bucket"), Key: aws.String(k)})
		if err != nil {
			t.Fatalf("signed get of %q: %v", k, err)
		}
		got, _ := io.ReadAll(out.Body)
		out.Body.Close()
		if string(got) != k {
			t.Fatalf("get %q: %q", k, got)
		}
		if _, err := good.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("signed-bucket"), Key: aws.String(k)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := bad.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("signed-bucket"), Key: aws.String("bad.bin"), Body: strings.NewReader("x")}); apiCode(err) != "SignatureDoesNotMatch" || s3Status(err) != 403 {
		t.Fatalf("wrong secret: %v", err)
	}
	if _, err := client("AKIDUNKNOWN", "x").ListBuckets(ctx, &s3.ListBucketsInput{}); apiCode(err) != "InvalidAccessKeyId" {
		t.Fatalf("unknown key: %v", err)
	}
	// Another account's key is a stranger to the bucket.
	if _, err := client(authKeyB, authSecretB).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("signed-bucket"), Key: aws.String("ok.bin")}); apiCode(err) != "AccessDenied" {
		t.Fatalf("other account: %v", err)
	}

	// A body other than the one whose SHA-256 was signed.
	signed := sha256.Sum256([]byte("the signed body"))
	req, _ := http.NewRequest(http.MethodPut, hs.URL+"/signed-bucket/swapped.txt", strings.NewReader("a swapped body!"))
	req.Header.Set("X-Amz-Content-Sha256", hex.EncodeToString(signed[:]))
	if err := v4.NewSigner().SignHTTP(ctx, aws.Credentials{AccessKeyID: authKeyA, SecretAccessKey: authSecretA}, req,
		hex.EncodeToString(signed[:]), "s3", authRegion, time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(b), "XAmzContentSHA256Mismatch") {
		t.Fatalf("swapped body: %d %s", resp.StatusCode, b)
	}
	if keys := s3Keys(t, good, "signed-bucket", ""); len(keys) != 1 || keys[0] != "ok.bin" {
		t.Fatalf("stored: %q", keys)
	}

	// Presigned URLs are verified too.
	ps := s3.NewPresignClient(good)
	get, err := ps.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("signed-bucket"), Key: aws.String("ok.bin")})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		url    string
		status int
	}{{get.URL, 200}, {strings.Replace(get.URL, "X-Amz-Signature=", "X-Amz-Signature=0", 1), 403}} {
		resp, err := http.Get(tc.url)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || (tc.status == 200 && !bytes.Equal(got, big)) {
			t.Fatalf("presigned get: %d (want %d) %d bytes", resp.StatusCode, tc.status, len(got))
		}
	}
}

// An XML body over 4 MiB is refused before it is read whole.
func TestS3LargeXMLBody(t *testing.T) {
	t.Parallel()
	srv := testkit.Start(t)
	c := s3Client(srv.URL, acctA)
	if _, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String("xml-bucket")}); err != nil {
		t.Fatal(err)
	}
	body := "<Delete>" + strings.Repeat("<Object><Key>k</Key></Object>", 200_000) + "</Delete>"
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/xml-bucket?delete", strings.NewReader(body))
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+acctA+"/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(b), "MaxMessageLengthExceeded") {
		t.Fatalf("a 5.8 MB DeleteObjects body: %d %s", resp.StatusCode, b)
	}
}
