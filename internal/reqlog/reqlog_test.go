package reqlog

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ersatz-dev/ersatz/internal/gateway"
)

func TestRingKeepsNewestFirst(t *testing.T) {
	l := New(3)
	for i, st := range []int{200, 400, 500, 404, 200} {
		l.Observe(context.Background(), &gateway.Outcome{Time: time.Unix(int64(i), 0), Service: []string{"transfer", "qapps"}[i%2],
			Status: st, RequestID: string(rune('a' + i))})
	}
	ids := func(es []Entry) string {
		var b strings.Builder
		for _, e := range es {
			b.WriteString(e.RequestID)
		}
		return b.String()
	}
	cases := []struct {
		query, want string
	}{
		{"", "edc"},
		{"status=error", "dc"},
		{"status=4xx", "d"},
		{"status=500", "c"},
		{"status=ok", "e"},
		{"service=qapps", "d"},
		{"service=transfer&status=5xx", "c"},
		{"limit=2", "ed"},
	}
	for _, c := range cases {
		q, _ := url.ParseQuery(c.query)
		f, err := ParseFilter(q)
		if err != nil {
			t.Fatalf("%q: %v", c.query, err)
		}
		if got := ids(l.List(f)); got != c.want {
			t.Errorf("%q: got %q, want %q", c.query, got, c.want)
		}
	}
}

func TestParseFilterNamesTheField(t *testing.T) {
	for query, field := range map[string]string{"status=teapot": "status", "status=600": "status", "status=6xx": "status",
		"limit=-1": "limit", "limit=x": "limit", "service=" + strings.Repeat("s", 65): "service"} {
		q, _ := url.ParseQuery(query)
		if _, err := ParseFilter(q); err == nil || !strings.HasPrefix(err.Error(), field) {
			t.Errorf("%q: got %v, want an error naming %s", query, err, field)
		}
	}
}

func TestZeroSizeKeepsNothing(t *testing.T) {
	l := New(0)
	l.Observe(context.Background(), &gateway.Outcome{Status: 200})
	if got := l.List(Filter{}); len(got) != 0 {
		t.Fatalf("got %d entries", len(got))
	}
}

func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{"", "status=4xx&service=transfer", "limit=10", "status=%00", "status=9xx"} {
		f.Add(s)
	}
	l := New(4)
	l.Observe(context.Background(), &gateway.Outcome{Status: 503, Service: "transfer"})
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		flt, err := ParseFilter(q)
		if err != nil {
			return
		}
		if got := l.List(flt); len(got) > 1 {
			t.Fatalf("%q listed %d entries of 1", raw, len(got))
		}
	})
}
