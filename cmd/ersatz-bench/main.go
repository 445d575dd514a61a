// Command ersatz-bench drives a running Ersatz with signed requests and
// reports throughput, latency percentiles and errors; it can measure a bare
// net/http ceiling and a peer endpoint (e.g. moto) in the same run, soak at a
// fixed rate while watching the server's RSS, and run the model-driven
// whole-server fuzzer for a long time. See docs/bench.md.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/ersatz-dev/ersatz/internal/auth"
	"github.com/ersatz-dev/ersatz/internal/bench"
	"github.com/ersatz-dev/ersatz/internal/server"
)

type options struct {
	endpoint    string
	serve       string
	bin         string
	pid         int
	key, secret string
	region      string
	mix         string
	concurrency int
	duration    time.Duration
	warmup      time.Duration
	maxRequests int
	baseline    bool
	baselineOwn bool
	serveBare   string
	target      string
	soak        bool
	rate        float64
	fuzz        bool
	seed        uint64
	rounds      int
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "ersatz-bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o options
	fs := flag.NewFlagSet("ersatz-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.endpoint, "endpoint", "", "URL of a running Ersatz (loopback only); see -serve")
	fs.StringVar(&o.serve, "serve", "", "start Ersatz itself with this store (memory or sqlite), with --auth sigv4")
	fs.StringVar(&o.bin, "ersatz-bin", "", "the ersatz binary -serve starts (default: go build ./cmd/ersatz)")
	fs.IntVar(&o.pid, "pid", 0, "pid of the Ersatz behind -endpoint, to report its RSS")
	fs.StringVar(&o.key, "access-key", "111111111111", "access key id to sign with")
	fs.StringVar(&o.secret, "secret", "ersatz-bench-secret", "secret access key to sign with")
	fs.StringVar(&o.region, "region", "us-east-1", "region to sign for")
	fs.StringVar(&o.mix, "mix", "seed", "operations to drive: "+strings.Join(bench.MixNames(), ", "))
	fs.IntVar(&o.concurrency, "c", 16, "concurrent clients")
	fs.DurationVar(&o.duration, "d", 20*time.Second, "measured duration of each run")
	fs.DurationVar(&o.warmup, "warmup", 2*time.Second, "unmeasured warm-up before each run")
	fs.IntVar(&o.maxRequests, "max-requests", 5_000_000, "most requests of one run, whatever its duration")
	fs.BoolVar(&o.baseline, "baseline", false, "also measure a bare net/http handler answering the same JSON (the ceiling)")
	fs.BoolVar(&o.baselineOwn, "baseline-process", false, "run -baseline's bare handler in a process of its own, as Ersatz runs in its own")
	fs.StringVar(&o.serveBare, "serve-bare", "", "(internal) be -baseline-process's bare handler, answering the responses recorded in this file")
	fs.StringVar(&o.target, "target", "", "also drive this endpoint (e.g. moto_server) with the same mix, and print the ratio")
	fs.BoolVar(&o.soak, "soak", false, "soak: send -rate requests/s for -d and report the server's RSS at start and end")
	fs.Float64Var(&o.rate, "rate", 200, "requests per second of -soak")
	fs.BoolVar(&o.fuzz, "fuzz", false, "run the model-driven whole-server fuzzer in process for -d instead of a load")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of -fuzz")
	fs.IntVar(&o.rounds, "rounds", 1, "measure Ersatz, the baseline and the target in turn this many times (-d each) and print the median ratios")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if o.serveBare != "" {
		return serveBare(ctx, o.serveBare, os.Stdin, stdout)
	}
	if o.fuzz {
		return runFuzz(ctx, o, stdout)
	}
	mix, ok := bench.Mixes[o.mix]
	if !ok {
		return fmt.Errorf("-mix %q: choose one of %s", o.mix, strings.Join(bench.MixNames(), ", "))
	}
	if o.concurrency < 1 || o.concurrency > 1024 {
		return fmt.Errorf("-c %d: choose 1 to 1024 clients", o.concurrency)
	}
	if o.duration <= 0 || o.duration > 2*time.Hour {
		return fmt.Errorf("-d %s: choose a duration up to 2h", o.duration)
	}
	if o.rounds < 1 || o.rounds > 100 || (o.rounds > 1 && o.soak) {
		return fmt.Errorf("-rounds %d: choose 1 to 100 rounds (and no -soak with more than one)", o.rounds)
	}
	creds := bench.Credentials{AccessKeyID: o.key, SecretAccessKey: o.secret, Region: o.region}
	label := "ersatz"
	if o.serve != "" {
		if o.endpoint != "" {
			return errors.New("give -endpoint or -serve, not both")
		}
		proc, err := startErsatz(ctx, o, stderr)
		if err != nil {
			return err
		}
		defer proc.stop()
		o.endpoint, o.pid = proc.url, proc.cmd.Process.Pid
		label = "ersatz(" + o.serve + ")"
	}
	if o.endpoint == "" {
		return errors.New("give -endpoint URL of a running Ersatz, or -serve memory|sqlite")
	}
	for _, e := range []string{o.endpoint, o.target} {
		if e == "" {
			continue
		}
		if err := bench.CheckLoopback(e); err != nil {
			return err
		}
	}
	var rec *bench.Recorder
	if o.baseline {
		rec = bench.NewRecorder(bench.OpKey(server.Services(nil)))
	}
	load := bench.Load{Mix: mix, Concurrency: o.concurrency, Duration: o.duration, MaxRequests: o.maxRequests}
	if o.soak {
		load.Rate = o.rate
	}
	fmt.Fprintf(stdout, "mix %s (%d operations), %d clients, %s per run", mix.Name, len(mix.Ops), o.concurrency, o.duration)
	if o.soak {
		fmt.Fprintf(stdout, ", soak at %.0f requests/s", o.rate)
	}
	fmt.Fprintln(stdout)

	client := bench.NewClient(o.endpoint, creds, o.concurrency, rec)
	workers := bench.NewWorkers(o.concurrency, client)
	if err := bench.Setup(ctx, mix, workers); err != nil {
		return fmt.Errorf("%s: %w", o.endpoint, err)
	}
	var rss0 int64
	if o.pid > 0 {
		var err error
		if rss0, err = bench.RSS(o.pid); err != nil {
			return err
		}
	}
	var tw []*bench.Worker
	if o.target != "" {
		tc := bench.NewClient(o.target, creds, o.concurrency, nil)
		tw = bench.NewWorkers(o.concurrency, tc)
		if err := bench.Setup(ctx, mix, tw); err != nil {
			return fmt.Errorf("set up %s: %w", o.target, err)
		}
	}
	var runs []*bench.Stats
	var ratios []string
	var baseRatios, targetRatios []float64
	var rss1 int64
	for round := 1; round <= o.rounds; round++ {
		primary := measure(ctx, label, load, workers, o.warmup)
		runs = append(runs, primary)
		if o.pid > 0 {
			var err error
			if rss1, err = bench.RSS(o.pid); err != nil {
				return err
			}
		}
		if o.baseline {
			base, err := runBaseline(ctx, rec, o.baselineOwn, creds, load, workers, o.warmup)
			if err != nil {
				return err
			}
			runs = append(runs, base)
			baseRatios = append(baseRatios, primary.PerSecond()/base.PerSecond())
			ratios = append(ratios, fmt.Sprintf("%s / baseline: %.2f of the bare net/http ceiling (p99 %.1fx)",
				label, primary.PerSecond()/base.PerSecond(), ratio(primary.Percentile(99), base.Percentile(99))))
		}
		if o.target != "" {
			peer := measure(ctx, "target", load, tw, o.warmup)
			runs = append(runs, peer)
			targetRatios = append(targetRatios, primary.PerSecond()/peer.PerSecond())
			ratios = append(ratios, fmt.Sprintf("%s / target: %.2fx the throughput (p99 %.2fx)",
				label, primary.PerSecond()/peer.PerSecond(), ratio(primary.Percentile(99), peer.Percentile(99))))
		}
	}
	if o.rounds > 1 {
		if len(baseRatios) > 0 {
			ratios = append(ratios, fmt.Sprintf("median of %d rounds: %s / baseline %.2f (rounds %s)", o.rounds, label, median(baseRatios), fmtRatios(baseRatios)))
		}
		if len(targetRatios) > 0 {
			ratios = append(ratios, fmt.Sprintf("median of %d rounds: %s / target %.2f (rounds %s)", o.rounds, label, median(targetRatios), fmtRatios(targetRatios)))
		}
	}
	bench.Print(stdout, runs...)
	for _, r := range runs {
		bench.PrintOps(stdout, r)
	}
	for _, r := range ratios {
		fmt.Fprintln(stdout, r)
	}
	if o.pid > 0 {
		fmt.Fprintf(stdout, "server RSS: %.1f MiB before the run, %.1f MiB after (%+.1f MiB)\n",
			mib(rss0), mib(rss1), mib(rss1-rss0))
	}
	return nil
}

func measure(ctx context.Context, label string, l bench.Load, workers []*bench.Worker, warmup time.Duration) *bench.Stats {
	if warmup > 0 {
		w := l
		w.Duration = warmup
		bench.Run(ctx, "warmup", w, workers)
	}
	return bench.Run(ctx, label, l, workers)
}

func runBaseline(ctx context.Context, rec *bench.Recorder, ownProcess bool, creds bench.Credentials, l bench.Load, workers []*bench.Worker, warmup time.Duration) (*bench.Stats, error) {
	var url string
	if ownProcess {
		u, stop, err := bareProcess(ctx, rec)
		if err != nil {
			return nil, fmt.Errorf("baseline: %w", err)
		}
		defer stop()
		url = u
	} else {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("baseline: %w", err)
		}
		hs := &http.Server{Handler: rec.Handler(), ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = hs.Serve(ln) }()
		defer hs.Close()
		url = "http://" + ln.Addr().String()
	}
	bc := bench.NewClient(url, creds, l.Concurrency, nil)
	return measure(ctx, "baseline", l, bench.WithClient(workers, bc), warmup), nil
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func fmtRatios(xs []float64) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprintf("%.2f", x)
	}
	return strings.Join(parts, " ")
}

