package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ersatz-dev/ersatz/internal/dataplane"
	"github.com/ersatz-dev/ersatz/internal/dataplane/idp"
)

// transferFlags are serve's flags of the Transfer data plane.
type transferFlags struct {
	ports        string
	passivePorts string
	directory    string
	disabled     bool
	// lambdaEndpoint and idpTimeout configure the calls of custom
	// identity providers; envErr is an unreadable
	// ERSATZ_IDENTITY_PROVIDER_TIMEOUT.
	lambdaEndpoint string
	idpTimeout     time.Duration
	envErr         error
}

// addTransferFlags registers the data plane's flags on fs.
func addTransferFlags(fs *flag.FlagSet) *transferFlags {
	t := &transferFlags{}
	fs.StringVar(&t.ports, "transfer-ports", env("ERSATZ_TRANSFER_PORTS", dataplane.DefaultPorts),
		"port range of the Transfer servers' SFTP/FTPS/FTP listeners")
	fs.StringVar(&t.passivePorts, "transfer-passive-ports", env("ERSATZ_TRANSFER_PASSIVE_PORTS", dataplane.DefaultPassivePorts),
		"port range of FTP/FTPS passive data connections")
	fs.StringVar(&t.directory, "directory", env("ERSATZ_DIRECTORY", ""),
		"JSON file of local directory users for AWS_DIRECTORY_SERVICE servers (see docs/dataplane.md)")
	fs.BoolVar(&t.disabled, "no-transfer-data-plane", env("ERSATZ_NO_TRANSFER_DATA_PLANE", "") != "",
		"do not serve SFTP/FTPS/FTP for ONLINE Transfer servers")
	fs.StringVar(&t.lambdaEndpoint, "lambda-endpoint", env("ERSATZ_LAMBDA_ENDPOINT", ""),
		"URL of a Lambda Invoke API that runs the functions of AWS_LAMBDA identity providers (docs/identity-providers.md)")
	timeout, err := envDuration("ERSATZ_IDENTITY_PROVIDER_TIMEOUT", idp.DefaultTimeout)
	if err != nil {
		t.envErr, timeout = err, idp.DefaultTimeout
	}
	fs.DurationVar(&t.idpTimeout, "identity-provider-timeout", timeout,
		"how long a login waits for an API_GATEWAY or AWS_LAMBDA identity provider")
	return t
}

// identityProviders is the client that calls custom identity providers.
func (t *transferFlags) identityProviders() (*idp.Client, error) {
	if t == nil {
		return idp.New(idp.Options{})
	}
	if t.envErr != nil {
		return nil, t.envErr
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
	}
}

const transferUsage = `Usage:
  ersatz transfer endpoints [--endpoint URL] [--server ID] [--json]

Lists the SFTP/FTPS/FTP endpoints of a running Ersatz's Transfer servers
(GET /_ersatz/transfer/servers): server id, account, region, state,
protocol, host:port and host key fingerprint.
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
	fs := flag.NewFlagSet("transfer endpoints", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		_, _ = io.WriteString(stderr, transferUsage)
		fs.PrintDefaults()
	}
	endpoint := fs.String("endpoint", env("ERSATZ_ENDPOINT", "http://"+env("ERSATZ_LISTEN", "127.0.0.1:4566")), "URL of the running Ersatz")
	server := fs.String("server", "", "only this server id")
	asJSON := fs.Bool("json", false, "print the endpoint's JSON as it is")
	if err := fs.Parse(args[1:]); err != nil {
		if err == flag.ErrHelp {
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
