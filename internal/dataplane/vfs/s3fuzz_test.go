package vfs

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/ersatz-dev/ersatz/internal/files"
	"github.com/ersatz-dev/ersatz/internal/objectstore"
	"github.com/ersatz-dev/ersatz/internal/objectstore/memstore"
)

// FuzzS3Chroot: over an object store with no folders at all, whatever
// paths a LOGICAL user chrooted at /bucket/home/alice sends, every key it
// reads is below its home or the mapped file, and every key it creates,
// changes or deletes is below its home.
func FuzzS3Chroot(f *testing.F) {
	ctx := context.Background()
	objects := memstore.New()
	if err := objects.CreateBucket(ctx, "bucket", ""); err != nil {
		f.Fatal(err)
	}
	if err := objects.CreateBucket(ctx, "other", ""); err != nil {
		f.Fatal(err)
	}
	seeded := map[string]string{
		"bucket/home/alice/in.txt": "alice's", "bucket/home/bob/secret.txt": "bob's secret",
		"bucket/shared/readme.txt": "shared", "other/top.txt": "other bucket", "bucket/home/alicex/near.txt": "near",
	}
	for k, v := range seeded {
		b, key, _ := strings.Cut(k, "/")
		if _, err := objects.Put(ctx, b, key, strings.NewReader(v), objectstore.PutOptions{Size: int64(len(v))}); err != nil {
			f.Fatal(err)
		}
	}
	fs, err := New(Config{
		Files: files.New(f.TempDir()), Objects: objects, UserName: "alice", HomeDirectoryType: TypeLogical,
		Mappings: []Mapping{
			{Entry: "/", Target: "/bucket/home/${transfer:UserName}"},
			{Entry: "/shared/readme.txt", Target: "/bucket/shared/readme.txt", Type: "FILE"},
		},
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { fs.Close() })
	// untouched checks that every key outside alice's folder is as seeded.
	untouched := func(t *testing.T, what string) {
		for _, b := range []string{"bucket", "other"} {
			res, err := objects.List(ctx, b, objectstore.ListQuery{Limit: 10000})
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range res.Objects {
				if b == "bucket" && strings.HasPrefix(o.Key, "home/alice/") {
					continue
				}
				if _, ok := seeded[b+"/"+o.Key]; !ok {
					t.Fatalf("%s: key written outside alice's folder: %s/%s", what, b, o.Key)
				}
			}
		}
		for k, want := range seeded {
			if strings.HasPrefix(k, "bucket/home/alice/") || k == "bucket/shared/readme.txt" {
				continue
			}
			b, key, _ := strings.Cut(k, "/")
			obj, err := objects.Get(ctx, b, key, nil)
			if err != nil {
				t.Fatalf("%s: %s is gone: %v", what, k, err)
			}
			got, _ := io.ReadAll(obj.Body)
			if string(got) != want {
				t.Fatalf("%s: %s is now %q", what, k, got)
			}
		}
	}
	for _, p := range []string{"../bob/secret.txt", "/../../../other/top.txt", "../alicex/near.txt", "..\\bob",
		"in.txt\x00/../../bob", "/shared/readme.txt/../../bob/secret.txt", "a/b/../../../bob", "//x//./y/..", "."} {
		f.Add(p, "in.txt")
	}
	f.Add("in.txt", "../bob/x")
	f.Add("/shared/readme.txt", "moved.txt")
	f.Add("new/dir", "../alicex/near.txt")
	f.Fuzz(func(t *testing.T, p, q string) {
		for _, path := range []string{p, q} {
			if h, err := fs.Open(path, OpenFlags{Read: true}); err == nil {
				b, _ := io.ReadAll(io.LimitReader(h, 1<<16))
				h.Close()
				if s := string(b); strings.Contains(s, "bob") || strings.Contains(s, "other") || strings.Contains(s, "near") {
					t.Fatalf("read %q leaked %q", path, s)
				}
			}
			// What a listing names is alice's: reading it leaks nothing
			// (names alone may repeat bob's, as alice can make them).
			if ents, err := fs.ReadDir(path); err == nil {
				for _, e := range ents {
					if e.IsDir() {
						continue
					}
					h, err := fs.Open(strings.TrimSuffix(path, "/")+"/"+e.Name(), OpenFlags{Read: true})
					if err != nil {
						continue
					}
					b, _ := io.ReadAll(io.LimitReader(h, 1<<16))
					h.Close()
					if s := string(b); strings.Contains(s, "bob") || strings.Contains(s, "other") || strings.Contains(s, "near") {
						t.Fatalf("ReadDir(%q) listed %q, which holds %q", path, e.Name(), s)
					}
				}
			}
		}
		_ = fs.Mkdir(p)
		if h, err := fs.Open(p, OpenFlags{Write: true, Create: true, Truncate: true}); err == nil {
			_, _ = h.Write([]byte("x"))
			h.Close()
		}
		_ = fs.Rename(p, q, true)
		_ = fs.Rename(q, p, false)
		_ = fs.Remove(q)
		_ = fs.Rmdir(q)
		_ = fs.Setstat(p, SetStat{Size: ptr(int64(0))})
		untouched(t, p+" -> "+q)
	})
}