func ratio(a, b time.Duration) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

type ersatzProc struct {
	cmd  *exec.Cmd
	url  string
	done chan error
}

// startErsatz starts `ersatz serve` on a free loopback port with SigV4
// verification and a credentials file holding the bench's key.
func startErsatz(ctx context.Context, o options, stderr io.Writer) (*ersatzProc, error) {
	dir, err := os.MkdirTemp("", "ersatz-bench-")
	if err != nil {
		return nil, err
	}
	bin := o.bin
	if bin == "" {
		bin = filepath.Join(dir, "ersatz")
		build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/ersatz")
		build.Stdout, build.Stderr = stderr, stderr
		if err := build.Run(); err != nil {
			return nil, fmt.Errorf("go build ./cmd/ersatz (run from the repository, or give -ersatz-bin): %w", err)
		}
	}
	credsFile := filepath.Join(dir, "credentials.json")
	creds := []map[string]string{{
		"accessKeyId": o.key, "secretAccessKey": o.secret, "userId": "bench-user", "email": "bench@example.com"}}
	// The Q Apps users the seed mix grants and revokes permissions to: Q Apps
	// refuses a principal that names no user of the directory.
	for i := range 4 {
		creds = append(creds, map[string]string{"accessKeyId": fmt.Sprintf("BENCHUSER%d", i), "secretAccessKey": o.secret,
			"accountId": auth.AccountOf(o.key), "userId": fmt.Sprintf("user-%d", i)})
	}
	b, _ := json.Marshal(map[string]any{"credentials": creds})
	if err := os.WriteFile(credsFile, b, 0o600); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	cmd := exec.Command(bin, "serve", "--listen", addr, "--store", o.serve, "--data-dir", filepath.Join(dir, "data"),
		"--auth", "sigv4", "--credentials", credsFile, "--region", o.region, "--log-level", "warn")
	cmd.Stdout, cmd.Stderr = stderr, stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	p := &ersatzProc{cmd: cmd, url: "http://" + addr, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait() }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(p.url + "/_ersatz/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p, nil
			}
		}
		select {
		case err := <-p.done:
			return nil, fmt.Errorf("%s exited at start-up: %v", bin, err)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, errors.New("ersatz did not come up within 30s")
		}
	}
}

func (p *ersatzProc) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}
