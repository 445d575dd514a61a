package transfer

import "github.com/ersatz-dev/ersatz/internal/store"

// Secrets are the members of Transfer's resources that a state snapshot
// leaves out unless asked: the host keys' private halves (on the server
// record and on each host key) and the private keys of imported certificates.
// A server restored without its host key gets a new one when its SFTP
// listener starts (docs/dataplane.md).
func Secrets() []store.Secret {
	return []store.Secret{
		{Service: ServiceName, Kind: "server", Member: "hostKeyPem"},
		{Service: ServiceName, Kind: kindHostKey, Member: "privateKeyPem"},
		{Service: ServiceName, Kind: kindCertificate, Member: "privateKey"},
	}
}
