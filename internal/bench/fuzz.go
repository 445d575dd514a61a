package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp/syntax"
	"sort"
	"strings"
	"sync"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/auth"
	"github.com/ersatz-dev/ersatz/internal/model"
	"github.com/ersatz-dev/ersatz/internal/server"
	"github.com/ersatz-dev/ersatz/internal/store"
)

// Source is where the fuzzer's choices come from: a PRNG for long runs, the
// fuzz engine's bytes for `go test -fuzz`.
type Source interface {
	// Intn returns a number in [0, n); n > 0.
	Intn(n int) int
}

// RandSource is a seeded PRNG.
func RandSource(seed uint64) Source {
	return randSource{rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

type randSource struct{ r *rand.Rand }

func (s randSource) Intn(n int) int { return s.r.IntN(n) }

// BytesSource reads choices from data, then from a PRNG seeded by data.
func BytesSource(data []byte) Source {
	h := fnv.New64a()
	h.Write(data)
	return &bytesSource{b: data, rest: RandSource(h.Sum64())}
}

type bytesSource struct {
	b    []byte
	rest Source
}

func (s *bytesSource) Intn(n int) int {
	if len(s.b) >= 2 {
		v := int(binary.LittleEndian.Uint16(s.b))
		s.b = s.b[2:]
		return v % n
	}
	return s.rest.Intn(n)
}

// FindModels looks for shared/models/botocore from dir upwards (the layout of
// the repository and its CI), or in $ERSATZ_MODELS.
func FindModels(dir string) (string, error) {
	if d := os.Getenv("ERSATZ_MODELS"); d != "" {
		return filepath.Join(d, "botocore"), nil
	}
	for d := dir; ; d = filepath.Dir(d) {
		for _, c := range []string{filepath.Join(d, "shared", "models", "botocore"), filepath.Join(d, "..", "shared", "models", "botocore")} {
			if st, err := os.Stat(filepath.Join(c, "transfer", "service-2.json")); err == nil && !st.IsDir() {
				return c, nil
			}
		}
		if filepath.Dir(d) == d {
			return "", errors.New("no shared/models/botocore above " + dir + " (set ERSATZ_MODELS)")
		}
	}
}

// Fuzzer sends model-generated, then mutated, requests to a whole server
// in process, and checks what the server must never do: answer 5xx (but 501
// NotImplemented or an error the operation models), panic, answer an error
// without an error code, or change state while refusing a request.
type Fuzzer struct {
	services []*api.Service
	models   map[string]*model.Model
	ops      []fuzzOp
	// implemented are the operations with behaviour.
	implemented []fuzzOp
	creators    []fuzzOp // implemented Create* operations
	handler     http.Handler
	store       store.Store
	src         Source
	regexps     map[string]*syntax.Regexp
	pool        map[string][]string // harvested values by service/member
	cur         string              // service of the request being built
	seen        map[string]int      // violations by kind
	logs        *logCounter
	// CheckState compares store.Export before and after every refused request.
	CheckState bool
	// ResetEvery resets the store after this many requests (0: never).
	ResetEvery int
	Stats      FuzzStats
}

type fuzzOp struct {
	svc   *api.Service
	model *model.Model
	op    *model.Operation
	apiOp *api.Operation
}

// FuzzStats counts what the fuzzer did.
type FuzzStats struct {
	Requests, Mutated, Unparseable int
	ByClass                        map[string]int // "2xx", "4xx", "501", "5xx"
	// ViolationCount counts every violation, Violations lists one of each kind.
	ViolationCount int
	// ValidRefused counts refusals of unmutated requests by error code.
	ValidRefused map[string]int
	Violations   []string
}

// NewFuzzer builds a server over st with the operation tables of
// server.Services and the botocore models in modelsDir.
func NewFuzzer(st store.Store, modelsDir string, src Source) (*Fuzzer, error) {
	creds, err := auth.New(
		auth.Credential{AccessKeyID: "111111111111", SecretAccessKey: "x", UserID: "fuzz-user-a", Email: "a@example.com"},
		auth.Credential{AccessKeyID: "222222222222", SecretAccessKey: "x", UserID: "fuzz-user-b", Email: "b@example.com"},
	)
	if err != nil {
		return nil, err
	}
	logs := &logCounter{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelError}))
	srv := server.New(server.Config{Store: st, DefaultRegion: "us-east-1", Auth: auth.NewTrusting(creds), Logger: log})
	f := &Fuzzer{services: srv.Services(), models: map[string]*model.Model{}, handler: srv.Handler(), store: st, src: src,
		regexps: map[string]*syntax.Regexp{}, pool: map[string][]string{}, logs: logs, CheckState: true, ResetEvery: 300,
		Stats: FuzzStats{ByClass: map[string]int{}, ValidRefused: map[string]int{}}}
	for _, s := range f.services {
		m, err := model.Load(filepath.Join(modelsDir, s.Name))
		if err != nil {
			return nil, fmt.Errorf("fuzzer: %w", err)
		}
		f.models[s.Name] = m
		for _, name := range m.OperationNames() {
			if ao := s.Operation(name); ao != nil {
				fo := fuzzOp{svc: s, model: m, op: m.Operations[name], apiOp: ao}
				f.ops = append(f.ops, fo)
				if ao.Handler != nil {
					f.implemented = append(f.implemented, fo)
					if strings.HasPrefix(name, "Create") {
						f.creators = append(f.creators, fo)
					}
				}
			}
		}
	}
	if len(f.ops) == 0 {
		return nil, errors.New("fuzzer: no operations")
	}
	return f, nil
}

