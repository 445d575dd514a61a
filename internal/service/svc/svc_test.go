package svc

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/awserr"
	"github.com/ersatz-dev/ersatz/internal/store"
	"github.com/ersatz-dev/ersatz/internal/store/memory"
)

var errBadToken = awserr.New(400, "BadTokenForTest", "bad token")

func testKit() *Kit {
	clock := time.Date(2026, 3, 4, 5, 6, 7, 891_234_567, time.FixedZone("x", 3600))
	return New(Config{Service: "transfer", Now: func() time.Time { return clock }, Precision: time.Millisecond,
		BadToken: func() error { return errBadToken }, PageSize: 3})
}

func TestBeginAndARN(t *testing.T) {
	k := testKit()
	ctx := api.WithCaller(context.Background(), api.Caller{Account: "123456789012", Region: "eu-west-1", AccessKeyID: "AK"})
	r := k.Begin(ctx)
	tests := []struct{ name, got, want string }{
		{"scope", fmt.Sprint(r.Scope), fmt.Sprint(store.Scope{Account: "123456789012", Region: "eu-west-1", Service: "transfer"})},
		{"kit scope", fmt.Sprint(k.Scope(ctx)), fmt.Sprint(r.Scope)},
		{"caller", r.Caller.AccessKeyID, "AK"},
		{"now", r.Now.Format(time.RFC3339Nano), "2026-03-04T04:06:07.891Z"},
		{"arn", r.ARN("server/s-1"), "arn:aws:transfer:eu-west-1:123456789012:server/s-1"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, tt.got, tt.want)
		}
	}
}

func TestErr(t *testing.T) {
	k := testKit()
	modelled := awserr.New(404, "ResourceNotFoundException", "Unknown server")
	tests := []struct {
		name     string
		in       error
		wantCode string // "" for nil
		wantIs   error
	}{
		{"nil stays nil", nil, "", nil},
		{"a service error passes", fmt.Errorf("inside: %w", modelled), "ResourceNotFoundException", modelled},
		{"a bad token is the service's 400", fmt.Errorf("list: %w", store.ErrInvalidToken), "BadTokenForTest", nil},
		{"busy stays busy underneath", fmt.Errorf("commit: %w", store.ErrBusy), "InternalFailure", store.ErrBusy},
		{"any other failure is internal", errors.New("disk on fire"), "InternalFailure", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := k.Err("read server", tt.in)
			if tt.wantCode == "" {
				if got != nil {
					t.Fatalf("got %v, want nil", got)
				}
				return
			}
			var se api.ServiceError
			if !errors.As(got, &se) || se.ErrorCode() != tt.wantCode {
				t.Fatalf("got %v, want code %s", got, tt.wantCode)
			}
			if tt.wantIs != nil && !errors.Is(got, tt.wantIs) {
				t.Fatalf("%v lost %v", got, tt.wantIs)
			}
			if tt.wantCode == "InternalFailure" && se.ErrorMessage() != awserr.InternalMessage {
				t.Fatalf("an internal failure says %q", se.ErrorMessage())
			}
		})
	}
}

type doc struct {
	Name string `json:"name"`
}

