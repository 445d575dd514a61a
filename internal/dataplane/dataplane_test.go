package dataplane

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"testing"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/transferapi"
	"github.com/ersatz-dev/ersatz/internal/service/transfer"
	"github.com/ersatz-dev/ersatz/internal/store/memory"
)

func TestParsePortRange(t *testing.T) {
	tests := []struct {
		in     string
		lo, hi int
		bad    bool
	}{
		{"2200-2299", 2200, 2299, false},
		{" 2200 - 2200 ", 2200, 2200, false},
		{"2222", 2222, 2222, false},
		{"2299-2200", 0, 0, true},
		{"0-10", 0, 0, true},
		{"1-65536", 0, 0, true},
		{"a-b", 0, 0, true},
		{"", 0, 0, true},
	}
	for _, tc := range tests {
		r, err := ParsePortRange(tc.in)
		if (err != nil) != tc.bad || (!tc.bad && (r.Low != tc.lo || r.High != tc.hi)) {
			t.Errorf("ParsePortRange(%q) = %+v, %v", tc.in, r, err)
		}
	}
	if _, err := New(Config{Ports: "3000-3010", PassivePorts: "3010-3020"}, memory.New(), nil, nil); err == nil {
		t.Error("overlapping ranges were accepted")
	}
}

func TestSelectAccess(t *testing.T) {
	acc := func(id, home string) transfer.LoginAccess {
		return transfer.LoginAccess{ExternalID: id, LoginProfile: transfer.LoginProfile{HomeDirectory: home}}
	}
	all := []transfer.LoginAccess{acc("S-1-5-30", "/c"), acc("S-1-5-10", "/a"), acc("S-1-5-20", "/b")}
	tests := []struct {
		groups []string
		want   string
	}{
		{[]string{"S-1-5-20", "S-1-5-30"}, "/b"},
		{[]string{"S-1-5-30", "S-1-5-20", "S-1-5-10"}, "/a"},
		{[]string{"S-1-5-30"}, "/c"},
		{[]string{"S-1-5-99"}, ""},
		{nil, ""},
	}
	for _, tc := range tests {
		got, ok := SelectAccess(all, tc.groups)
		if ok != (tc.want != "") || got.HomeDirectory != tc.want {
			t.Errorf("SelectAccess(%v) = %q, %v; want %q", tc.groups, got.HomeDirectory, ok, tc.want)
		}
	}
}

func TestLoginLogIsBounded(t *testing.T) {
	l := newLoginLog(3)
	for i := 0; i < 5; i++ {
		l.add(LoginAttempt{ServerID: fmt.Sprintf("s-%d", i%2), UserName: strconv.Itoa(i)})
	}
	all := l.list("", 0)
	if len(all) != 3 || all[0].UserName != "2" || all[2].UserName != "4" {
		t.Fatalf("log %+v", all)
	}
	if got := l.list("s-0", 0); len(got) != 2 || got[0].UserName != "2" {
		t.Fatalf("by server %+v", got)
	}
	if got := l.list("", 1); len(got) != 1 || got[0].UserName != "4" {
		t.Fatalf("limit %+v", got)
	}
}

// TestPortsSkipBusyAndStayStable: a port another program holds is skipped,
// and a server keeps its port while OFFLINE and loses it when deleted.
func TestPortsSkipBusyAndStayStable(t *testing.T) {
	ctx := api.WithCaller(context.Background(), api.Caller{Account: "111111111111", Region: "us-east-1"})
	st := memory.New()
	ts := transfer.New(st, transfer.WithTransitionDelay(0))
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	port := busy.Addr().(*net.TCPAddr).Port
	m, err := New(Config{DataDir: t.TempDir(), Ports: fmt.Sprintf("%d-%d", port, port+5),
		PassivePorts: fmt.Sprintf("%d-%d", port+6, port+8)}, st, ts, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	out, err := ts.CreateServer(ctx, &transferapi.CreateServerRequest{})
	if err != nil {
		t.Fatal(err)
	}
	sid := *out.ServerId
	endpoint := func() (string, bool) {
		t.Helper()
		if err := m.Reconcile(ctx); err != nil {
			t.Fatal(err)
		}
		for _, s := range m.Servers() {
			if s.ServerID == sid {
				return s.Endpoints[ProtoSFTP], s.Listening
			}
		}
		return "", false
	}
	addr, listening := endpoint()
	if !listening || addr == "" || addr == busy.Addr().String() {
		t.Fatalf("endpoint %q listening=%v (port %d is busy)", addr, listening, port)
	}
	if err := ts.StopServer(ctx, &transferapi.StopServerRequest{ServerId: &sid}); err != nil {
		t.Fatal(err)
	}
	if again, listening := endpoint(); listening || again != addr {
		t.Fatalf("stopped: %q listening=%v", again, listening)
	}
	if err := ts.StartServer(ctx, &transferapi.StartServerRequest{ServerId: &sid}); err != nil {
		t.Fatal(err)
	}
	if again, listening := endpoint(); !listening || again != addr {
		t.Fatalf("started: %q listening=%v, was %q", again, listening, addr)
	}
	if err := ts.DeleteServer(ctx, &transferapi.DeleteServerRequest{ServerId: &sid}); err != nil {
		t.Fatal(err)
	}
	if _, listening := endpoint(); listening {
		t.Fatal("deleted server still listens")
	}
	if len(m.Servers()) != 0 {
		t.Fatalf("servers %+v", m.Servers())
	}
}
