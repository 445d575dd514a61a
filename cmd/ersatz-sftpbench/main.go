// Command ersatz-sftpbench measures the Transfer data plane's SFTP
// throughput against OpenSSH's own sftp-server, with the same client
// (OpenSSH's sftp) on the same machine, in one run:
//
//	go run ./cmd/ersatz-sftpbench [-size 1GiB] [-sessions 50] [-session-size 20MiB] [-cipher aes128-gcm@openssh.com] [-rounds 1]
//
// It starts Ersatz in-process (memory store, data plane on loopback),
// creates a server and a user with a key made by ssh-keygen, then times:
//
//   - one upload and one download of -size through Ersatz;
//   - the same through OpenSSH's sshd on a loopback port (when
//     /usr/sbin/sshd is installed: Debian's openssh-server), and through
//     /usr/lib/openssh/sftp-server spawned directly by sftp -D (no SSH
//     transport: an upper bound for the file handling alone); -baselines=false
//     leaves both out;
//   - -sessions concurrent sessions each uploading and downloading
//     -session-size, through Ersatz and through sshd (or sftp -D); -sessions 0
//     leaves them out.
//
// With -versitygw (a versitygw started on a temporary folder) or
// -s3-endpoint URL -s3-access-key-id ID -s3-secret-access-key KEY (any
// S3-compatible store), it also times the same upload and download through
// a second Ersatz whose object store is that external store, and, beside
// them, `aws s3 cp` of the same file up to and down from the store's own
// endpoint (when the AWS CLI is installed). Each transfer is timed as a
// whole client process; every download is compared byte for byte with the
// file sent, and the first SFTP upload is also read back from the store
// directly with `aws s3 cp` and compared.
//
// -rounds N runs every measure N times, in turn, and reports the medians.
// Everything runs on 127.0.0.1 (or the store given); nothing else leaves
// the machine.
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/transfer"

	"github.com/ersatz-dev/ersatz/internal/dataplane"
	"github.com/ersatz-dev/ersatz/internal/objectstore"
	"github.com/ersatz-dev/ersatz/internal/server"
	"github.com/ersatz-dev/ersatz/internal/store/memory"
)

const (
	sftpServerPath = "/usr/lib/openssh/sftp-server"
	sshdPath       = "/usr/sbin/sshd"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "ersatz-sftpbench:", err)
		os.Exit(1)
	}
}

type options struct {
	size, sessionSize int64
	sessions, rounds  int
	cipher            string
	keep, baselines   bool
}

func parseSize(s string) (int64, error) {
	mult := int64(1)
	u := strings.ToUpper(strings.TrimSpace(s))
	for _, suf := range []struct {
		s string
		m int64
	}{{"GIB", 1 << 30}, {"MIB", 1 << 20}, {"KIB", 1 << 10}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}} {
		if strings.HasSuffix(u, suf.s) {
			u, mult = strings.TrimSuffix(u, suf.s), suf.m
			break
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(u), 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("bad size %q", s)
	}
	return n * mult, nil
}

