package vfs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ersatz-dev/ersatz/internal/files"
	"github.com/ersatz-dev/ersatz/internal/objectstore"
	"github.com/ersatz-dev/ersatz/internal/objectstore/localfs"
	"github.com/ersatz-dev/ersatz/internal/objectstore/memstore"
)

// countingStore counts the Gets of the store it wraps.
type countingStore struct {
	objectstore.Store
	gets atomic.Int64
}

func (c *countingStore) Get(ctx context.Context, bucket, key string, rng *objectstore.RangeRequest) (*objectstore.Object, error) {
	c.gets.Add(1)
	return c.Store.Get(ctx, bucket, key, rng)
}

type s3Env struct {
	fs      *FS
	objects objectstore.Store
	dataDir string
	uploads chan Upload
}

// s3Backends runs test over the local backend and over a store in memory,
// for a PATH user at /bkt/home/u.
func s3Backends(t *testing.T, test func(t *testing.T, e *s3Env)) {
	for _, name := range []string{"localfs", "memory"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dataDir := t.TempDir()
			st := files.New(dataDir)
			var objects objectstore.Store = memstore.New()
			if name == "localfs" {
				objects = localfs.New(st.Dir())
			}
			e := &s3Env{objects: objects, dataDir: dataDir, uploads: make(chan Upload, 16)}
			f, err := New(Config{Files: st, Objects: objects, UserName: "u", HomeDirectory: "/bkt/home/u",
				OnUpload: func(u Upload) { e.uploads <- u }})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { f.Close() })
			e.fs = f
			test(t, e)
			if ents, _ := os.ReadDir(filepath.Join(dataDir, "files", "spool")); len(ents) > 0 {
				t.Errorf("%d spool files left", len(ents))
			}
			if name == "memory" {
				if _, err := os.Stat(filepath.Join(dataDir, "files", "s3")); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("the local folders were written with another store: %v", err)
				}
			}
		})
	}
}

func (e *s3Env) object(t *testing.T, key string) (string, error) {
	t.Helper()
	obj, err := e.objects.Get(context.Background(), "bkt", key, nil)
	if err != nil {
		return "", err
	}
	defer obj.Body.Close()
	b, err := io.ReadAll(obj.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b), nil
}

func (e *s3Env) put(t *testing.T, key, body string) {
	t.Helper()
	if _, err := e.objects.Put(context.Background(), "bkt", key, strings.NewReader(body), objectstore.PutOptions{Size: int64(len(body))}); err != nil {
		t.Fatal(err)
	}
}

func (e *s3Env) write(t *testing.T, p, body string) {
	t.Helper()
	h, err := e.fs.Open(p, OpenFlags{Write: true, Create: true, Truncate: true})
	if err != nil {
		t.Fatalf("open %s: %v", p, err)
	}
	if _, err := h.WriteString(body); err != nil {
		t.Fatal(err)
	}
	if err := h.Close(); err != nil {
		t.Fatalf("close %s: %v", p, err)
	}
}

// An upload written at offsets, out of order and from several goroutines,
// is stored whole when closed, and not before.
func TestS3UploadOutOfOrder(t *testing.T) {
	s3Backends(t, func(t *testing.T, e *s3Env) {
		want := make([]byte, 3<<20+123)
		for i := range want {
			want[i] = byte(rand.IntN(256))
		}
		e.write(t, "/bkt/home/u/f.bin", "old content")
		h, err := e.fs.Open("/bkt/home/u/f.bin", OpenFlags{Write: true, Truncate: true})
		if err != nil {
			t.Fatal(err)
		}
		const chunk = 32 << 10
		offs := rand.Perm((len(want) + chunk - 1) / chunk)
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < len(offs); i += 4 {
					off := offs[i] * chunk
					end := min(off+chunk, len(want))
					if _, err := h.WriteAt(want[off:end], int64(off)); err != nil {
						t.Error(err)
					}
				}
			}()
		}
		wg.Wait()
		if got, err := e.object(t, "home/u/f.bin"); err != nil || got != "old content" {
			t.Fatalf("before close the object is %d bytes, %v; want the old content", len(got), err)
		}
		if err := h.Close(); err != nil {
			t.Fatal(err)
		}
		if got, err := e.object(t, "home/u/f.bin"); err != nil || got != string(want) {
			t.Fatalf("stored %d bytes, %v; want %d", len(got), err, len(want))
		}
		<-e.uploads // the first write
		if u := <-e.uploads; u.Size != int64(len(want)) || u.Partial || u.Key != "home/u/f.bin" || u.Container != "bkt" {
			t.Fatalf("upload %+v", u)
		}
	})
}

