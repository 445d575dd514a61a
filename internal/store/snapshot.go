package store

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Snapshot format. A snapshot is a readable, versioned JSON document holding
// the whole state of a store:
//
//	{
//	  "format": "ersatz-state",
//	  "version": 1,
//	  "resources": [
//	    {"account":"111122223333","region":"us-east-1","service":"transfer","parent":"","kind":"server","id":"s-1","data":{...}},
//	    ...
//	  ]
//	}
//
// Resources are in ascending bytewise order of (account, region, service,
// path), so a parent precedes its children and exporting the same state twice
// gives the same bytes. WriteSnapshot puts one resource on a line.
const (
	SnapshotFormat  = "ersatz-state"
	SnapshotVersion = 1
)

// ErrInvalidSnapshot is wrapped by every error about a snapshot's content.
var ErrInvalidSnapshot = errors.New("store: invalid snapshot")

// Snapshot is the whole state of a store (see SnapshotFormat).
type Snapshot struct {
	Format    string             `json:"format"`
	Version   int                `json:"version"`
	Resources []SnapshotResource `json:"resources"`
}

// SnapshotResource is one resource of a Snapshot.
type SnapshotResource struct {
	Account string          `json:"account"`
	Region  string          `json:"region"`
	Service string          `json:"service"`
	Parent  string          `json:"parent"`
	Kind    string          `json:"kind"`
	ID      string          `json:"id"`
	Data    json.RawMessage `json:"data"`
}

// Key is the resource's key.
func (r SnapshotResource) Key() Key {
	return Key{
		Scope:  Scope{Account: r.Account, Region: r.Region, Service: r.Service},
		Parent: r.Parent, Kind: r.Kind, ID: r.ID,
	}
}

func resourceOf(it Item) SnapshotResource {
	return SnapshotResource{
		Account: it.Key.Account, Region: it.Key.Region, Service: it.Key.Service,
		Parent: it.Key.Parent, Kind: it.Key.Kind, ID: it.Key.ID,
		Data: json.RawMessage(it.Data),
	}
}

