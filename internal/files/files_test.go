package files

import (
	"os"
	"testing"
)

func TestSplit(t *testing.T) {
	tests := []struct {
		in, container, rest string
		bad                 bool
	}{
		{"/bucket/home/alice", "bucket", "home/alice", false},
		{"/bucket", "bucket", "", false},
		{"bucket//a/./b/../c", "bucket", "a/c", false},
		{"/../../etc/passwd", "etc", "passwd", false},
		{"/", "", "", true},
		{"/a\x00b", "", "", true},
	}
	for _, tt := range tests {
		c, r, err := Split(tt.in)
		if (err != nil) != tt.bad || c != tt.container || r != tt.rest {
			t.Errorf("Split(%q) = %q, %q, %v", tt.in, c, r, err)
		}
	}
}

func TestContainerConfines(t *testing.T) {
	s := New(t.TempDir())
	root, err := s.Container(S3, "bucket")
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	if err := root.WriteFile("a.txt", []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := root.Open("../../etc/passwd"); err == nil {
		t.Fatal("escaped the container")
	}
	if _, err := s.Container(S3, ".."); err == nil {
		t.Fatal("accepted .. as a bucket")
	}
	b, err := s.Buckets()
	if err != nil || len(b) != 1 || b[0] != "bucket" {
		t.Fatalf("Buckets = %v, %v", b, err)
	}
	if _, err := os.Stat(s.Dir() + "/s3/bucket/a.txt"); err != nil {
		t.Fatal(err)
	}
}

// TestLinkedContainerRefused: a container folder that is a symbolic link
// out of the store's folder is opened by neither OpenContainer nor
// OpenContainerBeneath, nor listed.
func TestLinkedContainerRefused(t *testing.T) {
	s := New(t.TempDir())
	if _, err := s.Container(S3, "real"); err != nil {
		t.Fatal(err)
	}
	outside := t.TempDir()
	if err := os.Symlink(outside, s.Dir()+"/s3/linked"); err != nil {
		t.Fatal(err)
	}
	for _, create := range []bool{false, true} {
		if r, err := s.OpenContainer(S3, "linked", create); err == nil {
			r.Close()
			t.Errorf("OpenContainer(linked, %v) opened the link", create)
		}
		if d, err := s.OpenContainerBeneath(S3, "linked", create); err == nil {
			d.Close()
			t.Errorf("OpenContainerBeneath(linked, %v) opened the link", create)
		}
	}
	if b, err := s.Buckets(); err != nil || len(b) != 1 || b[0] != "real" {
		t.Fatalf("Buckets = %v, %v", b, err)
	}
}
