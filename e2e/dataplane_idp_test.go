package e2e_test

// Custom identity providers (API_GATEWAY, AWS_LAMBDA) are called for real:
// a provider written in the test answers per user, and real clients log in
// through it.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"
)

// seed writes a file into the data plane's S3 storage.
func (e *dpEnv) seed(t testing.TB, domainPath, body string) {
	t.Helper()
	p := e.file(domainPath)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// stored reads a file of the data plane's S3 storage ("" when missing).
func (e *dpEnv) stored(domainPath string) string {
	b, err := os.ReadFile(e.file(domainPath))
	if err != nil {
		return ""
	}
	return string(b)
}

const readOnlyBob = `{"Version": "2012-10-17", "Statement": [
  {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::bucket"},
  {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/home/bob/*"}]}`

// TestIdentityProviderGatewayLogins: an API_GATEWAY server logs users in
// through the test's provider with OpenSSH sftp (password and key) and curl
// (FTPS); the answer's LOGICAL mappings confine the user and its session
// policy decides what it may do; a refusal, a malformed answer, an error
// status and a provider that hangs each refuse the login, and the listener
// keeps serving others meanwhile.
func TestIdentityProviderGatewayLogins(t *testing.T) {
	t.Parallel()
	needTool(t, "sftp", "ssh-keygen", "curl")
	p := newTestIDP(t)
	gw := p.gateway(t)
	env := startDataPlane(t, nil, "", "", withIdentityProviders(t, "", 2*time.Second))
	key, pub := sshKey(t, "ed25519")
	otherKey, _ := sshKey(t, "ed25519")
	sid := idpServer(t, env.TC, types.IdentityProviderTypeApiGateway, gw.URL+"/prod", "", types.ProtocolSftp, types.ProtocolFtps)
	p.set("alice", idpUser{password: "alice-pw", answer: logicalHome("/bucket/alice")})
	p.set("carol", idpUser{keys: []string{pub}, answer: logicalHome("/bucket/carol")})
	p.set("bob", idpUser{password: "bob-pw", answer: map[string]any{"HomeDirectory": "/bucket/home/bob", "Policy": readOnlyBob}})
	p.set("mal", idpUser{raw: `{"Role": "` + testRole + `", "HomeDirectoryType": "LOGICAL"}`})
	p.set("denied", idpUser{status: 403, raw: `{"message": "Forbidden"}`})
	p.set("slow", idpUser{hang: true})
	sftpAddr := env.waitListening(t, sid, "SFTP")
	ftpsAddr := env.waitListening(t, sid, "FTPS")
	local := t.TempDir()
	src := filepath.Join(local, "up.txt")
	if err := os.WriteFile(src, []byte("from alice"), 0o644); err != nil {
		t.Fatal(err)
	}
	env.seed(t, "/bucket/carol/secret.txt", "CAROL")
	env.seed(t, "/bucket/home/bob/in.txt", "BOB-IN")

	t.Run("password login lands in the answer's mapping", func(t *testing.T) {
		if out, err := sftpPassword(t, sftpAddr, "alice", "alice-pw", "put "+src+" up.txt\nls\n"); err != nil {
			t.Fatalf("sftp: %v\n%s", err, out)
		}
		if got := env.stored("/bucket/alice/up.txt"); got != "from alice" {
			t.Fatalf("/bucket/alice/up.txt = %q", got)
		}
		c := p.lastCall(t, "alice")
		if c.Password == nil || *c.Password != "alice-pw" || c.Protocol != "SFTP" || c.SourceIP != "127.0.0.1" || c.ServerID != sid ||
			c.Target != "/prod/servers/"+sid+"/users/alice/config" {
			t.Fatalf("provider call %+v", c)
		}
		if a := env.lastLogin(t, sid, "alice"); !a.Success || a.Method != "password" {
			t.Fatalf("login log %+v", a)
		}
	})

	t.Run("LOGICAL mapping confines the user", func(t *testing.T) {
		stolen := filepath.Join(local, "stolen")
		mine := filepath.Join(local, "mine")
		out, _ := sftpPassword(t, sftpAddr, "alice", "alice-pw", "get /up.txt "+mine+"\n"+
			"get /bucket/carol/secret.txt "+stolen+"1\nget ../carol/secret.txt "+stolen+"2\nget /../carol/secret.txt "+stolen+"3\n")
		if b, err := os.ReadFile(mine); err != nil || string(b) != "from alice" {
			t.Fatalf("alice's own file through her mapping: %q %v\n%s", b, err, out)
		}
		for i := 1; i <= 3; i++ {
			if b, err := os.ReadFile(stolen + string(rune('0'+i))); err == nil {
				t.Fatalf("alice read carol's file through her mapping: %q\n%s", b, out)
			}
		}
	})

	t.Run("key login with the answer's PublicKeys", func(t *testing.T) {
		if out, err := sftpBatch(t, sftpAddr, key, "carol", "put "+src+" mine.txt\n"); err != nil {
			t.Fatalf("sftp: %v\n%s", err, out)
		}
		if got := env.stored("/bucket/carol/mine.txt"); got != "from alice" {
			t.Fatalf("/bucket/carol/mine.txt = %q", got)
		}
		if c := p.lastCall(t, "carol"); c.Password != nil {
			t.Fatalf("a key login sent a password: %+v", c)
		}
		if out, err := sftpBatch(t, sftpAddr, otherKey, "carol", "ls\n"); err == nil {
			t.Fatalf("a key the provider did not answer logged in:\n%s", out)
		}
		if a := env.lastLogin(t, sid, "carol"); a.Success || !strings.Contains(a.Reason, "not one of the 1 keys") {
			t.Fatalf("login log %+v", a)
		}
	})

	t.Run("session policy from the answer", func(t *testing.T) {
		down := filepath.Join(local, "bob-in")
		out, _ := sftpPassword(t, sftpAddr, "bob", "bob-pw", "get in.txt "+down+"\nput "+src+" out.txt\n")
		if b, err := os.ReadFile(down); err != nil || string(b) != "BOB-IN" {
			t.Fatalf("bob could not read his file: %q %v\n%s", b, err, out)
		}
		if got := env.stored("/bucket/home/bob/out.txt"); got != "" {
			t.Fatalf("a read-only policy let bob write %q\n%s", got, out)
		}
	})

	refusals := []struct {
		user, password, reason string
	}{
		{"alice", "wrong", "no Role"},
		{"nobody", "x", "no Role"},
		{"mal", "x", "HomeDirectoryDetails"},
		{"denied", "x", "HTTP 403"},
	}
	for _, r := range refusals {
		t.Run("refused "+r.user, func(t *testing.T) {
			if out, err := sftpPassword(t, sftpAddr, r.user, r.password, "ls\n"); err == nil {
				t.Fatalf("%s logged in:\n%s", r.user, out)
			}
			if a := env.lastLogin(t, sid, r.user); a.Success || !strings.Contains(a.Reason, r.reason) {
				t.Fatalf("login log %+v, want a refusal naming %q", a, r.reason)
			}
		})
	}

	t.Run("a hanging provider refuses and never holds the listener", func(t *testing.T) {
		done := make(chan error, 1)
		go func() {
			_, err := sftpPassword(t, sftpAddr, "slow", "x", "ls\n")
			done <- err
		}()
		deadline := time.Now().Add(30 * time.Second)
		for len(p.callsOf("slow")) == 0 {
			if time.Now().After(deadline) {
				t.Fatal("the provider was never asked about slow")
			}
			time.Sleep(20 * time.Millisecond)
		}
		// While slow's provider call hangs, others log in.
		if out, err := sftpPassword(t, sftpAddr, "alice", "alice-pw", "ls\n"); err != nil {
			t.Fatalf("alice while slow hangs: %v\n%s", err, out)
		}
		if out, err := curlFTPS(t, "alice", "alice-pw", "ftp://"+ftpsAddr+"/"); err != nil || !strings.Contains(out, "up.txt") {
			t.Fatalf("FTPS while slow hangs: %v\n%s", err, out)
		}
		if err := <-done; err == nil {
			t.Fatal("slow logged in")
		}
		if a := env.lastLogin(t, sid, "slow"); a.Success || !strings.Contains(a.Reason, "no answer within 2s") {
			t.Fatalf("login log %+v", a)
		}
	})

	t.Run("FTPS with curl", func(t *testing.T) {
		if out, err := curlFTPS(t, "alice", "alice-pw", "-T", src, "ftp://"+ftpsAddr+"/ftps.txt"); err != nil {
			t.Fatalf("curl: %v\n%s", err, out)
		}
		if got := env.stored("/bucket/alice/ftps.txt"); got != "from alice" {
			t.Fatalf("/bucket/alice/ftps.txt = %q", got)
		}
		if c := p.lastCall(t, "alice"); c.Protocol != "FTPS" || c.Password == nil || *c.Password != "alice-pw" {
			t.Fatalf("provider call %+v", c)
		}
		if out, err := curlFTPS(t, "alice", "wrong", "ftp://"+ftpsAddr+"/"); err == nil {
			t.Fatalf("a wrong FTPS password listed:\n%s", out)
		}
	})
}

// TestIdentityProviderSftpMethods: SftpAuthenticationMethods decides which
// SFTP logins a custom provider's server takes.
func TestIdentityProviderSftpMethods(t *testing.T) {
	t.Parallel()
	needTool(t, "sftp", "ssh-keygen")
	p := newTestIDP(t)
	gw := p.gateway(t)
	env := startDataPlane(t, nil, "", "", withIdentityProviders(t, "", 5*time.Second))
	key, pub := sshKey(t, "ed25519")
	otherKey, _ := sshKey(t, "ed25519")
	p.set("dave", idpUser{password: "dave-pw", keys: []string{pub}, answer: logicalHome("/bucket/dave")})
	tests := []struct {
		methods                  string
		keyOnly, password, both  bool
		wrongKeyWithRightPwLogin bool
	}{
		{"PASSWORD", false, true, true, true},
		{"PUBLIC_KEY", true, false, true, false},
		{"PUBLIC_KEY_OR_PASSWORD", true, true, true, true},
		{"PUBLIC_KEY_AND_PASSWORD", false, false, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.methods, func(t *testing.T) {
			sid := idpServer(t, env.TC, types.IdentityProviderTypeApiGateway, gw.URL+"/prod", tc.methods, types.ProtocolSftp)
			addr := env.waitListening(t, sid, "SFTP")
			check := func(what string, want bool, out string, err error) {
				t.Helper()
				if (err == nil) != want {
					t.Fatalf("%s: logged in %v, want %v\n%s", what, err == nil, want, out)
				}
			}
			out, err := sftpBatch(t, addr, key, "dave", "ls\n")
			check("key only", tc.keyOnly, out, err)
			out, err = sftpPassword(t, addr, "dave", "dave-pw", "ls\n")
			check("password only", tc.password, out, err)
			before := len(p.callsOf("dave"))
			out, err = sftpKeyPassword(t, addr, key, "dave", "dave-pw", "ls\n")
			check("key and password", tc.both, out, err)
			out, err = sftpKeyPassword(t, addr, otherKey, "dave", "dave-pw", "ls\n")
			check("another key and the password", tc.wrongKeyWithRightPwLogin, out, err)
			if tc.methods == "PUBLIC_KEY_AND_PASSWORD" {
				out, err = sftpKeyPassword(t, addr, key, "dave", "wrong", "ls\n")
				check("the key and a wrong password", false, out, err)
			}
			if tc.methods != "PUBLIC_KEY_AND_PASSWORD" {
				return
			}
			// The key step asked without a password, the password step
			// with it; the log names both methods.
			calls := p.callsOf("dave")[before:]
			if len(calls) < 2 || calls[0].Password != nil || calls[1].Password == nil || *calls[1].Password != "dave-pw" {
				t.Fatalf("provider calls of the key and password login: %+v", calls)
			}
			logins := env.logins(t, sid)
			found := false
			for _, a := range logins {
				found = found || (a.Success && a.Method == "publickey+password" && a.KeyFingerprint != "")
			}
			if !found {
				t.Fatalf("no publickey+password login in %+v", logins)
			}
		})
	}
}

// TestIdentityProviderLambdaLogins: an AWS_LAMBDA server invokes its
// function through --lambda-endpoint with the documented event.
func TestIdentityProviderLambdaLogins(t *testing.T) {
	t.Parallel()
	needTool(t, "sftp", "ssh-keygen")
	p := newTestIDP(t)
	lam := p.lambda(t)
	env := startDataPlane(t, nil, "", "", withIdentityProviders(t, lam.URL, 5*time.Second))
	key, pub := sshKey(t, "ed25519")
	fn := "arn:aws:lambda:us-east-1:111111111111:function:transfer-idp"
	sid := idpServer(t, env.TC, types.IdentityProviderTypeAwsLambda, fn, "", types.ProtocolSftp)
	p.set("erin", idpUser{password: "erin-pw", keys: []string{pub}, answer: map[string]any{"HomeDirectory": "/bucket/home/erin"}})
	addr := env.waitListening(t, sid, "SFTP")
	local := t.TempDir()
	src := filepath.Join(local, "f.txt")
	if err := os.WriteFile(src, []byte("lambda"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := sftpPassword(t, addr, "erin", "erin-pw", "put "+src+" p.txt\n"); err != nil {
		t.Fatalf("password login: %v\n%s", err, out)
	}
	c := p.lastCall(t, "erin")
	if c.Password == nil || *c.Password != "erin-pw" || c.Protocol != "SFTP" || c.ServerID != sid || c.SourceIP != "127.0.0.1" ||
		!strings.Contains(c.Target, "transfer-idp") {
		t.Fatalf("event %+v", c)
	}
	if out, err := sftpBatch(t, addr, key, "erin", "put "+src+" k.txt\n"); err != nil {
		t.Fatalf("key login: %v\n%s", err, out)
	}
	if c := p.lastCall(t, "erin"); c.Password != nil {
		t.Fatalf("a key login's event has a password: %+v", c)
	}
	if env.stored("/bucket/home/erin/p.txt") != "lambda" || env.stored("/bucket/home/erin/k.txt") != "lambda" {
		t.Fatal("the uploads are not in erin's home directory")
	}
	if out, err := sftpPassword(t, addr, "erin", "wrong", "ls\n"); err == nil {
		t.Fatalf("a wrong password logged in:\n%s", out)
	}
	if a := env.lastLogin(t, sid, "erin"); a.Success || !strings.Contains(a.Reason, "AWS_LAMBDA identity provider refused") {
		t.Fatalf("login log %+v", a)
	}
}

// TestIdentityProviderEFS: on an EFS server the answer's PosixProfile owns
// the user's files, and an answer without one is refused.
func TestIdentityProviderEFS(t *testing.T) {
	t.Parallel()
	needTool(t, "sftp")
	p := newTestIDP(t)
	gw := p.gateway(t)
	env := startDataPlane(t, nil, "", "", withIdentityProviders(t, "", 5*time.Second))
	sid := mustCreateServer(t, env.TC, &transfer.CreateServerInput{Domain: types.DomainEfs, IdentityProviderType: types.IdentityProviderTypeApiGateway,
		IdentityProviderDetails: &types.IdentityProviderDetails{Url: aws.String(gw.URL + "/prod"), InvocationRole: aws.String(testRole)}})
	p.set("fran", idpUser{password: "fran-pw", answer: map[string]any{"HomeDirectory": "/fs-0123456789abcdef0/home/fran",
		"PosixProfile": map[string]any{"Uid": "2001", "Gid": 3001, "SecondaryGids": []int{4001}}}})
	p.set("gus", idpUser{password: "gus-pw", answer: map[string]any{"HomeDirectory": "/fs-0123456789abcdef0/home/gus"}})
	addr := env.waitListening(t, sid, "SFTP")
	src := filepath.Join(t.TempDir(), "f.txt")
	if err := os.WriteFile(src, []byte("efs"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := sftpPassword(t, addr, "fran", "fran-pw", "put "+src+" f.txt\nls -ln\n")
	if err != nil {
		t.Fatalf("sftp: %v\n%s", err, out)
	}
	owned := false
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) >= 9 && f[8] == "f.txt" {
			owned = f[2] == "2001" && f[3] == "3001"
		}
	}
	if !owned {
		t.Fatalf("f.txt is not owned by 2001:3001:\n%s", out)
	}
	if b, err := os.ReadFile(filepath.Join(env.DataDir, "files", "efs", "fs-0123456789abcdef0", "home", "fran", "f.txt")); err != nil || string(b) != "efs" {
		t.Fatalf("EFS file: %q %v", b, err)
	}
	if out, err := sftpPassword(t, addr, "gus", "gus-pw", "ls\n"); err == nil {
		t.Fatalf("an EFS answer without PosixProfile logged in:\n%s", out)
	}
	if a := env.lastLogin(t, sid, "gus"); a.Success || !strings.Contains(a.Reason, "PosixProfile") {
		t.Fatalf("login log %+v", a)
	}
}

// TestIdentityProviderStopWhileWaiting: StopServer closes the listeners of
// a server at once even while a login waits for its provider, and the
// waiting login is refused.
func TestIdentityProviderStopWhileWaiting(t *testing.T) {
	t.Parallel()
	needTool(t, "sftp")
	p := newTestIDP(t)
	gw := p.gateway(t)
	// A provider timeout far beyond the wait below: only the stop can end
	// the login in time.
	env := startDataPlane(t, nil, "", "", withIdentityProviders(t, "", 90*time.Second))
	sid := idpServer(t, env.TC, types.IdentityProviderTypeApiGateway, gw.URL+"/prod", "", types.ProtocolSftp)
	p.set("slow", idpUser{hang: true})
	addr := env.waitListening(t, sid, "SFTP")
	done := make(chan error, 1)
	go func() {
		_, err := sftpPassword(t, addr, "slow", "x", "ls\n")
		done <- err
	}()
	deadline := time.Now().Add(30 * time.Second)
	for len(p.callsOf("slow")) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the provider was never asked about slow")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := env.TC.StopServer(context.Background(), &transfer.StopServerInput{ServerId: aws.String(sid)}); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err == nil {
		t.Fatal("slow logged in")
	}
	// The listeners close and the waiting login is refused well before
	// the provider's timeout (the endpoints are read in the background so
	// a manager stuck closing fails the test instead of hanging it).
	settled := make(chan error, 1)
	go func() {
		for end := time.Now().Add(time.Minute); time.Now().Before(end); {
			var servers struct {
				Servers []struct {
					ServerID  string `json:"serverId"`
					Listening bool   `json:"listening"`
				} `json:"servers"`
			}
			var logins struct {
				Logins []struct {
					UserName, Reason string
					Success          bool
				} `json:"logins"`
			}
			if err := getJSON(env.URL+"/_ersatz/transfer/servers?serverId="+sid, &servers); err != nil {
				settled <- err
				return
			}
			if err := getJSON(env.URL+"/_ersatz/transfer/logins?serverId="+sid, &logins); err != nil {
				settled <- err
				return
			}
			stopped := len(servers.Servers) == 1 && !servers.Servers[0].Listening
			refused := false
			for _, a := range logins.Logins {
				refused = refused || (a.UserName == "slow" && !a.Success && strings.Contains(a.Reason, "canceled"))
			}
			if stopped && refused {
				settled <- nil
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	select {
	case err := <-settled:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Minute):
		t.Fatalf("a minute after StopServer the server still listens or slow's login still waits: %+v", env.logins(t, sid))
	}
}

// getJSON decodes the JSON answer of a GET.
func getJSON(url string, v any) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}
