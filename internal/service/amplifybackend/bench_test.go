package amplifybackend

import (
	"testing"

	"github.com/ersatz-dev/ersatz/internal/api"
	ab "github.com/ersatz-dev/ersatz/internal/api/amplifybackendapi"
)

// BenchmarkGetBackendStorage is the read path with no job due (a read-only
// transaction).
func BenchmarkGetBackendStorage(b *testing.B) {
	f := newFixture(b)
	f.createEnv("dev")
	if _, err := f.s.CreateBackendStorage(f.ctx, &ab.CreateBackendStorageRequest{AppId: api.Ptr(testApp), BackendEnvironmentName: api.Ptr("dev"),
		ResourceName: api.Ptr("files"), ResourceConfig: &ab.CreateBackendStorageResourceConfig{ServiceName: api.Ptr("S3"),
			Permissions: &ab.BackendStoragePermissions{Authenticated: []string{"READ"}}}}); err != nil {
		b.Fatal(err)
	}
	f.clk.advance(testDelay)
	in := &ab.GetBackendStorageRequest{AppId: api.Ptr(testApp), BackendEnvironmentName: api.Ptr("dev"), ResourceName: api.Ptr("files")}
	b.ResetTimer()
	for b.Loop() {
		if _, err := f.s.GetBackendStorage(f.ctx, in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUpdateAndSettle is one UpdateBackendStorage job from request to
// settled effect (the update, then the read that completes it).
func BenchmarkUpdateAndSettle(b *testing.B) {
	f := newFixture(b)
	f.createEnv("dev")
	perms := &ab.BackendStoragePermissions{Authenticated: []string{"READ"}}
	if _, err := f.s.CreateBackendStorage(f.ctx, &ab.CreateBackendStorageRequest{AppId: api.Ptr(testApp), BackendEnvironmentName: api.Ptr("dev"),
		ResourceName: api.Ptr("files"), ResourceConfig: &ab.CreateBackendStorageResourceConfig{ServiceName: api.Ptr("S3"), Permissions: perms}}); err != nil {
		b.Fatal(err)
	}
	f.clk.advance(testDelay)
	upd := &ab.UpdateBackendStorageRequest{AppId: api.Ptr(testApp), BackendEnvironmentName: api.Ptr("dev"), ResourceName: api.Ptr("files"),
		ResourceConfig: &ab.UpdateBackendStorageResourceConfig{ServiceName: api.Ptr("S3"), Permissions: perms}}
	get := &ab.GetBackendStorageRequest{AppId: api.Ptr(testApp), BackendEnvironmentName: api.Ptr("dev"), ResourceName: api.Ptr("files")}
	b.ResetTimer()
	for b.Loop() {
		if _, err := f.s.UpdateBackendStorage(f.ctx, upd); err != nil {
			b.Fatal(err)
		}
		f.clk.advance(testDelay)
		if _, err := f.s.GetBackendStorage(f.ctx, get); err != nil {
			b.Fatal(err)
		}
	}
}
