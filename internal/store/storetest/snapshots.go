package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ersatz-dev/ersatz/internal/store"
)

// The contract of reset, the JSON helpers and state snapshots (export,
// import, and the imports that are refused).

func testReset(t *testing.T, open Opener) {
	s := open(t)
	for _, sc := range []store.Scope{scopeA, scopeB, scopeC, scopeD} {
		srv := key(sc, "", "server", "s-1")
		put(t, s, srv, `{}`)
		put(t, s, srv.Child("user", "u"), `{}`)
	}
	if err := s.Reset(context.Background()); err != nil {
		t.Fatalf("Reset: %v", err)
	}
	if snap := export(t, s); len(snap.Resources) != 0 {
		t.Fatalf("%d resources survived Reset", len(snap.Resources))
	}
	for _, sc := range []store.Scope{scopeA, scopeB, scopeC, scopeD} {
		mustNotFound(t, s, key(sc, "", "server", "s-1"))
	}
	put(t, s, key(scopeA, "", "server", "s-2"), `{"after":"reset"}`)
	mustGet(t, s, key(scopeA, "", "server", "s-2"), `{"after":"reset"}`)
}

func testJSONHelpers(t *testing.T, open Opener) {
	s := open(t)
	type user struct {
		Name string `json:"name"`
		Age  int    `json:"age"`
	}
	parent := key(scopeA, "", "server", "s-1")
	mustUpdate(t, s, func(tx store.Tx) error {
		for i, n := range []string{"bob", "alice", "carol"} {
			if err := store.PutJSON(tx, parent.Child("user", n), user{n, 20 + i}); err != nil {
				return err
			}
		}
		return nil
	})
	err := s.View(context.Background(), func(tx store.Tx) error {
		u, err := store.GetJSON[user](tx, parent.Child("user", "alice"))
		if err != nil || u != (user{"alice", 21}) {
			return fmt.Errorf("GetJSON = %+v, %v", u, err)
		}
		if _, err := store.GetJSON[user](tx, parent.Child("user", "dave")); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("GetJSON(missing) = %v", err)
		}
		if _, err := store.GetJSON[[]int](tx, parent.Child("user", "bob")); err == nil {
			return errors.New("GetJSON into the wrong type succeeded")
		}
		us, next, err := store.ListJSON[user](tx, parent.Child("user", "x").Collection(), store.Page{Limit: 2})
		if err != nil || next == "" || !slices.Equal(us, []user{{"alice", 21}, {"bob", 20}}) {
			return fmt.Errorf("ListJSON = %+v, %q, %v", us, next, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Update(context.Background(), func(tx store.Tx) error {
		return store.PutJSON(tx, parent, func() {})
	})
	if err == nil {
		t.Fatal("PutJSON of a func succeeded")
	}
}

func populate(t testing.TB, s store.Store) {
	t.Helper()
	mustUpdate(t, s, func(tx store.Tx) error {
		for i, sc := range []store.Scope{scopeD, scopeC, scopeB, scopeA} {
			for _, id := range []string{"s-2", "s-10", "s-1"} {
				srv := key(sc, "", "server", id)
				docs := map[store.Key]string{
					srv:                        fmt.Sprintf(`{"scope":%d,"id":%q,"html":"<b>&amp;</b>","uni":"é✓"}`, i, id),
					srv.Child("user", "alice"): `{"n":1}`,
					srv.Child("user", "alice").Child("key", "k"): `[1,2,3]`,
					srv.Child("user", "bob"):                     `"bob"`,
					key(sc, "", "host", id):                      `null`,
				}
				for k, d := range docs {
					if err := tx.Put(k, []byte(d)); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
}

func testExportImport(t *testing.T, open Opener) {
	src := open(t)
	populate(t, src)
	snap := export(t, src)
	if snap.Format != store.SnapshotFormat || snap.Version != store.SnapshotVersion {
		t.Fatalf("snapshot header = %q %d", snap.Format, snap.Version)
	}
	if len(snap.Resources) != 4*3*5 {
		t.Fatalf("exported %d resources, want %d", len(snap.Resources), 4*3*5)
	}
	sorted := slices.IsSortedFunc(snap.Resources, func(a, b store.SnapshotResource) int {
		ka, kb := a.Key(), b.Key()
		return strings.Compare(
			strings.Join([]string{ka.Account, ka.Region, ka.Service, ka.Path()}, "\x00"),
			strings.Join([]string{kb.Account, kb.Region, kb.Service, kb.Path()}, "\x00"))
	})
	if !sorted {
		t.Error("exported resources are not ordered by (account, region, service, path)")
	}
	text := snapshotText(t, snap)
	if again := snapshotText(t, export(t, src)); again != text {
		t.Error("two exports of the same state differ")
	}
	var generic map[string]any
	if err := json.Unmarshal([]byte(text), &generic); err != nil {
		t.Fatalf("snapshot is not JSON: %v\n%s", err, text)
	}
	if generic["format"] != "ersatz-state" || generic["version"] != float64(1) {
		t.Errorf("snapshot header = %v %v", generic["format"], generic["version"])
	}
	if !strings.Contains(text, `"html":"<b>&amp;</b>"`) || !strings.Contains(text, `"uni":"é✓"`) {
		t.Errorf("snapshot does not keep data readable:\n%s", text)
	}

	read, err := store.ReadSnapshot(strings.NewReader(text))
	if err != nil {
		t.Fatalf("ReadSnapshot: %v", err)
	}
	dst := open(t)
	put(t, dst, key(scopeA, "", "server", "stale"), `{"stale":true}`)
	put(t, dst, key(scopeB, "", "junk", "j"), `{}`)
	if err := store.Import(context.Background(), dst, read); err != nil {
		t.Fatalf("Import: %v", err)
	}
	if got := snapshotText(t, export(t, dst)); got != text {
		t.Fatalf("round trip differs:\n got %s\nwant %s", got, text)
	}
	mustNotFound(t, dst, key(scopeA, "", "server", "stale"))
	mustGet(t, dst, key(scopeC, "server/s-10/user/alice", "key", "k"), `[1,2,3]`)
	if ids := listAll(t, dst, store.Collection{Scope: scopeB, Kind: "server"}, 2); !slices.Equal(ids, []string{"s-1", "s-10", "s-2"}) {
		t.Errorf("imported servers list as %v", ids)
	}

	// Indented data is stored compacted; an empty snapshot empties the store.
	indented := `{"format":"ersatz-state","version":1,"resources":[
		{"account":"1","region":"r","service":"s","parent":"","kind":"k","id":"i","data":{ "a" : [ 1, 2 ] }}]}`
	snap2, err := store.ReadSnapshot(strings.NewReader(indented))
	if err != nil {
		t.Fatalf("ReadSnapshot: %v", err)
	}
	if err := store.Import(context.Background(), dst, snap2); err != nil {
		t.Fatalf("Import: %v", err)
	}
	mustGet(t, dst, key(store.Scope{Account: "1", Region: "r", Service: "s"}, "", "k", "i"), `{"a":[1,2]}`)
	empty, err := store.ReadSnapshot(strings.NewReader(`{"format":"ersatz-state","version":1,"resources":[]}`))
	if err != nil {
		t.Fatalf("ReadSnapshot(empty): %v", err)
	}
	if err := store.Import(context.Background(), dst, empty); err != nil {
		t.Fatalf("Import(empty): %v", err)
	}
	if n := len(export(t, dst).Resources); n != 0 {
		t.Fatalf("%d resources after importing an empty snapshot", n)
	}
}

func testRejectedImports(t *testing.T, open Opener) {
	s := open(t)
	populate(t, s)
	before := snapshotText(t, export(t, s))
	ok := func(mod func(*store.Snapshot)) *store.Snapshot {
		snap := &store.Snapshot{Format: store.SnapshotFormat, Version: 1, Resources: []store.SnapshotResource{
			{Account: "1", Region: "r", Service: "s", Kind: "server", ID: "a", Data: json.RawMessage(`{}`)},
			{Account: "1", Region: "r", Service: "s", Parent: "server/a", Kind: "user", ID: "u", Data: json.RawMessage(`{}`)},
		}}
		mod(snap)
		return snap
	}
	snaps := []struct {
		name string
		snap *store.Snapshot
	}{
		{"nil", nil},
		{"wrong format", ok(func(s *store.Snapshot) { s.Format = "other-state" })},
		{"newer version", ok(func(s *store.Snapshot) { s.Version = 2 })},
		{"version zero", ok(func(s *store.Snapshot) { s.Version = 0 })},
		{"no resources", ok(func(s *store.Snapshot) { s.Resources = nil })},
		{"invalid data", ok(func(s *store.Snapshot) { s.Resources[1].Data = json.RawMessage(`{"a":`) })},
		{"missing data", ok(func(s *store.Snapshot) { s.Resources[1].Data = nil })},
		{"invalid key", ok(func(s *store.Snapshot) { s.Resources[1].ID = "a/b" })},
		{"empty kind", ok(func(s *store.Snapshot) { s.Resources[0].Kind = "" })},
		{"duplicate", ok(func(s *store.Snapshot) { s.Resources[1] = s.Resources[0] })},
	}
	for _, tc := range snaps {
		t.Run("Import/"+tc.name, func(t *testing.T) {
			err := store.Import(context.Background(), s, tc.snap)
			if !errors.Is(err, store.ErrInvalidSnapshot) {
				t.Fatalf("Import = %v, want ErrInvalidSnapshot", err)
			}
			if after := snapshotText(t, export(t, s)); after != before {
				t.Fatal("a rejected Import changed the store")
			}
		})
	}
	docs := []struct{ name, doc string }{
		{"empty", ``},
		{"truncated", `{"format":"ersatz-state","version":1,"resources":[`},
		{"not an object", `[]`},
		{"wrong format", `{"format":"other","version":1,"resources":[]}`},
		{"no format", `{"version":1,"resources":[]}`},
		{"newer version", `{"format":"ersatz-state","version":2,"resources":[{"whatever":"shape"}]}`},
		{"string version", `{"format":"ersatz-state","version":"1","resources":[]}`},
		{"no resources", `{"format":"ersatz-state","version":1}`},
		{"null resources", `{"format":"ersatz-state","version":1,"resources":null}`},
		{"resources not an array", `{"format":"ersatz-state","version":1,"resources":{}}`},
		{"missing data", `{"format":"ersatz-state","version":1,"resources":[{"account":"1","region":"r","service":"s","parent":"","kind":"k","id":"i"}]}`},
		{"trailing garbage", `{"format":"ersatz-state","version":1,"resources":[]} {}`},
		{"bad key", `{"format":"ersatz-state","version":1,"resources":[{"kind":"k","id":"","data":{}}]}`},
	}
	for _, tc := range docs {
		t.Run("ReadSnapshot/"+tc.name, func(t *testing.T) {
			snap, err := store.ReadSnapshot(strings.NewReader(tc.doc))
			if !errors.Is(err, store.ErrInvalidSnapshot) {
				t.Fatalf("ReadSnapshot = %+v, %v; want ErrInvalidSnapshot", snap, err)
			}
		})
	}
	if after := snapshotText(t, export(t, s)); after != before {
		t.Fatal("rejected imports changed the store")
	}
}
