package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
)

// Load is one measured run.
type Load struct {
	Mix         *Mix
	Concurrency int
	Duration    time.Duration
	// Rate, when > 0, paces the whole load at this many requests per second
	// (soak mode); 0 sends as fast as the workers can.
	Rate float64
	// MaxRequests bounds the run whatever its duration.
	MaxRequests int
}

// Stats is what a run measured.
type Stats struct {
	Label     string
	Requests  int
	OK        int
	Rejected  int // 4xx answers (modelled errors)
	Server    int // 5xx answers
	Transport int // no HTTP answer
	Elapsed   time.Duration
	latencies []time.Duration
	ByOp      map[string]*OpStats
}

// OpStats counts the outcomes of one operation.
type OpStats struct {
	Requests int
	OK       int
	Codes    map[string]int // error code -> count
}

// PerSecond is the throughput.
func (s *Stats) PerSecond() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Requests) / s.Elapsed.Seconds()
}

// Percentile returns the p-th percentile latency (0 < p <= 100).
func (s *Stats) Percentile(p float64) time.Duration {
	if len(s.latencies) == 0 {
		return 0
	}
	i := int(float64(len(s.latencies))*p/100+0.5) - 1
	if i < 0 {
		i = 0
	}
	if i >= len(s.latencies) {
		i = len(s.latencies) - 1
	}
	return s.latencies[i]
}

// Errors counts the answers that are not 2xx.
func (s *Stats) Errors() int { return s.Rejected + s.Server + s.Transport }

type sample struct {
	op  int
	d   time.Duration
	out Outcome
}

// Setup runs the mix's setup for every worker, in parallel.
func Setup(ctx context.Context, mix *Mix, workers []*Worker) error {
	if mix.Setup == nil {
		return nil
	}
	errc := make(chan error, len(workers))
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := mix.Setup(ctx, w); err != nil {
				errc <- fmt.Errorf("setup of worker %d: %w", w.ID, err)
			}
		}()
	}
	wg.Wait()
	close(errc)
	return <-errc
}

// NewWorkers makes n workers on client.
func NewWorkers(n int, client *Client) []*Worker {
	ws := make([]*Worker, n)
	for i := range ws {
		ws[i] = &Worker{ID: i, Client: client}
	}
	return ws
}

// WithClient returns copies of workers (the same resources) sending through client.
func WithClient(workers []*Worker, client *Client) []*Worker {
	out := make([]*Worker, len(workers))
	for i, w := range workers {
		c := *w
		c.Client = client
		out[i] = &c
	}
	return out
}

// Run drives the workers for l.Duration (or l.MaxRequests requests) and
// returns the measurements.
func Run(ctx context.Context, label string, l Load, workers []*Worker) *Stats {
	ctx, cancel := context.WithTimeout(ctx, l.Duration)
	defer cancel()
	maxReq := l.MaxRequests
	if maxReq <= 0 {
		maxReq = 10_000_000
	}
	var tokens <-chan struct{}
	if l.Rate > 0 {
		tokens = pace(ctx, l.Rate)
	}
	var (
		mu      sync.Mutex
		issued  int
		results = make([][]sample, len(workers))
		wg      sync.WaitGroup
	)
	take := func() bool {
		mu.Lock()
		defer mu.Unlock()
		if issued >= maxReq {
			return false
		}
		issued++
		return true
	}
	start := time.Now()
	for i, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var local []sample
			for k := i; ctx.Err() == nil; k++ {
				if tokens != nil {
					select {
					case <-tokens:
					case <-ctx.Done():
						results[i] = local
						return
					}
				}
				if !take() {
					break
				}
				op := k % len(l.Mix.Ops)
				t0 := time.Now()
				out := l.Mix.Ops[op].Call(ctx, w)
				d := time.Since(t0)
				if ctx.Err() != nil && out.Status == 0 {
					break // cut short by the end of the run, not an error
				}
				local = append(local, sample{op: op, d: d, out: out})
			}
			results[i] = local
		}()
	}
	wg.Wait()
	st := &Stats{Label: label, Elapsed: time.Since(start), ByOp: map[string]*OpStats{}}
	for _, rs := range results {
		for _, s := range rs {
			st.add(l.Mix.Ops[s.op].Name, s)
		}
	}
	sort.Slice(st.latencies, func(i, j int) bool { return st.latencies[i] < st.latencies[j] })
	return st
}

func (st *Stats) add(op string, s sample) {
	st.Requests++
	st.latencies = append(st.latencies, s.d)
	ops := st.ByOp[op]
	if ops == nil {
		ops = &OpStats{Codes: map[string]int{}}
		st.ByOp[op] = ops
	}
	ops.Requests++
	switch {
	case s.out.OK():
		st.OK++
		ops.OK++
		return
	case s.out.Status == 0:
		st.Transport++
		ops.Codes["transport: "+firstLine(s.out.Err)]++
		return
	case s.out.Status >= 500:
		st.Server++
	default:
		st.Rejected++
	}
	code := s.out.Code
	if code == "" {
		code = "(no code)"
	}
	ops.Codes[fmt.Sprintf("%d %s", s.out.Status, code)]++
}

func firstLine(err error) string {
	if err == nil {
		return "?"
	}
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 80 {
		s = s[:80]
	}
	return s
}

// pace emits tokens at rate per second until ctx ends.
func pace(ctx context.Context, rate float64) <-chan struct{} {
	ch := make(chan struct{})
	go func() {
		defer close(ch)
		interval := time.Duration(float64(time.Second) / rate)
		next := time.Now()
		for {
			next = next.Add(interval)
			if d := time.Until(next); d > 0 {
				select {
				case <-time.After(d):
				case <-ctx.Done():
					return
				}
			}
			select {
			case ch <- struct{}{}:
			case <-ctx.Done():
				return
			}
		}
	}()
	return ch
}

// RSS reads the resident set size of process pid from /proc (Linux).
func RSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("read RSS of pid %d: %w", pid, err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) < 1 {
				break
			}
			kb, err := strconv.ParseInt(f[0], 10, 64)
			if err != nil {
				return 0, fmt.Errorf("parse VmRSS %q: %w", rest, err)
			}
			return kb * 1024, nil
		}
	}
	return 0, errors.New("no VmRSS line in /proc/" + strconv.Itoa(pid) + "/status")
}

// Print writes the summary table of runs.
func Print(w io.Writer, runs ...*Stats) {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "run\trequests\treq/s\tp50\tp90\tp99\tok\t4xx\t5xx\ttransport\t")
	for _, s := range runs {
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t\n", s.Label, s.Requests, s.PerSecond(),
			ms(s.Percentile(50)), ms(s.Percentile(90)), ms(s.Percentile(99)), s.OK, s.Rejected, s.Server, s.Transport)
	}
	_ = tw.Flush()
}

// PrintOps writes the per-operation outcomes of a run.
func PrintOps(w io.Writer, s *Stats) {
	names := make([]string, 0, len(s.ByOp))
	for n := range s.ByOp {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintf(w, "  %s by operation:\n", s.Label)
	for _, n := range names {
		o := s.ByOp[n]
		var codes []string
		for c, k := range o.Codes {
			codes = append(codes, fmt.Sprintf("%s x%d", c, k))
		}
		sort.Strings(codes)
		extra := ""
		if len(codes) > 0 {
			extra = "  (" + strings.Join(codes, ", ") + ")"
		}
		fmt.Fprintf(w, "    %-26s %8d requests %8d ok%s\n", n, o.Requests, o.OK, extra)
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }
