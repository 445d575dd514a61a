package protocol_test

import (
	"encoding/json"
	"testing"

	"github.com/ersatz-dev/ersatz/internal/api/transferapi"
	"github.com/ersatz-dev/ersatz/internal/protocol"
)

func TestFillRequired(t *testing.T) {
	out := &transferapi.ListServersResponse{}
	protocol.FillRequired(out)
	b, _ := json.Marshal(out)
	if string(b) != `{"Servers":[]}` {
		t.Fatalf("got %s", b)
	}
	users := &transferapi.ListUsersResponse{ServerId: new(string), Users: []transferapi.ListedUser{{}}}
	protocol.FillRequired(users)
	b, _ = json.Marshal(users)
	if string(b) != `{"ServerId":"","Users":[{}]}` {
		t.Fatalf("got %s", b)
	}
}
