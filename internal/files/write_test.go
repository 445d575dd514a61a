package files

import (
	"errors"
	"io"
	"testing"
)

func TestWriteFileIsAtomic(t *testing.T) {
	s := New(t.TempDir())
	if err := s.WriteFile(S3, "b", "a/b/c.txt", func(w io.Writer) error {
		_, err := io.WriteString(w, "one")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	failed := errors.New("cut short")
	err := s.WriteFile(S3, "b", "a/b/c.txt", func(w io.Writer) error {
		_, _ = io.WriteString(w, "half")
		return failed
	})
	if !errors.Is(err, failed) {
		t.Fatalf("a failed write gave %v", err)
	}
	root, err := s.Container(S3, "b")
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	got, err := root.ReadFile("a/b/c.txt")
	if err != nil || string(got) != "one" {
		t.Fatalf("after a failed write the file is %q, %v", got, err)
	}
	f, err := root.Open("a/b")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != 1 || names[0] != "c.txt" {
		t.Fatalf("folder holds %v: a temporary file was left", names)
	}
	if err := s.WriteFile(S3, "b", "../escape", func(io.Writer) error { return nil }); err == nil {
		t.Fatal("a key leaving the container was written")
	}
}
