package connector

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"net"
	"os"
	"slices"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

func TestPolicyAlgorithms(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	pub, _ := ssh.NewPublicKey(&ec.PublicKey)
	sup := ssh.SupportedAlgorithms()
	policy := []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoECDSA256, ssh.KeyAlgoED25519, "nope"}
	algos := policyAlgorithms(policy, sup.HostKeys)
	if !slices.Equal(algos, policy[:4]) {
		t.Fatalf("policyAlgorithms = %v", algos)
	}
	if got := hostKeyAlgorithmsFor(algos, []ssh.PublicKey{pub}); !slices.Equal(got, []string{ssh.KeyAlgoECDSA256}) {
		t.Fatalf("host key algorithms for an ECDSA key: %v", got)
	}
	if got := hostKeyAlgorithmsFor(algos, nil); !slices.Equal(got, algos) {
		t.Fatalf("without trusted keys: %v", got)
	}
	if got := policyAlgorithms([]string{"nope", ssh.CipherAES128GCM}, sup.Ciphers); !slices.Equal(got, []string{ssh.CipherAES128GCM}) {
		t.Fatalf("policyAlgorithms = %v", got)
	}
}

// TestDialFailures: Dial says why it could not connect, with the failure
// code ListFileTransferResults reports.
func TestDialFailures(t *testing.T) {
	dir := t.TempDir()
	secrets := dir + "/secrets.json"
	if err := os.WriteFile(secrets, []byte(`{"secrets":{"ok":{"Username":"u","Password":"p"},"badkey":{"Username":"u","PrivateKey":"not a key"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	_ = closed.Close()
	// A server that closes every connection before the SSH banner.
	hangup, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer hangup.Close()
	go func() {
		for {
			c, err := hangup.Accept()
			if err != nil {
				return
			}
			_ = c.Close()
		}
	}()
	r := New(Config{SecretsFile: secrets})
	defer r.Close()
	tests := []struct {
		name string
		ep   Endpoint
		code string
		msg  string
	}{
		{"no such secret", Endpoint{Addr: closedAddr, SecretID: "absent"}, CodeSecret, "was not found"},
		{"unusable private key", Endpoint{Addr: closedAddr, SecretID: "badkey"}, CodeSecret, "not a usable private key"},
		{"nothing listens", Endpoint{Addr: closedAddr, SecretID: "ok"}, CodeConnection, "could not connect"},
		{"no SSH server", Endpoint{Addr: hangup.Addr().String(), SecretID: "ok"}, CodeConnection, "SSH handshake"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, _, fail := r.Dial(t.Context(), &tt.ep)
			if conn != nil {
				_ = conn.Close()
				t.Fatal("connected")
			}
			if fail == nil || fail.Code != tt.code || !strings.Contains(fail.Msg, tt.msg) {
				t.Fatalf("failure %v, want %s with %q", fail, tt.code, tt.msg)
			}
			var f *Failure
			if !errors.As(error(fail), &f) || !strings.HasPrefix(fail.Error(), tt.code+": ") {
				t.Fatalf("Error() = %q", fail.Error())
			}
		})
	}
}
