package testkit

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"

	"github.com/ersatz-dev/ersatz/internal/testkit/pgtest"
	"github.com/ersatz-dev/ersatz/internal/testkit/s3test"
)

// client is an outside program some tests drive; missing says why it
// cannot be used ("" when it can).
type client struct {
	name    string
	missing func() string
}

func notInstalled(program string) func() string {
	return func() string {
		if _, err := exec.LookPath(program); err != nil {
			return "not installed"
		}
		return ""
	}
}

// clients are every outside program of the e2e tests, in the order the
// summary names them.
func clients() []client {
	return []client{
		{"boto3", func() string {
			if _, err := exec.LookPath("python3"); err != nil {
				return "python3 not installed"
			}
			if err := exec.Command("python3", "-c", "import botocore").Run(); err != nil {
				return "botocore not installed for python3"
			}
			return ""
		}},
		{"aws (AWS CLI)", notInstalled("aws")},
		{"sftp", notInstalled("sftp")},
		{"scp", notInstalled("scp")},
		{"ssh-keygen", notInstalled("ssh-keygen")},
		{"curl", notInstalled("curl")},
		{"prlimit", notInstalled("prlimit")},
		{"JavaScript SDK v3", func() string {
			node, err := exec.LookPath("node")
			if err != nil {
				return "node not installed"
			}
			env := append(os.Environ(), "NODE_PATH="+nodeModules())
			for _, pkg := range []string{"@aws-sdk/client-transfer", "@aws-sdk/client-amplifybackend"} {
				probe := exec.Command(node, "-e", "require.resolve("+strconvQuote(pkg)+")")
				probe.Env = env
				if probe.Run() != nil {
					return pkg + " not installed; set ERSATZ_NODE_MODULES"
				}
			}
			return ""
		}},
		{"versitygw (the external object store's S3 server)", s3test.Missing},
		{"PostgreSQL", func() string {
			if os.Getenv(pgtest.PostgresEnv) == "" {
				return pgtest.PostgresEnv + " unset"
			}
			return notInstalled("pg_ctl")()
		}},
	}
}

// MissingClients names the outside programs the e2e tests skip for want
// of, each with the reason: "lftp (not installed)".
func MissingClients() []string {
	var out []string
	for _, c := range clients() {
		if why := c.missing(); why != "" {
			out = append(out, fmt.Sprintf("%s (%s)", c.name, why))
		}
	}
	return out
}

// ReportMissingClients writes one line naming the clients whose tests were
// skipped, or nothing when every client is there. go test shows a passing
// package's output only with -v, so when verbose is false the line also
// goes to the terminal (/dev/tty) when there is one.
func ReportMissingClients(stdout io.Writer, verbose bool) {
	missing := MissingClients()
	if len(missing) == 0 {
		return
	}
	line := "skipped clients: " + strings.Join(missing, ", ") + "\n"
	_, _ = io.WriteString(stdout, line)
	if verbose {
		return
	}
	if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
		_, _ = io.WriteString(tty, line)
		_ = tty.Close()
	}
}