func run() error {
	var o options
	var ext external
	size := flag.String("size", "1GiB", "size of the single-file transfer")
	ssize := flag.String("session-size", "20MiB", "size each concurrent session uploads and downloads")
	flag.IntVar(&o.sessions, "sessions", 50, "concurrent sessions (0: none)")
	flag.IntVar(&o.rounds, "rounds", 1, "rounds of every measure; the medians are reported")
	flag.BoolVar(&o.baselines, "baselines", true, "also time OpenSSH's sshd and sftp -D sftp-server")
	flag.StringVar(&o.cipher, "cipher", "", "SSH cipher for sftp -c (default: the client's choice)")
	flag.BoolVar(&o.keep, "keep", false, "keep the temporary folder")
	flag.BoolVar(&ext.versitygw, "versitygw", false, "also time Ersatz with the external backend over a versitygw started on a temporary folder, beside aws s3 cp to that versitygw directly")
	flag.StringVar(&ext.endpoint, "s3-endpoint", os.Getenv("ERSATZ_S3_ENDPOINT"), "also time Ersatz with the external backend over this S3-compatible endpoint, beside aws s3 cp to it directly")
	flag.StringVar(&ext.accessKeyID, "s3-access-key-id", os.Getenv("ERSATZ_S3_ACCESS_KEY_ID"), "access key id of -s3-endpoint")
	flag.StringVar(&ext.secretAccessKey, "s3-secret-access-key", os.Getenv("ERSATZ_S3_SECRET_ACCESS_KEY"), "secret access key of -s3-endpoint (prefer ERSATZ_S3_SECRET_ACCESS_KEY)")
	flag.StringVar(&ext.region, "s3-region", "us-east-1", "region the requests to the store are signed for")
	flag.Parse()
	var err error
	if o.size, err = parseSize(*size); err != nil {
		return err
	}
	if o.sessionSize, err = parseSize(*ssize); err != nil {
		return err
	}
	if o.rounds < 1 || o.sessions < 0 {
		return errors.New("-rounds must be 1 or more and -sessions 0 or more")
	}
	if err := ext.check(); err != nil {
		return err
	}
	for _, tool := range []string{"sftp", "ssh-keygen"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s is not installed (Debian: openssh-client)", tool)
		}
	}
	work, err := os.MkdirTemp("", "ersatz-sftpbench-")
	if err != nil {
		return err
	}
	if !o.keep {
		defer os.RemoveAll(work)
	}
	fmt.Printf("work folder %s; single file %s; %d sessions x %s; %d round(s)\n", work, human(o.size), o.sessions, human(o.sessionSize), o.rounds)

	key := filepath.Join(work, "id_ed25519")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key).CombinedOutput(); err != nil {
		return fmt.Errorf("ssh-keygen: %v: %s", err, out)
	}
	pubBytes, err := os.ReadFile(key + ".pub")
	if err != nil {
		return err
	}
	pub := strings.TrimSpace(string(pubBytes))
	big := filepath.Join(work, "big.bin")
	if err := randomFile(big, o.size); err != nil {
		return err
	}
	small := filepath.Join(work, "small.bin")
	if o.sessions > 0 {
		if err := randomFile(small, o.sessionSize); err != nil {
			return err
		}
	}

	// Ersatz with its data plane, local backend.
	ersatzAddr, stop, err := startErsatz(filepath.Join(work, "ersatz"), pub, "/bench/home", nil)
	if err != nil {
		return err
	}
	defer stop()
	ersatz := target{name: "Ersatz", args: sshArgs(ersatzAddr, key, "bench", o.cipher), home: "/bench/home"}

	// Ersatz with the external backend, and the AWS CLI on the same store.
	var extTarget *target
	var cli *awsCLI
	var direct, directBucket string
	verified := false
	if ext.enabled() {
		st, stopStore, err := openStore(context.Background(), ext, work)
		if err != nil {
			return err
		}
		defer stopStore()
		counter := newRequestCounter()
		objects, err := st.objects(context.Background(), filepath.Join(work, "ersatz-ext", "s3-spool"), counter)
		if err != nil {
			return err
		}
		home := "/" + bucketName("ersatz-sftpbench") + "/home"
		addr, stopExt, err := startErsatz(filepath.Join(work, "ersatz-ext"), pub, home, objects)
		if err != nil {
			return err
		}
		defer stopExt()
		extTarget = &target{name: "Ersatz SFTP -> " + st.name, args: sshArgs(addr, key, "bench", o.cipher), home: home, requests: counter}
		if _, err := exec.LookPath("aws"); err != nil {
			fmt.Println("aws s3 cp comparison skipped: the AWS CLI is not installed (pip install awscli)")
		} else {
			cli = &awsCLI{st: st, work: work}
			extTarget.verify = cli.verifier(big, home, &verified)
			direct, directBucket = "aws s3 cp -> "+st.name, bucketName("ersatz-sftpbench-direct")
			if err := cli.run(context.Background(), "s3", "mb", "s3://"+directBucket); err != nil {
				return err
			}
			defer func() {
				for _, b := range []string{directBucket, strings.Split(home, "/")[1]} {
					if err := cli.run(context.Background(), "s3", "rb", "--force", "s3://"+b); err != nil {
						fmt.Println("cleanup:", err)
					}
				}
			}()
		}
	}

	var baselines []target
	if o.baselines {
		if _, err := os.Stat(sshdPath); err == nil {
			addr, stopSSHD, err := startSSHD(filepath.Join(work, "sshd"), key+".pub")
			if err != nil {
				fmt.Println("sshd baseline skipped:", err)
			} else {
				defer stopSSHD()
				home := filepath.Join(work, "sshd", "home")
				baselines = append(baselines, target{name: "OpenSSH sshd", args: sshArgs(addr, key, currentUser(), o.cipher), home: home})
			}
		} else {
			fmt.Println("sshd baseline skipped:", sshdPath, "missing (apt-get install -y openssh-server)")
		}
		if _, err := os.Stat(sftpServerPath); err == nil {
			home := filepath.Join(work, "direct")
			if err := os.MkdirAll(home, 0o755); err != nil {
				return err
			}
			baselines = append(baselines, target{name: "sftp -D sftp-server", args: []string{"-D", sftpServerPath}, home: home})
		} else {
			fmt.Println("sftp -D baseline skipped:", sftpServerPath, "missing (apt-get install -y openssh-sftp-server)")
		}
	}

	// Every round runs every measure in turn, so a change of the machine's
	// load touches all of them alike.
	var results []result
	for r := 1; r <= o.rounds; r++ {
		if o.rounds > 1 {
			fmt.Printf("round %d of %d (load average %s)\n", r, o.rounds, loadAverage())
		}
		results = append(results, single(ersatz, big, work, o.size)...)
		if extTarget != nil {
			results = append(results, single(*extTarget, big, work, o.size)...)
		}
		if cli != nil {
			results = append(results, s3cpSingle(*cli, direct, directBucket, big, o.size)...)
		}
		for _, b := range baselines {
			results = append(results, single(b, big, work, o.size)...)
		}
		if o.sessions > 0 {
			results = append(results, concurrent(ersatz, small, work, o.sessions, o.sessionSize))
			if len(baselines) > 0 {
				results = append(results, concurrent(baselines[0], small, work, o.sessions, o.sessionSize))
			}
		}
	}
	fmt.Printf("load average at the end: %s\n", loadAverage())
	if verified {
		fmt.Println("the file put over SFTP through Ersatz was read back from the store directly with aws s3 cp: byte-identical")
	}

	sums := summarize(results)
	printSummaries(sums, o.rounds)
	fmt.Println()
	for _, b := range baselines {
		printRatios(sums, "Ersatz", b.name)
	}
	if len(baselines) > 0 && o.sessions > 0 {
		test := fmt.Sprintf("%d sessions x %s up+down", o.sessions, human(o.sessionSize))
		e, bl := findSummary(sums, "Ersatz", test), findSummary(sums, baselines[0].name, test)
		if e != nil && bl != nil && e.err == nil && bl.err == nil {
			fmt.Printf("Ersatz / %s concurrent throughput: %.2f\n", baselines[0].name, e.mibps()/bl.mibps())
		}
	}
	if extTarget != nil {
		if cli != nil {
			printRatios(sums, extTarget.name, direct)
		}
		printRatios(sums, extTarget.name, "Ersatz")
	}
	return nil
}

