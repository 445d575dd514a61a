package e2e_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"
)

// A file put over SFTP is the object the S3 API serves, and an object put
// with `aws s3 cp` is the file SFTP serves: byte for byte, for a PATH user
// and a LOGICAL (chroot) user, and `aws s3 ls` lists what `sftp ls` lists.
func TestS3SFTPInterop(t *testing.T) {
	t.Parallel()
	needTool(t, "sftp", "ssh-keygen")
	env := startDataPlane(t, nil, "", "")
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
		{"alice", "home/alice/", 100 << 20},
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
}
