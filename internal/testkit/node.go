package testkit

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// RunNode runs a JavaScript program that uses the npm package pkg (an AWS
// SDK v3 client) against the server, with ERSATZ_ENDPOINT set, and decodes
// the one JSON document it prints. It skips the test when node or the package
// is missing: set ERSATZ_NODE_MODULES to a node_modules folder holding it
// (`npm install --prefix DIR pkg`), or install it globally.
func (s *Server) RunNode(t testing.TB, pkg, script string) map[string]any {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	env := append(os.Environ(), "NODE_PATH="+nodeModules())
	probe := exec.Command(node, "-e", "require.resolve("+strconvQuote(pkg)+")")
	probe.Env = env
	if err := probe.Run(); err != nil {
		t.Skipf("%s is not installed (set ERSATZ_NODE_MODULES)", pkg)
	}
	file := filepath.Join(t.TempDir(), "script.js")
	if err := os.WriteFile(file, []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, file)
	cmd.Env = append(env, "ERSATZ_ENDPOINT="+s.URL, "AWS_EC2_METADATA_DISABLED=true")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node: %v\n%s", err, stderr.String())
	}
	var got map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("node printed %q: %v", stdout.String(), err)
	}
	return got
}

// nodeModules is $ERSATZ_NODE_MODULES, else npm's global folder.
func nodeModules() string {
	if p := os.Getenv("ERSATZ_NODE_MODULES"); p != "" {
		return p
	}
	if out, err := exec.Command("npm", "root", "-g").Output(); err == nil {
		return strings.TrimSpace(string(out))
	}
	return ""
}

func strconvQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
