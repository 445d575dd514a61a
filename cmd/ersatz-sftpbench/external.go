package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ersatz-dev/ersatz/internal/objectstore/s3remote"
	"github.com/ersatz-dev/ersatz/internal/testkit/s3test"
)

// external names the S3-compatible store of the external backend: given
// with -s3-endpoint, or a versitygw started by the bench (-versitygw).
type external struct {
	endpoint, accessKeyID, secretAccessKey, region string
	versitygw                                      bool
}

func (e external) enabled() bool { return e.versitygw || e.endpoint != "" }

// check tells what is wrong with the flags, before anything starts.
func (e external) check() error {
	switch {
	case e.versitygw && e.endpoint != "":
		return errors.New("-versitygw and -s3-endpoint exclude each other")
	case e.endpoint != "" && (e.accessKeyID == "" || e.secretAccessKey == ""):
		return errors.New("-s3-endpoint needs -s3-access-key-id and -s3-secret-access-key (or ERSATZ_S3_ACCESS_KEY_ID and ERSATZ_S3_SECRET_ACCESS_KEY)")
	case e.endpoint != "":
		if u, err := url.Parse(e.endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("-s3-endpoint %q is not an http:// or https:// URL", e.endpoint)
		}
	}
	return nil
}

// store is a running S3-compatible endpoint with its credentials.
type store struct {
	name, url, accessKeyID, secretAccessKey, region string
}

// openStore starts versitygw under work, or checks the endpoint given.
func openStore(ctx context.Context, e external, work string) (store, func(), error) {
	if err := e.check(); err != nil {
		return store{}, nil, err
	}
	if e.versitygw {
		s, stop, err := s3test.Launch(filepath.Join(work, "versitygw"), e.region)
		if err != nil {
			return store{}, nil, fmt.Errorf("start versitygw: %w", err)
		}
		return store{name: "versitygw", url: s.URL, accessKeyID: s.AccessKeyID, secretAccessKey: s.SecretAccessKey, region: s.Region}, stop, nil
	}
	u, _ := url.Parse(e.endpoint) // checked
	return store{name: u.Host, url: strings.TrimRight(e.endpoint, "/"), accessKeyID: e.accessKeyID,
		secretAccessKey: e.secretAccessKey, region: e.region}, func() {}, nil
}

// objects returns Ersatz's external backend over st, checked; its
// requests go through counter.
func (st store) objects(ctx context.Context, tempDir string, counter *requestCounter) (*s3remote.Store, error) {
	if err := os.MkdirAll(tempDir, 0o700); err != nil {
		return nil, fmt.Errorf("s3 spool: %w", err)
	}
	o, err := s3remote.New(s3remote.Config{Endpoint: st.url, Region: st.region, AccessKeyID: st.accessKeyID,
		SecretAccessKey: st.secretAccessKey, TempDir: tempDir, HTTPClient: &http.Client{Transport: counter}})
	if err != nil {
		return nil, err
	}
	cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := o.Check(cctx); err != nil {
		return nil, fmt.Errorf("%s does not answer ListBuckets: %w", st.url, err)
	}
	return o, nil
}

// bucketName is a bucket name no earlier run picked.
func bucketName(prefix string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}

// awsCLI runs the AWS CLI against the store's own endpoint with its
// credentials only (no profile, no config file of the user).
type awsCLI struct {
	st   store
	work string
}

func (a awsCLI) run(ctx context.Context, args ...string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "aws", append([]string{"--endpoint-url", a.st.url}, args...)...)
	cmd.Dir = a.work
	env := []string{"AWS_ACCESS_KEY_ID=" + a.st.accessKeyID, "AWS_SECRET_ACCESS_KEY=" + a.st.secretAccessKey,
		"AWS_DEFAULT_REGION=" + a.st.region, "AWS_CONFIG_FILE=" + filepath.Join(a.work, "no-aws-config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(a.work, "no-aws-credentials")}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("aws %s: %w: %s", args[0]+" "+args[1], err, strings.TrimSpace(string(out)))
	}
	return nil
}

