package store_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/ersatz-dev/ersatz/internal/store"
	"github.com/ersatz-dev/ersatz/internal/store/memory"
)

// seeded is a memory store holding a server and one of its users.
func seeded(t *testing.T) store.Store {
	t.Helper()
	s := memory.New()
	err := s.Update(context.Background(), func(tx store.Tx) error {
		srv := store.Key{Scope: coll.Scope, Kind: "server", ID: "s-1"}
		if err := tx.Put(srv, []byte(`{"id":"s-1"}`)); err != nil {
			return err
		}
		return tx.Put(srv.Child("user", "alice"), []byte(`{"name":"alice"}`))
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func snapshotBytes(t *testing.T, s store.Store) []byte {
	t.Helper()
	snap, err := store.Export(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := store.WriteSnapshot(&b, snap); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// FuzzSnapshot reads arbitrary bytes as a snapshot and imports them into a
// memory store that already holds state. A document ReadSnapshot refuses
// (always with ErrInvalidSnapshot) imports as nothing: Import of the same
// document decoded leniently either fails and leaves the store unchanged, or
// succeeds. A document it accepts imports, and the store then exports the
// same resources, and the export reads back and imports to the same bytes.
func FuzzSnapshot(f *testing.F) {
	f.Add([]byte(`{"format":"ersatz-state","version":1,"resources":[
		{"account":"111122223333","region":"us-east-1","service":"transfer","parent":"","kind":"server","id":"s-2","data":{"a": [1, 2]}},
		{"account":"111122223333","region":"us-east-1","service":"transfer","parent":"server/s-2","kind":"user","id":"bob","data":{}}]}`))
	f.Add([]byte(`{"format":"ersatz-state","version":1,"resources":[]}`))
	f.Add([]byte(`{"format":"ersatz-state","version":2,"resources":[]}`))
	f.Add([]byte(`{"format":"other","version":1,"resources":[]}`))
	f.Add([]byte(`{"format":"ersatz-state","version":1}`))
	f.Add([]byte(`{"format":"ersatz-state","version":1,"resources":[{"kind":"k","id":"i","data":1},{"kind":"k","id":"i","data":2}]}`))
	f.Add([]byte(`{"format":"ersatz-state","version":1,"resources":[{"kind":"k","id":"a/b","data":{}}]}`))
	f.Add([]byte(`{"format":"ersatz-state","version":1,"resources":[{"parent":"x","kind":"k","id":"i","data":{}}]}`))
	f.Add([]byte(`{"format":"ersatz-state","version":1,"resources":[{"kind":"k","id":"i","data":"\u0000\ud800"}]}`))
	f.Add([]byte(`{"format":"ersatz-state","version":1,"resources":[{"kind":"k","id":"\u0000","data":{}}]}`))
	f.Add([]byte(`{"format":"ersatz-state","version":1,"resources":[{"kind":"k","id":"i"}]}`))
	f.Add([]byte(`{"format":"ersatz-state","version":1,"resources":[]} {}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		ctx := context.Background()
		s := seeded(t)
		before := snapshotBytes(t, s)
		snap, err := store.ReadSnapshot(bytes.NewReader(doc))
		if err != nil {
			if snap != nil {
				t.Fatal("ReadSnapshot returned a snapshot with an error")
			}
			if !errors.Is(err, store.ErrInvalidSnapshot) {
				t.Fatalf("ReadSnapshot error %v does not wrap ErrInvalidSnapshot", err)
			}
			var lenient store.Snapshot
			if json.Unmarshal(doc, &lenient) != nil {
				return
			}
			if err := store.Import(ctx, s, &lenient); err != nil {
				if after := snapshotBytes(t, s); !bytes.Equal(after, before) {
					t.Fatalf("a refused import (%v) changed the store:\n%s\nwas\n%s", err, after, before)
				}
			}
			return
		}
		if err := store.Import(ctx, s, snap); err != nil {
			t.Fatalf("Import refused what ReadSnapshot accepted: %v", err)
		}
		exported, err := store.Export(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		if len(exported.Resources) != len(snap.Resources) {
			t.Fatalf("imported %d resources, exported %d", len(snap.Resources), len(exported.Resources))
		}
		want := map[store.Key]string{}
		for _, r := range snap.Resources {
			var c bytes.Buffer
			_ = json.Compact(&c, r.Data)
			want[r.Key()] = c.String()
		}
		for _, r := range exported.Resources {
			if d, ok := want[r.Key()]; !ok || d != string(r.Data) {
				t.Fatalf("exported %+v (data %s), imported data %q (present %v)", r.Key(), r.Data, d, ok)
			}
		}
		first := snapshotBytes(t, s)
		again, err := store.ReadSnapshot(bytes.NewReader(first))
		if err != nil {
			t.Fatalf("an export does not read back: %v\n%s", err, first)
		}
		s2 := memory.New()
		if err := store.Import(ctx, s2, again); err != nil {
			t.Fatalf("an export does not import: %v", err)
		}
		if second := snapshotBytes(t, s2); !bytes.Equal(first, second) {
			t.Fatalf("export, import, export differs:\n%s\n%s", first, second)
		}
	})
}
