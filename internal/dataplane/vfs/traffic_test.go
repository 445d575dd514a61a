package vfs

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/ersatz-dev/ersatz/internal/files"
)

// TestTrafficAndFileOps: every way a server reads or writes a file is
// counted (Write, WriteAt, ReadFrom; Read, ReadAt, WriteTo), and each
// operation that succeeded is reported once, a file when it closes.
func TestTrafficAndFileOps(t *testing.T) {
	st := files.New(t.TempDir())
	var traffic Traffic
	var ops []FileOp
	f, err := New(Config{Files: st, UserName: "u", HomeDirectory: "/bucket/home/u", Traffic: &traffic,
		OnOp: func(op FileOp) { ops = append(ops, op) }})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h, err := f.Open("/bucket/home/u/a.txt", OpenFlags{Write: true, Create: true, Truncate: true})
	if err != nil {
		t.Fatal(err)
	}
	_, _ = h.Write([]byte("abc"))                 // 3
	_, _ = h.WriteAt([]byte("defg"), 3)           // 4
	_, _ = h.ReadFrom(strings.NewReader("hijkl")) // 5
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	h, err = f.Open("/bucket/home/u/a.txt", OpenFlags{Read: true})
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 2)
	// The file is "abchijkl": WriteAt does not move the offset ReadFrom
	// writes at.
	_, _ = h.Read(buf)      // 2
	_, _ = h.ReadAt(buf, 6) // 2
	var rest bytes.Buffer
	_, _ = h.WriteTo(&rest) // 8 - 2 = 6
	_ = h.Close()
	if err := f.Mkdir("/bucket/home/u/d"); err != nil {
		t.Fatal(err)
	}
	if err := f.Rename("/bucket/home/u/a.txt", "/bucket/home/u/b.txt", false); err != nil {
		t.Fatal(err)
	}
	if err := f.Remove("/bucket/home/u/missing.txt"); err == nil {
		t.Fatal("removed a missing file")
	}
	if err := f.Remove("/bucket/home/u/b.txt"); err != nil {
		t.Fatal(err)
	}
	if err := f.Rmdir("/bucket/home/u/d"); err != nil {
		t.Fatal(err)
	}
	if in, out := traffic.In.Load(), traffic.Out.Load(); in != 12 || out != 10 {
		t.Errorf("traffic in %d out %d, want 12 and 10", in, out)
	}
	want := []FileOp{{OpWrite, "/bucket/home/u/a.txt", "", 12}, {OpRead, "/bucket/home/u/a.txt", "", 10},
		{OpMkdir, "/bucket/home/u/d", "", 0}, {OpRename, "/bucket/home/u/a.txt", "/bucket/home/u/b.txt", 0},
		{OpRemove, "/bucket/home/u/b.txt", "", 0}, {OpRmdir, "/bucket/home/u/d", "", 0}}
	if len(ops) != len(want) {
		t.Fatalf("ops %+v, want %+v", ops, want)
	}
	for i := range want {
		if ops[i] != want[i] {
			t.Errorf("op %d = %+v, want %+v", i, ops[i], want[i])
		}
	}
	if rest.String() != "chijkl" {
		t.Errorf("WriteTo copied %q", rest.String())
	}
	var _ io.ReaderFrom = h
}
