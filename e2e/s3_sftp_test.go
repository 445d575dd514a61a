package e2e_test

import (
	"encoding/json"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"

	"github.com/ersatz-dev/ersatz/internal/objectstore"
	"github.com/ersatz-dev/ersatz/internal/objectstore/memstore"
	"github.com/ersatz-dev/ersatz/internal/server"
	"github.com/ersatz-dev/ersatz/internal/testkit"
)

// A file put over SFTP is the object the S3 API serves, and an object put
// with `aws s3 cp` is the file SFTP serves: byte for byte, for a PATH user
// and a LOGICAL (chroot) user, and `aws s3 ls` lists what `sftp ls` lists;
// MKDIR, RENAME, RM and RMDIR are what list-objects-v2 shows. The same
// over the local backend (folders of the data directory) and over an
// object store held in memory, where the data plane has no folder to
// write: every file operation goes through the store.
func TestS3SFTPInterop(t *testing.T) {
	t.Parallel()
	needTool(t, "sftp", "ssh-keygen")
	for _, backend := range []struct {
		name    string
		objects objectstore.Store
		big     int64
	}{
		{"local", nil, 100 << 20},
		{"memory", memstore.New(), 8<<20 + 5},
	} {
		t.Run(backend.name, func(t *testing.T) {
			t.Parallel()
			s3SFTPInterop(t, backend.objects, backend.big)
		})
	}
}

