package e2e_test

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/transfer"

	"github.com/ersatz-dev/ersatz/internal/testkit"
	"github.com/ersatz-dev/ersatz/internal/testkit/pgtest"
	"github.com/ersatz-dev/ersatz/internal/testkit/s3test"
)

// externalPair starts two real Ersatz processes on one PostgreSQL schema
// and one versitygw (--s3-endpoint), each with a data directory of its
// own; extra(i) adds flags to process i.
func externalPair(t *testing.T, extra ...func(i int) []string) (a, b *ersatzProc, store *s3test.Server) {
	t.Helper()
	dsn := pgtest.PostgresSchema(t)
	store = s3test.StartOwn(t)
	bin := buildErsatz(t)
	var procs [2]*ersatzProc
	for i := range procs {
		args := []string{"--store", dsn, "--data-dir", t.TempDir(), "--s3-endpoint", store.URL, "--s3-access-key-id", store.AccessKeyID,
			"--s3-secret-access-key", store.SecretAccessKey}
		for _, f := range extra {
			args = append(args, f(i)...)
		}
		procs[i] = startErsatz(t, bin, args...)
	}
	return procs[0], procs[1], store
}

// Two Ersatz processes sharing one PostgreSQL and one S3 store share their
// buckets: `aws s3 cp` up through A comes down through B byte for byte,
// B knows which account owns the bucket A made, and the object is in the
// store itself (versitygw lists it).
func TestS3ExternalTwoProcesses(t *testing.T) {
	t.Parallel()
	testkit.RequireAWSCLI(t)
	a, b, store := externalPair(t)
	ctx := context.Background()
	cliA, cliB := s3CLI(t, a.url, acctA), s3CLI(t, b.url, acctA)

	if _, stderr, err := cliA.Run("s3", "mb", "s3://shared-bucket"); err != nil {
		t.Fatalf("mb through A: %v\n%s", err, stderr)
	}
	dir := t.TempDir()
	up := filepath.Join(dir, "up.bin")
	sum := writeRandomFile(t, up, 20<<20+123) // several multipart parts
	if _, stderr, err := cliA.Run("s3", "cp", "--only-show-errors", up, "s3://shared-bucket/dir/up.bin"); err != nil {
		t.Fatalf("cp up through A: %v\n%s", err, stderr)
	}
	down := filepath.Join(dir, "down.bin")
	if _, stderr, err := cliB.Run("s3", "cp", "--only-show-errors", "s3://shared-bucket/dir/up.bin", down); err != nil {
		t.Fatalf("cp down through B: %v\n%s", err, stderr)
	}
	if fileSum(t, down) != sum {
		t.Fatal("the file downloaded through B differs from the one uploaded through A")
	}

	// B knows the bucket is account A's.
	ownerB, otherB := s3Client(b.url, acctA), s3Client(b.url, acctB)
	if _, err := otherB.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("shared-bucket"), Key: aws.String("dir/up.bin")}); s3Status(err) != 403 {
		t.Fatalf("another account reads through B: %v", err)
	}
	for _, c := range []struct {
		c    *s3.Client
		code string
	}{{ownerB, "BucketAlreadyOwnedByYou"}, {otherB, "BucketAlreadyExists"}} {
		if _, err := c.c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("shared-bucket")}); apiCode(err) != c.code {
			t.Fatalf("create the bucket again through B: %v, want %s", err, c.code)
		}
	}
	if lb, err := otherB.ListBuckets(ctx, &s3.ListBucketsInput{}); err != nil || len(lb.Buckets) != 0 {
		t.Fatalf("another account lists through B: %+v %v", lb, err)
	}

	// The object is the store's: versitygw itself lists and serves it.
	direct := s3.NewFromConfig(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(store.URL),
		Credentials: credentials.NewStaticCredentialsProvider(store.AccessKeyID, store.SecretAccessKey, "")}, func(o *s3.Options) { o.UsePathStyle = true })
	if keys := s3Keys(t, direct, "shared-bucket", ""); !slices.Equal(keys, []string{"dir/up.bin"}) {
		t.Fatalf("versitygw lists %q", keys)
	}
	// Deleted through B, it is gone for A.
	if _, stderr, err := cliB.Run("s3", "rm", "s3://shared-bucket/dir/up.bin"); err != nil {
		t.Fatalf("rm through B: %v\n%s", err, stderr)
	}
	if _, err := s3Client(a.url, acctA).HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("shared-bucket"), Key: aws.String("dir/up.bin")}); s3Status(err) != 404 {
		t.Fatalf("A still has the object B deleted: %v", err)
	}
}

