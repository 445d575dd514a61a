package connector

import (
	"errors"
	"testing"
)

// FuzzFindSecret reads arbitrary secrets files: a problem is always an
// *errSecret (the connector operation fails with its message); a secret
// found has a Username and a Password or a PrivateKey.
func FuzzFindSecret(f *testing.F) {
	f.Add([]byte(`{"secrets":{"arn:aws:secretsmanager:us-east-1:111111111111:secret:aws/transfer/c-1234-AbCdEf":{"Username":"partner","Password":"pw"},"partner-secret":{"Username":"p","PrivateKey":"k"}}}`),
		"aws/transfer/c-1234")
	f.Add([]byte(`{"secrets":{"partner-secret":{"Username":"p","PrivateKey":"k"}}}`), "arn:aws:secretsmanager:us-east-1:111111111111:secret:partner-secret-AbCdEf")
	f.Add([]byte(`{"secrets":{"s":{"Username":""}}}`), "s")
	f.Add([]byte(`{"secrets":{"s":{"Username":"u"}}}`), "s")
	f.Add([]byte(`{"secrets":null}`), "arn:")
	f.Add([]byte(`{"secrets":{"s":1}}`), "s")
	f.Add([]byte(`[`), "-")
	f.Fuzz(func(t *testing.T, data []byte, id string) {
		sec, err := findSecret(data, id, "secrets.json")
		if err != nil {
			var es *errSecret
			if !errors.As(err, &es) {
				t.Fatalf("failed with %T %v, not an *errSecret", err, err)
			}
			return
		}
		if sec.Username == "" || (sec.Password == "" && sec.PrivateKey == "") {
			t.Fatalf("found an incomplete secret %+v", sec)
		}
		_ = secretName(id)
	})
}
