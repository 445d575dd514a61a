package e2e_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"
	"golang.org/x/crypto/ssh"
)

// writeRandomFile writes size pseudo-random bytes and returns their SHA-256.
func writeRandomFile(t testing.TB, path string, size int64) [32]byte {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	w := bufio.NewWriterSize(io.MultiWriter(f, h), 1<<20)
	rng := rand.NewChaCha8([32]byte{1, 2, 3})
	if _, err := io.CopyN(w, rng, size); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	var sum [32]byte
	copy(sum[:], h.Sum(nil))
	return sum
}

func fileSum(t testing.TB, path string) [32]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	var sum [32]byte
	copy(sum[:], h.Sum(nil))
	return sum
}

// TestDataplaneSFTPServiceManaged: a service-managed user logs in with its
// key through OpenSSH's sftp and puts, gets (100 MiB, byte-identical),
// makes a folder, renames, removes and lists, inside its PATH home.
func TestDataplaneSFTPServiceManaged(t *testing.T) {
	t.Parallel()
	needTool(t, "sftp", "ssh-keygen")
	env := startDataPlane(t, nil, "", "")
	ctx := context.Background()
	key, pub := sshKey(t, "ed25519")
	sid := mustCreateServer(t, env.TC, nil)
	createUser(t, env.TC, sid, "alice", pub, func(in *transfer.CreateUserInput) {
		in.HomeDirectory = aws.String("/bucket/home/alice")
	})
	addr := env.waitListening(t, sid, "SFTP")

	// The host key the server presents is the one DescribeServer fingerprints.
	desc, err := env.TC.DescribeServer(ctx, &transfer.DescribeServerInput{ServerId: aws.String(sid)})
	if err != nil {
		t.Fatal(err)
	}
	if got := presentedFingerprint(t, addr); got != aws.ToString(desc.Server.HostKeyFingerprint) {
		t.Fatalf("presented host key %s, DescribeServer says %s", got, aws.ToString(desc.Server.HostKeyFingerprint))
	}
	for _, s := range env.endpoints(t) {
		if s.ServerID == sid && (s.HostKeyFingerprint != aws.ToString(desc.Server.HostKeyFingerprint) || s.Account != acctA || s.Region != "us-east-1" || s.State != "ONLINE") {
			t.Fatalf("endpoint listing: %+v", s)
		}
	}

	local := t.TempDir()
	big := filepath.Join(local, "big.bin")
	sum := writeRandomFile(t, big, 100<<20)
	if err := os.WriteFile(filepath.Join(local, "small.txt"), []byte("hello sftp\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := sftpBatch(t, addr, key, "alice", strings.Join([]string{
		"pwd",
		"put " + big + " big.bin",
		"get big.bin " + filepath.Join(local, "back.bin"),
		"mkdir reports",
		"put " + filepath.Join(local, "small.txt") + " reports/a.txt",
		"rename reports/a.txt reports/b.txt",
		"put " + filepath.Join(local, "small.txt") + " gone.txt",
		"rm gone.txt",
		"ls -l",
		"ls reports",
	}, "\n")+"\n")
	if err != nil {
		t.Fatalf("sftp: %v\n%s", err, out)
	}
	if !strings.Contains(out, "Remote working directory: /bucket/home/alice") {
		t.Errorf("pwd: %s", out)
	}
	if fileSum(t, filepath.Join(local, "back.bin")) != sum {
		t.Fatal("downloaded file differs from the uploaded one")
	}
	if fileSum(t, env.file("/bucket/home/alice/big.bin")) != sum {
		t.Fatal("stored file differs from the uploaded one")
	}
	if b, err := os.ReadFile(env.file("/bucket/home/alice/reports/b.txt")); err != nil || string(b) != "hello sftp\n" {
		t.Fatalf("renamed file: %q %v", b, err)
	}
	for _, gone := range []string{"/bucket/home/alice/reports/a.txt", "/bucket/home/alice/gone.txt"} {
		if _, err := os.Stat(env.file(gone)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s still exists: %v", gone, err)
		}
	}
	if !strings.Contains(out, "reports/b.txt") || !strings.Contains(out, "104857600") {
		t.Errorf("listing: %s", out)
	}

	// A wrong key and an unknown user are refused, and the log says why.
	otherKey, _ := sshKey(t, "ed25519")
	if out, err := sftpBatch(t, addr, otherKey, "alice", "ls\n"); err == nil {
		t.Fatalf("wrong key logged in: %s", out)
	}
	if out, err := sftpBatch(t, addr, key, "mallory", "ls\n"); err == nil {
		t.Fatalf("unknown user logged in: %s", out)
	}
	logins := env.logins(t, sid)
	var ok, wrongKey, unknown bool
	for _, l := range logins {
		switch {
		case l.Success && l.UserName == "alice" && l.Method == "publickey":
			ok = true
		case !l.Success && l.UserName == "alice" && strings.Contains(l.Reason, "not one of the user's 1 keys"):
			wrongKey = true
		case !l.Success && l.UserName == "mallory" && l.Reason == "unknown user":
			unknown = true
		}
	}
	if !ok || !wrongKey || !unknown {
		t.Fatalf("login log (ok=%v wrongKey=%v unknown=%v): %+v", ok, wrongKey, unknown, logins)
	}
}

// presentedFingerprint connects with the Go SSH client and returns the
// host key's fingerprint.
func presentedFingerprint(t testing.TB, addr string) string {
	t.Helper()
	return presentedFingerprintAlgo(t, addr, ssh.KeyAlgoED25519)
}

// presentedFingerprintAlgo asks for a host key of one algorithm.
func presentedFingerprintAlgo(t testing.TB, addr, algo string) string {
	t.Helper()
	var got string
	cfg := &ssh.ClientConfig{
		User: "nobody",
		Auth: []ssh.AuthMethod{ssh.Password("x")},
		HostKeyCallback: func(_ string, _ net.Addr, key ssh.PublicKey) error {
			got = ssh.FingerprintSHA256(key)
			return errors.New("stop after the host key")
		},
		HostKeyAlgorithms: []string{algo},
		Timeout:           5 * time.Second,
	}
	c, err := ssh.Dial("tcp", addr, cfg)
	if err == nil {
		c.Close()
	}
	return got
}

// TestDataplaneStopStartDelete: a stopped server refuses connections, a
// started one listens again on the same port, a deleted one is gone.
func TestDataplaneStopStartDelete(t *testing.T) {
	t.Parallel()
	env := startDataPlane(t, nil, "", "")
	ctx := context.Background()
	sid := mustCreateServer(t, env.TC, nil)
	addr := env.waitListening(t, sid, "SFTP")
	if _, err := env.TC.StopServer(ctx, &transfer.StopServerInput{ServerId: aws.String(sid)}); err != nil {
		t.Fatal(err)
	}
	waitRefused(t, addr)
	waitState(t, env.TC, sid, types.StateOffline)
	if _, err := env.TC.StartServer(ctx, &transfer.StartServerInput{ServerId: aws.String(sid)}); err != nil {
		t.Fatal(err)
	}
	if again := env.waitListening(t, sid, "SFTP"); again != addr {
		t.Fatalf("restarted on %s, was %s", again, addr)
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err != nil {
		t.Fatalf("started server refuses: %v", err)
	} else {
		c.Close()
	}
	if _, err := env.TC.DeleteServer(ctx, &transfer.DeleteServerInput{ServerId: aws.String(sid)}); err != nil {
		t.Fatal(err)
	}
	waitRefused(t, addr)
	for _, s := range env.endpoints(t) {
		if s.ServerID == sid {
			t.Fatalf("deleted server still listed: %+v", s)
		}
	}
}

func waitRefused(t testing.TB, addr string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return
		}
		c.Close()
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s still accepts connections", addr)
}

