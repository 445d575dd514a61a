package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/ersatz-dev/ersatz/internal/auth"
	"github.com/ersatz-dev/ersatz/internal/dataplane"
	"github.com/ersatz-dev/ersatz/internal/dataplane/idp"
)

// transferFlags are serve's flags of the Transfer data plane.
type transferFlags struct {
	ports        string
	passivePorts string
	directory    string
	disabled     bool

	maxConns, maxUnauth, maxHandles  int
	idle, unresponsive, loginBackoff time.Duration
	// lambdaEndpoint and idpTimeout configure the calls of custom
	// identity providers.
	lambdaEndpoint string
	idpTimeout     time.Duration
}

// addTransferFlags registers the data plane's flags on fs (their
// environment twins are read by parseWithEnv).
func addTransferFlags(fs *flag.FlagSet) *transferFlags {
	t := &transferFlags{}
	fs.IntVar(&t.maxConns, "transfer-max-connections", dataplane.DefaultMaxConnections,
		"open connections one Transfer server accepts (all protocols; 0: no cap)")
	fs.IntVar(&t.maxUnauth, "transfer-max-unauthenticated", dataplane.DefaultMaxUnauthenticated,
		"connections of one Transfer server that have not logged in yet (0: no cap)")
	fs.IntVar(&t.maxHandles, "transfer-max-handles", dataplane.DefaultMaxHandles,
		"files one SFTP connection holds open (0: no cap)")
	fs.DurationVar(&t.idle, "transfer-idle-timeout", dataplane.DefaultIdleTimeout,
		"end SFTP/FTPS/FTP sessions idle for this long (0: never)")
	fs.DurationVar(&t.unresponsive, "transfer-unresponsive-timeout", dataplane.DefaultUnresponsiveTimeout,
		"end SFTP connections that answer no keepalive for this long (0: never)")
	fs.DurationVar(&t.loginBackoff, "transfer-login-backoff", dataplane.DefaultLoginBackoff,
		"first wait imposed on an address after repeated failed logins, doubled per failure (0: none)")
	fs.StringVar(&t.ports, "transfer-ports", dataplane.DefaultPorts,
		"port range of the Transfer servers' SFTP/FTPS/FTP listeners")
	fs.StringVar(&t.passivePorts, "transfer-passive-ports", dataplane.DefaultPassivePorts,
		"port range of FTP/FTPS passive data connections")
	fs.StringVar(&t.directory, "directory", "",
		"JSON file of local directory users for AWS_DIRECTORY_SERVICE servers (see docs/dataplane.md)")
	fs.BoolVar(&t.disabled, "no-transfer-data-plane", false,
		"do not serve SFTP/FTPS/FTP for ONLINE Transfer servers")
	fs.StringVar(&t.lambdaEndpoint, "lambda-endpoint", "",
		"URL of a Lambda Invoke API that runs the functions of AWS_LAMBDA identity providers (docs/identity-providers.md)")
	fs.DurationVar(&t.idpTimeout, "identity-provider-timeout", idp.DefaultTimeout,
		"how long a login waits for an API_GATEWAY or AWS_LAMBDA identity provider")
	return t
}

// check refuses the values no configuration means: a negative cap.
func (t *transferFlags) check() error {
	for name, n := range map[string]int{"transfer-max-connections": t.maxConns, "transfer-max-unauthenticated": t.maxUnauth,
		"transfer-max-handles": t.maxHandles} {
		if n < 0 {
			return fmt.Errorf("--%s must be 0 (no cap) or more, not %d", name, n)
		}
	}
	return nil
}

// off maps a flag's "0: none" to the configuration's negative "none".
func off[T int | time.Duration](v T) T {
	if v == 0 {
		return -1
	}
	return v
}

// identityProviders is the client that calls custom identity providers.
func (t *transferFlags) identityProviders() (*idp.Client, error) {
	if t == nil {
		return idp.New(idp.Options{})
	}
	if t.idpTimeout <= 0 {
		return nil, fmt.Errorf("--identity-provider-timeout must be positive, not %s", t.idpTimeout)
	}
	return idp.New(idp.Options{LambdaEndpoint: t.lambdaEndpoint, Timeout: t.idpTimeout})
}

