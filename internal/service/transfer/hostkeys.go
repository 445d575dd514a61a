package transfer

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"errors"
	"fmt"
	"sort"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/transferapi"
	"github.com/ersatz-dev/ersatz/internal/ids"
	"github.com/ersatz-dev/ersatz/internal/service/svc"
	"github.com/ersatz-dev/ersatz/internal/store"
)

const kindHostKey = "hostkey"

// minRSABits is the smallest RSA host key accepted ("Use a minimum value of
// 2048 for the -b option", CreateServer HostKey).
const minRSABits = 2048

// hostKeyRecord is one host key of a server, private key included (the SFTP
// data plane serves it).
type hostKeyRecord struct {
	HostKeyID     string    `json:"hostKeyId"`
	ServerID      string    `json:"serverId"`
	Arn           string    `json:"arn"`
	Fingerprint   string    `json:"fingerprint"`
	Type          string    `json:"type"`
	Description   *string   `json:"description,omitempty"`
	DateImported  time.Time `json:"dateImported"`
	PrivateKeyPEM string    `json:"privateKeyPem"`
}

// parsedHostKey is a private key that was checked and fingerprinted.
type parsedHostKey struct {
	PEM         string
	Type        string // the SSH public key type, e.g. "ssh-ed25519"
	Fingerprint string // "SHA256:" + unpadded base64, as ssh-keygen -l prints
}

// parseHostKey parses an RSA (>= 2048 bits), ECDSA or ED25519 private key in
// PEM (PKCS#1, SEC 1, PKCS#8 or OpenSSH) without a passphrase.
func parseHostKey(body, field string) (parsedHostKey, error) {
	raw, err := ssh.ParseRawPrivateKey([]byte(body))
	if err != nil {
		var pm *ssh.PassphraseMissingError
		if errors.As(err, &pm) {
			return parsedHostKey{}, invalid("%s is protected by a passphrase; provide a private key without a passphrase", field)
		}
		return parsedHostKey{}, invalid("%s is not a valid RSA, ECDSA or ED25519 private key: %v", field, err)
	}
	switch k := raw.(type) {
	case *rsa.PrivateKey:
		if bits := k.N.BitLen(); bits < minRSABits {
			return parsedHostKey{}, invalid("%s is a %d-bit RSA key; RSA host keys must have at least %d bits", field, bits, minRSABits)
		}
	case *ecdsa.PrivateKey, ed25519.PrivateKey, *ed25519.PrivateKey:
	default:
		return parsedHostKey{}, invalid("%s is a %T key; only RSA, ECDSA and ED25519 host keys are supported", field, raw)
	}
	signer, err := ssh.NewSignerFromKey(raw)
	if err != nil {
		return parsedHostKey{}, invalid("%s cannot be used as an SSH host key: %v", field, err)
	}
	pub := signer.PublicKey()
	return parsedHostKey{PEM: body, Type: pub.Type(), Fingerprint: ssh.FingerprintSHA256(pub)}, nil
}

// generateHostKey makes a new ED25519 host key, as CreateServer does when no
// HostKey is given.
func generateHostKey() (parsedHostKey, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return parsedHostKey{}, fmt.Errorf("transfer: generate host key: %w", err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		return parsedHostKey{}, fmt.Errorf("transfer: encode host key: %w", err)
	}
	return parseHostKey(string(pem.EncodeToMemory(block)), "HostKey")
}

func (s *Service) newHostKeyRecord(ctx context.Context, serverID, hostKeyID string, hk parsedHostKey, desc *string, now time.Time) hostKeyRecord {
	return hostKeyRecord{
		HostKeyID: hostKeyID, ServerID: serverID,
		Arn:         s.kit.ARN(ctx, "host-key/"+serverID+"/"+hostKeyID),
		Fingerprint: hk.Fingerprint, Type: hk.Type, Description: desc,
		DateImported: now, PrivateKeyPEM: hk.PEM,
	}
}

// listHostKeys reads every host key of a server.
func listHostKeys(tx store.Tx, key store.Key) ([]hostKeyRecord, error) {
	recs, _, err := store.ListJSON[hostKeyRecord](tx,
		store.Collection{Scope: key.Scope, Parent: key.Path(), Kind: kindHostKey}, store.Page{})
	if err != nil {
		return nil, err
	}
	return recs, nil
}