// s3cpSingle times one `aws s3 cp` upload of big into bucket and one
// download back, each as a whole process, and compares the download with
// big byte for byte.
func s3cpSingle(a awsCLI, name, bucket, big string, size int64) []result {
	fmt.Printf("%s: upload and download of %s...\n", name, human(size))
	ctx := context.Background()
	uri := fmt.Sprintf("s3://%s/single-%s.bin", bucket, bucketName("obj"))
	back := filepath.Join(a.work, "back-s3.bin")
	start := time.Now()
	err := a.run(ctx, "s3", "cp", "--only-show-errors", big, uri)
	up := result{target: name, test: "upload", bytes: size, elapsed: time.Since(start), err: err}
	start = time.Now()
	err = a.run(ctx, "s3", "cp", "--only-show-errors", uri, back)
	down := result{target: name, test: "download", bytes: size, elapsed: time.Since(start), err: err}
	if err == nil {
		down.err = compare(big, back)
	}
	_ = os.Remove(back)
	if err := a.run(ctx, "s3", "rm", "--only-show-errors", uri); err != nil {
		fmt.Println("cleanup:", err)
	}
	return []result{up, down}
}

// compare fails unless the two files are byte-identical.
func compare(want, got string) error {
	same, err := sameFile(want, got)
	if err != nil {
		return fmt.Errorf("compare %s with %s: %w", got, want, err)
	}
	if !same {
		return fmt.Errorf("downloaded file %s differs from %s", got, want)
	}
	return nil
}

// verifier returns a check, run once (the first round), that the file
// put over SFTP under home is an object of the store that `aws s3 cp`
// reads back byte-identical to big, straight from the store's endpoint.
func (a awsCLI) verifier(big, home string, done *bool) func(remote string) error {
	return func(remote string) error {
		if *done {
			return nil
		}
		fmt.Println("  checking the upload with aws s3 cp from the store directly...")
		back := filepath.Join(a.work, "verify.bin")
		defer os.Remove(back)
		if err := a.run(context.Background(), "s3", "cp", "--only-show-errors", "s3:/"+home+"/"+remote, back); err != nil {
			return fmt.Errorf("read the SFTP upload from the store: %w", err)
		}
		if err := compare(big, back); err != nil {
			return err
		}
		*done = true
		return nil
	}
}

// requestCounter counts the requests Ersatz sends to the external store,
// by method ("GET range" for a ranged GET), and the body bytes sent and
// received, to show what an SFTP transfer costs in S3 requests.
type requestCounter struct {
	base   http.RoundTripper
	mu     sync.Mutex
	counts map[string]int
}

func newRequestCounter() *requestCounter {
	return &requestCounter{base: http.DefaultTransport.(*http.Transport).Clone(), counts: map[string]int{}}
}

func (c *requestCounter) RoundTrip(req *http.Request) (*http.Response, error) {
	k := req.Method
	if k == http.MethodGet && req.Header.Get("Range") != "" {
		k = "GET range"
	}
	c.mu.Lock()
	c.counts[k]++
	if req.ContentLength > 0 {
		c.counts[sentKey] += int(req.ContentLength)
	}
	c.mu.Unlock()
	resp, err := c.base.RoundTrip(req)
	if err == nil && resp.Body != nil {
		resp.Body = &countedBody{ReadCloser: resp.Body, c: c}
	}
	return resp, err
}

// Keys of the byte counts (after every method name in sort order).
const (
	receivedKey = "~received bytes"
	sentKey     = "~sent bytes"
)

// countedBody adds what is read of a response body to the received bytes.
type countedBody struct {
	io.ReadCloser
	c *requestCounter
}

func (b *countedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.c.mu.Lock()
	b.c.counts[receivedKey] += n
	b.c.mu.Unlock()
	return n, err
}

// since returns the counts added after before, as "GET 1, PUT 3".
func (c *requestCounter) since(before map[string]int) string {
	now := c.snapshot()
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(now)) {
		d := now[k] - before[k]
		switch {
		case d <= 0:
		case k == sentKey || k == receivedKey:
			parts = append(parts, fmt.Sprintf("%s %.1f MiB", strings.TrimSuffix(k[1:], " bytes"), float64(d)/(1<<20)))
		default:
			parts = append(parts, fmt.Sprintf("%s %d", k, d))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func (c *requestCounter) snapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.counts)
}
