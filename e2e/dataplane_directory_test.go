package e2e_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"

	"github.com/ersatz-dev/ersatz/internal/store/sqlite"
)

const (
	dpDirID  = "d-0123456789"
	sidTeamA = "S-1-5-21-1004336348-1177238915-682003330-1105"
	sidTeamB = "S-1-5-21-1004336348-1177238915-682003330-1106"
)

func createAccess(t testing.TB, c *transfer.Client, serverID, externalID, home string) {
	t.Helper()
	_, err := c.CreateAccess(context.Background(), &transfer.CreateAccessInput{
		ServerId: aws.String(serverID), ExternalId: aws.String(externalID), Role: aws.String(testRole),
		HomeDirectory: aws.String(home),
	})
	if err != nil {
		t.Fatalf("CreateAccess: %v", err)
	}
}

// TestDataplaneDirectoryAccess: a directory user logs in with its password;
// its groups select the access (the smallest matching ExternalId), and an
// UpdateAccess or DeleteAccess changes where the next login lands.
func TestDataplaneDirectoryAccess(t *testing.T) {
	t.Parallel()
	needTool(t, "sftp")
	env := startDataPlane(t, nil, "", "")
	ctx := context.Background()
	sid := ftpServer(t, env.TC, dpDirID, types.ProtocolSftp)
	createAccess(t, env.TC, sid, sidTeamB, "/bucket/teamB")
	createAccess(t, env.TC, sid, sidTeamA, "/bucket/teamA")
	env.putDirectoryUser(t, dpDirID, "alice", "correct horse", sidTeamA, sidTeamB)
	env.putDirectoryUser(t, dpDirID, "dave", "pw", "S-1-5-21-1-2-3-999")
	addr := env.waitListening(t, sid, "SFTP")

	landing := func(user, password string) string {
		t.Helper()
		out, err := sftpPassword(t, addr, user, password, "pwd\n")
		if err != nil {
			return "refused"
		}
		for _, l := range strings.Split(out, "\n") {
			if after, ok := strings.CutPrefix(l, "Remote working directory: "); ok {
				return strings.TrimSpace(after)
			}
		}
		t.Fatalf("no pwd in %s", out)
		return ""
	}
	if got := landing("alice", "correct horse"); got != "/bucket/teamA" {
		t.Fatalf("alice lands in %s, want /bucket/teamA", got)
	}
	if got := landing("alice", "wrong"); got != "refused" {
		t.Fatalf("a wrong password landed in %s", got)
	}
	if got := landing("dave", "pw"); got != "refused" {
		t.Fatalf("a user without an access landed in %s", got)
	}
	if _, err := env.TC.UpdateAccess(ctx, &transfer.UpdateAccessInput{ServerId: aws.String(sid), ExternalId: aws.String(sidTeamA),
		HomeDirectory: aws.String("/bucket/teamA-v2")}); err != nil {
		t.Fatal(err)
	}
	if got := landing("alice", "correct horse"); got != "/bucket/teamA-v2" {
		t.Fatalf("after UpdateAccess alice lands in %s", got)
	}
	if _, err := env.TC.DeleteAccess(ctx, &transfer.DeleteAccessInput{ServerId: aws.String(sid), ExternalId: aws.String(sidTeamA)}); err != nil {
		t.Fatal(err)
	}
	if got := landing("alice", "correct horse"); got != "/bucket/teamB" {
		t.Fatalf("after DeleteAccess alice lands in %s", got)
	}
	var reasons []string
	for _, l := range env.logins(t, sid) {
		if !l.Success {
			reasons = append(reasons, l.Reason)
		}
		if l.Success && l.ExternalID == "" {
			t.Errorf("successful directory login without its access: %+v", l)
		}
	}
	joined := strings.Join(reasons, "|")
	if !strings.Contains(joined, "wrong password") || !strings.Contains(joined, "has an access") {
		t.Fatalf("refusal reasons: %v", reasons)
	}
}

