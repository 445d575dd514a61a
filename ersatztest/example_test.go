package ersatztest_test

import (
	"context"
	"fmt"
	"log"
	"net"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"

	"github.com/ersatz-dev/ersatz/ersatztest"
)

// A test starts Ersatz with ersatztest.Start(t) and stops it when the test
// ends; New does the same outside a test, until Close.
func Example() {
	srv, err := ersatztest.New()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	ctx := context.Background()
	client := transfer.NewFromConfig(srv.AWSConfig())
	created, err := client.CreateServer(ctx, &transfer.CreateServerInput{
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("data")}},
	})
	if err != nil {
		log.Fatal(err)
	}
	out, err := client.DescribeServer(ctx, &transfer.DescribeServerInput{ServerId: created.ServerId})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(out.Server.State)
	fmt.Println(strings.HasPrefix(aws.ToString(out.Server.Arn), "arn:aws:transfer:us-east-1:000000000000:server/s-"))
	// Output:
	// ONLINE
	// true
}

// WithCredentials names the keys clients sign with; a 12-digit key is the
// account its resources live in.
func ExampleWithCredentials() {
	srv, err := ersatztest.New(
		ersatztest.WithCredentials(ersatztest.Credential{AccessKeyID: "111122223333", SecretAccessKey: "s3cret"}),
		ersatztest.WithRegion("eu-west-1"),
		ersatztest.WithDataPlane(false),
	)
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	client := transfer.NewFromConfig(srv.AWSConfig())
	created, err := client.CreateServer(context.Background(), &transfer.CreateServerInput{})
	if err != nil {
		log.Fatal(err)
	}
	out, err := client.DescribeServer(context.Background(), &transfer.DescribeServerInput{ServerId: created.ServerId})
	if err != nil {
		log.Fatal(err)
	}
	arn := aws.ToString(out.Server.Arn)
	fmt.Println(arn[:strings.LastIndex(arn, "/")])
	// Output: arn:aws:transfer:eu-west-1:111122223333:server
}

// WithAuth verifies every request's signature: a client signing with a
// wrong secret is refused as AWS refuses it.
func ExampleWithAuth() {
	srv, err := ersatztest.New(ersatztest.WithAuth(ersatztest.Credential{
		AccessKeyID: "AKIAEXAMPLE", SecretAccessKey: "right", AccountID: "444455556666",
	}))
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	ctx := context.Background()
	_, err = transfer.NewFromConfig(srv.AWSConfig()).ListServers(ctx, &transfer.ListServersInput{})
	fmt.Println("right secret:", err == nil)
	cfg := srv.AWSConfigAs("AKIAEXAMPLE", "wrong")
	cfg.RetryMaxAttempts = 1
	_, err = transfer.NewFromConfig(cfg).ListServers(ctx, &transfer.ListServersInput{})
	fmt.Println("wrong secret:", strings.Contains(fmt.Sprint(err), "InvalidSignatureException"))
	// Output:
	// right secret: true
	// wrong secret: true
}

// WithSeed starts from a state snapshot, the document GET /_ersatz/state
// and `ersatz state export` write.
func ExampleWithSeed() {
	snapshot := []byte(`{"format": "ersatz-state", "version": 1, "resources": [
	  {"account": "000000000000", "region": "us-east-1", "service": "transfer", "parent": "", "kind": "server",
	   "id": "s-0123456789abcdef0", "data": {"ServerId": "s-0123456789abcdef0", "State": "OFFLINE",
	   "Arn": "arn:aws:transfer:us-east-1:000000000000:server/s-0123456789abcdef0"}}]}`)
	srv, err := ersatztest.New(ersatztest.WithSeed(snapshot), ersatztest.WithDataPlane(false))
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	out, err := transfer.NewFromConfig(srv.AWSConfig()).ListServers(context.Background(), &transfer.ListServersInput{})
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range out.Servers {
		fmt.Println(aws.ToString(s.ServerId), s.State)
	}
	// Output: s-0123456789abcdef0 OFFLINE
}

// An ONLINE Transfer server serves SFTP on a loopback port of its own.
func ExampleServer_TransferEndpoint() {
	srv, err := ersatztest.New()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	created, err := transfer.NewFromConfig(srv.AWSConfig()).CreateServer(context.Background(), &transfer.CreateServerInput{})
	if err != nil {
		log.Fatal(err)
	}
	addr := ""
	for deadline := time.Now().Add(10 * time.Second); addr == "" && time.Now().Before(deadline); {
		addr = srv.TransferEndpoint(aws.ToString(created.ServerId), "SFTP")
		time.Sleep(10 * time.Millisecond)
	}
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	banner := make([]byte, 8)
	if _, err := conn.Read(banner); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s\n", banner)
	// Output: SSH-2.0-
}
