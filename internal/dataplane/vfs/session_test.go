package vfs

import (
	"errors"
	"os"
	"testing"

	"github.com/ersatz-dev/ersatz/internal/files"
)

// TestEnd: once a session is ended every command fails with ErrEnded, Done
// is closed and Ended says why; OnClose runs once, at Close.
func TestEnd(t *testing.T) {
	st := files.New(t.TempDir())
	seed(t, st, files.S3, "/b/home/u/a.txt", "a")
	closes := 0
	f, err := New(Config{Files: st, UserName: "u", HomeDirectory: "/b/home/u", OnClose: func() { closes++ }})
	if err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, f, "/b/home/u/a.txt"); got != "a" {
		t.Fatalf("read %q", got)
	}
	select {
	case <-f.Done():
		t.Fatal("Done closed before End")
	default:
	}
	f.End("the user was deleted")
	f.End("another reason")
	<-f.Done()
	if f.Ended() != "the user was deleted" {
		t.Fatalf("Ended = %q", f.Ended())
	}
	checks := map[string]error{}
	_, checks["open"] = f.Open("/b/home/u/a.txt", OpenFlags{Read: true})
	_, checks["stat"] = f.Stat("/b/home/u/a.txt")
	_, checks["list"] = f.ReadDir("/b/home/u")
	checks["mkdir"] = f.Mkdir("/b/home/u/d")
	checks["remove"] = f.Remove("/b/home/u/a.txt")
	checks["rename"] = f.Rename("/b/home/u/a.txt", "/b/home/u/c.txt", false)
	for op, err := range checks {
		if !errors.Is(err, ErrEnded) || !errors.Is(err, os.ErrPermission) {
			t.Errorf("%s after End: %v", op, err)
		}
	}
	f.Close()
	f.Close()
	if closes != 1 {
		t.Fatalf("OnClose ran %d times", closes)
	}
}