// dataPlane is the data plane's configuration for serve (nil when disabled).
func (t *transferFlags) dataPlane(dataDir, listen string) *dataplane.Config {
	if t == nil || t.disabled {
		return nil
	}
	host, _, err := net.SplitHostPort(listen)
	if err != nil || host == "" {
		host = dataplane.DefaultHost
	}
	return &dataplane.Config{
		DataDir: dataDir, Host: host, Ports: t.ports, PassivePorts: t.passivePorts, DirectoryFile: t.directory,
		MaxConnections: off(t.maxConns), MaxUnauthenticated: off(t.maxUnauth), MaxHandles: off(t.maxHandles),
		IdleTimeout: off(t.idle), UnresponsiveTimeout: off(t.unresponsive), LoginBackoff: off(t.loginBackoff),
	}
}

const transferUsage = `Usage:
  ersatz transfer endpoints [--endpoint URL] [--server ID] [--json]

Lists the SFTP/FTPS/FTP endpoints of a running Ersatz's Transfer servers
(GET /_ersatz/transfer/servers): server id, account, region, state,
protocol, host:port and host key fingerprint. When AWS_ACCESS_KEY_ID and
AWS_SECRET_ACCESS_KEY are set, the request is signed with them (service
"ersatz", region AWS_REGION): an Ersatz running with --auth sigv4 answers
only a key its credentials file marks "admin".
`

// transferCommand runs "ersatz transfer ...".
func transferCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "endpoints" {
		_, _ = io.WriteString(stderr, transferUsage)
		if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
			return nil
		}
		return fmt.Errorf("unknown transfer command %q", args[0])
	}
	fs := helpUsage(flag.NewFlagSet("transfer endpoints", flag.ContinueOnError), stderr, transferUsage)
	endpoint := fs.String("endpoint", healthEndpoint(env("ERSATZ_LISTEN", "127.0.0.1:4566")), "URL of the running Ersatz (default: the one --listen/ERSATZ_LISTEN would serve)")
	server := fs.String("server", "", "only this server id")
	asJSON := fs.Bool("json", false, "print the endpoint's JSON as it is")
	if err := parseWithEnv(fs, args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	u := strings.TrimRight(*endpoint, "/") + "/_ersatz/transfer/servers"
	if *server != "" {
		u += "?serverId=" + url.QueryEscape(*server)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	if err := signAdmin(ctx, req); err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("query %s: %w", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("read %s: %w", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %s: %s", u, resp.Status, strings.TrimSpace(string(body)))
	}
	if *asJSON {
		_, err := stdout.Write(body)
		return err
	}
	var out struct {
		Servers []dataplane.ServerStatus `json:"servers"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return fmt.Errorf("decode %s: %w", u, err)
	}
	return writeEndpoints(stdout, out.Servers)
}

// writeEndpoints prints one line per server and protocol.
func writeEndpoints(w io.Writer, servers []dataplane.ServerStatus) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVER\tACCOUNT\tREGION\tSTATE\tPROTOCOL\tADDRESS\tLISTENING\tHOST KEY FINGERPRINT")
	for _, s := range servers {
		protos := make([]string, 0, len(s.Endpoints))
		for p := range s.Endpoints {
			protos = append(protos, p)
		}
		sort.Strings(protos)
		if len(protos) == 0 {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t-\t-\t%v\t%s\n", s.ServerID, s.Account, s.Region, s.State, s.Listening, s.HostKeyFingerprint)
		}
		for _, p := range protos {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%v\t%s\n", s.ServerID, s.Account, s.Region, s.State, p, s.Endpoints[p], s.Listening, s.HostKeyFingerprint)
		}
	}
	return tw.Flush()
}

// emptyPayload is the SHA-256 of an empty body.
const emptyPayload = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// signAdmin signs a bodiless request to Ersatz's own endpoints with the
// AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY of the environment (and
// AWS_SESSION_TOKEN), for the credential scope's service "ersatz"; without
// them the request goes unsigned.
func signAdmin(ctx context.Context, req *http.Request) error {
	key, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
	if key == "" || secret == "" {
		return nil
	}
	region := env("AWS_REGION", env("AWS_DEFAULT_REGION", "us-east-1"))
	creds := aws.Credentials{AccessKeyID: key, SecretAccessKey: secret, SessionToken: os.Getenv("AWS_SESSION_TOKEN")}
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, emptyPayload, auth.AdminService, region, time.Now()); err != nil {
		return fmt.Errorf("sign %s: %w", req.URL, err)
	}
	return nil
}
