package e2e_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"

	"github.com/ersatz-dev/ersatz/internal/dataplane"
	"github.com/ersatz-dev/ersatz/internal/dataplane/idp"
	"github.com/ersatz-dev/ersatz/internal/server"
)

// idpUser is one user of a test's identity provider.
type idpUser struct {
	// password is the password it accepts ("": none).
	password string
	// keys are its public keys (authorized_keys form), answered to key
	// requests.
	keys []string
	// answer is what an authenticated user gets (Role is added).
	answer map[string]any
	// raw, with status, is answered whatever the credentials.
	raw    string
	status int
	// hang never answers.
	hang bool
}

// idpCall is one request the provider received.
type idpCall struct {
	ServerID, User, Protocol, SourceIP string
	Password                           *string
	// Target is the API Gateway path or the invoked function's name.
	Target string
}

// testIDP is a custom identity provider written in the test: an API
// Gateway-style HTTP endpoint and a Lambda Invoke API over the same users.
type testIDP struct {
	mu      sync.Mutex
	users   map[string]idpUser
	calls   []idpCall
	release chan struct{}
}

func newTestIDP(t testing.TB) *testIDP {
	p := &testIDP{users: map[string]idpUser{}, release: make(chan struct{})}
	t.Cleanup(func() { close(p.release) })
	return p
}

func (p *testIDP) set(name string, u idpUser) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.users[name] = u
}

// callsOf returns the requests made for user, oldest first.
func (p *testIDP) callsOf(user string) []idpCall {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []idpCall
	for _, c := range p.calls {
		if c.User == user {
			out = append(out, c)
		}
	}
	return out
}

// lastCall is the last request made for user.
func (p *testIDP) lastCall(t testing.TB, user string) idpCall {
	t.Helper()
	calls := p.callsOf(user)
	if len(calls) == 0 {
		t.Fatalf("the identity provider was never asked about %s", user)
	}
	return calls[len(calls)-1]
}

// respond decides the answer to one call: a refusal ({}) for unknown
// users and wrong credentials.
func (p *testIDP) respond(ctx context.Context, c idpCall) (int, string) {
	p.mu.Lock()
	p.calls = append(p.calls, c)
	u, ok := p.users[c.User]
	p.mu.Unlock()
	switch {
	case !ok:
		return http.StatusOK, "{}"
	case u.hang:
		select {
		case <-p.release:
		case <-ctx.Done():
		}
		return http.StatusGatewayTimeout, ""
	case u.raw != "" || u.status != 0:
		if u.status == 0 {
			u.status = http.StatusOK
		}
		return u.status, u.raw
	}
	answer := map[string]any{"Role": testRole}
	for k, v := range u.answer {
		answer[k] = v
	}
	if c.Password != nil {
		if u.password == "" || *c.Password != u.password {
			return http.StatusOK, "{}"
		}
	} else {
		if len(u.keys) == 0 {
			return http.StatusOK, "{}"
		}
		answer["PublicKeys"] = u.keys
	}
	b, _ := json.Marshal(answer)
	return http.StatusOK, string(b)
}

// gateway serves the provider as API Gateway does:
// GET /prod/servers/{serverId}/users/{username}/config.
func (p *testIDP) gateway(t testing.TB) *httptest.Server {
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		parts := strings.Split(r.URL.Path, "/")
		if r.Method != http.MethodGet || len(parts) != 7 || parts[1] != "prod" || parts[2] != "servers" || parts[4] != "users" || parts[6] != "config" {
			http.Error(w, `{"message": "Missing Authentication Token"}`, http.StatusForbidden)
			return
		}
		c := idpCall{ServerID: parts[3], User: parts[5], Protocol: r.URL.Query().Get("protocol"),
			SourceIP: r.URL.Query().Get("sourceIp"), Target: r.URL.Path}
		if _, ok := r.Header["Passwordbase64"]; ok {
			pw, err := base64.StdEncoding.DecodeString(r.Header.Get("PasswordBase64"))
			if err != nil || (r.Header.Get("Password") != "" && r.Header.Get("Password") != string(pw)) {
				http.Error(w, "Password and PasswordBase64 disagree", http.StatusBadRequest)
				return
			}
			s := string(pw)
			c.Password = &s
		}
		status, body := p.respond(r.Context(), c)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(hs.Close)
	return hs
}

