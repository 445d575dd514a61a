// Package auth decides who sent a request: the credentials file that maps
// access keys to secrets, accounts and users, and the gateway.Authenticator
// implementations that verify AWS Signature Version 4 (--auth sigv4) or trust
// the credential scope (--auth off).
package auth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"unicode"
)

// DefaultAccount is the account of an access key that names none and is not
// itself 12 digits.
const DefaultAccount = "000000000000"

var accountPattern = regexp.MustCompile(`^[0-9]{12}$`)

// Credential is one access key of the credentials file.
type Credential struct {
	AccessKeyID     string `json:"accessKeyId"`
	SecretAccessKey string `json:"secretAccessKey"`
	// AccountID is the account the key acts in; when the file names none, the
	// key itself when it is 12 digits, else DefaultAccount.
	AccountID string `json:"accountId,omitempty"`
	// SessionToken, when set, must be sent as X-Amz-Security-Token.
	SessionToken string `json:"sessionToken,omitempty"`
	// UserID and Email name the Amazon Q Apps user of the key.
	UserID string `json:"userId,omitempty"`
	Email  string `json:"email,omitempty"`
	// Admin lets the key call Ersatz's own endpoints (/_ersatz/...) under
	// --auth sigv4, signing with the credential scope's service "ersatz".
	Admin bool `json:"admin,omitempty"`
}

// Credentials are the keys of a credentials file, by access key id.
type Credentials struct {
	path  string
	byKey map[string]Credential
	keys  []string // in file order
}

// File is the credentials file format:
//
//	{"credentials": [{"accessKeyId": "...", "secretAccessKey": "...", "accountId": "111111111111",
//	                  "sessionToken": "...", "userId": "...", "email": "...", "admin": true}]}
type File struct {
	Credentials []Credential `json:"credentials"`
}

// Load reads and checks a credentials file. Every error names the file and
// the problem.
func Load(path string) (*Credentials, error) {
	if path == "" {
		return nil, errors.New("credentials file: no path given")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("credentials file %s: %w", path, err)
	}
	c, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("credentials file %s: %w", path, err)
	}
	c.path = path
	return c, nil
}

// Parse reads the JSON of a credentials file.
func Parse(data []byte) (*Credentials, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f File
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf(`not a JSON object of the form {"credentials": [{"accessKeyId": ..., "secretAccessKey": ...}]}: %w`, err)
	}
	if dec.More() {
		return nil, errors.New("unexpected data after the JSON object")
	}
	if len(f.Credentials) == 0 {
		return nil, errors.New(`"credentials" lists no credential`)
	}
	return New(f.Credentials...)
}

// New checks creds and indexes them by access key id.
func New(creds ...Credential) (*Credentials, error) {
	c := &Credentials{byKey: map[string]Credential{}}
	for i, cr := range creds {
		where := fmt.Sprintf("credential %d", i+1)
		if cr.AccessKeyID != "" {
			where = fmt.Sprintf("credential %d (accessKeyId %q)", i+1, cr.AccessKeyID)
		}
		switch {
		case cr.AccessKeyID == "":
			return nil, fmt.Errorf("%s: accessKeyId is missing", where)
		case strings.ContainsAny(cr.AccessKeyID, "/ \t\r\n,="):
			return nil, fmt.Errorf("%s: accessKeyId must not contain '/', ',', '=' or spaces", where)
		case strings.ContainsFunc(cr.AccessKeyID, unicode.IsControl):
			return nil, fmt.Errorf("%s: accessKeyId must not contain control characters (it could not be sent in a header)", where)
		case strings.ContainsFunc(cr.SessionToken, unicode.IsControl) || strings.TrimSpace(cr.SessionToken) != cr.SessionToken:
			return nil, fmt.Errorf("%s: sessionToken must not contain control characters or begin or end with spaces "+
				"(it could not be sent in the X-Amz-Security-Token header)", where)
		case cr.SecretAccessKey == "":
			return nil, fmt.Errorf("%s: secretAccessKey is missing", where)
		case cr.AccountID != "" && !accountPattern.MatchString(cr.AccountID):
			return nil, fmt.Errorf("%s: accountId %q is not 12 digits", where, cr.AccountID)
		}
		if _, dup := c.byKey[cr.AccessKeyID]; dup {
			return nil, fmt.Errorf("%s: duplicate accessKeyId %q", where, cr.AccessKeyID)
		}
		if cr.AccountID == "" {
			cr.AccountID = AccountOf(cr.AccessKeyID)
		}
		c.byKey[cr.AccessKeyID] = cr
		c.keys = append(c.keys, cr.AccessKeyID)
	}
	return c, nil
}

// AccountOf is the account of an access key the file does not name an
// account for: the key itself when it is 12 digits, DefaultAccount otherwise.
func AccountOf(accessKeyID string) string {
	if accountPattern.MatchString(accessKeyID) {
		return accessKeyID
	}
	return DefaultAccount
}

// Lookup finds a credential by access key id.
func (c *Credentials) Lookup(accessKeyID string) (Credential, bool) {
	if c == nil {
		return Credential{}, false
	}
	cr, ok := c.byKey[accessKeyID]
	return cr, ok
}

// All returns the credentials in file order.
func (c *Credentials) All() []Credential {
	if c == nil {
		return nil
	}
	out := make([]Credential, 0, len(c.keys))
	for _, k := range c.keys {
		out = append(out, c.byKey[k])
	}
	return out
}

// Len is the number of credentials.
func (c *Credentials) Len() int {
	if c == nil {
		return 0
	}
	return len(c.keys)
}

// Path is the file the credentials were loaded from ("" when built in memory).
func (c *Credentials) Path() string {
	if c == nil {
		return ""
	}
	return c.path
}
