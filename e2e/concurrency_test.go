package e2e_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"

	"github.com/ersatz-dev/ersatz/internal/bench"
	"github.com/ersatz-dev/ersatz/internal/store"
	"github.com/ersatz-dev/ersatz/internal/store/memory"
	"github.com/ersatz-dev/ersatz/internal/store/sqlite"
	"github.com/ersatz-dev/ersatz/internal/testkit"
)

const concWriters = 64

func concStores(t *testing.T) map[string]func(t *testing.T) store.Store {
	return map[string]func(t *testing.T) store.Store{
		"memory": func(t *testing.T) store.Store { return memory.New() },
		"sqlite": func(t *testing.T) store.Store {
			st, err := sqlite.Open(context.Background(), t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			return st
		},
		// As `ersatz serve --store sqlite` opens it: with the read cache.
		"sqlite-cached": func(t *testing.T) store.Store {
			st, err := sqlite.Open(context.Background(), t.TempDir(), sqlite.WithReadCache(0))
			if err != nil {
				t.Fatal(err)
			}
			return st
		},
	}
}

// TestConcurrentUpdateAccess has 64 clients update the same Transfer access
// at once, each with its own complete set of fields: every answer is 200 or
// a modelled error, and the access ends as one writer's complete write.
func TestConcurrentUpdateAccess(t *testing.T) {
	t.Parallel()
	for name, open := range concStores(t) {
		t.Run(name, func(t *testing.T) {
			s := testkit.StartWith(t, open(t))
			ctx := context.Background()
			w := &bench.Worker{ID: 1, Client: isoClient(s, isoA, isoRegion)}
			if err := bench.Mixes["transfer"].Setup(ctx, w); err != nil {
				t.Fatal(err)
			}
			c := s.TransferAs(isoA, isoRegion)
			type write struct {
				home, role string
				uid, gid   int64
				secondary  []int64
			}
			writes := make([]write, concWriters)
			for i := range writes {
				writes[i] = write{
					home: fmt.Sprintf("/bucket/writer-%d", i), role: fmt.Sprintf("arn:aws:iam::111111111111:role/writer-%d", i),
					uid: int64(1000 + i), gid: int64(2000 + i), secondary: []int64{int64(3000 + i), int64(4000 + i)},
				}
			}
			var wg sync.WaitGroup
			errs := make([]error, concWriters)
			start := make(chan struct{})
			for i := range writes {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					wr := writes[i]
					_, errs[i] = c.UpdateAccess(ctx, &transfer.UpdateAccessInput{
						ServerId: &w.ServerID, ExternalId: &w.ExternalID, HomeDirectory: &wr.home, Role: &wr.role,
						PosixProfile: &types.PosixProfile{Uid: &wr.uid, Gid: &wr.gid, SecondaryGids: wr.secondary},
					})
				}()
			}
			close(start)
			wg.Wait()
			ok := 0
			for i, err := range errs {
				o := bench.SDKOutcome(err)
				switch {
				case o.OK():
					ok++
				case o.Status >= 500 || o.Status == 0 || o.Code == "":
					t.Errorf("writer %d: %v", i, err)
				}
			}
			if ok == 0 {
				t.Fatal("no writer succeeded")
			}
			d, err := c.DescribeAccess(ctx, &transfer.DescribeAccessInput{ServerId: &w.ServerID, ExternalId: &w.ExternalID})
			if err != nil {
				t.Fatal(err)
			}
			a := d.Access
			got := write{home: aws.ToString(a.HomeDirectory), role: aws.ToString(a.Role)}
			if a.PosixProfile != nil {
				got.uid, got.gid, got.secondary = aws.ToInt64(a.PosixProfile.Uid), aws.ToInt64(a.PosixProfile.Gid), a.PosixProfile.SecondaryGids
			}
			i := slices.IndexFunc(writes, func(wr write) bool { return wr.home == got.home })
			if i < 0 {
				t.Fatalf("final access %+v is no writer's", got)
			}
			want := writes[i]
			if got.role != want.role || got.uid != want.uid || got.gid != want.gid || !slices.Equal(got.secondary, want.secondary) {
				t.Fatalf("final access mixes writers: %+v, writer %d wrote %+v", got, i, want)
			}
			if errs[i] != nil {
				t.Fatalf("the final access is writer %d's, whose update failed: %v", i, errs[i])
			}
			t.Logf("%d of %d writers succeeded; writer %d's write is the final state", ok, concWriters, i)
		})
	}
}

