package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"regexp/syntax"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

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

// Generation.

func (f *Fuzzer) value(m *model.Model, ref *model.ShapeRef, member string, depth int) any {
	sh := m.Shapes[ref.Shape]
	if sh == nil {
		return nil
	}
	switch sh.Type {
	case "structure":
		out := map[string]any{}
		if depth > 5 {
			return out
		}
		names := sh.MemberOrder
		if len(names) == 0 {
			for n := range sh.Members {
				names = append(names, n)
			}
			sort.Strings(names)
		}
		if sh.Union {
			if len(names) > 0 {
				n := names[f.pick(len(names))]
				out[n] = f.value(m, sh.Members[n], n, depth+1)
			}
			return out
		}
		optional := 3
		if depth > 0 {
			optional = 5 // nested optional members make valid requests rarer
		}
		for _, n := range names {
			if sh.IsRequired(n) || f.chance(optional) {
				out[n] = f.value(m, sh.Members[n], n, depth+1)
			}
		}
		return out
	case "list":
		lo, hi := bounds(sh, 0, 3)
		n := lo + f.pick(hi-lo+1)
		out := make([]any, 0, n)
		for i := 0; i < n && depth < 6; i++ {
			out = append(out, f.value(m, sh.Member, member, depth+1))
		}
		return out
	case "map":
		lo, hi := bounds(sh, 0, 2)
		n := lo + f.pick(hi-lo+1)
		out := map[string]any{}
		for i := 0; i < n; i++ {
			k, _ := f.value(m, sh.Key, "", depth+1).(string)
			out[k] = f.value(m, sh.Value, "", depth+1)
		}
		return out
	case "string":
		if p := f.pool[f.cur+"/"+strings.ToLower(member)]; len(p) > 0 && !f.chance(4) {
			return p[f.pick(len(p))]
		}
		if len(sh.Enum) > 0 {
			return sh.Enum[f.pick(len(sh.Enum))]
		}
		if h, ok := hints[f.cur+"/"+strings.ToLower(member)]; ok && !f.chance(5) {
			return h(f)
		}
		if ref.IdempotencyToken {
			return fmt.Sprintf("%08x-0000-4000-8000-%012x", f.pick(1<<30), f.pick(1<<30))
		}
		return f.stringFor(sh)
	case "integer", "long":
		lo, hi := -5, 100
		if sh.Min != nil {
			lo = int(*sh.Min)
		}
		if sh.Max != nil && *sh.Max < float64(lo+1000) {
			hi = int(*sh.Max)
		} else {
			hi = lo + 100
		}
		if hi < lo {
			hi = lo
		}
		return lo + f.pick(hi-lo+1)
	case "double", "float":
		return float64(f.pick(1000)) / 10
	case "boolean":
		return f.chance(2)
	case "timestamp":
		t := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(f.pick(1000)) * time.Hour)
		if timestampFormat(ref, sh) == "iso8601" {
			return t.Format(time.RFC3339)
		}
		return t.Unix()
	case "blob":
		b := make([]byte, 1+f.pick(32))
		for i := range b {
			b[i] = byte(f.pick(256))
		}
		return base64.StdEncoding.EncodeToString(b)
	}
	return nil
}

func timestampFormat(ref *model.ShapeRef, sh *model.Shape) string {
	if ref.TimestampFormat != "" {
		return ref.TimestampFormat
	}
	return sh.TimestampFormat
}

func bounds(sh *model.Shape, lo, span int) (int, int) {
	if sh.Min != nil {
		lo = int(*sh.Min)
	}
	hi := lo + span
	if sh.Max != nil && int(*sh.Max) < hi {
		hi = int(*sh.Max)
	}
	if hi < lo {
		hi = lo
	}
	return lo, hi
}

const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"

func (f *Fuzzer) stringFor(sh *model.Shape) string {
	lo, hi := bounds(sh, 1, 12)
	if sh.Min == nil {
		lo = 1
	}
	if sh.Pattern != "" {
		if re := f.regexp(sh.Pattern); re != nil {
			for try := 0; try < 6; try++ {
				var b strings.Builder
				f.gen(&b, re, 0)
				s := b.String()
				if n := utf8.RuneCountInString(s); n >= lo && (sh.Max == nil || n <= int(*sh.Max)) {
					return s
				}
			}
		}
	}
	n := lo + f.pick(hi-lo+1)
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[f.pick(len(alphabet))]
	}
	return string(b)
}

func (f *Fuzzer) regexp(p string) *syntax.Regexp {
	if re, ok := f.regexps[p]; ok {
		return re
	}
	re, err := syntax.Parse(p, syntax.Perl)
	if err != nil {
		re = nil
	} else {
		re = re.Simplify()
	}
	f.regexps[p] = re
	return re
}