type target struct {
	name string
	args []string // sftp arguments that reach the server
	home string   // where relative paths land (for cleanup-free naming)
	// verify, when set, checks an uploaded file (by its name relative
	// to home) between the upload and the download, untimed.
	verify func(remote string) error
	// requests, when set, counts the requests Ersatz sends to its store.
	requests *requestCounter
}

type result struct {
	target, test string
	bytes        int64
	elapsed      time.Duration
	err          error
}

func human(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%dGiB", n>>30)
	case n >= 1<<20:
		return fmt.Sprintf("%dMiB", n>>20)
	}
	return fmt.Sprintf("%dB", n)
}

func sshArgs(addr, key, user, cipher string) []string {
	host, port, _ := net.SplitHostPort(addr)
	args := []string{"-P", port, "-i", key, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
		"-o", "LogLevel=ERROR", "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none"}
	if cipher != "" {
		args = append(args, "-c", cipher)
	}
	return append(args, user+"@"+host)
}

// sftpRun runs one batch against a target.
func sftpRun(t target, dir, batch string) error {
	bf, err := os.CreateTemp(dir, "batch-*")
	if err != nil {
		return err
	}
	defer os.Remove(bf.Name())
	if _, err := bf.WriteString(batch); err != nil {
		return err
	}
	bf.Close()
	args := append([]string{"-b", bf.Name()}, t.args...)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sftp", args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("sftp: %v: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

func single(t target, big, work string, size int64) []result {
	fmt.Printf("%s: upload and download of %s...\n", t.name, human(size))
	remote := fmt.Sprintf("single-%d.bin", mrand.Int())
	back := filepath.Join(work, "back.bin")
	var before map[string]int
	if t.requests != nil {
		before = t.requests.snapshot()
	}
	start := time.Now()
	err := sftpRun(t, work, fmt.Sprintf("put %s %s\n", big, remote))
	up := result{target: t.name, test: "upload", bytes: size, elapsed: time.Since(start), err: err}
	if t.requests != nil {
		fmt.Printf("  requests to the store, upload: %s\n", t.requests.since(before))
		before = t.requests.snapshot()
	}
	if err == nil && t.verify != nil {
		up.err = t.verify(remote)
	}
	start = time.Now()
	err = sftpRun(t, work, fmt.Sprintf("get %s %s\nrm %s\n", remote, back, remote))
	down := result{target: t.name, test: "download", bytes: size, elapsed: time.Since(start), err: err}
	if t.requests != nil {
		fmt.Printf("  requests to the store, download and rm: %s\n", t.requests.since(before))
	}
	if err == nil {
		if same, cerr := sameFile(big, back); cerr != nil || !same {
			down.err = errors.Join(errors.New("downloaded file differs"), cerr)
		}
	}
	_ = os.Remove(back)
	return []result{up, down}
}

func concurrent(t target, small, work string, sessions int, size int64) result {
	fmt.Printf("%s: %d concurrent sessions x %s up+down...\n", t.name, sessions, human(size))
	var wg sync.WaitGroup
	errs := make([]error, sessions)
	start := time.Now()
	for i := 0; i < sessions; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			remote := fmt.Sprintf("conc-%d.bin", i)
			local := filepath.Join(work, fmt.Sprintf("conc-back-%d.bin", i))
			errs[i] = sftpRun(t, work, fmt.Sprintf("put %s %s\nget %s %s\nrm %s\n", small, remote, remote, local, remote))
			_ = os.Remove(local)
		}(i)
	}
	wg.Wait()
	return result{target: t.name, test: fmt.Sprintf("%d sessions x %s up+down", sessions, human(size)),
		bytes: 2 * int64(sessions) * size, elapsed: time.Since(start), err: errors.Join(errs...)}
}

