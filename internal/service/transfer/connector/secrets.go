package connector

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
)

// Connector secrets.
//
// AWS keeps an SFTP connector's credentials in a Secrets Manager secret whose
// value is a JSON object with the keys Username (required), Password and
// PrivateKey (at least one of them), and names it by UserSecretId. Ersatz has
// no Secrets Manager: it reads the same objects from a local JSON file, named
// by Config.SecretsFile (the CLI's --secrets FILE, or $ERSATZ_SECRETS_FILE):
//
//	{
//	  "secrets": {
//	    "arn:aws:secretsmanager:us-east-1:111111111111:secret:aws/transfer/c-1234-AbCdEf": {
//	      "Username": "partner", "Password": "...", "PrivateKey": "-----BEGIN OPENSSH PRIVATE KEY-----\n..."
//	    },
//	    "partner-secret": {"Username": "partner", "Password": "..."}
//	  }
//	}
//
// A key is a secret's ARN or its name. A UserSecretId matches a key equal to
// it or naming the same secret: the name of a secret ARN is the part after
// "secret:" without the six-character suffix Secrets Manager appends
// ("-AbCdEf"), so an ARN finds a key holding the bare name and the other way
// round. The file is read at each use, so edits apply without a restart.

// SecretsFileEnv names the environment variable that names the secrets file
// when the CLI's --secrets FILE does not.
const SecretsFileEnv = "ERSATZ_SECRETS_FILE"

// Secret is the value of a connector's secret.
type Secret struct {
	Username   string `json:"Username"`
	Password   string `json:"Password"`
	PrivateKey string `json:"PrivateKey"`
}

type secretsFile struct {
	Secrets map[string]Secret `json:"secrets"`
}

// errSecret is a problem with a connector's secret (missing file, unknown
// id, malformed value): the operation fails with the message.
type errSecret struct{ msg string }

func (e *errSecret) Error() string { return e.msg }

// secretName returns the name of a secret given by ARN or name.
func secretName(id string) string {
	const marker = ":secret:"
	i := strings.Index(id, marker)
	if !strings.HasPrefix(id, "arn:") || i < 0 {
		return id
	}
	name := id[i+len(marker):]
	if j := strings.LastIndexByte(name, '-'); j > 0 && len(name)-j-1 == 6 {
		name = name[:j]
	}
	return name
}

// LookupSecret finds the secret id names in the secrets file path ("": no
// secrets file). The file is read at each call.
func LookupSecret(path, id string) (Secret, error) {
	if path == "" {
		return Secret{}, &errSecret{fmt.Sprintf(
			"secret %s cannot be read: Ersatz has no secrets file (start it with --secrets FILE or set %s)", id, SecretsFileEnv)}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return Secret{}, &errSecret{fmt.Sprintf("secret %s cannot be read: the secrets file %s does not exist", id, path)}
		}
		return Secret{}, &errSecret{fmt.Sprintf("secret %s cannot be read: %v", id, err)}
	}
	return findSecret(data, id, path)
}

// findSecret finds the secret id names in data, the content of the secrets
// file path, and checks its value.
func findSecret(data []byte, id, path string) (Secret, error) {
	var f secretsFile
	if err := json.Unmarshal(data, &f); err != nil {
		return Secret{}, &errSecret{fmt.Sprintf("secret %s cannot be read: the secrets file %s is not valid JSON: %v", id, path, err)}
	}
	sec, ok := f.Secrets[id]
	if !ok {
		want := secretName(id)
		for _, k := range slices.Sorted(maps.Keys(f.Secrets)) {
			if secretName(k) == want {
				sec, ok = f.Secrets[k], true
				break
			}
		}
	}
	if !ok {
		return Secret{}, &errSecret{fmt.Sprintf("secret %s was not found in the secrets file %s", id, path)}
	}
	if sec.Username == "" {
		return Secret{}, &errSecret{fmt.Sprintf("secret %s is not formatted correctly: it has no Username", id)}
	}
	if sec.Password == "" && sec.PrivateKey == "" {
		return Secret{}, &errSecret{fmt.Sprintf("secret %s is not formatted correctly: it has neither a Password nor a PrivateKey", id)}
	}
	return sec, nil
}