var permissionValues = []string{"READ", "CREATE_AND_UPDATE", "DELETE"}

// subset is the i-th non-empty subset of the permission values (i in 0..6).
func subset(i int) []string {
	var out []string
	for b, v := range permissionValues {
		if (i+1)&(1<<b) != 0 {
			out = append(out, v)
		}
	}
	return out
}

// TestConcurrentUpdateBackendStorage has 64 clients update the same Amplify
// storage resource at once. Amplify runs one job per environment at a time, so
// most are refused with the modelled BadRequestException; the resource ends as
// one accepted writer's complete write.
func TestConcurrentUpdateBackendStorage(t *testing.T) {
	t.Parallel()
	for name, open := range concStores(t) {
		t.Run(name, func(t *testing.T) {
			s := testkit.StartWith(t, open(t))
			ctx := context.Background()
			w := &bench.Worker{ID: 1, Client: isoClient(s, isoA, isoRegion)}
			if err := bench.Mixes["seed"].Setup(ctx, w); err != nil {
				t.Fatal(err)
			}
			type write struct{ auth, unauth []string }
			writes := make([]write, concWriters)
			for i := range writes {
				writes[i] = write{auth: subset(i % 7), unauth: subset((i / 7) % 7)}
			}
			outs := make([]bench.Outcome, concWriters)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range writes {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					c := isoClient(s, isoA, isoRegion)
					outs[i] = c.REST(ctx, "amplifybackend", "POST", "/backend/"+w.AppID+"/storage/"+w.Env, nil, map[string]any{
						"resourceName": w.Storage,
						"resourceConfig": map[string]any{"serviceName": "S3",
							"permissions": map[string]any{"authenticated": writes[i].auth, "unAuthenticated": writes[i].unauth}},
					}, nil)
				}()
			}
			close(start)
			wg.Wait()
			var accepted []int
			for i, o := range outs {
				switch {
				case o.OK():
					accepted = append(accepted, i)
				case o.Status == 400 && o.Code == "BadRequestException":
				default:
					t.Errorf("writer %d: %s", i, o)
				}
			}
			if len(accepted) == 0 {
				t.Fatal("no writer was accepted")
			}
			var got struct {
				ResourceConfig struct {
					Permissions struct {
						Authenticated   []string `json:"authenticated"`
						UnAuthenticated []string `json:"unAuthenticated"`
					} `json:"permissions"`
				} `json:"resourceConfig"`
			}
			deadline := time.Now().Add(5 * time.Second)
			for {
				time.Sleep(150 * time.Millisecond) // the accepted job falls due
				o := w.Client.REST(ctx, "amplifybackend", "POST", "/backend/"+w.AppID+"/storage/"+w.Env+"/details", nil,
					map[string]any{"resourceName": w.Storage}, &got)
				if !o.OK() {
					t.Fatal(o)
				}
				p := got.ResourceConfig.Permissions
				i := slices.IndexFunc(accepted, func(i int) bool {
					return slices.Equal(writes[i].auth, p.Authenticated) && slices.Equal(writes[i].unauth, p.UnAuthenticated)
				})
				if i >= 0 {
					t.Logf("%d of %d writers accepted; writer %d's write is the final state", len(accepted), concWriters, accepted[i])
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("final permissions %+v are no accepted writer's complete write (accepted %v)", p, accepted)
				}
			}
		})
	}
}