func randomFile(path string, size int64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var seed [32]byte
	if _, err := rand.Read(seed[:]); err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 4<<20)
	if _, err := io.CopyN(w, mrand.NewChaCha8(seed), size); err != nil {
		return err
	}
	return w.Flush()
}

func sameFile(a, b string) (bool, error) {
	fa, err := os.Open(a)
	if err != nil {
		return false, err
	}
	defer fa.Close()
	fb, err := os.Open(b)
	if err != nil {
		return false, err
	}
	defer fb.Close()
	ba, bb := make([]byte, 1<<20), make([]byte, 1<<20)
	for {
		na, ea := io.ReadFull(fa, ba)
		nb, eb := io.ReadFull(fb, bb)
		if na != nb || string(ba[:na]) != string(bb[:nb]) {
			return false, nil
		}
		if ea != nil || eb != nil {
			return errors.Is(ea, io.EOF) || errors.Is(ea, io.ErrUnexpectedEOF), nil
		}
	}
}

// startErsatz runs Ersatz in-process with a server and a user "bench"
// whose home is home (/bucket/prefix).
// objects is the S3 domain's store (nil: the local backend).
func startErsatz(dataDir, pub, home string, objects objectstore.Store) (string, func(), error) {
	st := memory.New()
	base, err := freePorts(40)
	if err != nil {
		return "", nil, err
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := server.New(server.Config{Store: st, DefaultRegion: "us-east-1", Logger: log, Objects: objects, DataPlane: &dataplane.Config{
		DataDir: dataDir, Ports: fmt.Sprintf("%d-%d", base, base+19), PassivePorts: fmt.Sprintf("%d-%d", base+20, base+39),
	}})
	if err := srv.Start(context.Background()); err != nil {
		return "", nil, err
	}
	hs := httptest.NewServer(srv.Handler())
	stop := func() { hs.Close(); _ = srv.Close(); _ = st.Close() }
	tc := transfer.NewFromConfig(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(hs.URL),
		Credentials: credentials.NewStaticCredentialsProvider("111111111111", "secret", "")})
	ctx := context.Background()
	out, err := tc.CreateServer(ctx, &transfer.CreateServerInput{})
	if err != nil {
		stop()
		return "", nil, err
	}
	if _, err := tc.CreateUser(ctx, &transfer.CreateUserInput{ServerId: out.ServerId, UserName: aws.String("bench"),
		Role: aws.String("arn:aws:iam::111111111111:role/bench"), HomeDirectory: aws.String(home),
		SshPublicKeyBody: aws.String(pub)}); err != nil {
		stop()
		return "", nil, err
	}
	for _, s := range srv.DataPlane().Servers() {
		if s.ServerID == aws.ToString(out.ServerId) && s.Listening {
			return s.Endpoints["SFTP"], stop, nil
		}
	}
	if err := srv.DataPlane().Reconcile(ctx); err != nil {
		stop()
		return "", nil, err
	}
	for _, s := range srv.DataPlane().Servers() {
		if s.ServerID == aws.ToString(out.ServerId) && s.Listening {
			return s.Endpoints["SFTP"], stop, nil
		}
	}
	stop()
	return "", nil, errors.New("the Ersatz server did not listen")
}

