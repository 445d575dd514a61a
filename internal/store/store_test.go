package store_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/ersatz-dev/ersatz/internal/store"
)

var coll = store.Collection{
	Scope:  store.Scope{Account: "111122223333", Region: "us-east-1", Service: "transfer"},
	Parent: "server/s-1", Kind: "user",
}

func TestTokenRoundTrip(t *testing.T) {
	for _, id := range []string{"a", "alice", "ü-✓", strings.Repeat("x", 1000)} {
		tok := store.EncodeToken(coll, id)
		if strings.ContainsAny(tok, "+/=") {
			t.Errorf("token %q is not unpadded base64url", tok)
		}
		got, err := store.DecodeToken(coll, tok)
		if err != nil || got != id {
			t.Errorf("DecodeToken(EncodeToken(%q)) = %q, %v", id, got, err)
		}
		if again := store.EncodeToken(coll, id); again != tok {
			t.Errorf("tokens are not deterministic: %q vs %q", tok, again)
		}
	}
	if id, err := store.DecodeToken(coll, ""); id != "" || err != nil {
		t.Errorf("empty token = %q, %v", id, err)
	}
}

// A token's fields are length-prefixed under the MAC, so moving bytes
// between fields does not give a valid token.
func TestTokenFieldBoundaries(t *testing.T) {
	a := store.Collection{Scope: store.Scope{Account: "ab", Region: "c"}, Kind: "k"}
	b := store.Collection{Scope: store.Scope{Account: "a", Region: "bc"}, Kind: "k"}
	if _, err := store.DecodeToken(b, store.EncodeToken(a, "x")); !errors.Is(err, store.ErrInvalidToken) {
		t.Errorf("token of %+v accepted for %+v: %v", a, b, err)
	}
}

func TestTokenMACKeyIsFixed(t *testing.T) {
	// A token issued by any Ersatz build with this key: processes sharing a
	// database, or a restarted one, must accept it. Changing the key or the
	// format breaks outstanding tokens; this pins both.
	const pinned = "AckplCLTflyXYWxpY2VkEpXg7g9hsBxnYwuNQaxF"
	if got := store.EncodeToken(coll, "alice"); got != pinned {
		t.Fatalf("EncodeToken changed: %q, pinned %q", got, pinned)
	}
}

func FuzzDecodeToken(f *testing.F) {
	f.Add(store.EncodeToken(coll, "alice"))
	f.Add("")
	f.Add("AA")
	f.Add("////")
	f.Add(base64.RawURLEncoding.EncodeToString(make([]byte, 25)))
	f.Fuzz(func(t *testing.T, tok string) {
		id, err := store.DecodeToken(coll, tok)
		if err != nil {
			if !errors.Is(err, store.ErrInvalidToken) {
				t.Fatalf("error %v does not wrap ErrInvalidToken", err)
			}
			return
		}
		if tok != "" && store.EncodeToken(coll, id) != tok {
			t.Fatalf("accepted %q, which EncodeToken does not produce", tok)
		}
	})
}

func TestKeyPathAndRange(t *testing.T) {
	k := store.Key{Kind: "server", ID: "s-1"}
	u := k.Child("user", "alice")
	if k.Path() != "server/s-1" || u.Path() != "server/s-1/user/alice" || u.Parent != "server/s-1" {
		t.Fatalf("paths: %q %q", k.Path(), u.Path())
	}
	lo, hi := store.PathRange(k.Path())
	for path, below := range map[string]bool{
		"server/s-1/user/alice": true,
		"server/s-1/a":          true,
		"server/s-1":            false,
		"server/s-1/":           false, // not a path: no resource has it
		"server/s-10":           false,
		"server/s-1.":           false,
		"server/s-1-x/user/a":   false,
		"server/s-0/user/a":     false,
		"server/s-2":            false,
	} {
		if got := path > lo && path < hi; got != below {
			t.Errorf("%q in (%q, %q) = %v, want %v", path, lo, hi, got, below)
		}
		if path != "server/s-1/" && store.Under(path, k.Path()) != below {
			t.Errorf("Under(%q) disagrees with the range", path)
		}
	}
}