// ResetViolations forgets the violations found so far.
func (f *Fuzzer) ResetViolations() {
	f.seen, f.Stats.Violations, f.Stats.ViolationCount = nil, nil, 0
}

// SetSource replaces the source of choices.
func (f *Fuzzer) SetSource(src Source) { f.src = src }

// Reset empties the store.
func (f *Fuzzer) Reset(ctx context.Context) error { return f.store.Reset(ctx) }

type logCounter struct {
	mu    sync.Mutex
	lines []string
}

func (l *logCounter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.lines) < 100 {
		l.lines = append(l.lines, string(p))
	}
	return len(p), nil
}

func (l *logCounter) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.lines
	l.lines = nil
	return out
}

// Run sends n requests (or until ctx ends) and returns the violations found so far.
func (f *Fuzzer) Run(ctx context.Context, n int) []string {
	for i := 0; i < n && ctx.Err() == nil; i++ {
		if f.ResetEvery > 0 && f.Stats.Requests > 0 && f.Stats.Requests%f.ResetEvery == 0 {
			if err := f.store.Reset(ctx); err != nil {
				f.violate("store reset: %v", err)
			}
		}
		f.One(ctx)
	}
	return f.Stats.Violations
}

// violate records a violation; repeats of the same kind (same operation and
// the same first words) are counted, not listed again.
func (f *Fuzzer) violate(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	kind := msg
	if i := strings.Index(kind, " ("); i >= 0 {
		rest := kind[i:]
		if j := strings.Index(rest, "): "); j >= 0 {
			kind = kind[:i] + ": " + firstWords(rest[j+3:], 3)
		}
	}
	if f.seen == nil {
		f.seen = map[string]int{}
	}
	f.seen[kind]++
	f.Stats.ViolationCount++
	if f.seen[kind] == 1 && len(f.Stats.Violations) < 100 {
		f.Stats.Violations = append(f.Stats.Violations, msg)
	}
}

func firstWords(s string, n int) string {
	w := strings.Fields(s)
	if len(w) > n {
		w = w[:n]
	}
	return strings.Join(w, " ")
}

func (f *Fuzzer) pick(n int) int { return f.src.Intn(n) }

func (f *Fuzzer) chance(k int) bool { return f.pick(k) == 0 } // 1 in k

