package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"

	"github.com/ersatz-dev/ersatz/ersatztest"
	"github.com/ersatz-dev/ersatz/internal/dataplane"
	"github.com/ersatz-dev/ersatz/internal/inprocess"
	"github.com/ersatz-dev/ersatz/internal/server"
	"github.com/ersatz-dev/ersatz/internal/store"
	"github.com/ersatz-dev/ersatz/internal/store/memory"
	"github.com/ersatz-dev/ersatz/internal/testkit"
)

// dpEnv is an Ersatz with the Transfer data plane running.
type dpEnv struct {
	URL     string
	DataDir string
	Store   store.Store
	Ports   string
	Passive string
	TC      *transfer.Client
	close   func()
}

// freePortBlock finds n consecutive free loopback ports.
func freePortBlock(t testing.TB, n int) int {
	t.Helper()
	// A random start: parallel tests of this process and other test
	// processes look at different blocks.
	base := 21000 + rand.IntN(300)*40
	for tries := 0; tries < 200; tries++ {
		ok := true
		for p := base; p < base+n; p++ {
			ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
			if err != nil {
				ok = false
				base = p + 1
				break
			}
			_ = ln.Close()
		}
		if ok {
			return base
		}
		if base > 60000 {
			base = 21000
		}
	}
	t.Fatal("no free block of ports")
	return 0
}

// startDataPlane runs Ersatz over st (memory when nil) with the data plane,
// its files under dataDir (a new temporary folder when "") and ports from
// ports ("" picks a free block); opts change the server's configuration.
func startDataPlane(t testing.TB, st store.Store, dataDir, ports string, opts ...func(*server.Config)) *dpEnv {
	t.Helper()
	return startDataPlaneWith(t, st, dataDir, ports, nil, opts...)
}

// startDataPlaneWith is startDataPlane with the data plane's configuration
// changed by mutate (limits, timeouts).
func startDataPlaneWith(t testing.TB, st store.Store, dataDir, ports string, mutate func(*dataplane.Config), opts ...func(*server.Config)) *dpEnv {
	t.Helper()
	if st == nil {
		st = memory.New()
	}
	if dataDir == "" {
		dataDir = t.TempDir()
	}
	passive := ""
	if ports == "" {
		base := freePortBlock(t, 40)
		ports = fmt.Sprintf("%d-%d", base, base+19)
		passive = fmt.Sprintf("%d-%d", base+20, base+39)
	} else {
		lo, _ := dataplane.ParsePortRange(ports)
		passive = fmt.Sprintf("%d-%d", lo.High+1, lo.High+20)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	srv := ersatztest.Start(t, ersatztest.WithDataPlane(true), ersatztest.WithLogger(log),
		inprocess.WithBackend(st), inprocess.WithDataDir(dataDir), inprocess.WithPorts(ports, passive),
		inprocess.WithDataPlaneConfig(func(dp *dataplane.Config) {
			dp.Tick = 250 * time.Millisecond
			if mutate != nil {
				mutate(dp)
			}
		}),
		inprocess.WithServerConfig(func(cfg *server.Config) {
			for _, o := range opts {
				o(cfg)
			}
		}))
	env := &dpEnv{URL: srv.URL, DataDir: dataDir, Store: st, Ports: ports, Passive: passive}
	env.TC = (&testkit.Server{URL: srv.URL}).TransferAs(acctA, "us-east-1")
	env.close = func() {
		if err := srv.Close(); err != nil {
			t.Logf("data plane close: %v", err)
		}
	}
	return env
}

// endpoints reads GET /_ersatz/transfer/servers.
func (e *dpEnv) endpoints(t testing.TB) []dataplane.ServerStatus {
	t.Helper()
	resp, err := http.Get(e.URL + "/_ersatz/transfer/servers")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Servers []dataplane.ServerStatus `json:"servers"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out.Servers
}

// waitListening waits until serverID listens for proto and returns host:port.
func (e *dpEnv) waitListening(t testing.TB, serverID, proto string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, s := range e.endpoints(t) {
			if s.ServerID == serverID && s.Listening && s.Endpoints[proto] != "" {
				return s.Endpoints[proto]
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("server %s never listened for %s: %+v", serverID, proto, e.endpoints(t))
	return ""
}

// logins reads GET /_ersatz/transfer/logins for a server.
func (e *dpEnv) logins(t testing.TB, serverID string) []dataplane.LoginAttempt {
	t.Helper()
	resp, err := http.Get(e.URL + "/_ersatz/transfer/logins?serverId=" + serverID)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Logins []dataplane.LoginAttempt `json:"logins"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out.Logins
}

// putDirectoryUser creates a local directory user.
func (e *dpEnv) putDirectoryUser(t testing.TB, dirID, name, password string, groups ...string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"password": password, "groups": groups})
	req, _ := http.NewRequest(http.MethodPut, e.URL+"/_ersatz/directory/"+dirID+"/users/"+name, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("PUT directory user: %d %s", resp.StatusCode, b)
	}
}