func TestReads(t *testing.T) {
	ctx := context.Background()
	st := memory.New()
	sc := store.Scope{Account: "1", Region: "r", Service: "transfer"}
	have := store.Key{Scope: sc, Kind: "thing", ID: "a"}
	none := store.Key{Scope: sc, Kind: "thing", ID: "b"}
	if err := st.Update(ctx, func(tx store.Tx) error { return store.PutJSON(tx, have, doc{Name: "A"}) }); err != nil {
		t.Fatal(err)
	}
	missing := errors.New("missing")
	err := st.Update(ctx, func(tx store.Tx) error {
		tests := []struct {
			name    string
			key     store.Key
			want    string
			wantErr error
		}{
			{"present", have, "A", nil},
			{"absent", none, "", missing},
		}
		for _, tt := range tests {
			got, err := Get[doc](tx, tt.key, func() error { return missing })
			if got.Name != tt.want || !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Errorf("Get %s: got %v, %v", tt.name, got, err)
			}
			v, found, err := Lookup[doc](tx, tt.key)
			if err != nil || found != (tt.wantErr == nil) || v.Name != tt.want {
				t.Errorf("Lookup %s: got %v, %v, %v", tt.name, v, found, err)
			}
			ok, err := Exists(tx, tt.key)
			if err != nil || ok != (tt.wantErr == nil) {
				t.Errorf("Exists %s: got %v, %v", tt.name, ok, err)
			}
		}
		if err := Delete(tx, none, func() error { return missing }); !errors.Is(err, missing) {
			t.Errorf("Delete of nothing: %v", err)
		}
		if err := DeleteIfExists(tx, none); err != nil {
			t.Errorf("deleting nothing: %v", err)
		}
		if err := Delete(tx, have, func() error { return missing }); err != nil {
			t.Errorf("Delete: %v", err)
		}
		if _, err := tx.Get(have); !IsNotFound(err) {
			t.Errorf("after delete: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestPage(t *testing.T) {
	k := testKit()
	coll := store.Collection{Scope: store.Scope{Account: "1", Region: "r", Service: "transfer"}, Kind: "thing"}
	items := []string{"a", "b", "c", "d", "e", "f", "g"}
	id := func(s string) string { return s }
	// walk collects every page from the first with page size limit.
	walk := func(limit int) (string, int) {
		token, all, pages := "", "", 0
		for {
			cur, err := k.Cursor(coll, token, limit)
			if err != nil {
				t.Fatalf("token %q: %v", token, err)
			}
			page, next := Page(cur, items, id)
			pages++
			for _, p := range page {
				all += p
			}
			if next == nil || pages > 20 {
				return all, pages
			}
			token = *next
		}
	}
	tests := []struct {
		limit     int
		want      string
		wantPages int
	}{
		{1, "abcdefg", 7},
		{3, "abcdefg", 3},
		{7, "abcdefg", 1},
		{100, "abcdefg", 1},
		{0, "", 1},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.limit), func(t *testing.T) {
			got, pages := walk(tt.limit)
			if got != tt.want || pages != tt.wantPages {
				t.Fatalf("got %q in %d pages, want %q in %d", got, pages, tt.want, tt.wantPages)
			}
		})
	}
	// A token past the last id is an empty last page; a token of another
	// collection or a garbled one is the service's bad-token error.
	cur, err := k.Cursor(coll, store.EncodeToken(coll, "zz"), 3)
	if err != nil {
		t.Fatal(err)
	}
	if page, next := Page(cur, items, id); len(page) != 0 || next != nil {
		t.Fatalf("after the end: %v %v", page, next)
	}
	if !cur.After("zzz") || cur.After("b") {
		t.Fatal("After disagrees with the token")
	}
	other := store.Collection{Scope: coll.Scope, Kind: "other"}
	for _, bad := range []string{store.EncodeToken(other, "a"), "!!not a token", "AAAA"} {
		if _, err := k.Cursor(coll, bad, 3); !errors.Is(err, errBadToken) {
			t.Errorf("token %q: got %v", bad, err)
		}
	}
}

func TestLimitAndPtrIf(t *testing.T) {
	k := testKit()
	tests := []struct {
		in   *int32
		want int
	}{
		{nil, 3}, {api.Ptr(int32(0)), 3}, {api.Ptr(int32(-1)), 3}, {api.Ptr(int32(1)), 1}, {api.Ptr(int32(500)), 500},
	}
	for _, tt := range tests {
		if got := k.Limit(tt.in); got != tt.want {
			t.Errorf("Limit(%v) = %d, want %d", api.Val(tt.in), got, tt.want)
		}
	}
	if PtrIf("") != nil || PtrIf(0) != nil || *PtrIf("x") != "x" || *PtrIf(int32(7)) != 7 {
		t.Fatal("PtrIf")
	}
}

// TestSetAndSetList: a given member replaces the stored one (an empty list
// too), an absent one leaves it.
func TestSetAndSetList(t *testing.T) {
	stored, given := "old", "new"
	p := &stored
	Set(&p, nil)
	if *p != "old" {
		t.Fatalf("Set with nothing given changed the member to %q", *p)
	}
	Set(&p, &given)
	if *p != "new" {
		t.Fatalf("Set = %q, want the given member", *p)
	}
	list := []string{"a", "b"}
	SetList(&list, nil)
	if len(list) != 2 {
		t.Fatalf("SetList with nothing given changed the list to %v", list)
	}
	SetList(&list, []string{})
	if list == nil || len(list) != 0 {
		t.Fatalf("SetList with an empty list = %v, want it empty", list)
	}
}