// checkDuplicateHostKey refuses a key a server already has.
func checkDuplicateHostKey(existing []hostKeyRecord, hk parsedHostKey, exceptID string) error {
	for _, r := range existing {
		if r.Fingerprint == hk.Fingerprint && r.HostKeyID != exceptID {
			return exists(fmt.Sprintf("Host key with fingerprint %s already exists on server %s", hk.Fingerprint, r.ServerID),
				r.HostKeyID, rtHostKey)
		}
	}
	return nil
}

// replacePrimaryHostKey makes hk the server's primary host key (UpdateServer
// HostKey): the previous primary key is removed, the new one recorded as a
// host key of the server.
func (s *Service) replacePrimaryHostKey(ctx context.Context, tx store.Tx, key store.Key, rec *serverRecord, newID string, hk parsedHostKey, now time.Time) error {
	existing, err := listHostKeys(tx, key)
	if err != nil {
		return err
	}
	if err := checkDuplicateHostKey(existing, hk, rec.HostKeyID); err != nil {
		return err
	}
	if rec.HostKeyID != "" {
		if err := svc.DeleteIfExists(tx, key.Child(kindHostKey, rec.HostKeyID)); err != nil {
			return err
		}
	}
	r := s.newHostKeyRecord(ctx, rec.ServerID, newID, hk, nil, now)
	if err := store.PutJSON(tx, key.Child(kindHostKey, newID), r); err != nil {
		return err
	}
	rec.HostKeyID, rec.HostKeyFingerprint, rec.HostKeyPEM = newID, hk.Fingerprint, hk.PEM
	return nil
}

func hostKeyNotFound(id string) error { return notFound("Unknown host key", id, rtHostKey) }

// getHostKey reads one host key of an existing server.
func getHostKey(tx store.Tx, sc store.Scope, serverID, hostKeyID string) (serverRecord, hostKeyRecord, error) {
	srv, err := getServer(tx, sc, serverID)
	if err != nil {
		return srv, hostKeyRecord{}, err
	}
	hk, err := getRecord[hostKeyRecord](tx, serverKey(sc, serverID).Child(kindHostKey, hostKeyID), hostKeyNotFound)
	return srv, hk, err
}

// ImportHostKey adds a host key to a server.
func (s *Service) ImportHostKey(ctx context.Context, in *transferapi.ImportHostKeyRequest) (*transferapi.ImportHostKeyResponse, error) {
	hk, err := parseHostKey(*in.HostKeyBody, "HostKeyBody")
	if err != nil {
		return nil, err
	}
	tags, err := checkNewTags(in.Tags)
	if err != nil {
		return nil, err
	}
	sc := s.kit.Scope(ctx)
	id := ids.Hex17("hostkey-")
	now := s.clock()
	err = s.store.Update(ctx, func(tx store.Tx) error {
		srv, err := getServer(tx, sc, *in.ServerId)
		if err != nil {
			return err
		}
		key := serverKey(sc, srv.ServerID)
		existing, err := listHostKeys(tx, key)
		if err != nil {
			return err
		}
		if err := checkDuplicateHostKey(existing, hk, ""); err != nil {
			return err
		}
		r := s.newHostKeyRecord(ctx, srv.ServerID, id, hk, in.Description, now)
		hkKey := key.Child(kindHostKey, id)
		if err := store.PutJSON(tx, hkKey, r); err != nil {
			return err
		}
		return putTags(tx, hkKey, tags)
	})
	if err != nil {
		return nil, s.kit.Err("ImportHostKey", err)
	}
	return &transferapi.ImportHostKeyResponse{ServerId: in.ServerId, HostKeyId: api.Ptr(id)}, nil
}

// DescribeHostKey returns one host key with its tags (never its private key).
func (s *Service) DescribeHostKey(ctx context.Context, in *transferapi.DescribeHostKeyRequest) (*transferapi.DescribeHostKeyResponse, error) {
	sc := s.kit.Scope(ctx)
	out, err := describe(ctx, s.store,
		func(tx store.Tx) (hostKeyRecord, error) {
			_, hk, err := getHostKey(tx, sc, *in.ServerId, *in.HostKeyId)
			return hk, err
		},
		func(hk *hostKeyRecord) store.Key { return serverKey(sc, hk.ServerID).Child(kindHostKey, hk.HostKeyID) },
		func(hk *hostKeyRecord, tags []transferapi.Tag) *transferapi.DescribedHostKey {
			return &transferapi.DescribedHostKey{
				Arn: api.Ptr(hk.Arn), HostKeyId: api.Ptr(hk.HostKeyID), HostKeyFingerprint: api.Ptr(hk.Fingerprint),
				Description: hk.Description, Type: api.Ptr(hk.Type), DateImported: api.Epoch(hk.DateImported), Tags: tags,
			}
		})
	if err != nil {
		return nil, s.kit.Err("DescribeHostKey", err)
	}
	return &transferapi.DescribeHostKeyResponse{HostKey: out}, nil
}