// One sends one request.
func (f *Fuzzer) One(ctx context.Context) {
	o := f.ops[f.pick(len(f.ops))]
	if o.apiOp.Handler == nil && len(f.implemented) > 0 && !f.chance(6) {
		// Most requests go to operations with behaviour; the others check the honest 501.
		o = f.implemented[f.pick(len(f.implemented))]
	}
	if len(f.creators) > 0 && f.chance(4) {
		// Creating operations often, so later requests find resources to act on.
		o = f.creators[f.pick(len(f.creators))]
	}
	f.cur = o.svc.Name
	doc := map[string]any{}
	if o.op.Input != nil {
		if v, ok := f.value(o.model, o.op.Input, "", 0).(map[string]any); ok {
			doc = v
		}
	}
	// Half the requests are valid; of the others, most have a mutated input,
	// the rest a mutated serialization.
	mutation := ""
	kind := f.pick(10)
	if kind >= 5 && kind < 9 {
		mutation = f.mutateDoc(o, doc)
	}
	raw, desc := f.build(o, doc)
	if kind == 9 {
		raw, mutation = f.mutateRaw(raw)
	}
	if mutation != "" {
		f.Stats.Mutated++
	}
	req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil {
		f.Stats.Unparseable++ // net/http itself answers 400 before Ersatz sees it
		return
	}
	req = req.WithContext(ctx)
	var before []byte
	if f.CheckState {
		before = f.export(ctx)
	}
	rec := httptest.NewRecorder()
	f.handler.ServeHTTP(rec, req)
	if ctx.Err() != nil {
		return // the run ended during the request: its answer says nothing about the server
	}
	f.Stats.Requests++
	status := rec.Code
	code := rec.Header().Get("X-Amzn-ErrorType")
	where := fmt.Sprintf("%s.%s (%s; mutation %q)", o.svc.Name, o.op.Name, desc, mutation)
	for _, l := range f.logs.take() {
		if strings.Contains(l, "panic") {
			f.violate("%s: the handler panicked: %s", where, strings.TrimSpace(l))
		}
	}
	switch {
	case status >= 200 && status < 300:
		f.Stats.ByClass["2xx"]++
		f.harvest(rec.Body.Bytes())
		if b := bytes.TrimSpace(rec.Body.Bytes()); len(b) > 0 && !json.Valid(b) {
			f.violate("%s: 2xx body is not JSON: %q", where, b)
		}
	case status == http.StatusNotImplemented && code == "NotImplemented":
		f.Stats.ByClass["501"]++
	case status >= 500:
		if !f.modelled(o, code) {
			f.Stats.ByClass["5xx"]++
			f.violate("%s: answered %d %s: %s", where, status, code, trim(rec.Body.String()))
		} else {
			f.Stats.ByClass["5xx modelled"]++
		}
	case status >= 400:
		f.Stats.ByClass["4xx"]++
		if mutation == "" {
			f.Stats.ValidRefused[code]++
			if os.Getenv("ERSATZ_FUZZ_DEBUG") != "" {
				fmt.Fprintf(os.Stderr, "valid request refused: %s: %d %s %s\n", where, status, code, trim(rec.Body.String()))
			}
		}
		if code == "" {
			f.violate("%s: %d without X-Amzn-ErrorType: %s", where, status, trim(rec.Body.String()))
		}
		if f.CheckState {
			if after := f.export(ctx); !bytes.Equal(before, after) {
				f.violate("%s: refused with %d %s but changed the state: %s", where, status, code, trim(rec.Body.String()))
			}
		}
	default:
		f.Stats.ByClass[fmt.Sprintf("%d", status)]++
		f.violate("%s: unexpected status %d", where, status)
	}
}

func trim(s string) string {
	if len(s) > 300 {
		return s[:300] + "..."
	}
	return s
}

func (f *Fuzzer) modelled(o fuzzOp, code string) bool {
	if code == "" || code == "InternalFailure" {
		return false
	}
	for _, e := range o.op.Errors {
		if e.Shape == code {
			return true
		}
	}
	return false
}

func (f *Fuzzer) export(ctx context.Context) []byte {
	snap, err := store.Export(ctx, f.store)
	if err != nil {
		f.violate("export: %v", err)
		return nil
	}
	var b bytes.Buffer
	if err := store.WriteSnapshot(&b, snap); err != nil {
		f.violate("export: %v", err)
	}
	return b.Bytes()
}

// harvest keeps string values of a 2xx response by member name, so later
// requests name resources that exist.
func (f *Fuzzer) harvest(body []byte) {
	var v any
	if json.Unmarshal(body, &v) != nil {
		return
	}
	var walk func(key string, v any, depth int)
	walk = func(key string, v any, depth int) {
		if depth > 6 {
			return
		}
		switch t := v.(type) {
		case map[string]any:
			for k, x := range t {
				walk(k, x, depth+1)
			}
		case []any:
			for _, x := range t {
				walk(key, x, depth+1)
			}
		case string:
			if key == "" || len(t) > 256 {
				return
			}
			k := f.cur + "/" + strings.ToLower(key)
			p := f.pool[k]
			if len(p) >= 16 {
				p = p[1:]
			}
			f.pool[k] = append(p, t)
		}
	}
	walk("", v, 0)
}

// Summary describes the run.
func (s FuzzStats) Summary() string {
	classes := make([]string, 0, len(s.ByClass))
	for k, v := range s.ByClass {
		classes = append(classes, fmt.Sprintf("%s=%d", k, v))
	}
	sort.Strings(classes)
	return fmt.Sprintf("%d requests (%d mutated, %d not parseable by net/http and skipped): %s; %d violations of %d kinds",
		s.Requests, s.Mutated, s.Unparseable, strings.Join(classes, " "), s.ViolationCount, len(s.Violations))
}