// gen writes a random string matched by re (best effort).
func (f *Fuzzer) gen(b *strings.Builder, re *syntax.Regexp, depth int) {
	if depth > 30 || b.Len() > 4096 {
		return
	}
	switch re.Op {
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			b.WriteRune(r)
		}
	case syntax.OpCharClass:
		b.WriteRune(f.classRune(re.Rune))
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		b.WriteByte(alphabet[f.pick(len(alphabet))])
	case syntax.OpCapture:
		f.gen(b, re.Sub[0], depth+1)
	case syntax.OpConcat:
		for _, s := range re.Sub {
			f.gen(b, s, depth+1)
		}
	case syntax.OpAlternate:
		f.gen(b, re.Sub[f.pick(len(re.Sub))], depth+1)
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpRepeat:
		lo, hi := 0, 3
		switch re.Op {
		case syntax.OpPlus:
			lo, hi = 1, 4
		case syntax.OpQuest:
			lo, hi = 0, 1
		case syntax.OpRepeat:
			lo = re.Min
			hi = re.Max
			if hi < 0 || hi > lo+4 {
				hi = lo + 4
			}
		}
		n := lo + f.pick(hi-lo+1)
		for i := 0; i < n; i++ {
			f.gen(b, re.Sub[0], depth+1)
		}
	}
}

// classRune picks a rune of a character class, preferring printable ASCII.
func (f *Fuzzer) classRune(ranges []rune) rune {
	if len(ranges) == 0 {
		return 'a'
	}
	var ascii [][2]rune
	for i := 0; i+1 < len(ranges); i += 2 {
		lo, hi := ranges[i], ranges[i+1]
		if lo < 0x21 {
			lo = 0x21
		}
		if hi > 0x7e {
			hi = 0x7e
		}
		if lo <= hi {
			ascii = append(ascii, [2]rune{lo, hi})
		}
	}
	if len(ascii) > 0 && !f.chance(20) {
		r := ascii[f.pick(len(ascii))]
		return r[0] + rune(f.pick(int(r[1]-r[0])+1))
	}
	i := f.pick(len(ranges)/2) * 2
	lo, hi := ranges[i], ranges[i+1]
	span := int(hi - lo)
	if span > 1<<16 {
		span = 1 << 16
	}
	r := lo + rune(f.pick(span+1))
	if !utf8.ValidRune(r) {
		return 'a'
	}
	return r
}

// Mutations of the input document.

func (f *Fuzzer) mutateDoc(o fuzzOp, doc map[string]any) string {
	if o.op.Input == nil {
		return ""
	}
	paths := collect(o.model, o.model.Shapes[o.op.Input.Shape], doc, nil, 0)
	if len(paths) == 0 {
		doc["UnknownMember"] = "x"
		return "unknown member"
	}
	t := paths[f.pick(len(paths))]
	switch f.pick(9) {
	case 0: // drop a member (often a required one)
		delete(t.parent, t.key)
		return "drop " + t.key
	case 1: // wrong JSON type
		alts := []any{12345, "a string", true, []any{1, "x"}, map[string]any{"a": 1}, nil, -1.5e300}
		t.parent[t.key] = alts[f.pick(len(alts))]
		return "wrong type at " + t.key
	case 2: // too long
		n := 200
		if t.shape != nil && t.shape.Max != nil {
			n = int(*t.shape.Max) + 1 + f.pick(50)
		}
		if n > 70000 {
			n = 70000
		}
		t.parent[t.key] = strings.Repeat("x", n)
		return "too long " + t.key
	case 3: // characters patterns refuse
		bad := []string{"", " ", "../../etc", "{}\"<>\\", "\x00\x01", "é中文🙂", "a/b/c", "%2F", strings.Repeat("🙂", 30)}
		t.parent[t.key] = bad[f.pick(len(bad))]
		return "bad string at " + t.key
	case 4: // not in the enum
		t.parent[t.key] = "NOT_A_VALUE"
		return "bad enum " + t.key
	case 5: // numbers out of range
		nums := []any{-1, 0, math.MaxInt32 + 1, -math.MaxInt64, 1e300, 0.5, math.MaxInt64}
		t.parent[t.key] = nums[f.pick(len(nums))]
		return "number out of range at " + t.key
	case 6: // union with two members, or none
		if t.shape != nil && t.shape.Union {
			m := map[string]any{}
			for n, r := range t.shape.Members {
				m[n] = f.value(o.model, r, n, 4)
				if len(m) == 2 {
					break
				}
			}
			if f.chance(3) {
				m = map[string]any{}
			}
			t.parent[t.key] = m
			return "union with " + fmt.Sprint(len(m)) + " members at " + t.key
		}
		t.parent[t.key] = map[string]any{}
		return "empty structure at " + t.key
	case 7: // a long list
		items := make([]any, 200+f.pick(200))
		for i := range items {
			items[i] = "x"
		}
		t.parent[t.key] = items
		return "long list at " + t.key
	default: // deep nesting
		var v any = "x"
		for i := 0; i < 200; i++ {
			v = []any{v}
		}
		t.parent[t.key] = v
		return "deep nesting at " + t.key
	}
}

