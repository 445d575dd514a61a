package store_test

import (
	"strings"
	"testing"

	"github.com/ersatz-dev/ersatz/internal/store"
)

func TestWithoutSecrets(t *testing.T) {
	res := func(service, kind, id, data string) store.SnapshotResource {
		return store.SnapshotResource{Account: "111111111111", Region: "us-east-1", Service: service, Kind: kind, ID: id, Data: []byte(data)}
	}
	snap := &store.Snapshot{Format: store.SnapshotFormat, Version: store.SnapshotVersion, Resources: []store.SnapshotResource{
		res("transfer", "hostkey", "a", `{"hostKeyId":"a","privateKeyPem":"-----BEGIN"}`),
		res("transfer", "server", "s", `{"serverId":"s","privateKeyPem":"kept: not a secret of servers"}`),
		res("other", "hostkey", "b", `{"privateKeyPem":"kept: another service"}`),
		res("transfer", "hostkey", "c", `["-----BEGIN"]`),
		res("transfer", "hostkey", "d", `null`),
	}}
	secrets := []store.Secret{{Service: "transfer", Kind: "hostkey", Member: "privateKeyPem"}}
	lean, err := snap.WithoutSecrets(secrets)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`{"hostKeyId":"a"}`, `{"serverId":"s","privateKeyPem":"kept: not a secret of servers"}`,
		`{"privateKeyPem":"kept: another service"}`, `{}`, `{}`}
	for i, w := range want {
		if got := string(lean.Resources[i].Data); got != w {
			t.Errorf("resource %d: %s, want %s", i, got, w)
		}
	}
	if !strings.Contains(string(snap.Resources[0].Data), "BEGIN") {
		t.Fatal("the original snapshot was changed")
	}
	if err := lean.Validate(); err != nil {
		t.Fatalf("the snapshot without secrets is not valid: %v", err)
	}
}
