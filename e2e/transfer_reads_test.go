package e2e_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"

	"github.com/ersatz-dev/ersatz/internal/store"
	"github.com/ersatz-dev/ersatz/internal/store/postgres"
	"github.com/ersatz-dev/ersatz/internal/testkit"
	"github.com/ersatz-dev/ersatz/internal/testkit/pgtest"
)

// describeHome is the home directory DescribeUser answers, or the error.
func describeHome(ctx context.Context, c *transfer.Client, serverID, user string) (string, error) {
	out, err := c.DescribeUser(ctx, &transfer.DescribeUserInput{ServerId: aws.String(serverID), UserName: aws.String(user)})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.User.HomeDirectory), nil
}

// checkDescribeUserSeesWrites: DescribeUser, whose user records come from a
// cache of decoded records, answers every write made after it read the
// user, through every path that writes a user (UpdateUser, ImportSshPublicKey,
// DeleteSshPublicKey, DeleteUser, DeleteServer). reader and writer may be
// two servers on one store.
func checkDescribeUserSeesWrites(t *testing.T, reader, writer *transfer.Client) {
	ctx := context.Background()
	sid := mustCreateServer(t, writer, nil)
	if _, err := writer.CreateUser(ctx, &transfer.CreateUserInput{ServerId: aws.String(sid), UserName: aws.String("alice"),
		Role: aws.String(testRole), HomeDirectory: aws.String("/bucket/one")}); err != nil {
		t.Fatal(err)
	}
	for i, home := range []string{"/bucket/one", "/bucket/two", "/bucket/one"} {
		if i > 0 {
			if _, err := writer.UpdateUser(ctx, &transfer.UpdateUserInput{ServerId: aws.String(sid), UserName: aws.String("alice"),
				HomeDirectory: aws.String(home)}); err != nil {
				t.Fatal(err)
			}
		}
		// Twice: the second answer comes from the cache.
		for range 2 {
			if got, err := describeHome(ctx, reader, sid, "alice"); err != nil || got != home {
				t.Fatalf("DescribeUser after the home became %s: %q, %v", home, got, err)
			}
		}
	}
	pub, _, _ := sshKeyPair(t, "ed25519")
	imp, err := writer.ImportSshPublicKey(ctx, &transfer.ImportSshPublicKeyInput{ServerId: aws.String(sid), UserName: aws.String("alice"),
		SshPublicKeyBody: aws.String(pub)})
	if err != nil {
		t.Fatal(err)
	}
	keys := func() []types.SshPublicKey {
		t.Helper()
		out, err := reader.DescribeUser(ctx, &transfer.DescribeUserInput{ServerId: aws.String(sid), UserName: aws.String("alice")})
		if err != nil {
			t.Fatal(err)
		}
		return out.User.SshPublicKeys
	}
	if k := keys(); len(k) != 1 || aws.ToString(k[0].SshPublicKeyId) != aws.ToString(imp.SshPublicKeyId) {
		t.Fatalf("after ImportSshPublicKey: keys %+v", k)
	}
	if _, err := writer.DeleteSshPublicKey(ctx, &transfer.DeleteSshPublicKeyInput{ServerId: aws.String(sid), UserName: aws.String("alice"),
		SshPublicKeyId: imp.SshPublicKeyId}); err != nil {
		t.Fatal(err)
	}
	if k := keys(); len(k) != 0 {
		t.Fatalf("after DeleteSshPublicKey: keys %+v", k)
	}
	if _, err := writer.DeleteUser(ctx, &transfer.DeleteUserInput{ServerId: aws.String(sid), UserName: aws.String("alice")}); err != nil {
		t.Fatal(err)
	}
	_, err = describeHome(ctx, reader, sid, "alice")
	wantNotFound(t, err, "alice", "User")
	// The same user again, with the same fields: the same document as the
	// one the cache holds, answered again.
	if _, err := writer.CreateUser(ctx, &transfer.CreateUserInput{ServerId: aws.String(sid), UserName: aws.String("alice"),
		Role: aws.String(testRole), HomeDirectory: aws.String("/bucket/one")}); err != nil {
		t.Fatal(err)
	}
	if got, err := describeHome(ctx, reader, sid, "alice"); err != nil || got != "/bucket/one" {
		t.Fatalf("DescribeUser of the user made again: %q, %v", got, err)
	}
	if _, err := writer.DeleteServer(ctx, &transfer.DeleteServerInput{ServerId: aws.String(sid)}); err != nil {
		t.Fatal(err)
	}
	_, err = describeHome(ctx, reader, sid, "alice")
	wantNotFound(t, err, sid, "Server")
}

// TestDescribeUserSeesEveryWrite runs checkDescribeUserSeesWrites on each
// store, one server reading and writing.
func TestDescribeUserSeesEveryWrite(t *testing.T) {
	t.Parallel()
	for name, open := range concStores(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := testkit.StartWith(t, open(t)).TransferAs(acctA, "us-east-1")
			checkDescribeUserSeesWrites(t, c, c)
		})
	}
}

// TestDescribeUserSeesOtherProcessWrites: two servers on one PostgreSQL
// database, each with its own store instance (as two processes are): what
// one writes, the other's DescribeUser answers, never a decoded record it
// read before.
func TestDescribeUserSeesOtherProcessWrites(t *testing.T) {
	t.Parallel()
	dsn := pgtest.PostgresSchema(t)
	open := func() store.Store {
		st, err := postgres.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	a := testkit.StartWith(t, open()).TransferAs(acctA, "us-east-1")
	b := testkit.StartWith(t, open()).TransferAs(acctA, "us-east-1")
	checkDescribeUserSeesWrites(t, a, b)
}

// TestDescribeUserDuringUpdates has readers describe one user while a
// writer changes its home directory: every answer is a home that was
// written, and once the writer is done every reader sees the last one
// (with -race: the decoded records readers share are never written to).
func TestDescribeUserDuringUpdates(t *testing.T) {
	t.Parallel()
	for name, open := range concStores(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := testkit.StartWith(t, open(t)).TransferAs(acctA, "us-east-1")
			ctx := context.Background()
			sid := mustCreateServer(t, c, nil)
			const writes = 20
			homes := map[string]bool{"/bucket/h0": true}
			for i := 1; i <= writes; i++ {
				homes[fmt.Sprintf("/bucket/h%d", i)] = true
			}
			if _, err := c.CreateUser(ctx, &transfer.CreateUserInput{ServerId: aws.String(sid), UserName: aws.String("bob"),
				Role: aws.String(testRole), HomeDirectory: aws.String("/bucket/h0")}); err != nil {
				t.Fatal(err)
			}
			done := make(chan struct{})
			var wg sync.WaitGroup
			for range 4 {
				wg.Go(func() {
					for {
						select {
						case <-done:
							return
						default:
						}
						got, err := describeHome(ctx, c, sid, "bob")
						if err != nil || !homes[got] {
							t.Errorf("DescribeUser during updates: %q, %v", got, err)
							return
						}
					}
				})
			}
			for i := 1; i <= writes; i++ {
				if _, err := c.UpdateUser(ctx, &transfer.UpdateUserInput{ServerId: aws.String(sid), UserName: aws.String("bob"),
					HomeDirectory: aws.String(fmt.Sprintf("/bucket/h%d", i))}); err != nil {
					t.Fatal(err)
				}
			}
			close(done)
			wg.Wait()
			want := fmt.Sprintf("/bucket/h%d", writes)
			if got, err := describeHome(ctx, c, sid, "bob"); err != nil || got != want {
				t.Fatalf("after the updates: %q, %v; want %s", got, err, want)
			}
		})
	}
}
