package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/model"
)

// Requests: mutated documents, their wire form, and raw mutations of it.

type docPath struct {
	parent map[string]any
	key    string
	shape  *model.Shape
}

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