// file is a path in the data plane's local storage.
func (e *dpEnv) file(domainPath string) string {
	return filepath.Join(e.DataDir, "files", "s3", filepath.FromSlash(strings.TrimPrefix(domainPath, "/")))
}

// needTool skips the test when a program is missing.
func needTool(t testing.TB, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			t.Skipf("%s is not installed: skipping", n)
		}
	}
}

// sshKey makes a key pair with ssh-keygen; it returns the private key's
// path and the public key in authorized_keys form.
func sshKey(t testing.TB, typ string) (string, string) {
	t.Helper()
	needTool(t, "ssh-keygen")
	dir := t.TempDir()
	path := filepath.Join(dir, "id_"+typ)
	args := []string{"-q", "-t", typ, "-N", "", "-f", path, "-C", "e2e"}
	if typ == "rsa" {
		args = append(args, "-b", "2048")
	}
	if out, err := exec.Command("ssh-keygen", args...).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v: %s", err, out)
	}
	pub, err := os.ReadFile(path + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	return path, strings.TrimSpace(string(pub))
}

// sshOpts are the options of every OpenSSH call: no known_hosts, no agent,
// only the given identity.
func sshOpts(port string) []string {
	return []string{"-P", port, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
		"-o", "LogLevel=ERROR", "-o", "ConnectTimeout=10", "-o", "IdentityAgent=none"}
}

// sftpBatch runs OpenSSH's sftp in batch mode with a key and returns its
// combined output. A batch line starting with "-" may fail.
func sftpBatch(t testing.TB, addr, key, user, batch string) (string, error) {
	t.Helper()
	return sftpBatchOpts(t, addr, key, user, batch)
}

// sftpBatchOpts is sftpBatch with more ssh options (e.g. "-c", cipher).
func sftpBatchOpts(t testing.TB, addr, key, user, batch string, extra ...string) (string, error) {
	t.Helper()
	needTool(t, "sftp")
	host, port, _ := net.SplitHostPort(addr)
	bf := filepath.Join(t.TempDir(), "batch")
	if err := os.WriteFile(bf, []byte(batch), 0o600); err != nil {
		t.Fatal(err)
	}
	args := append(sshOpts(port), "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "PasswordAuthentication=no",
		"-i", key, "-b", bf)
	args = append(append(args, extra...), user+"@"+host)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sftp", args...)
	cmd.Dir = filepath.Dir(bf)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// sftpPassword runs OpenSSH's sftp with a password (given through
// SSH_ASKPASS) and commands on standard input; it returns the output.
func sftpPassword(t testing.TB, addr, user, password, commands string) (string, error) {
	t.Helper()
	needTool(t, "sftp")
	host, port, _ := net.SplitHostPort(addr)
	dir := t.TempDir()
	askpass := filepath.Join(dir, "askpass.sh")
	pwFile := filepath.Join(dir, "pw")
	if err := os.WriteFile(pwFile, []byte(password), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(askpass, []byte("#!/bin/sh\ncat '"+pwFile+"'\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	args := append(sshOpts(port), "-o", "BatchMode=no", "-o", "PubkeyAuthentication=no",
		"-o", "PreferredAuthentications=password,keyboard-interactive", "-o", "NumberOfPasswordPrompts=1", user+"@"+host)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sftp", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "SSH_ASKPASS="+askpass, "SSH_ASKPASS_REQUIRE=force", "DISPLAY=:0")
	cmd.Stdin = strings.NewReader(commands)
	cmd.SysProcAttr = nil
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// serviceManagedUser creates a server (nil input: the defaults) and a user
// with a key, returning the server id.
func createUser(t testing.TB, c *transfer.Client, serverID, user, pub string, mutate func(*transfer.CreateUserInput)) {
	t.Helper()
	in := &transfer.CreateUserInput{ServerId: aws.String(serverID), UserName: aws.String(user), Role: aws.String(testRole),
		SshPublicKeyBody: aws.String(pub)}
	if mutate != nil {
		mutate(in)
	}
	if _, err := c.CreateUser(context.Background(), in); err != nil {
		t.Fatalf("CreateUser %s: %v", user, err)
	}
}

// ftpServer creates an AWS_DIRECTORY_SERVICE server with the given
// protocols on a VPC endpoint (as FTP and FTPS require).
func ftpServer(t testing.TB, c *transfer.Client, dirID string, protocols ...types.Protocol) string {
	t.Helper()
	in := &transfer.CreateServerInput{
		Protocols:               protocols,
		IdentityProviderType:    types.IdentityProviderTypeAwsDirectoryService,
		IdentityProviderDetails: &types.IdentityProviderDetails{DirectoryId: aws.String(dirID)},
		EndpointType:            types.EndpointTypeVpc,
		EndpointDetails:         &types.EndpointDetails{VpcId: aws.String("vpc-0123456789abcdef0"), SubnetIds: []string{"subnet-0123456789abcdef0"}},
	}
	for _, p := range protocols {
		if p == types.ProtocolFtps {
			in.Certificate = aws.String("arn:aws:acm:us-east-1:111111111111:certificate/0b0c0d0e-1111-2222-3333-444455556666")
		}
	}
	return mustCreateServer(t, c, in)
}