type docPath struct {
	parent map[string]any
	key    string
	shape  *model.Shape
}

// collect lists every member of doc (and of its nested structures) with its shape.
func collect(m *model.Model, sh *model.Shape, doc map[string]any, out []docPath, depth int) []docPath {
	if sh == nil || depth > 6 {
		return out
	}
	for k, v := range doc {
		ref := sh.Members[k]
		var msh *model.Shape
		if ref != nil {
			msh = m.Shapes[ref.Shape]
		}
		out = append(out, docPath{parent: doc, key: k, shape: msh})
		if sub, ok := v.(map[string]any); ok && msh != nil && msh.Type == "structure" {
			out = collect(m, msh, sub, out, depth+1)
		}
		if list, ok := v.([]any); ok && msh != nil && msh.Type == "list" {
			if esh := m.Shapes[msh.Member.Shape]; esh != nil && esh.Type == "structure" {
				for _, it := range list {
					if sub, ok := it.(map[string]any); ok {
						out = collect(m, esh, sub, out, depth+1)
					}
				}
			}
		}
	}
	return out
}

// Building the HTTP request.

// build serializes doc as the operation's request: the raw bytes of an
// HTTP/1.1 request and a short description.
func (f *Fuzzer) build(o fuzzOp, doc map[string]any) ([]byte, string) {
	account := "111111111111"
	if f.chance(8) {
		account = "222222222222"
	}
	hdr := http.Header{}
	hdr.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+account+"/20260101/us-east-1/"+o.svc.Name+
		"/aws4_request, SignedHeaders=host;x-amz-date, Signature=0000")
	var path, query string
	body := map[string]any{}
	if o.svc.Protocol == api.JSON {
		path = "/"
		hdr.Set("X-Amz-Target", o.svc.TargetPrefix+"."+o.op.Name)
		hdr.Set("Content-Type", "application/x-amz-json-1.1")
		body = doc
	} else {
		hdr.Set("Content-Type", "application/json")
		uri, rawQuery, _ := strings.Cut(o.op.HTTP.RequestURI, "?")
		q := url.Values{}
		if rawQuery != "" {
			for _, kv := range strings.Split(rawQuery, "&") {
				k, v, _ := strings.Cut(kv, "=")
				q.Add(k, v)
			}
		}
		sh := o.model.Shapes[o.op.Input.Shape]
		for k, v := range doc {
			ref := sh.Members[k]
			if ref == nil {
				body[k] = v
				continue
			}
			name := ref.LocationName
			if name == "" {
				name = k
			}
			switch ref.Location {
			case "uri":
				s := scalar(v)
				greedy := strings.Contains(uri, "{"+name+"+}")
				esc := escapeLabel(s, greedy)
				uri = strings.Replace(strings.Replace(uri, "{"+name+"+}", esc, 1), "{"+name+"}", esc, 1)
			case "header":
				hdr.Set(name, headerValue(v))
			case "querystring":
				if list, ok := v.([]any); ok {
					for _, it := range list {
						q.Add(name, scalar(it))
					}
				} else if mm, ok := v.(map[string]any); ok {
					for mk, mv := range mm {
						q.Add(mk, scalar(mv))
					}
				} else {
					q.Add(name, scalar(v))
				}
			default:
				body[k] = v
			}
		}
		// Labels never given (dropped by a mutation) stay empty.
		uri = regexp.MustCompile(`\{[^}]*\}`).ReplaceAllString(uri, "")
		path = uri
		query = q.Encode()
	}
	var raw []byte
	if len(body) > 0 || o.svc.Protocol == api.JSON {
		b, err := json.Marshal(body)
		if err != nil {
			b = []byte("{}")
		}
		raw = b
	}
	target := path
	if query != "" {
		target += "?" + query
	}
	return rawRequest(o.apiOp.Method, target, hdr, raw), o.apiOp.Method + " " + target
}

func methodOf(m string) string {
	if m == "" {
		return "POST"
	}
	return m
}

func rawRequest(method, target string, hdr http.Header, body []byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: ersatz.local\r\n", methodOf(method), target)
	keys := make([]string, 0, len(hdr))
	for k := range hdr {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range hdr[k] {
			fmt.Fprintf(&b, "%s: %s\r\n", k, v)
		}
	}
	fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n", len(body))
	b.Write(body)
	return b.Bytes()
}

