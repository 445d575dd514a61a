package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/ersatz-dev/ersatz/internal/files"
	"github.com/ersatz-dev/ersatz/internal/objectstore"
	"github.com/ersatz-dev/ersatz/internal/objectstore/s3remote"
)

// s3Flags choose the object store: the data directory's folders, or an
// external S3-compatible endpoint.
type s3Flags struct {
	endpoint, accessKeyID, secretAccessKey, region string
}

// addS3Flags adds the external object store's flags (their ERSATZ_*
// twins are read by parseWithEnv; the secret is best given by its twin,
// ERSATZ_S3_SECRET_ACCESS_KEY, since a command line is visible in ps).
func addS3Flags(fs *flag.FlagSet, c *config) {
	fs.StringVar(&c.s3.endpoint, "s3-endpoint", "", "URL of an S3-compatible endpoint keeping the buckets and objects instead of the data directory (docs/s3.md)")
	fs.StringVar(&c.s3.accessKeyID, "s3-access-key-id", "", "access key id of --s3-endpoint")
	fs.StringVar(&c.s3.secretAccessKey, "s3-secret-access-key", "", "secret access key of --s3-endpoint (prefer its environment twin: a command line is visible to other users)")
	fs.StringVar(&c.s3.region, "s3-region", "us-east-1", "region the requests to --s3-endpoint are signed for")
}

// s3CheckTimeout bounds the start-up check of --s3-endpoint.
const s3CheckTimeout = 10 * time.Second

// openObjects returns the external object store when --s3-endpoint is set
// (checked: it must list its buckets with the credentials given), or nil
// for the data directory's.
func openObjects(ctx context.Context, c config) (objectstore.Store, error) {
	f := c.s3
	if f.endpoint == "" {
		if f.accessKeyID != "" || f.secretAccessKey != "" {
			return nil, errors.New("--s3-access-key-id and --s3-secret-access-key need --s3-endpoint (ERSATZ_S3_ENDPOINT)")
		}
		return nil, nil
	}
	if f.accessKeyID == "" || f.secretAccessKey == "" {
		return nil, errors.New("--s3-endpoint needs --s3-access-key-id and --s3-secret-access-key (or ERSATZ_S3_ACCESS_KEY_ID and ERSATZ_S3_SECRET_ACCESS_KEY)")
	}
	// Bodies of unknown size wait in the data directory's spool before
	// they go, as the data plane's uploads do.
	tmp := files.New(c.dataDir).SpoolDir()
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return nil, fmt.Errorf("--s3-endpoint: create %s: %w", tmp, err)
	}
	st, err := s3remote.New(s3remote.Config{Endpoint: f.endpoint, Region: f.region, AccessKeyID: f.accessKeyID,
		SecretAccessKey: f.secretAccessKey, TempDir: tmp})
	if err != nil {
		return nil, fmt.Errorf("--s3-endpoint: %w", err)
	}
	cctx, cancel := context.WithTimeout(ctx, s3CheckTimeout)
	defer cancel()
	if err := st.Check(cctx); err != nil {
		return nil, fmt.Errorf("--s3-endpoint %s does not answer ListBuckets with the credentials given (--s3-access-key-id, --s3-secret-access-key, --s3-region): %w",
			f.endpoint, err)
	}
	return st, nil
}

// objectsKind names the object store in the start-up log line.
func objectsKind(c config) string {
	if c.s3.endpoint != "" {
		return c.s3.endpoint
	}
	return "local"
}