// An interrupted upload stores what was received and is reported partial;
// an append and an open without truncate start from the object.
func TestS3PartialAndAppend(t *testing.T) {
	s3Backends(t, func(t *testing.T, e *s3Env) {
		h, err := e.fs.Open("/bkt/home/u/p.txt", OpenFlags{Write: true, Create: true, Truncate: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.WriteString("half"); err != nil {
			t.Fatal(err)
		}
		h.TransferError(io.ErrUnexpectedEOF)
		if err := h.Close(); err != nil {
			t.Fatal(err)
		}
		if u := <-e.uploads; !u.Partial || u.Size != 4 {
			t.Fatalf("upload %+v, want partial of 4 bytes", u)
		}
		if got, _ := e.object(t, "home/u/p.txt"); got != "half" {
			t.Fatalf("partial upload stored %q", got)
		}
		h, err = e.fs.Open("/bkt/home/u/p.txt", OpenFlags{Write: true, Append: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.WriteString("+more"); err != nil {
			t.Fatal(err)
		}
		h.Close()
		h, err = e.fs.Open("/bkt/home/u/p.txt", OpenFlags{Write: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.WriteAt([]byte("H"), 0); err != nil {
			t.Fatal(err)
		}
		h.Close()
		if got, _ := e.object(t, "home/u/p.txt"); got != "Half+more" {
			t.Fatalf("after append and overwrite: %q", got)
		}
		if err := e.fs.Setstat("/bkt/home/u/p.txt", SetStat{Size: ptr(int64(2))}); err != nil {
			t.Fatal(err)
		}
		if got, _ := e.object(t, "home/u/p.txt"); got != "Ha" {
			t.Fatalf("after truncate: %q", got)
		}
	})
}

// Reads at any offset return the object's bytes; SETSTAT of a mode is
// refused on S3.
func TestS3ReadAt(t *testing.T) {
	s3Backends(t, func(t *testing.T, e *s3Env) {
		want := bytes.Repeat([]byte("0123456789abcdef"), 1<<14)
		e.put(t, "home/u/r.bin", string(want))
		h, err := e.fs.Open("/bkt/home/u/r.bin", OpenFlags{Read: true})
		if err != nil {
			t.Fatal(err)
		}
		defer h.Close()
		if st, err := h.Stat(); err != nil || st.Size() != int64(len(want)) {
			t.Fatalf("stat %v %v", st, err)
		}
		buf := make([]byte, 1000)
		for _, off := range []int64{0, 1000, 5000, 3, 200000, int64(len(want)) - 10, 7000} {
			n, err := h.ReadAt(buf, off)
			end := min(off+1000, int64(len(want)))
			if int64(n) != end-off || !bytes.Equal(buf[:n], want[off:end]) {
				t.Fatalf("ReadAt %d: %d bytes, %v", off, n, err)
			}
			if end-off < 1000 && err != io.EOF {
				t.Fatalf("ReadAt %d at the end: %v, want EOF", off, err)
			}
		}
		if _, err := h.ReadAt(buf, int64(len(want))); err != io.EOF {
			t.Fatalf("ReadAt past the end: %v", err)
		}
		// Seek and Read (FTP's REST and RETR) continue from the offset.
		if _, err := h.Seek(int64(len(want))-100, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		if rest, err := io.ReadAll(h); err != nil || !bytes.Equal(rest, want[len(want)-100:]) {
			t.Fatalf("read after seek: %d bytes, %v", len(rest), err)
		}
		if _, err := h.Write([]byte("x")); err == nil {
			t.Fatal("wrote to a file opened for reading")
		}
		if err := e.fs.Setstat("/bkt/home/u/r.bin", SetStat{Mode: ptr(os.FileMode(0o600))}); !errors.Is(err, errors.ErrUnsupported) {
			t.Fatalf("chmod on S3: %v", err)
		}
	})
}

// Reads continue one body: a store whose body cannot read at offsets is
// asked once while reads stay near each other (in order, or a little out
// of order as pipelined SFTP reads arrive, or back into the window of the
// bytes last received), and again only when a read lands far away.
func TestS3ReadsContinueOneBody(t *testing.T) {
	const chunk = 32 << 10
	object := make([]byte, 12<<20)
	for i := range object {
		object[i] = byte(i*7 + i>>13)
	}
	// pipelined is every chunk of the object, pairs swapped (1, 0, 3, 2, ...).
	var pipelined []int64
	for off := int64(0); off < int64(len(object)); off += 2 * chunk {
		pipelined = append(pipelined, off+chunk, off)
	}
	var inOrder []int64
	for off := int64(0); off < int64(len(object)); off += chunk {
		inOrder = append(inOrder, off)
	}
	tests := []struct {
		name    string
		offsets []int64
		gets    int64 // Gets after the one Open makes
	}{
		{"in order", inOrder, 0},
		{"pipelined out of order", pipelined, 0},
		{"back into the window", []int64{0, chunk, 2 * chunk, 5, chunk + 3}, 0},
		{"ahead within reach", []int64{0, readAhead, 2 * readAhead}, 0},
		{"ahead out of reach", []int64{0, 3 * readAhead}, 1},
		{"back out of the window", append(slices.Clone(inOrder[:200]), 0), 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cs := &countingStore{Store: memstore.New()}
			f, err := New(Config{Files: files.New(t.TempDir()), Objects: cs, UserName: "u", HomeDirectory: "/bkt"})
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if _, err := cs.Put(context.Background(), "bkt", "big", bytes.NewReader(object), objectstore.PutOptions{Size: int64(len(object))}); err != nil {
				t.Fatal(err)
			}
			h, err := f.Open("/bkt/big", OpenFlags{Read: true})
			if err != nil {
				t.Fatal(err)
			}
			defer h.Close()
			start := cs.gets.Load()
			buf := make([]byte, chunk)
			for _, off := range tc.offsets {
				n, err := h.ReadAt(buf, off)
				if err != nil && err != io.EOF {
					t.Fatalf("read at %d: %v", off, err)
				}
				if !bytes.Equal(buf[:n], object[off:off+int64(n)]) || n == 0 {
					t.Fatalf("read at %d: %d bytes, not the object's", off, n)
				}
			}
			if n := cs.gets.Load() - start; n != tc.gets {
				t.Fatalf("%d more Gets, want %d", n, tc.gets)
			}
		})
	}
}

// MKDIR is a "dir/" marker; RMDIR removes it when nothing else is below;
// removing a folder's last file keeps the folder; RENAME of a file is a
// copy and a delete, of a folder refused.
func TestS3Folders(t *testing.T) {
	s3Backends(t, func(t *testing.T, e *s3Env) {
		ctx := context.Background()
		if st, err := e.fs.Stat("/bkt/home/u"); err != nil || !st.IsDir() {
			t.Fatalf("home folder: %v %v", st, err)
		}
		if err := e.fs.Mkdir("/bkt/home/u/d"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.objects.Head(ctx, "bkt", "home/u/d/"); err != nil {
			t.Fatalf("no marker: %v", err)
		}
		if err := e.fs.Mkdir("/bkt/home/u/d"); !errors.Is(err, os.ErrExist) {
			t.Fatalf("mkdir again: %v", err)
		}
		if err := e.fs.Mkdir("/bkt/home/u/nope/d"); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("mkdir without parent: %v", err)
		}
		e.write(t, "/bkt/home/u/d/a.txt", "a")
		if err := e.fs.Rmdir("/bkt/home/u/d"); !errors.Is(err, ErrNotEmpty) {
			t.Fatalf("rmdir of a full folder: %v", err)
		}
		if _, err := e.fs.Open("/bkt/home/u/d", OpenFlags{Read: true}); !errors.Is(err, ErrIsDir) {
			t.Fatalf("open a folder: %v", err)
		}
		if _, err := e.fs.Open("/bkt/home/u/d", OpenFlags{Write: true, Create: true}); !errors.Is(err, ErrIsDir) {
			t.Fatalf("write a folder: %v", err)
		}
		if _, err := e.fs.Open("/bkt/home/u/d/a.txt", OpenFlags{Write: true, Create: true, Exclusive: true}); !errors.Is(err, os.ErrExist) {
			t.Fatalf("exclusive create of a file: %v", err)
		}
		if _, err := e.fs.Open("/bkt/home/u/none.txt", OpenFlags{Read: true}); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("open a missing file: %v", err)
		}
		if _, err := e.fs.Open("/bkt/home/u/none.txt", OpenFlags{Write: true}); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("write a missing file without create: %v", err)
		}
		if err := e.fs.Rename("/bkt/home/u/d", "/bkt/home/u/e", false); !errors.Is(err, ErrFolderRename) {
			t.Fatalf("rename a folder: %v", err)
		}
		if err := e.fs.Rename("/bkt/home/u/d/a.txt", "/bkt/home/u/b.txt", false); err != nil {
			t.Fatal(err)
		}
		if _, err := e.objects.Head(ctx, "bkt", "home/u/d/a.txt"); !errors.Is(err, objectstore.ErrNoSuchKey) {
			t.Fatalf("renamed source still there: %v", err)
		}
		if got, _ := e.object(t, "home/u/b.txt"); got != "a" {
			t.Fatalf("renamed file holds %q", got)
		}
		// The folder lost its last file and is still there (its marker).
		ents, err := e.fs.ReadDir("/bkt/home/u")
		if err != nil {
			t.Fatal(err)
		}
		if names := infoNames(ents); names != "b.txt d/" {
			t.Fatalf("ReadDir = %s", names)
		}
		e.write(t, "/bkt/home/u/d/c.txt", "c")
		if err := e.fs.Remove("/bkt/home/u/d/c.txt"); err != nil {
			t.Fatal(err)
		}
		if st, err := e.fs.Stat("/bkt/home/u/d"); err != nil || !st.IsDir() {
			t.Fatalf("folder after removing its last file: %v %v", st, err)
		}
		if err := e.fs.Remove("/bkt/home/u/d"); !errors.Is(err, ErrIsDir) {
			t.Fatalf("remove a folder: %v", err)
		}
		if err := e.fs.Rmdir("/bkt/home/u/b.txt"); !errors.Is(err, ErrNotDir) {
			t.Fatalf("rmdir a file: %v", err)
		}
		if err := e.fs.Rmdir("/bkt/home/u/d"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.fs.Stat("/bkt/home/u/d"); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("folder after rmdir: %v", err)
		}
		if _, err := e.objects.Head(ctx, "bkt", "home/u/d/"); !errors.Is(err, objectstore.ErrNoSuchKey) {
			t.Fatalf("marker after rmdir: %v", err)
		}
	})
}

// A folder lists every page of keys, objects and sub-folders.
func TestS3ReadDirPages(t *testing.T) {
	s3Backends(t, func(t *testing.T, e *s3Env) {
		n := objectstore.DefaultListLimit + 5
		for i := range n {
			e.put(t, fmt.Sprintf("home/u/many/f%04d", i), "x")
		}
		e.put(t, "home/u/many/sub/deep.txt", "y")
		ents, err := e.fs.ReadDir("/bkt/home/u/many")
		if err != nil {
			t.Fatal(err)
		}
		if len(ents) != n+1 {
			t.Fatalf("ReadDir listed %d entries, want %d", len(ents), n+1)
		}
		if last := ents[len(ents)-1]; last.Name() != "sub" || !last.IsDir() {
			t.Fatalf("last entry %s (dir %v)", last.Name(), last.IsDir())
		}
		if ents[0].Name() != "f0000" || ents[0].Size() != 1 {
			t.Fatalf("first entry %s %d", ents[0].Name(), ents[0].Size())
		}
		if _, err := e.fs.ReadDir("/bkt/home/u/many/f0001"); !errors.Is(err, ErrNotDir) {
			t.Fatalf("ReadDir of a file: %v", err)
		}
		roots, err := e.fs.ReadDir("/")
		if err != nil || infoNames(roots) != "bkt/" {
			t.Fatalf("ReadDir(/) = %s, %v", infoNames(roots), err)
		}
	})
}

func infoNames(ents []*FileInfo) string {
	var names []string
	for _, e := range ents {
		n := e.Name()
		if e.IsDir() {
			n += "/"
		}
		names = append(names, n)
	}
	return strings.Join(names, " ")
}

// partsStore counts the multipart uploads of the store it wraps.
type partsStore struct {
	objectstore.Store
	parts atomic.Int64
}

func (p *partsStore) UploadPart(ctx context.Context, bucket, key, id string, n int, body io.Reader, opts objectstore.PutOptions) (string, error) {
	p.parts.Add(1)
	return p.Store.UploadPart(ctx, bucket, key, id, n, body, opts)
}

// An upload above MultipartAbove is stored as a multipart upload of
// MinPartSize parts (the last one shorter), byte for byte.
func TestS3MultipartUpload(t *testing.T) {
	ps := &partsStore{Store: memstore.New()}
	f, err := New(Config{Files: files.New(t.TempDir()), Objects: ps, UserName: "u", HomeDirectory: "/bkt", MultipartAbove: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := make([]byte, 2*objectstore.MinPartSize+12345)
	for i := range want {
		want[i] = byte(i * 7)
	}
	for name, body := range map[string][]byte{"big": want, "small": want[:1000]} {
		before := ps.parts.Load()
		h, err := f.Open("/bkt/"+name, OpenFlags{Write: true, Create: true, Truncate: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.Write(body); err != nil {
			t.Fatal(err)
		}
		if err := h.Close(); err != nil {
			t.Fatal(err)
		}
		wantParts := int64(0)
		if name == "big" {
			wantParts = 3
		}
		if n := ps.parts.Load() - before; n != wantParts {
			t.Fatalf("%s: %d parts, want %d", name, n, wantParts)
		}
		obj, err := ps.Get(context.Background(), "bkt", name, nil)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(obj.Body)
		obj.Body.Close()
		if !bytes.Equal(got, body) {
			t.Fatalf("%s: stored %d bytes, want %d", name, len(got), len(body))
		}
	}
}

// Reads in flight when the file is closed fail or finish; none races the
// close (run with -race).
func TestS3CloseWhileReading(t *testing.T) {
	s3Backends(t, func(t *testing.T, e *s3Env) {
		e.put(t, "home/u/c.bin", strings.Repeat("c", 1<<20))
		h, err := e.fs.Open("/bkt/home/u/c.bin", OpenFlags{Read: true})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for g := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				buf := make([]byte, 4096)
				for off := int64(g * 4096); off < 1<<20; off += 4 * 4096 {
					n, err := h.ReadAt(buf, off)
					if err != nil {
						return
					}
					if n != len(buf) || buf[0] != 'c' {
						t.Errorf("ReadAt %d: %d bytes", off, n)
						return
					}
				}
			}()
		}
		if err := h.Close(); err != nil {
			t.Error(err)
		}
		wg.Wait()
	})
}