// lambda serves the Lambda Invoke API (POST
// /2015-03-31/functions/{name}/invocations) with the provider as every
// function.
func (p *testIDP) lambda(t testing.TB) *httptest.Server {
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		const prefix, suffix = "/2015-03-31/functions/", "/invocations"
		if r.Method != http.MethodPost || !strings.HasPrefix(r.URL.Path, prefix) || !strings.HasSuffix(r.URL.Path, suffix) {
			w.Header().Set("X-Amzn-Errortype", "UnknownOperationException")
			w.WriteHeader(http.StatusNotFound)
			return
		}
		var ev struct {
			Username, Protocol, ServerID, SourceIP string
			Password                               *string
		}
		if err := json.NewDecoder(r.Body).Decode(&ev); err != nil {
			w.Header().Set("X-Amzn-Errortype", "InvalidRequestContentException")
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		name := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, prefix), suffix)
		status, body := p.respond(r.Context(), idpCall{ServerID: ev.ServerID, User: ev.Username, Protocol: ev.Protocol,
			SourceIP: ev.SourceIP, Password: ev.Password, Target: name})
		if status != http.StatusOK {
			w.Header().Set("X-Amz-Function-Error", "Unhandled")
		}
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(hs.Close)
	return hs
}

// withIdentityProviders configures the server's identity provider client.
func withIdentityProviders(t testing.TB, lambdaEndpoint string, timeout time.Duration) func(*server.Config) {
	c, err := idp.New(idp.Options{LambdaEndpoint: lambdaEndpoint, Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	return func(cfg *server.Config) { cfg.IdentityProviders = c }
}

// idpServer creates an API_GATEWAY (target a URL) or AWS_LAMBDA (target a
// function ARN) server with the given SFTP methods ("" for the default).
func idpServer(t testing.TB, c *transfer.Client, typ types.IdentityProviderType, target, methods string, protocols ...types.Protocol) string {
	t.Helper()
	d := &types.IdentityProviderDetails{}
	if typ == types.IdentityProviderTypeApiGateway {
		d.Url, d.InvocationRole = aws.String(target), aws.String(testRole)
	} else {
		d.Function = aws.String(target)
	}
	if methods != "" {
		d.SftpAuthenticationMethods = types.SftpAuthenticationMethods(methods)
	}
	in := &transfer.CreateServerInput{IdentityProviderType: typ, IdentityProviderDetails: d, Protocols: protocols}
	for _, p := range protocols {
		if p == types.ProtocolFtps || p == types.ProtocolFtp {
			in.EndpointType = types.EndpointTypeVpc
			in.EndpointDetails = &types.EndpointDetails{VpcId: aws.String("vpc-0123456789abcdef0"), SubnetIds: []string{"subnet-0123456789abcdef0"}}
		}
		if p == types.ProtocolFtps {
			in.Certificate = aws.String("arn:aws:acm:us-east-1:111111111111:certificate/0b0c0d0e-1111-2222-3333-444455556666")
		}
	}
	return mustCreateServer(t, c, in)
}

// sftpKeyPassword runs OpenSSH's sftp offering a key, then a password
// (through SSH_ASKPASS), with commands on standard input.
func sftpKeyPassword(t testing.TB, addr, key, user, password, commands string) (string, error) {
	t.Helper()
	needTool(t, "sftp")
	host, port, _ := net.SplitHostPort(addr)
	dir := t.TempDir()
	askpass := filepath.Join(dir, "askpass.sh")
	pwFile := filepath.Join(dir, "pw")
	if err := os.WriteFile(pwFile, []byte(password), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(askpass, []byte("#!/bin/sh\ncat '"+pwFile+"'\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	args := append(sshOpts(port), "-o", "BatchMode=no", "-o", "IdentitiesOnly=yes", "-i", key,
		"-o", "PreferredAuthentications=publickey,password", "-o", "NumberOfPasswordPrompts=1", user+"@"+host)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sftp", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "SSH_ASKPASS="+askpass, "SSH_ASKPASS_REQUIRE=force", "DISPLAY=:0")
	cmd.Stdin = strings.NewReader(commands)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// curlFTPS runs curl over explicit FTPS as user.
func curlFTPS(t testing.TB, user, password string, args ...string) (string, error) {
	t.Helper()
	needTool(t, "curl")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	base := []string{"-sS", "--max-time", "20", "--ssl-reqd", "-k", "-u", user + ":" + password}
	out, err := exec.CommandContext(ctx, "curl", append(base, args...)...).CombinedOutput()
	return string(out), err
}

// lastLogin is the last logged attempt of user on a server.
func (e *dpEnv) lastLogin(t testing.TB, serverID, user string) dataplane.LoginAttempt {
	t.Helper()
	logins := e.logins(t, serverID)
	for i := len(logins) - 1; i >= 0; i-- {
		if logins[i].UserName == user {
			return logins[i]
		}
	}
	t.Fatalf("no login of %s on %s in %+v", user, serverID, logins)
	return dataplane.LoginAttempt{}
}

// closedURL is an http URL on loopback where nothing listens.
func closedURL(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := url.URL{Scheme: "http", Host: ln.Addr().String(), Path: "/prod"}
	_ = ln.Close()
	return u.String()
}

// logicalHome is an answer with one chroot mapping.
func logicalHome(target string) map[string]any {
	details, _ := json.Marshal([]map[string]string{{"Entry": "/", "Target": target}})
	return map[string]any{"HomeDirectoryType": "LOGICAL", "HomeDirectoryDetails": string(details)}
}
