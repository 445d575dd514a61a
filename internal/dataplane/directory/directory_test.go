package directory

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ersatz-dev/ersatz/internal/store/memory"
)

const (
	dirID  = "d-0123456789"
	sidEng = "S-1-5-21-1004336348-1177238915-682003330-1105"
	sidOps = "S-1-5-21-1004336348-1177238915-682003330-1106"
)

func TestLoadAndAuthenticate(t *testing.T) {
	ctx := context.Background()
	d := New(memory.New())
	file := filepath.Join(t.TempDir(), "dir.json")
	body := `{"directories":[
	  {"directoryId":"` + dirID + `","groups":[{"name":"Engineers","sid":"` + sidEng + `"}],
	   "users":[{"name":"alice","password":"wonderland","groups":["engineers","` + sidOps + `"]}]},
	  {"directoryId":"*","users":[{"name":"carol","password":"c","groups":[]}]}]}`
	if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	n, err := d.LoadFile(ctx, file)
	if err != nil || n != 2 {
		t.Fatalf("LoadFile = %d, %v", n, err)
	}
	tests := []struct {
		dir, name, pass string
		ok              bool
		groups          string
	}{
		{dirID, "alice", "wonderland", true, sidEng + "," + sidOps},
		{dirID, "ALICE", "wonderland", true, sidEng + "," + sidOps},
		{dirID, `CORP\alice`, "wonderland", true, sidEng + "," + sidOps},
		{dirID, "alice@corp.example.com", "wonderland", true, sidEng + "," + sidOps},
		{dirID, "alice", "Wonderland", false, ""},
		{dirID, "alice", "", false, ""},
		{dirID, "bob", "wonderland", false, ""},
		{"d-9999999999", "alice", "wonderland", false, ""},
		{dirID, "carol", "c", true, ""}, // from the "*" directory
		{dirID, "../alice", "wonderland", false, ""},
	}
	for _, tc := range tests {
		u, err := d.Authenticate(ctx, tc.dir, tc.name, tc.pass)
		if tc.ok != (err == nil) {
			t.Errorf("Authenticate(%s, %q, %q) = %v", tc.dir, tc.name, tc.pass, err)
			continue
		}
		if err != nil && !errors.Is(err, ErrBadCredentials) {
			t.Errorf("error %v is not ErrBadCredentials", err)
		}
		if tc.ok && strings.Join(u.Groups, ",") != tc.groups {
			t.Errorf("groups %v, want %s", u.Groups, tc.groups)
		}
	}
}

func TestLoadRejectsWholeFile(t *testing.T) {
	ctx := context.Background()
	d := New(memory.New())
	for _, body := range []string{
		`{"directories":[{"directoryId":"d-0123456789","users":[{"name":"a","password":"p","groups":["not-a-sid"]}]}]}`,
		`{"directories":[{"directoryId":"nope","users":[{"name":"a","password":"p"}]}]}`,
		`{"directories":[{"directoryId":"d-0123456789","users":[{"name":"ok","password":"p"},{"name":"","password":"p"}]}]}`,
		`{"directories":[{"directoryId":"d-0123456789","users":[{"name":"a","password":""}]}]}`,
		`{"unknown": 1}`,
	} {
		f, err := parse([]byte(body))
		if err == nil {
			_, err = d.Load(ctx, f)
		}
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", body, err)
		}
	}
	if users, _ := d.Users(ctx, dirID); len(users) != 0 {
		t.Fatalf("a rejected load wrote %v", users)
	}
}

func TestHTTP(t *testing.T) {
	d := New(memory.New())
	mux := http.NewServeMux()
	for p, h := range d.Routes() {
		mux.HandleFunc(p, h)
	}
	srv := httptest.NewServer(mux)
	defer srv.Close()
	do := func(method, path, body string) (int, string) {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b := new(strings.Builder)
		_, _ = readBody(b, resp)
		return resp.StatusCode, b.String()
	}
	if code, body := do("PUT", "/_ersatz/directory/"+dirID+"/users/dave", `{"password":"pw","groups":["`+sidEng+`"]}`); code != 200 {
		t.Fatalf("PUT: %d %s", code, body)
	}
	if code, body := do("PUT", "/_ersatz/directory/"+dirID+"/users/eve", `{"password":"pw","groups":["x"]}`); code != 400 || !strings.Contains(body, "not a SID") {
		t.Fatalf("bad PUT: %d %s", code, body)
	}
	code, body := do("GET", "/_ersatz/directory/"+dirID+"/users", "")
	if code != 200 || !strings.Contains(body, `"dave"`) || strings.Contains(body, "pw") || strings.Contains(body, "eve") {
		t.Fatalf("GET users: %d %s", code, body)
	}
	if code, body := do("GET", "/_ersatz/directory", ""); code != 200 || !strings.Contains(body, dirID) {
		t.Fatalf("GET: %d %s", code, body)
	}
	if _, err := d.Authenticate(context.Background(), dirID, "dave", "pw"); err != nil {
		t.Fatal(err)
	}
	if code, _ := do("DELETE", "/_ersatz/directory/"+dirID+"/users/dave", ""); code != 204 {
		t.Fatalf("DELETE: %d", code)
	}
	if code, _ := do("DELETE", "/_ersatz/directory/"+dirID+"/users/dave", ""); code != 404 {
		t.Fatalf("second DELETE: %d", code)
	}
	if _, err := d.Authenticate(context.Background(), dirID, "dave", "pw"); err == nil {
		t.Fatal("deleted user logged in")
	}
	if code, body := do("POST", "/_ersatz/directory", `{"directories":[{"directoryId":"*","users":[{"name":"f","password":"p"}]}]}`); code != 200 || !strings.Contains(body, `"users": 1`) {
		t.Fatalf("POST: %d %s", code, body)
	}
}

func readBody(b *strings.Builder, resp *http.Response) (int64, error) {
	buf := make([]byte, 4096)
	var n int64
	for {
		k, err := resp.Body.Read(buf)
		b.Write(buf[:k])
		n += int64(k)
		if err != nil {
			return n, nil
		}
	}
}
