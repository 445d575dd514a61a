package auth_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/ersatz-dev/ersatz/internal/auth"
	"github.com/ersatz-dev/ersatz/internal/sigv4"
)

// FuzzParse feeds arbitrary bytes to the credentials file parser. It may
// only refuse with an error; every credential it accepts can be looked up
// by its access key id, acts in a 12-digit account, and can be named in the
// credential scope of a request that crosses the wire (sigv4 reads the same
// key back).
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"credentials": [{"accessKeyId": "111111111111", "secretAccessKey": "s1"},
		{"accessKeyId": "AKIDALICE", "secretAccessKey": "s2", "accountId": "222222222222", "sessionToken": "tok", "userId": "alice", "email": "alice@example.com"}]}`))
	f.Add([]byte(`{"credentials": []}`))
	f.Add([]byte(`{"credentials": [{"accessKeyId": "A", "secretAccessKey": "s"}, {"accessKeyId": "A", "secretAccessKey": "t"}]}`))
	f.Add([]byte(`{"credentials": [{"accessKeyId": "A/B", "secretAccessKey": "s"}]}`))
	f.Add([]byte(`{"credentials": [{"accessKeyId": "A", "secretAccessKey": "s", "accountId": "12"}]}`))
	f.Add([]byte(`{"credentials": [{"accessKeyId": "A", "secretAccessKey": "s", "extra": 1}]}`))
	f.Add([]byte(`{"credentials": [{"accessKeyId": "A", "secretAccessKey": "s"}]} {}`))
	f.Add([]byte(`{"credentials": null}`))
	f.Add([]byte(`[`))
	f.Fuzz(parseCheck)
}

func parseCheck(t *testing.T, data []byte) {
	c, err := auth.Parse(data)
	if err != nil {
		if c != nil {
			t.Fatal("Parse returned credentials with an error")
		}
		return
	}
	if c.Len() == 0 {
		t.Fatal("Parse accepted a file without credentials")
	}
	var f auth.File
	_ = json.Unmarshal(data, &f)
	for _, want := range f.Credentials {
		got, ok := c.Lookup(want.AccessKeyID)
		if !ok {
			t.Fatalf("accepted key %q cannot be looked up", want.AccessKeyID)
		}
		if len(got.AccountID) != 12 || strings.Trim(got.AccountID, "0123456789") != "" {
			t.Fatalf("key %q acts in account %q", got.AccessKeyID, got.AccountID)
		}
		if got.SecretAccessKey == "" {
			t.Fatalf("key %q has no secret", got.AccessKeyID)
		}
		wire := "GET / HTTP/1.1\r\nHost: h\r\nX-Amz-Date: 20260304T050607Z\r\nAuthorization: AWS4-HMAC-SHA256 Credential=" +
			got.AccessKeyID + "/20260304/us-east-1/qapps/aws4_request, SignedHeaders=host, Signature=00\r\n\r\n"
		r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(wire)))
		if err != nil {
			t.Fatalf("accepted key %q cannot be sent in an Authorization header: %v", got.AccessKeyID, err)
		}
		sig, err := sigv4.Parse(r)
		if err != nil || sig.Scope.AccessKeyID != got.AccessKeyID {
			t.Fatalf("accepted key %q reads back from the credential scope as %+v, %v", got.AccessKeyID, sig, err)
		}
		if got.SessionToken != "" {
			wire := "GET / HTTP/1.1\r\nHost: h\r\nX-Amz-Security-Token: " + got.SessionToken + "\r\n\r\n"
			r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(wire)))
			if err != nil || r.Header.Get("X-Amz-Security-Token") != got.SessionToken {
				t.Fatalf("accepted session token %q cannot be sent in X-Amz-Security-Token: %v", got.SessionToken, err)
			}
		}
	}
}
