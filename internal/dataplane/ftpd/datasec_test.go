package ftpd

import (
	"fmt"
	"log/slog"
	"net"
	"testing"
)

func TestPassivePort(t *testing.T) {
	tests := []struct {
		line string
		port int
		ok   bool
	}{
		{"229 Entering Extended Passive Mode (|||2301|)", 2301, true},
		{"227 Entering Passive Mode (127,0,0,1,8,253)", 8<<8 | 253, true},
		{"227 Entering Passive Mode (127,0,0,1,256,1)", 0, false},
		{"227 Entering Passive Mode (127,0,0,1,0,0)", 0, false},
		{"229 Entering Extended Passive Mode (|||70000|)", 0, false},
		{"229 Entering Extended Passive Mode (||2301|)", 0, false},
		{"200 OK (|||2301|)", 0, false},
		{"229 no parentheses", 0, false},
		{"229 )(", 0, false},
		{"", 0, false},
	}
	for _, tc := range tests {
		p, ok := passivePort(tc.line)
		if ok != tc.ok || p != tc.port {
			t.Errorf("passivePort(%q) = %d, %v; want %d, %v", tc.line, p, ok, tc.port, tc.ok)
		}
	}
}

// FuzzPassivePort: any reply line either yields a valid port, which reads
// back the same from both reply forms, or nothing.
func FuzzPassivePort(f *testing.F) {
	for _, s := range []string{"229 Entering Extended Passive Mode (|||2301|)", "227 Entering Passive Mode (127,0,0,1,8,253)",
		"227 (1,2,3,4,5)", "229 (|||-1|)", "229 (|||+80|)", "227 (,,,,,)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		p, ok := passivePort(line)
		if !ok {
			if p != 0 {
				t.Fatalf("refused %q with port %d", line, p)
			}
			return
		}
		if p < 1 || p > 65535 {
			t.Fatalf("%q gave port %d", line, p)
		}
		for _, again := range []string{
			fmt.Sprintf("229 Entering Extended Passive Mode (|||%d|)", p),
			fmt.Sprintf("227 Entering Passive Mode (127,0,0,1,%d,%d)", p>>8, p&255),
		} {
			if q, ok := passivePort(again); !ok || q != p {
				t.Fatalf("%q read back as %d, %v; want %d", again, q, ok, p)
			}
		}
	})
}

// TestDataWatch: the reply announcing a passive port gives the port's
// listener to the client that received it, and to no other.
func TestDataWatch(t *testing.T) {
	d := newDataState()
	a, b := &trackedConn{key: "a"}, &trackedConn{key: "b"}
	d.clients[1], d.clients[2] = a, b
	pl := &passiveListener{port: 2301}
	d.passive[2301] = pl
	log := slog.New(&dataWatch{d: d})
	log.With("clientId", uint32(2)).Debug("Received line", "line", "EPSV")
	log.With("clientId", uint32(2)).Debug("Sending answer", "line", "200 OK")
	if pl.getOwner() != nil {
		t.Fatal("a port was claimed by a reply that announces none")
	}
	log.With("clientId", uint32(1)).Debug("Sending answer", "line", "229 Entering Extended Passive Mode (|||2301|)")
	if pl.getOwner() != a {
		t.Fatalf("owner %v, want client 1's connection", pl.getOwner())
	}
	log.With("clientId", uint32(9)).Debug("Sending answer", "line", "229 Entering Extended Passive Mode (|||2301|)")
	log.Debug("Sending answer", "line", "229 Entering Extended Passive Mode (|||2301|)")
	if pl.getOwner() != a {
		t.Fatal("an unknown client took the port")
	}
}

func TestSameIP(t *testing.T) {
	a := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}
	if !sameIP(a, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 2}) {
		t.Error("same IP, other port")
	}
	if sameIP(a, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2), Port: 1}) {
		t.Error("other IP")
	}
}
