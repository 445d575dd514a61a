package transfer

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/transferapi"
	"github.com/ersatz-dev/ersatz/internal/store/memory"
)

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newTestService(t *testing.T, opts ...Option) (*Service, context.Context) {
	t.Helper()
	st := memory.New()
	t.Cleanup(func() { _ = st.Close() })
	ctx := api.WithCaller(context.Background(), api.Caller{Account: "123456789012", Region: "eu-west-1"})
	return New(st, opts...), ctx
}

func TestServerStateTransitionsFollowTheClock(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	s, ctx := newTestService(t, WithClock(clk.now), WithTransitionDelay(time.Second))
	out, err := s.CreateServer(ctx, &transferapi.CreateServerRequest{})
	if err != nil {
		t.Fatal(err)
	}
	state := func() string {
		t.Helper()
		d, err := s.DescribeServer(ctx, &transferapi.DescribeServerRequest{ServerId: out.ServerId})
		if err != nil {
			t.Fatal(err)
		}
		return *d.Server.State
	}
	steps := []struct {
		do      func() error
		advance time.Duration
		want    string
	}{
		{nil, 0, transferapi.StateOnline},
		{func() error { return s.StopServer(ctx, &transferapi.StopServerRequest{ServerId: out.ServerId}) }, 0, transferapi.StateStopping},
		{nil, 999 * time.Millisecond, transferapi.StateStopping},
		{nil, time.Millisecond, transferapi.StateOffline},
		{func() error { return s.StartServer(ctx, &transferapi.StartServerRequest{ServerId: out.ServerId}) }, 0, transferapi.StateStarting},
		{func() error { return s.StartServer(ctx, &transferapi.StartServerRequest{ServerId: out.ServerId}) }, 0, transferapi.StateStarting},
		{nil, time.Second, transferapi.StateOnline},
	}
	for i, st := range steps {
		if st.do != nil {
			if err := st.do(); err != nil {
				t.Fatalf("step %d: %v", i, err)
			}
		}
		clk.add(st.advance)
		if got := state(); got != st.want {
			t.Fatalf("step %d: state %s, want %s", i, got, st.want)
		}
	}
	// Stopping while STARTING is refused and changes nothing.
	if err := s.StopServer(ctx, &transferapi.StopServerRequest{ServerId: out.ServerId}); err != nil {
		t.Fatal(err)
	}
	clk.add(time.Second)
	if err := s.StartServer(ctx, &transferapi.StartServerRequest{ServerId: out.ServerId}); err != nil {
		t.Fatal(err)
	}
	err = s.StopServer(ctx, &transferapi.StopServerRequest{ServerId: out.ServerId})
	var ire *transferapi.InvalidRequestException
	if !errors.As(err, &ire) {
		t.Fatalf("StopServer while STARTING: %v", err)
	}
	if got := state(); got != transferapi.StateStarting {
		t.Fatalf("state %s after a refused stop", got)
	}
}

func TestParseHostKey(t *testing.T) {
	gen, err := generateHostKey()
	if err != nil {
		t.Fatal(err)
	}
	if gen.Type != "ssh-ed25519" || !strings.HasPrefix(gen.Fingerprint, "SHA256:") || len(gen.Fingerprint) != 50 {
		t.Fatalf("generated key %+v", gen)
	}
	again, err := parseHostKey(gen.PEM, "HostKey")
	if err != nil || again.Fingerprint != gen.Fingerprint {
		t.Fatalf("reparsed %+v, %v", again, err)
	}
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	smallPEM := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(small)}))
	block, err := ssh.MarshalPrivateKeyWithPassphrase(small, "", []byte("pass"))
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"1024-bit RSA": smallPEM,
		"passphrase":   string(pem.EncodeToMemory(block)),
		"not PEM":      "hello",
		"public key":   "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGl0IGlzIGEgdGVzdCBrZXkgb2YgMzIgYnl0ZXMh",
	}
	wants := map[string]string{"1024-bit RSA": "2048", "passphrase": "passphrase", "not PEM": "not a valid", "public key": "not a valid"}
	for name, body := range cases {
		_, err := parseHostKey(body, "HostKey")
		var ire *transferapi.InvalidRequestException
		if !errors.As(err, &ire) || !strings.Contains(*ire.Message, wants[name]) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestParseSSHPublicKey(t *testing.T) {
	gen, err := generateHostKey()
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.ParsePrivateKey([]byte(gen.PEM))
	if err != nil {
		t.Fatal(err)
	}
	good := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey()))) + " user@host"
	k, err := parseSSHPublicKey("  "+good+"\n", "SshPublicKeyBody")
	if err == nil && k.Fingerprint != gen.Fingerprint {
		t.Fatalf("fingerprint %s, want %s", k.Fingerprint, gen.Fingerprint)
	}
	if err != nil {
		t.Fatal(err)
	}
	if k.Body != good || !strings.HasPrefix(k.Fingerprint, "SHA256:") {
		t.Fatalf("parsed %+v", k)
	}
	for name, body := range map[string]string{
		"two keys":     good + "\n" + good,
		"options":      `command="ls" ` + good,
		"bad base64":   "ssh-ed25519 !!!!",
		"wrong length": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGl0",
	} {
		if _, err := parseSSHPublicKey(body, "SshPublicKeyBody"); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestPolicyCatalogue(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range policyCatalogue() {
		if seen[p.Name] {
			t.Fatalf("%s listed twice", p.Name)
		}
		seen[p.Name] = true
		if len(p.Ciphers) == 0 || len(p.Kexs) == 0 || len(p.Macs) == 0 {
			t.Errorf("%s has an empty algorithm list", p.Name)
		}
		err := checkServerPolicy(p.Name)
		if (p.Type == transferapi.SecurityPolicyResourceTypeServer) != (err == nil) {
			t.Errorf("%s (%s): checkServerPolicy = %v", p.Name, p.Type, err)
		}
	}
	if !seen[DefaultSecurityPolicy] {
		t.Fatalf("the default policy %s is not in the catalogue", DefaultSecurityPolicy)
	}
}

func TestMergeTags(t *testing.T) {
	tg := func(k, v string) transferapi.Tag { return transferapi.Tag{Key: api.Ptr(k), Value: api.Ptr(v)} }
	got, err := mergeTags([]transferapi.Tag{tg("b", "1"), tg("c", "2")}, []transferapi.Tag{tg("a", "0"), tg("b", "9")})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || *got[0].Key != "a" || *got[1].Value != "9" || *got[2].Key != "c" {
		t.Fatalf("merged %v", got)
	}
	var many []transferapi.Tag
	for i := range MaxTagsPerResource + 1 {
		many = append(many, tg(fmt.Sprint(i), ""))
	}
	if _, err := mergeTags(nil, many); err == nil {
		t.Fatal("51 tags accepted")
	}
}