// Export reads the whole state of s, in one read transaction.
func Export(ctx context.Context, s Store) (*Snapshot, error) {
	snap := &Snapshot{Format: SnapshotFormat, Version: SnapshotVersion}
	err := s.View(ctx, func(tx Tx) error {
		b, err := bulk(tx)
		if err != nil {
			return err
		}
		snap.Resources = []SnapshotResource{} // View may run fn again
		return b.All(func(it Item) error {
			snap.Resources = append(snap.Resources, resourceOf(it))
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("store: export: %w", err)
	}
	return snap, nil
}

// Import replaces the whole state of s with snap, in one Update: when it
// returns an error (a snapshot of another format or a newer version, an
// invalid key, a document that is not JSON, a key given twice, or a backend
// failure) s is unchanged.
func Import(ctx context.Context, s Store, snap *Snapshot) error {
	items, err := snap.items()
	if err != nil {
		return fmt.Errorf("store: import: %w", err)
	}
	err = s.Update(ctx, func(tx Tx) error {
		b, err := bulk(tx)
		if err != nil {
			return err
		}
		if err := b.DeleteAll(); err != nil {
			return err
		}
		for i, it := range items {
			if err := tx.Put(it.Key, it.Data); err != nil {
				return fmt.Errorf("resource %d (%s): %w", i, it.Key.Path(), err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: import: %w", err)
	}
	return nil
}

// Validate checks everything Import checks before it writes.
func (snap *Snapshot) Validate() error {
	_, err := snap.items()
	return err
}

// items validates snap and returns its resources as Items with compacted data.
func (snap *Snapshot) items() ([]Item, error) {
	if snap == nil {
		return nil, fmt.Errorf("%w: nil snapshot", ErrInvalidSnapshot)
	}
	if err := checkHeader(snap.Format, snap.Version); err != nil {
		return nil, err
	}
	if snap.Resources == nil {
		return nil, fmt.Errorf("%w: no \"resources\" array", ErrInvalidSnapshot)
	}
	type scopedPath struct {
		Scope
		path string
	}
	seen := make(map[scopedPath]struct{}, len(snap.Resources))
	items := make([]Item, len(snap.Resources))
	for i, r := range snap.Resources {
		k := r.Key()
		if err := k.Validate(); err != nil {
			return nil, fmt.Errorf("%w: resource %d: %w", ErrInvalidSnapshot, i, err)
		}
		sp := scopedPath{k.Scope, k.Path()}
		if _, dup := seen[sp]; dup {
			return nil, fmt.Errorf("%w: resource %d: %s appears twice in %s/%s/%s",
				ErrInvalidSnapshot, i, sp.path, k.Account, k.Region, k.Service)
		}
		seen[sp] = struct{}{}
		var buf bytes.Buffer
		if err := json.Compact(&buf, r.Data); err != nil || len(r.Data) == 0 {
			return nil, fmt.Errorf("%w: resource %d (%s): data is not valid JSON", ErrInvalidSnapshot, i, sp.path)
		}
		items[i] = Item{Key: k, Data: buf.Bytes()}
	}
	return items, nil
}

func checkHeader(format string, version int) error {
	if format != SnapshotFormat {
		return fmt.Errorf("%w: format is %q, want %q", ErrInvalidSnapshot, format, SnapshotFormat)
	}
	if version > SnapshotVersion {
		return fmt.Errorf("%w: version %d is newer than this Ersatz supports (%d); upgrade Ersatz",
			ErrInvalidSnapshot, version, SnapshotVersion)
	}
	if version < 1 {
		return fmt.Errorf("%w: version %d is not a snapshot version", ErrInvalidSnapshot, version)
	}
	return nil
}

// ReadSnapshot decodes a snapshot document. It checks the format and version
// before decoding the resources, so a document of a newer version gets a
// clear error rather than a decoding one, and then validates it as Import does.
func ReadSnapshot(r io.Reader) (*Snapshot, error) {
	var head struct {
		Format    string          `json:"format"`
		Version   int             `json:"version"`
		Resources json.RawMessage `json:"resources"`
	}
	dec := json.NewDecoder(r)
	if err := dec.Decode(&head); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidSnapshot, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: data after the document", ErrInvalidSnapshot)
	}
	if err := checkHeader(head.Format, head.Version); err != nil {
		return nil, err
	}
	snap := &Snapshot{Format: head.Format, Version: head.Version}
	if len(head.Resources) == 0 || string(head.Resources) == "null" {
		return nil, fmt.Errorf("%w: no \"resources\" array", ErrInvalidSnapshot)
	}
	if err := json.Unmarshal(head.Resources, &snap.Resources); err != nil {
		return nil, fmt.Errorf("%w: resources: %w", ErrInvalidSnapshot, err)
	}
	if err := snap.Validate(); err != nil {
		return nil, err
	}
	return snap, nil
}

// WriteSnapshot writes snap as an indented document with one resource per
// line, each resource's data as compact JSON.
func WriteSnapshot(w io.Writer, snap *Snapshot) error {
	if snap == nil {
		return fmt.Errorf("%w: nil snapshot", ErrInvalidSnapshot)
	}
	format, err := json.Marshal(snap.Format)
	if err != nil {
		return fmt.Errorf("store: write snapshot: %w", err)
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "{\n  \"format\": %s,\n  \"version\": %d,\n  \"resources\": [", format, snap.Version)
	var line bytes.Buffer
	enc := json.NewEncoder(&line)
	enc.SetEscapeHTML(false)
	for i, r := range snap.Resources {
		line.Reset()
		if err := enc.Encode(r); err != nil {
			return fmt.Errorf("store: write snapshot: resource %d: %w", i, err)
		}
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString("\n    ")
		bw.Write(bytes.TrimSuffix(line.Bytes(), []byte("\n")))
	}
	if len(snap.Resources) > 0 {
		bw.WriteString("\n  ")
	}
	bw.WriteString("]\n}\n")
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("store: write snapshot: %w", err)
	}
	return nil
}