func freePorts(n int) (int, error) {
	for base := 24000; base < 60000; base += n {
		ok := true
		for p := base; p < base+n && ok; p++ {
			ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
			if err != nil {
				ok = false
				continue
			}
			ln.Close()
		}
		if ok {
			return base, nil
		}
	}
	return 0, errors.New("no free ports")
}

func currentUser() string {
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return "root"
}

// startSSHD runs OpenSSH's sshd on a loopback port with its own host key
// and the bench key authorized, serving sftp with the internal-sftp
// subsystem of the same OpenSSH; sessions start in dir/home.
func startSSHD(dir, authorized string) (string, func(), error) {
	if err := os.MkdirAll(filepath.Join(dir, "home"), 0o755); err != nil {
		return "", nil, err
	}
	hostKey := filepath.Join(dir, "host_ed25519")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", hostKey).CombinedOutput(); err != nil {
		return "", nil, fmt.Errorf("ssh-keygen: %v: %s", err, out)
	}
	base, err := freePorts(1)
	if err != nil {
		return "", nil, err
	}
	// sshd refuses group- or world-writable paths to its files.
	_ = os.Chmod(dir, 0o755)
	conf := filepath.Join(dir, "sshd_config")
	cfg := strings.Join([]string{
		"ListenAddress 127.0.0.1:" + strconv.Itoa(base),
		"HostKey " + hostKey,
		"PidFile " + filepath.Join(dir, "sshd.pid"),
		"AuthorizedKeysFile " + authorized,
		"StrictModes no",
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		"UsePAM no",
		"PermitRootLogin yes",
		"Subsystem sftp " + sftpServerPath + " -d " + filepath.Join(dir, "home"),
		"MaxStartups 200",
		"MaxSessions 200",
		"LogLevel ERROR",
	}, "\n") + "\n"
	if err := os.WriteFile(conf, []byte(cfg), 0o600); err != nil {
		return "", nil, err
	}
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		return "", nil, err
	}
	cmd := exec.Command(sshdPath, "-D", "-e", "-f", conf)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(base)
	for i := 0; i < 100; i++ {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return addr, func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	return "", nil, errors.New("sshd did not start")
}
