package transfer

import (
	"context"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/transferapi"
	"github.com/ersatz-dev/ersatz/internal/ids"
	"github.com/ersatz-dev/ersatz/internal/store"
)

// MaxSSHKeysPerUser is AWS's quota of SSH public keys per service-managed user.
const MaxSSHKeysPerUser = 50

// sshKeyRecord is one SSH public key of a user.
type sshKeyRecord struct {
	ID           string    `json:"id"`
	Body         string    `json:"body"`
	Fingerprint  string    `json:"fingerprint"`
	DateImported time.Time `json:"dateImported"`
}

// acceptedKeyType reports whether Transfer Family accepts public keys of type
// t: "RSA, ECDSA, and ED25519 keys".
func acceptedKeyType(t string) bool {
	switch t {
	case ssh.KeyAlgoRSA, ssh.KeyAlgoED25519, ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521:
		return true
	}
	return false
}

// parseSSHPublicKey parses a public key in authorized_keys form
// ("<type> <base64> [comment]") and returns it with its SHA256 fingerprint.
func parseSSHPublicKey(body, field string) (sshKeyRecord, error) {
	trimmed := strings.TrimSpace(body)
	pub, _, options, rest, err := ssh.ParseAuthorizedKey([]byte(trimmed))
	if err != nil {
		return sshKeyRecord{}, invalid("%s is not a valid SSH public key: %v", field, err)
	}
	if len(options) > 0 || len(strings.TrimSpace(string(rest))) > 0 {
		return sshKeyRecord{}, invalid("%s must hold exactly one SSH public key, without options", field)
	}
	if !acceptedKeyType(pub.Type()) {
		return sshKeyRecord{}, invalid("%s is a %s key; Transfer Family accepts RSA, ECDSA and ED25519 keys", field, pub.Type())
	}
	return sshKeyRecord{Body: trimmed, Fingerprint: ssh.FingerprintSHA256(pub)}, nil
}

// newSSHKeyID returns a new SSH public key id: "key-" and 17 hex digits.
func newSSHKeyID() string { return ids.Hex17("key-") }

// addSSHKey appends k to the user's keys, refusing a duplicate and the
// fifty-first key.
func (u *userRecord) addSSHKey(k sshKeyRecord) error {
	for _, e := range u.SshPublicKeys {
		if e.Fingerprint == k.Fingerprint {
			return exists(fmt.Sprintf("Public key already exists for user %s (fingerprint %s)", u.UserName, k.Fingerprint),
				e.ID, rtPublicKey)
		}
	}
	if len(u.SshPublicKeys) >= MaxSSHKeysPerUser {
		return invalid("User %s already has %d SSH public keys, the maximum per user", u.UserName, MaxSSHKeysPerUser)
	}
	u.SshPublicKeys = append(u.SshPublicKeys, k)
	return nil
}

// ImportSshPublicKey adds an SSH public key to a service-managed user.
func (s *Service) ImportSshPublicKey(ctx context.Context, in *transferapi.ImportSshPublicKeyRequest) (*transferapi.ImportSshPublicKeyResponse, error) {
	k, err := parseSSHPublicKey(*in.SshPublicKeyBody, "SshPublicKeyBody")
	if err != nil {
		return nil, err
	}
	k.ID = newSSHKeyID()
	k.DateImported = s.clock()
	sc := s.kit.Scope(ctx)
	err = s.store.Update(ctx, func(tx store.Tx) error {
		srv, u, err := getUser(tx, sc, *in.ServerId, *in.UserName)
		if err != nil {
			return err
		}
		if srv.IdentityProviderType != transferapi.IdentityProviderTypeServiceManaged {
			return invalid("SSH public keys can only be imported for users of SERVICE_MANAGED servers; server %s uses %s",
				srv.ServerID, srv.IdentityProviderType)
		}
		if err := u.addSSHKey(k); err != nil {
			return err
		}
		return putUser(tx, sc, &u)
	})
	if err != nil {
		return nil, s.kit.Err("ImportSshPublicKey", err)
	}
	return &transferapi.ImportSshPublicKeyResponse{
		ServerId: in.ServerId, SshPublicKeyId: api.Ptr(k.ID), UserName: in.UserName,
	}, nil
}

// DeleteSshPublicKey removes one SSH public key from a user.
func (s *Service) DeleteSshPublicKey(ctx context.Context, in *transferapi.DeleteSshPublicKeyRequest) error {
	sc := s.kit.Scope(ctx)
	err := s.store.Update(ctx, func(tx store.Tx) error {
		u, err := getUserOf(tx, sc, *in.ServerId, *in.UserName)
		if err != nil {
			return err
		}
		for i, k := range u.SshPublicKeys {
			if k.ID == *in.SshPublicKeyId {
				u.SshPublicKeys = append(u.SshPublicKeys[:i:i], u.SshPublicKeys[i+1:]...)
				return putUser(tx, sc, &u)
			}
		}
		return notFound("Unknown public key", *in.SshPublicKeyId, rtPublicKey)
	})
	return s.kit.Err("DeleteSshPublicKey", err)
}
