package s3api_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ersatz-dev/ersatz/internal/objectstore"
	"github.com/ersatz-dev/ersatz/internal/s3api"
)

func TestHostBucket(t *testing.T) {
	for _, tc := range []struct {
		host, bucket string
		ok           bool
	}{
		{"127.0.0.1:4566", "", false},
		{"localhost:4566", "", false},
		{"my-bucket.localhost:4566", "my-bucket", true},
		{"my.dotted.bucket.localhost", "my.dotted.bucket", true},
		{"logs.s3.localhost.localstack.cloud:4566", "logs", true},
		{"logs.s3-eu-west-1.example.com", "logs", true},
		{"ersatz.internal:4566", "", false},
		{"[::1]:4566", "", false},
		{".localhost", "", false},
	} {
		b, ok := s3api.HostBucket(tc.host)
		if b != tc.bucket || ok != tc.ok {
			t.Errorf("HostBucket(%q) = %q, %v; want %q, %v", tc.host, b, ok, tc.bucket, tc.ok)
		}
	}
}

func TestParseTagging(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want map[string]string
		ok   bool
	}{
		{"a=1&b=two%20words", map[string]string{"a": "1", "b": "two words"}, true},
		{"a=1&a=2", nil, false},
		{"%zz=1", nil, false},
		{strings.Repeat("k", 129) + "=v", nil, false},
		{"k0=&k1=&k2=&k3=&k4=&k5=&k6=&k7=&k8=&k9=&k10=", nil, false},
	} {
		got, err := s3api.ParseTagging(tc.in)
		if (err == nil) != tc.ok || len(got) != len(tc.want) {
			t.Errorf("ParseTagging(%q) = %v, %v", tc.in, got, err)
		}
		for k, v := range tc.want {
			if got[k] != v {
				t.Errorf("ParseTagging(%q)[%q] = %q, want %q", tc.in, k, got[k], v)
			}
		}
	}
}

// FuzzHostBucket: any Host header gives a bucket only when the host has
// a base after it, and never panics.
func FuzzHostBucket(f *testing.F) {
	for _, s := range []string{"b.localhost:1", "x.s3.y", "127.0.0.1", "a.s3-", "..localhost", "[::1]:80", "%00.localhost"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, host string) {
		b, ok := s3api.HostBucket(host)
		if ok && (b == "" || !strings.Contains(strings.ToLower(host), b)) {
			t.Fatalf("HostBucket(%q) = %q", host, b)
		}
		tg := s3api.ParseTarget(host, "/k/x")
		if ok && tg.Bucket != b {
			t.Fatalf("ParseTarget(%q) bucket %q, HostBucket %q", host, tg.Bucket, b)
		}
	})
}

// FuzzParseTagging: the x-amz-tagging header decoder accepts only tag sets
// within S3's rules.
func FuzzParseTagging(f *testing.F) {
	for _, s := range []string{"a=1", "a=1&a=2", "=", "%", "a=%E2%82%AC", strings.Repeat("a", 200) + "=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		tags, err := s3api.ParseTagging(v)
		if err == nil && objectstore.ValidTags(tags) != nil {
			t.Fatalf("ParseTagging(%q) accepted invalid tags %v", v, tags)
		}
	})
}

// FuzzParseTaggingDoc: the PutObjectTagging body decoder.
func FuzzParseTaggingDoc(f *testing.F) {
	for _, s := range []string{
		`<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag></TagSet></Tagging>`,
		`<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag><Tag><Key>a</Key><Value>2</Value></Tag></TagSet></Tagging>`,
		`<Tagging>`, ``, `<x/>`, `<Tagging><TagSet><Tag><Key></Key></Tag></TagSet></Tagging>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		tags, err := s3api.ParseTaggingDoc(body)
		if err == nil && objectstore.ValidTags(tags) != nil {
			t.Fatalf("ParseTaggingDoc(%q) accepted invalid tags %v", body, tags)
		}
	})
}

func TestIsS3(t *testing.T) {
	const s3Auth = "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00"
	const transferAuth = "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/transfer/aws4_request, SignedHeaders=host, Signature=00"
	for _, tc := range []struct {
		name, host, target, authz, query string
		want                             bool
	}{
		{"signed for s3", "127.0.0.1:4566", "", s3Auth, "", true},
		{"presigned for s3", "127.0.0.1:4566", "", "", "X-Amz-Credential=AKID%2F20260101%2Fus-east-1%2Fs3%2Faws4_request", true},
		{"signed for transfer", "127.0.0.1:4566", "TransferService.ListServers", transferAuth, "", false},
		{"an awsJson target signed for s3", "127.0.0.1:4566", "TransferService.ListServers", s3Auth, "", false},
		{"unsigned, virtual host", "b.localhost:4566", "", "", "", true},
		{"Ersatz's own endpoints", "127.0.0.1:4566", "", s3Auth, "_ersatz", false},
		{"unsigned, no bucket in the host", "127.0.0.1:4566", "", "", "", false},
	} {
		path := "/b/k?" + tc.query
		if tc.query == "_ersatz" {
			path = "/_ersatz/health"
		}
		r := httptest.NewRequest(http.MethodGet, "http://"+tc.host+path, nil)
		r.Host = tc.host
		if tc.target != "" {
			r.Header.Set("X-Amz-Target", tc.target)
		}
		if tc.authz != "" {
			r.Header.Set("Authorization", tc.authz)
		}
		if got := s3api.IsS3(r); got != tc.want {
			t.Errorf("%s: IsS3 = %v", tc.name, got)
		}
	}
}