// TestDataplaneSessionPolicy: the AWS example session policy confines a
// PATH user to its home folder; an explicit Deny wins.
func TestDataplaneSessionPolicy(t *testing.T) {
	t.Parallel()
	needTool(t, "sftp", "ssh-keygen")
	env := startDataPlane(t, nil, "", "")
	key, pub := sshKey(t, "ed25519")
	sid := mustCreateServer(t, env.TC, nil)
	policy := `{"Version":"2012-10-17","Statement":[
	 {"Sid":"AllowListingOfUserFolder","Action":["s3:ListBucket"],"Effect":"Allow","Resource":["arn:aws:s3:::${transfer:HomeBucket}"],
	  "Condition":{"StringLike":{"s3:prefix":["${transfer:HomeFolder}/*","${transfer:HomeFolder}"]}}},
	 {"Sid":"HomeDirObjectAccess","Effect":"Allow","Action":["s3:PutObject","s3:GetObject","s3:DeleteObject"],
	  "Resource":"arn:aws:s3:::${transfer:HomeDirectory}*"},
	 {"Sid":"KeepArchive","Effect":"Deny","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::${transfer:HomeDirectory}archive/*"}]}`
	createUser(t, env.TC, sid, "bob", pub, func(in *transfer.CreateUserInput) {
		in.HomeDirectory = aws.String("/bucket/home/bob/")
		in.Policy = aws.String(policy)
	})
	for _, p := range []string{"/bucket/home/carol/private.txt", "/bucket/home/bob/archive/keep.txt"} {
		if err := os.MkdirAll(filepath.Dir(env.file(p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(env.file(p), []byte("data"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	addr := env.waitListening(t, sid, "SFTP")
	local := t.TempDir()
	src := filepath.Join(local, "up.txt")
	if err := os.WriteFile(src, []byte("up"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		cmd   string
		allow bool
	}{
		{"ls", true},
		{"put " + src + " up.txt", true},
		{"get up.txt " + filepath.Join(local, "down.txt"), true},
		{"rm up.txt", true},
		{"ls /bucket/home/carol", false},
		{"ls /bucket/home", false},
		{"ls /bucket", false},
		{"get /bucket/home/carol/private.txt " + filepath.Join(local, "stolen.txt"), false},
		{"put " + src + " /bucket/home/carol/x.txt", false},
		{"rm /bucket/home/carol/private.txt", false},
		{"rm archive/keep.txt", false}, // the explicit Deny
		{"get archive/keep.txt " + filepath.Join(local, "keep.txt"), true},
	}
	for _, tc := range tests {
		out, err := sftpBatch(t, addr, key, "bob", tc.cmd+"\n")
		if tc.allow && err != nil {
			t.Errorf("%q was refused: %v\n%s", tc.cmd, err, out)
		}
		if !tc.allow && err == nil {
			t.Errorf("%q was allowed:\n%s", tc.cmd, out)
		}
		// OpenSSH's ls and get glob the remote path first, and report a
		// path they may not stat as "not found"; the other commands show
		// the status.
		globs := strings.HasPrefix(tc.cmd, "ls ") || strings.HasPrefix(tc.cmd, "get ")
		if !tc.allow && err != nil && !strings.Contains(strings.ToLower(out), "permission denied") &&
			!(globs && strings.Contains(out, "not found")) {
			t.Errorf("%q failed without permission denied:\n%s", tc.cmd, out)
		}
	}
	if b, err := os.ReadFile(env.file("/bucket/home/carol/private.txt")); err != nil || string(b) != "data" {
		t.Fatalf("carol's file: %q %v", b, err)
	}
	if _, err := os.Stat(env.file("/bucket/home/bob/archive/keep.txt")); err != nil {
		t.Fatalf("denied delete removed the file: %v", err)
	}
	if _, err := os.Stat(filepath.Join(local, "stolen.txt")); err == nil {
		t.Fatal("a denied get wrote a local file")
	}
}

// TestDataplaneEFSOwner: on an EFS server, files carry the PosixProfile's
// uid and gid.
func TestDataplaneEFSOwner(t *testing.T) {
	t.Parallel()
	needTool(t, "sftp", "ssh-keygen")
	env := startDataPlane(t, nil, "", "")
	key, pub := sshKey(t, "ed25519")
	sid := mustCreateServer(t, env.TC, &transfer.CreateServerInput{Domain: types.DomainEfs})
	createUser(t, env.TC, sid, "eve", pub, func(in *transfer.CreateUserInput) {
		in.HomeDirectory = aws.String("/fs-0123456789abcdef0/home/eve")
		in.PosixProfile = &types.PosixProfile{Uid: aws.Int64(1234), Gid: aws.Int64(5678)}
	})
	addr := env.waitListening(t, sid, "SFTP")
	src := filepath.Join(t.TempDir(), "f.txt")
	if err := os.WriteFile(src, []byte("efs"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := sftpBatch(t, addr, key, "eve", "put "+src+" f.txt\nmkdir d\nls -ln\nls -l\n")
	if err != nil {
		t.Fatalf("sftp: %v\n%s", err, out)
	}
	var lines int
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) >= 9 && (f[8] == "f.txt" || f[8] == "d") {
			lines++
			if f[2] != "1234" || f[3] != "5678" {
				t.Errorf("owner of %s: %s %s, want 1234 5678 (%q)", f[8], f[2], f[3], l)
			}
		}
	}
	if lines < 4 {
		t.Fatalf("expected f.txt and d in both listings:\n%s", out)
	}
	if b, err := os.ReadFile(filepath.Join(env.DataDir, "files", "efs", "fs-0123456789abcdef0", "home", "eve", "f.txt")); err != nil || string(b) != "efs" {
		t.Fatalf("EFS file: %q %v", b, err)
	}
}

// TestDataplaneLambdaNeedsEndpoint: without --lambda-endpoint an
// AWS_LAMBDA server refuses logins, and the log names the flag.
func TestDataplaneLambdaNeedsEndpoint(t *testing.T) {
	t.Parallel()
	needTool(t, "sftp", "ssh-keygen")
	env := startDataPlane(t, nil, "", "")
	key, _ := sshKey(t, "ed25519")
	sid := mustCreateServer(t, env.TC, &transfer.CreateServerInput{
		IdentityProviderType:    types.IdentityProviderTypeAwsLambda,
		IdentityProviderDetails: &types.IdentityProviderDetails{Function: aws.String("arn:aws:lambda:us-east-1:111111111111:function:auth")},
	})
	addr := env.waitListening(t, sid, "SFTP")
	if out, err := sftpBatch(t, addr, key, "anyone", "ls\n"); err == nil {
		t.Fatalf("logged in through a Lambda provider with no Lambda endpoint: %s", out)
	}
	logins := env.logins(t, sid)
	if len(logins) == 0 || logins[len(logins)-1].Success || !strings.Contains(logins[len(logins)-1].Reason, "--lambda-endpoint") {
		t.Fatalf("login log: %+v", logins)
	}
}

func waitState(t testing.TB, c *transfer.Client, sid string, want types.State) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		out, err := c.DescribeServer(context.Background(), &transfer.DescribeServerInput{ServerId: aws.String(sid)})
		if err != nil {
			t.Fatal(err)
		}
		if out.Server.State == want {
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("server %s never became %s", sid, want)
}

// TestDataplaneOnUploadWorkflow: an upload through SFTP runs the server's
// OnUpload workflow (a COPY step copies the file).
func TestDataplaneOnUploadWorkflow(t *testing.T) {
	t.Parallel()
	needTool(t, "sftp", "ssh-keygen")
	env := startDataPlane(t, nil, "", "")
	ctx := context.Background()
	wf, err := env.TC.CreateWorkflow(ctx, &transfer.CreateWorkflowInput{
		Steps: []types.WorkflowStep{{
			Type: types.WorkflowStepTypeCopy,
			CopyStepDetails: &types.CopyStepDetails{
				Name: aws.String("archive"),
				DestinationFileLocation: &types.InputFileLocation{S3FileLocation: &types.S3InputFileLocation{
					Bucket: aws.String("archive"), Key: aws.String("${Transfer:UserName}/"),
				}},
			},
		}},
	})
	if err != nil {
		t.Fatalf("CreateWorkflow: %v", err)
	}
	sid := mustCreateServer(t, env.TC, &transfer.CreateServerInput{WorkflowDetails: &types.WorkflowDetails{
		OnUpload: []types.WorkflowDetail{{WorkflowId: wf.WorkflowId, ExecutionRole: aws.String(testRole)}},
	}})
	key, pub := sshKey(t, "ed25519")
	createUser(t, env.TC, sid, "uma", pub, func(in *transfer.CreateUserInput) { in.HomeDirectory = aws.String("/inbox/uma") })
	addr := env.waitListening(t, sid, "SFTP")
	src := filepath.Join(t.TempDir(), "invoice.pdf")
	if err := os.WriteFile(src, []byte("%PDF-1.7 invoice"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := sftpBatch(t, addr, key, "uma", "put "+src+" invoice.pdf\n"); err != nil {
		t.Fatalf("sftp: %v\n%s", err, out)
	}
	copied := env.file("/archive/uma/invoice.pdf")
	deadline := time.Now().Add(10 * time.Second)
	for {
		if b, err := os.ReadFile(copied); err == nil && string(b) == "%PDF-1.7 invoice" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the OnUpload COPY step did not copy the upload to %s", copied)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestDataplaneSecurityPolicyAlgorithms: the server's security policy
// decides the SSH algorithms it offers.
func TestDataplaneSecurityPolicyAlgorithms(t *testing.T) {
	t.Parallel()
	needTool(t, "sftp", "ssh-keygen")
	env := startDataPlane(t, nil, "", "")
	key, pub := sshKey(t, "ed25519")
	sid := mustCreateServer(t, env.TC, &transfer.CreateServerInput{SecurityPolicyName: aws.String("TransferSecurityPolicy-Restricted-2020-06")})
	createUser(t, env.TC, sid, "pat", pub, nil)
	addr := env.waitListening(t, sid, "SFTP")
	tests := []struct {
		opts []string
		ok   bool
	}{
		{[]string{"-c", "aes256-gcm@openssh.com"}, true},
		{[]string{"-c", "aes128-ctr"}, true},
		{[]string{"-c", "chacha20-poly1305@openssh.com"}, false}, // not in Restricted-2020-06
		{[]string{"-o", "MACs=hmac-sha1", "-c", "aes128-ctr"}, false},
	}
	for _, tc := range tests {
		out, err := sftpBatchOpts(t, addr, key, "pat", "pwd\n", tc.opts...)
		if tc.ok != (err == nil) {
			t.Errorf("%v: err=%v\n%s", tc.opts, err, out)
		}
		// x/crypto closes the connection when nothing matches; OpenSSH then
		// reports either.
		if !tc.ok && err != nil && !strings.Contains(out, "no matching") && !strings.Contains(out, "Connection closed") {
			t.Errorf("%v failed for another reason:\n%s", tc.opts, out)
		}
	}
	// Changing the policy restarts the listener with the new algorithms.
	if _, err := env.TC.UpdateServer(context.Background(), &transfer.UpdateServerInput{ServerId: aws.String(sid),
		SecurityPolicyName: aws.String("TransferSecurityPolicy-2020-06")}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		out, err := sftpBatchOpts(t, env.waitListening(t, sid, "SFTP"), key, "pat", "pwd\n", "-c", "chacha20-poly1305@openssh.com")
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("chacha20-poly1305 still refused after UpdateServer: %v\n%s", err, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestDataplaneImportedHostKey: a host key added with ImportHostKey is
// presented too (for its algorithm), without a restart of Ersatz.
func TestDataplaneImportedHostKey(t *testing.T) {
	t.Parallel()
	needTool(t, "ssh-keygen")
	env := startDataPlane(t, nil, "", "")
	ctx := context.Background()
	sid := mustCreateServer(t, env.TC, nil)
	addr := env.waitListening(t, sid, "SFTP")
	if got := presentedFingerprintAlgo(t, addr, ssh.KeyAlgoRSASHA256); got != "" {
		t.Fatalf("an RSA host key before any was imported: %s", got)
	}
	keyPath, _ := sshKey(t, "rsa")
	pemBytes, err := os.ReadFile(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	out, err := env.TC.ImportHostKey(ctx, &transfer.ImportHostKeyInput{ServerId: aws.String(sid), HostKeyBody: aws.String(string(pemBytes))})
	if err != nil {
		t.Fatal(err)
	}
	desc, err := env.TC.DescribeHostKey(ctx, &transfer.DescribeHostKeyInput{ServerId: aws.String(sid), HostKeyId: out.HostKeyId})
	if err != nil {
		t.Fatal(err)
	}
	want := aws.ToString(desc.HostKey.HostKeyFingerprint)
	deadline := time.Now().Add(5 * time.Second)
	for {
		if got := presentedFingerprintAlgo(t, env.waitListening(t, sid, "SFTP"), ssh.KeyAlgoRSASHA256); got == want {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("RSA host key presented: %q, imported %q", got, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The primary (ED25519) key is still the one DescribeServer fingerprints.
	srv, err := env.TC.DescribeServer(ctx, &transfer.DescribeServerInput{ServerId: aws.String(sid)})
	if err != nil {
		t.Fatal(err)
	}
	if got := presentedFingerprint(t, addr); got != aws.ToString(srv.Server.HostKeyFingerprint) {
		t.Fatalf("ED25519 host key %s, DescribeServer %s", got, aws.ToString(srv.Server.HostKeyFingerprint))
	}
}