func scalar(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case nil:
		return ""
	case float64:
		return fmt.Sprint(t)
	}
	b, _ := json.Marshal(v)
	return strings.Trim(string(b), `"`)
}

func headerValue(v any) string {
	s := scalar(v)
	// a header cannot carry CR or LF; keep the request parseable
	return strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
}

func escapeLabel(s string, greedy bool) string {
	e := escapePathAWS(s)
	if !greedy {
		e = strings.ReplaceAll(e, "/", "%2F")
	}
	return e
}

func escapePathAWS(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || strings.IndexByte("-._~/", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// mutateRaw changes the serialized request: its JSON structure, its headers,
// its labels or its query.
func (f *Fuzzer) mutateRaw(raw []byte) ([]byte, string) {
	head, body, _ := bytes.Cut(raw, []byte("\r\n\r\n"))
	lines := strings.Split(string(head), "\r\n")
	reqLine := strings.SplitN(lines[0], " ", 3)
	if len(reqLine) != 3 {
		return raw, ""
	}
	hdrs := lines[1:]
	var what string
	switch f.pick(10) {
	case 0:
		if len(body) > 1 {
			body = body[:f.pick(len(body))]
		}
		what = "truncated body"
	case 1:
		body = []byte(`[` + string(body) + `]`)
		what = "array body"
	case 2:
		body = []byte(`{"a":` + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + `}`)
		what = "deeply nested JSON"
	case 3:
		body = append([]byte{0xff, 0xfe}, body...)
		what = "invalid UTF-8"
	case 4:
		body = []byte(strings.Replace(string(body), "{", `{"dup":1,"dup":2,`, 1))
		what = "duplicate keys"
	case 5:
		for i, h := range hdrs {
			if strings.HasPrefix(h, "X-Amz-Target:") {
				hdrs[i] = "X-Amz-Target: TransferService.NoSuchOperation"
			}
			if strings.HasPrefix(h, "Content-Type:") {
				hdrs[i] = "Content-Type: text/plain"
			}
		}
		what = "bad target or content type"
	case 6:
		reqLine[1] = reqLine[1] + "/extra/%2e%2e/segment"
		what = "extra path segments"
	case 7:
		if i := strings.Index(reqLine[1], "?"); i >= 0 {
			reqLine[1] += "&" + reqLine[1][i+1:] + "&%zz=1"
		} else {
			reqLine[1] += "?x=%zz&x=2"
		}
		what = "repeated and malformed query"
	case 8:
		for i, h := range hdrs {
			if k, _, ok := strings.Cut(h, ":"); ok && k != "Host" && k != "Authorization" && k != "Content-Length" {
				hdrs[i] = k + ": " + strings.Repeat("\u00e9", 300)
			}
		}
		what = "header values"
	default:
		reqLine[0] = []string{"GET", "PUT", "DELETE", "PATCH", "HEAD"}[f.pick(5)]
		what = "other method"
	}
	var out []string
	for _, h := range hdrs {
		if !strings.HasPrefix(h, "Content-Length:") {
			out = append(out, h)
		}
	}
	out = append(out, fmt.Sprintf("Content-Length: %d", len(body)))
	return append([]byte(strings.Join(reqLine, " ")+"\r\n"+strings.Join(out, "\r\n")+"\r\n\r\n"), body...), what
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

// hints give members whose valid values the services define beyond the model
// (ARNs, Amplify ids) values those services accept, so valid requests get past
// validation to the behaviour.
var hints = map[string]func(f *Fuzzer) string{
	"transfer/role":                         func(f *Fuzzer) string { return "arn:aws:iam::111111111111:role/fuzz-" + f.word(4) },
	"transfer/loggingrole":                  func(f *Fuzzer) string { return "arn:aws:iam::111111111111:role/fuzz-logging" },
	"amplifybackend/appid":                  func(f *Fuzzer) string { return "d" + f.lower(1+f.pick(2)) },
	"amplifybackend/backendenvironmentname": func(f *Fuzzer) string { return []string{"dev", "prod", "test"}[f.pick(3)] },
	"amplifybackend/targetenvironmentname":  func(f *Fuzzer) string { return []string{"dev", "prod", "stage"}[f.pick(3)] },
	"amplifybackend/resourcename":           func(f *Fuzzer) string { return "r" + f.lower(5) },
	"amplifybackend/bucketname":             func(f *Fuzzer) string { return "fuzz-" + f.lower(8) },
	"amplifybackend/appname":                func(f *Fuzzer) string { return "app" + f.lower(4) },
}

func (f *Fuzzer) lower(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + f.pick(26))
	}
	return string(b)
}

func (f *Fuzzer) word(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[f.pick(62)]
	}
	return string(b)
}