func s3SFTPInterop(t *testing.T, objects objectstore.Store, big int64) {
	env := startDataPlane(t, nil, "", "", func(cfg *server.Config) { cfg.Objects = objects })
	cli := s3CLI(t, env.URL, acctA)
	key, pub := sshKey(t, "ed25519")
	sid := mustCreateServer(t, env.TC, nil)
	createUser(t, env.TC, sid, "alice", pub, func(in *transfer.CreateUserInput) {
		in.HomeDirectory = aws.String("/files-bucket/home/alice")
	})
	createUser(t, env.TC, sid, "bob", pub, func(in *transfer.CreateUserInput) {
		in.HomeDirectoryType = types.HomeDirectoryTypeLogical
		in.HomeDirectoryMappings = []types.HomeDirectoryMapEntry{{Entry: aws.String("/"), Target: aws.String("/files-bucket/home/bob")}}
	})
	addr := env.waitListening(t, sid, "SFTP")
	local := t.TempDir()

	cases := []struct {
		user, prefix string // the S3 prefix of the user's folder
		size         int64
	}{
		{"alice", "home/alice/", big},
		{"bob", "home/bob/", 3<<20 + 17},
	}
	for _, c := range cases {
		up := filepath.Join(local, c.user+"-up.bin")
		sum := writeRandomFile(t, up, c.size)
		cliFile := filepath.Join(local, c.user+"-cli.txt")
		cliBody := "put with aws s3 cp by " + c.user + "\n"
		if err := os.WriteFile(cliFile, []byte(cliBody), 0o644); err != nil {
			t.Fatal(err)
		}
		// SFTP writes, the S3 API reads.
		if out, err := sftpBatch(t, addr, key, c.user, "put "+up+" up.bin\nmkdir empty\n"); err != nil {
			t.Fatalf("%s: sftp put: %v\n%s", c.user, err, out)
		}
		back := filepath.Join(local, c.user+"-s3.bin")
		if _, stderr, err := cli.Run("s3", "cp", "--only-show-errors", "s3://files-bucket/"+c.prefix+"up.bin", back); err != nil {
			t.Fatalf("%s: aws s3 cp out: %v\n%s", c.user, err, stderr)
		}
		if fileSum(t, back) != sum {
			t.Fatalf("%s: the object differs from the file put over SFTP", c.user)
		}
		// The S3 API writes, SFTP reads (and `aws s3 cp ... -` streams it).
		if _, stderr, err := cli.Run("s3", "cp", "--only-show-errors", cliFile, "s3://files-bucket/"+c.prefix+"from-cli.txt"); err != nil {
			t.Fatalf("%s: aws s3 cp in: %v\n%s", c.user, err, stderr)
		}
		if stdout, stderr, err := cli.Run("s3", "cp", "s3://files-bucket/"+c.prefix+"from-cli.txt", "-"); err != nil || stdout != cliBody {
			t.Fatalf("%s: aws s3 cp to stdout: %q %v\n%s", c.user, stdout, err, stderr)
		}
		got := filepath.Join(local, c.user+"-sftp.txt")
		out, err := sftpBatch(t, addr, key, c.user, "get from-cli.txt "+got+"\nls -1\n")
		if err != nil {
			t.Fatalf("%s: sftp get: %v\n%s", c.user, err, out)
		}
		if b, err := os.ReadFile(got); err != nil || string(b) != cliBody {
			t.Fatalf("%s: sftp get of the object: %q %v", c.user, b, err)
		}
		// Both list the same names.
		lsOut, stderr, err := cli.Run("s3", "ls", "s3://files-bucket/"+c.prefix)
		if err != nil {
			t.Fatalf("%s: aws s3 ls: %v\n%s", c.user, err, stderr)
		}
		s3Names, sftpNames := cliLsNames(lsOut), sftpLsNames(out, "ls -1")
		want := []string{"empty", "from-cli.txt", "up.bin"}
		if !slices.Equal(s3Names, want) || !slices.Equal(sftpNames, want) {
			t.Fatalf("%s: aws s3 ls shows %q, sftp ls shows %q, want %q\n%s", c.user, s3Names, sftpNames, want, lsOut)
		}
		if !strings.Contains(lsOut, "PRE empty/") {
			t.Errorf("%s: an empty SFTP folder is not a prefix in aws s3 ls:\n%s", c.user, lsOut)
		}
		// MKDIR is a zero-byte "dir/" object, RENAME a copy and a delete,
		// RM a delete.
		if out, err := sftpBatch(t, addr, key, c.user, "mkdir sub\nrename up.bin moved.bin\nrm from-cli.txt\n"); err != nil {
			t.Fatalf("%s: sftp mkdir, rename, rm: %v\n%s", c.user, err, out)
		}
		objs := cliListObjects(t, cli, "files-bucket", c.prefix)
		wantObjs := map[string]int64{c.prefix + "empty/": 0, c.prefix + "moved.bin": c.size, c.prefix + "sub/": 0}
		if !maps.Equal(objs, wantObjs) {
			t.Fatalf("%s: list-objects-v2 shows %v, want %v", c.user, objs, wantObjs)
		}
		// RMDIR deletes the marker of a folder that holds nothing.
		out, err = sftpBatch(t, addr, key, c.user, "rmdir sub\nrmdir empty\nls -1\n")
		if err != nil {
			t.Fatalf("%s: sftp rmdir: %v\n%s", c.user, err, out)
		}
		objs = cliListObjects(t, cli, "files-bucket", c.prefix)
		if wantObjs := map[string]int64{c.prefix + "moved.bin": c.size}; !maps.Equal(objs, wantObjs) {
			t.Fatalf("%s: after rmdir list-objects-v2 shows %v, want %v", c.user, objs, wantObjs)
		}
		lsOut, stderr, err = cli.Run("s3", "ls", "s3://files-bucket/"+c.prefix)
		if err != nil {
			t.Fatalf("%s: aws s3 ls: %v\n%s", c.user, err, stderr)
		}
		if s3Names, sftpNames := cliLsNames(lsOut), sftpLsNames(out, "ls -1"); !slices.Equal(s3Names, []string{"moved.bin"}) || !slices.Equal(sftpNames, s3Names) {
			t.Fatalf("%s: after rmdir aws s3 ls shows %q, sftp ls shows %q", c.user, s3Names, sftpNames)
		}
	}
	// Nothing of the object store's records shows over SFTP.
	out, err := sftpBatch(t, addr, key, "alice", "ls -1 /\nls -1 /files-bucket\n")
	if err != nil {
		t.Fatalf("sftp ls /: %v\n%s", err, out)
	}
	if names := sftpLsNames(out, "ls -1 /"); !slices.Equal(names, []string{"files-bucket"}) {
		t.Fatalf("sftp ls / shows %q", names)
	}
	if names := sftpLsNames(out, "ls -1 /files-bucket"); !slices.Equal(names, []string{"home"}) {
		t.Fatalf("sftp ls /files-bucket shows %q", names)
	}
	// Uploads are spooled and then stored: no spool file is left, and with
	// a store of its own the data plane wrote no folder of objects.
	if ents, err := os.ReadDir(filepath.Join(env.DataDir, "files", "spool")); err == nil && len(ents) > 0 {
		t.Errorf("%d spool files left", len(ents))
	}
	if objects != nil {
		if _, err := os.Stat(filepath.Join(env.DataDir, "files", "s3")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the data plane wrote the local folders with another store: %v", err)
		}
	}
}

// cliListObjects lists the keys under prefix, with their sizes, as `aws
// s3api list-objects-v2` shows them.
func cliListObjects(t *testing.T, cli testkit.AWSCLI, bucket, prefix string) map[string]int64 {
	t.Helper()
	stdout, stderr, err := cli.Run("s3api", "list-objects-v2", "--bucket", bucket, "--prefix", prefix)
	if err != nil {
		t.Fatalf("list-objects-v2: %v\n%s", err, stderr)
	}
	var res struct {
		Contents []struct {
			Key  string
			Size int64
		}
	}
	if strings.TrimSpace(stdout) != "" {
		if err := json.Unmarshal([]byte(stdout), &res); err != nil {
			t.Fatalf("list-objects-v2 output: %v\n%s", err, stdout)
		}
	}
	out := map[string]int64{}
	for _, c := range res.Contents {
		out[c.Key] = c.Size
	}
	return out
}