// Two Ersatz processes sharing one PostgreSQL and one S3 store serve one
// Transfer server's files alike: a file put over SFTP to A is the object
// `aws s3 cp` reads through B and the file `sftp get` reads from B.
func TestS3ExternalTwoProcessesSFTP(t *testing.T) {
	t.Parallel()
	needTool(t, "sftp", "ssh-keygen")
	testkit.RequireAWSCLI(t)
	// Two machines, as one machine can hold them: the processes listen on
	// two loopback addresses, so both serve the server on the port the
	// shared store records for it.
	base := freePortBlock(t, 40)
	a, b, _ := externalPair(t, func(i int) []string {
		args := []string{"--no-transfer-data-plane=false", "--transfer-ports", fmt.Sprintf("%d-%d", base, base+19),
			"--transfer-passive-ports", fmt.Sprintf("%d-%d", base+20, base+39)}
		if i == 1 {
			args = append(args, "--listen", freeAddr(t, "127.0.0.2"))
		}
		return args
	})
	tc := (&testkit.Server{URL: a.url}).TransferAs(acctA, "us-east-1")
	key, pub := sshKey(t, "ed25519")
	sid := mustCreateServer(t, tc, nil)
	createUser(t, tc, sid, "alice", pub, func(in *transfer.CreateUserInput) {
		in.HomeDirectory = aws.String("/sftp-shared/home/alice")
	})
	cliB := s3CLI(t, b.url, acctA)
	if _, stderr, err := s3CLI(t, a.url, acctA).Run("s3", "mb", "s3://sftp-shared"); err != nil {
		t.Fatalf("mb through A: %v\n%s", err, stderr)
	}
	addrA := (&dpEnv{URL: a.url}).waitListening(t, sid, "SFTP")
	addrB := (&dpEnv{URL: b.url}).waitListening(t, sid, "SFTP")

	dir := t.TempDir()
	up := filepath.Join(dir, "up.bin")
	sum := writeRandomFile(t, up, 9<<20+7)
	if out, err := sftpBatch(t, addrA, key, "alice", "put "+up+" up.bin\n"); err != nil {
		t.Fatalf("sftp put to A: %v\n%s", err, out)
	}
	viaS3 := filepath.Join(dir, "s3.bin")
	if _, stderr, err := cliB.Run("s3", "cp", "--only-show-errors", "s3://sftp-shared/home/alice/up.bin", viaS3); err != nil {
		t.Fatalf("aws s3 cp through B of the file put to A: %v\n%s", err, stderr)
	}
	if fileSum(t, viaS3) != sum {
		t.Fatal("aws s3 cp through B differs from the file put over SFTP to A")
	}
	viaSFTP := filepath.Join(dir, "sftp.bin")
	if out, err := sftpBatch(t, addrB, key, "alice", "get up.bin "+viaSFTP+"\n"); err != nil {
		t.Fatalf("sftp get from B: %v\n%s", err, out)
	}
	if fileSum(t, viaSFTP) != sum {
		t.Fatal("sftp get from B differs from the file put over SFTP to A")
	}
	if addrA == addrB {
		t.Fatalf("A and B both serve %s: the test did not reach two processes", addrA)
	}
}

// freeAddr is a free host:port on host.
func freeAddr(t *testing.T, host string) string {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Skipf("cannot listen on %s: %v", host, err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
