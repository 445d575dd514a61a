//go:build unix

package server_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"

	"github.com/ersatz-dev/ersatz/internal/auth"
	"github.com/ersatz-dev/ersatz/internal/bench"
	"github.com/ersatz-dev/ersatz/internal/server"
	"github.com/ersatz-dev/ersatz/internal/store"
	"github.com/ersatz-dev/ersatz/internal/store/memory"
	"github.com/ersatz-dev/ersatz/internal/store/sqlite"
	"github.com/ersatz-dev/ersatz/internal/testkit"
)

// cpuTime is the user and system CPU time this process has used.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

const benchKey, benchSecret = "111111111111", "secret"

// BenchmarkDescribeUserHTTP serves DescribeUser over loopback HTTP to 64
// concurrent clients replaying one SigV4-signed request (verified by the
// server every time): Ersatz with --auth sigv4 on the memory store and on
// the sqlite store with its read cache, and a bare net/http handler
// answering the same JSON (the ceiling of the machine, client and HTTP
// stack). With -count N the three alternate, so their ratios hold while the
// machine's speed drifts; compare ns/op (lower is faster).
func BenchmarkDescribeUserHTTP(b *testing.B) {
	creds, err := auth.Parse([]byte(`{"credentials":[{"accessKeyId":"` + benchKey + `","secretAccessKey":"` + benchSecret + `"}]}`))
	if err != nil {
		b.Fatal(err)
	}
	ersatz := func(b *testing.B, st store.Store) (url string, body []byte) {
		srv := server.New(server.Config{Store: st, Auth: auth.NewSigV4(creds, server.Services(nil)),
			Logger: slog.New(slog.DiscardHandler)})
		hs := httptest.NewServer(srv.Handler())
		b.Cleanup(hs.Close)
		c := testkit.Server{URL: hs.URL}
		tc := transfer.NewFromConfig(c.AWSConfig(benchKey, "us-east-1"))
		ctx := context.Background()
		out, err := tc.CreateServer(ctx, &transfer.CreateServerInput{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := tc.CreateUser(ctx, &transfer.CreateUserInput{ServerId: out.ServerId, UserName: aws.String("bench-user"),
			Role: aws.String("arn:aws:iam::111111111111:role/bench")}); err != nil {
			b.Fatal(err)
		}
		return hs.URL, []byte(`{"ServerId":"` + *out.ServerId + `","UserName":"bench-user"}`)
	}
	run := func(b *testing.B, url string, body []byte) {
		client := bench.NewClient(url, bench.Credentials{AccessKeyID: benchKey, SecretAccessKey: benchSecret, Region: "us-east-1"}, 64, nil)
		b.SetParallelism(max(1, 64/runtime.GOMAXPROCS(0))) // 64 clients
		cpu0 := cpuTime(b)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			var sig *bench.Signed
			for pb.Next() {
				o := client.Replay(context.Background(), &sig, "transfer", "TransferService.DescribeUser", body)
				if !o.OK() {
					b.Errorf("DescribeUser: %v", o)
					return
				}
			}
		})
		// CPU time of the process (clients and server) per request: what
		// bounds throughput when the cores are busy, and steadier than
		// ns/op on a machine shared with other work.
		b.ReportMetric(float64(cpuTime(b)-cpu0)/float64(b.N), "cpu-ns/op")
	}
	// The bare handler answers what Ersatz answered.
	rec := bench.NewRecorder(bench.OpKey(server.Services(nil)))
	{
		url, body := ersatz(b, memory.New())
		c := bench.NewClient(url, bench.Credentials{AccessKeyID: benchKey, SecretAccessKey: benchSecret, Region: "us-east-1"}, 1, rec)
		var sig *bench.Signed
		if o := c.Replay(context.Background(), &sig, "transfer", "TransferService.DescribeUser", body); !o.OK() {
			b.Fatalf("DescribeUser: %v", o)
		}
	}
	b.Run("memory", func(b *testing.B) {
		url, body := ersatz(b, memory.New())
		run(b, url, body)
	})
	b.Run("sqlite", func(b *testing.B) {
		st, err := sqlite.Open(context.Background(), b.TempDir(), sqlite.WithReadCache(0))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = st.Close() })
		url, body := ersatz(b, st)
		run(b, url, body)
	})
	b.Run("bare", func(b *testing.B) {
		hs := httptest.NewServer(rec.Handler())
		b.Cleanup(hs.Close)
		run(b, hs.URL, []byte(`{"ServerId":"s-0123456789abcdef0","UserName":"bench-user"}`))
	})
}