func TestValidate(t *testing.T) {
	good := []store.Key{
		{Kind: "server", ID: "s-1"},
		{Parent: "server/s-1", Kind: "user", ID: "alice@example.com"},
		{Scope: store.Scope{Account: "", Region: "", Service: ""}, Kind: "k", ID: "ü"},
	}
	for _, k := range good {
		if err := k.Validate(); err != nil {
			t.Errorf("%+v: %v", k, err)
		}
		if err := store.NotFoundIfInvalid(k); err != nil {
			t.Errorf("NotFoundIfInvalid(%+v) = %v", k, err)
		}
	}
	bad := store.Key{Kind: "server", ID: "a/b"}
	err := store.NotFoundIfInvalid(bad)
	if !errors.Is(err, store.ErrNotFound) || !errors.Is(err, store.ErrInvalidKey) {
		t.Errorf("NotFoundIfInvalid(%+v) = %v, want ErrNotFound and ErrInvalidKey", bad, err)
	}
}

func TestFinishPage(t *testing.T) {
	items := []store.Item{{Key: store.Key{ID: "a"}}, {Key: store.Key{ID: "b"}}, {Key: store.Key{ID: "c"}}}
	c := store.Collection{Kind: "k"}
	if got := store.FetchLimit(store.Page{Limit: 2}); got != 3 {
		t.Errorf("FetchLimit(2) = %d", got)
	}
	if got := store.FetchLimit(store.Page{}); got != -1 {
		t.Errorf("FetchLimit(0) = %d", got)
	}
	page, next := store.FinishPage(c, store.Page{Limit: 2}, items)
	if len(page) != 2 || next != store.EncodeToken(c, "b") {
		t.Errorf("FinishPage(limit 2) = %d items, %q", len(page), next)
	}
	if page, next := store.FinishPage(c, store.Page{Limit: 3}, items); len(page) != 3 || next != "" {
		t.Errorf("FinishPage(limit 3) = %d items, %q", len(page), next)
	}
}

func TestWriteSnapshotShape(t *testing.T) {
	snap := &store.Snapshot{Format: store.SnapshotFormat, Version: store.SnapshotVersion, Resources: []store.SnapshotResource{
		{Account: "1", Kind: "k", ID: "a", Data: []byte(`{"x": "<&>"}`)},
		{Account: "1", Kind: "k", ID: "b", Data: []byte(`[1, 2]`)},
	}}
	var buf bytes.Buffer
	if err := store.WriteSnapshot(&buf, snap); err != nil {
		t.Fatal(err)
	}
	want := `{
  "format": "ersatz-state",
  "version": 1,
  "resources": [
    {"account":"1","region":"","service":"","parent":"","kind":"k","id":"a","data":{"x":"<&>"}},
    {"account":"1","region":"","service":"","parent":"","kind":"k","id":"b","data":[1,2]}
  ]
}
`
	if buf.String() != want {
		t.Fatalf("WriteSnapshot =\n%s\nwant\n%s", buf.String(), want)
	}
	back, err := store.ReadSnapshot(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Resources) != 2 || string(back.Resources[0].Data) != `{"x":"<&>"}` {
		t.Fatalf("ReadSnapshot = %+v", back)
	}
	buf.Reset()
	if err := store.WriteSnapshot(&buf, &store.Snapshot{Format: store.SnapshotFormat, Version: 1, Resources: nil}); err != nil {
		t.Fatal(err)
	}
	if buf.String() != "{\n  \"format\": \"ersatz-state\",\n  \"version\": 1,\n  \"resources\": []\n}\n" {
		t.Fatalf("empty snapshot = %q", buf.String())
	}
}

func TestReadSnapshotErrorsAreClear(t *testing.T) {
	for doc, want := range map[string]string{
		`{"format":"ersatz-state","version":7,"resources":[]}`:                                                              "version 7 is newer",
		`{"format":"terraform","version":1,"resources":[]}`:                                                                 `format is "terraform"`,
		`{"format":"ersatz-state","version":1,"resources":[{"kind":"k","id":"a","data":1},{"kind":"k","id":"a","data":2}]}`: "appears twice",
	} {
		_, err := store.ReadSnapshot(strings.NewReader(doc))
		if !errors.Is(err, store.ErrInvalidSnapshot) || !strings.Contains(err.Error(), want) {
			t.Errorf("ReadSnapshot(%s) = %v, want %q", doc, err, want)
		}
	}
}