// TestDataplaneFTPS: curl uploads, lists and downloads over explicit FTPS
// (AUTH TLS, protected data) and plain FTP; the FTPS port refuses a login
// in the clear.
func TestDataplaneFTPS(t *testing.T) {
	t.Parallel()
	needTool(t, "curl")
	env := startDataPlane(t, nil, "", "")
	sid := ftpServer(t, env.TC, dpDirID, types.ProtocolFtps, types.ProtocolFtp)
	createAccess(t, env.TC, sid, sidTeamA, "/bucket/ftp/home")
	env.putDirectoryUser(t, dpDirID, "frank", "s3cret", sidTeamA)
	ftps := env.waitListening(t, sid, "FTPS")
	ftp := env.waitListening(t, sid, "FTP")
	if ftps == ftp {
		t.Fatalf("FTPS and FTP share %s", ftps)
	}
	local := t.TempDir()
	src := filepath.Join(local, "report.csv")
	body := strings.Repeat("a,b,c\n", 50000)
	if err := os.WriteFile(src, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	curl := func(args ...string) (string, error) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, "curl", append([]string{"-sS", "--max-time", "20", "-u", "frank:s3cret"}, args...)...).CombinedOutput()
		return string(out), err
	}
	tls := []string{"--ssl-reqd", "-k"}
	if out, err := curl(append(tls, "-T", src, "ftp://"+ftps+"/report.csv")...); err != nil {
		t.Fatalf("FTPS upload: %v %s", err, out)
	}
	if b, err := os.ReadFile(env.file("/bucket/ftp/home/report.csv")); err != nil || string(b) != body {
		t.Fatalf("stored upload: %d bytes, %v", len(b), err)
	}
	down := filepath.Join(local, "down.csv")
	if out, err := curl(append(tls, "-o", down, "ftp://"+ftps+"/report.csv")...); err != nil {
		t.Fatalf("FTPS download: %v %s", err, out)
	}
	if b, _ := os.ReadFile(down); string(b) != body {
		t.Fatalf("downloaded %d bytes", len(b))
	}
	if out, err := curl(append(tls, "ftp://"+ftps+"/")...); err != nil || !strings.Contains(out, "report.csv") {
		t.Fatalf("FTPS list: %v %s", err, out)
	}
	// The FTPS port does not take a login in the clear.
	if out, err := curl("ftp://" + ftps + "/"); err == nil {
		t.Fatalf("clear login on the FTPS port: %s", out)
	}
	// Plain FTP on its own port.
	if out, err := curl("-T", src, "ftp://"+ftp+"/sub/plain.csv", "--ftp-create-dirs"); err != nil {
		t.Fatalf("FTP upload: %v %s", err, out)
	}
	if b, err := os.ReadFile(env.file("/bucket/ftp/home/sub/plain.csv")); err != nil || string(b) != body {
		t.Fatalf("stored FTP upload: %d bytes, %v", len(b), err)
	}
	if out, err := curl("ftp://"+ftp+"/../../", "-l"); err != nil || strings.Contains(out, "ftp") && strings.Contains(out, "home") {
		t.Logf("listing above home: %v %s", err, out)
	}
	// A wrong password is refused.
	if out, err := exec.Command("curl", "-sS", "--max-time", "10", "-u", "frank:nope", "ftp://"+ftp+"/").CombinedOutput(); err == nil {
		t.Fatalf("wrong password accepted: %s", out)
	}
	for _, s := range env.endpoints(t) {
		if s.ServerID == sid && !strings.HasPrefix(s.TLSCertificateFingerprint, "SHA256:") {
			t.Fatalf("no certificate fingerprint: %+v", s)
		}
	}
}

// TestDataplaneRestart: a server keeps its port across a restart of Ersatz
// on sqlite, and listens again without any call.
func TestDataplaneRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	st, err := sqlite.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	base := freePortBlock(t, 40)
	ports := portRange(base, base+19)
	env := startDataPlane(t, st, dir, ports)
	sid := mustCreateServer(t, env.TC, nil)
	second := mustCreateServer(t, env.TC, nil)
	addr := env.waitListening(t, sid, "SFTP")
	addr2 := env.waitListening(t, second, "SFTP")
	env.close()
	_ = st.Close()
	waitRefused(t, addr)

	st2, err := sqlite.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st2.Close() })
	env2 := startDataPlane(t, st2, dir, ports)
	if got := env2.waitListening(t, sid, "SFTP"); got != addr {
		t.Fatalf("after restart %s listens on %s, was %s", sid, got, addr)
	}
	if got := env2.waitListening(t, second, "SFTP"); got != addr2 {
		t.Fatalf("after restart %s listens on %s, was %s", second, got, addr2)
	}
}

func portRange(lo, hi int) string {
	return strconv.Itoa(lo) + "-" + strconv.Itoa(hi)
}