// ListHostKeys pages through a server's host keys in ascending order of id.
func (s *Service) ListHostKeys(ctx context.Context, in *transferapi.ListHostKeysRequest) (*transferapi.ListHostKeysResponse, error) {
	sc := s.kit.Scope(ctx)
	items, next, err := listPage(ctx, s, underServer(sc, *in.ServerId, kindHostKey), in.NextToken, in.MaxResults, nil,
		func(hk *hostKeyRecord) transferapi.ListedHostKey {
			return transferapi.ListedHostKey{
				Arn: api.Ptr(hk.Arn), HostKeyId: api.Ptr(hk.HostKeyID), Fingerprint: api.Ptr(hk.Fingerprint),
				Description: hk.Description, Type: api.Ptr(hk.Type), DateImported: api.Epoch(hk.DateImported),
			}
		})
	if err != nil {
		return nil, s.kit.Err("ListHostKeys", err)
	}
	return &transferapi.ListHostKeysResponse{ServerId: in.ServerId, HostKeys: items, NextToken: next}, nil
}

// UpdateHostKey changes a host key's description.
func (s *Service) UpdateHostKey(ctx context.Context, in *transferapi.UpdateHostKeyRequest) (*transferapi.UpdateHostKeyResponse, error) {
	sc := s.kit.Scope(ctx)
	err := s.store.Update(ctx, func(tx store.Tx) error {
		_, hk, err := getHostKey(tx, sc, *in.ServerId, *in.HostKeyId)
		if err != nil {
			return err
		}
		hk.Description = in.Description
		return store.PutJSON(tx, serverKey(sc, hk.ServerID).Child(kindHostKey, hk.HostKeyID), hk)
	})
	if err != nil {
		return nil, s.kit.Err("UpdateHostKey", err)
	}
	return &transferapi.UpdateHostKeyResponse{ServerId: in.ServerId, HostKeyId: in.HostKeyId}, nil
}

// DeleteHostKey deletes a host key. A server keeps at least one host key:
// deleting its only key is refused; deleting its primary key (the one
// DescribeServer fingerprints) promotes the oldest remaining key.
func (s *Service) DeleteHostKey(ctx context.Context, in *transferapi.DeleteHostKeyRequest) error {
	sc := s.kit.Scope(ctx)
	err := s.store.Update(ctx, func(tx store.Tx) error {
		srv, hk, err := getHostKey(tx, sc, *in.ServerId, *in.HostKeyId)
		if err != nil {
			return err
		}
		key := serverKey(sc, srv.ServerID)
		if hk.HostKeyID == srv.HostKeyID {
			all, err := listHostKeys(tx, key)
			if err != nil {
				return err
			}
			rest := make([]hostKeyRecord, 0, len(all))
			for _, r := range all {
				if r.HostKeyID != hk.HostKeyID {
					rest = append(rest, r)
				}
			}
			if len(rest) == 0 {
				return invalid("Host key %s is the only host key of server %s and cannot be deleted", hk.HostKeyID, srv.ServerID)
			}
			sort.SliceStable(rest, func(i, j int) bool {
				if !rest[i].DateImported.Equal(rest[j].DateImported) {
					return rest[i].DateImported.Before(rest[j].DateImported)
				}
				return rest[i].HostKeyID < rest[j].HostKeyID
			})
			srv.HostKeyID, srv.HostKeyFingerprint, srv.HostKeyPEM = rest[0].HostKeyID, rest[0].Fingerprint, rest[0].PrivateKeyPEM
			if err := store.PutJSON(tx, key, srv); err != nil {
				return err
			}
		}
		return tx.Delete(key.Child(kindHostKey, hk.HostKeyID))
	})
	return s.kit.Err("DeleteHostKey", err)
}
