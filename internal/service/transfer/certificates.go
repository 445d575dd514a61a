package transfer

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"strings"
	"time"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/transferapi"
	"github.com/ersatz-dev/ersatz/internal/ids"
	"github.com/ersatz-dev/ersatz/internal/service/svc"
	"github.com/ersatz-dev/ersatz/internal/store"
)

const (
	kindCertificate       = "certificate"
	rtCertificate         = "Certificate"
	msgUnknownCertificate = "Unknown certificate"
)

// certRecord is an imported certificate. The private key is kept (AS2
// signing and decryption would need it) but never returned.
type certRecord struct {
	CertificateID    string     `json:"certificateId"`
	Arn              string     `json:"arn"`
	Usage            string     `json:"usage"`
	Certificate      string     `json:"certificate"`
	CertificateChain string     `json:"certificateChain,omitempty"`
	PrivateKey       string     `json:"privateKey,omitempty"`
	ActiveDate       *time.Time `json:"activeDate,omitempty"`   // as set; NotBefore when nil
	InactiveDate     *time.Time `json:"inactiveDate,omitempty"` // as set; NotAfter when nil
	NotBefore        time.Time  `json:"notBefore"`
	NotAfter         time.Time  `json:"notAfter"`
	Serial           string     `json:"serial"`
	Type             string     `json:"type"`
	Description      string     `json:"description,omitempty"`
	ImportedAt       time.Time  `json:"importedAt"`
}

func certKey(sc store.Scope, id string) store.Key {
	return store.Key{Scope: sc, Kind: kindCertificate, ID: id}
}

func certNotFound(id string) error { return notFound(msgUnknownCertificate, id, rtCertificate) }

func getCert(tx store.Tx, sc store.Scope, id string) (certRecord, error) {
	return getRecord[certRecord](tx, certKey(sc, id), certNotFound)
}

// activeFrom and activeUntil are the dates that decide the status: the
// ActiveDate and InactiveDate when set, else the certificate's validity.
func (r *certRecord) activeFrom() time.Time {
	if r.ActiveDate != nil {
		return *r.ActiveDate
	}
	return r.NotBefore
}

func (r *certRecord) activeUntil() time.Time {
	if r.InactiveDate != nil {
		return *r.InactiveDate
	}
	return r.NotAfter
}

// statusAt is PENDING_ROTATION before the certificate becomes active, ACTIVE
// from ActiveDate (inclusive) to InactiveDate (exclusive), INACTIVE after.
func (r *certRecord) statusAt(now time.Time) string {
	switch {
	case now.Before(r.activeFrom()):
		return transferapi.CertificateStatusTypePendingRotation
	case now.Before(r.activeUntil()):
		return transferapi.CertificateStatusTypeActive
	default:
		return transferapi.CertificateStatusTypeInactive
	}
}

// parsedCert is what ImportCertificate learns from the PEM it is given.
type parsedCert struct {
	leaf     *x509.Certificate
	leafPEM  string
	chainPEM string
	keyPEM   string
	certType string
}

// pemBlocks splits a PEM body into its blocks, refusing a body that has no
// block, text between or after blocks, or blocks of another type than want.
func pemBlocks(body, field, want string) ([]*pem.Block, error) {
	rest := []byte(body)
	var out []*pem.Block
	for {
		rest = bytes.TrimSpace(rest)
		if len(rest) == 0 {
			break
		}
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			return nil, invalid("%s is not valid PEM: expected a -----BEGIN %s----- block", field, want)
		}
		if b.Type != want {
			return nil, invalid("%s holds a PEM block of type %q; expected %q", field, b.Type, want)
		}
		out = append(out, b)
	}
	if len(out) == 0 {
		return nil, invalid("%s is not valid PEM: no -----BEGIN %s----- block", field, want)
	}
	return out, nil
}

func parseCertBlocks(blocks []*pem.Block, field string) ([]*x509.Certificate, error) {
	out := make([]*x509.Certificate, 0, len(blocks))
	for i, b := range blocks {
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, invalid("%s: certificate %d is not a valid X.509 certificate: %v", field, i+1, err)
		}
		out = append(out, c)
	}
	return out, nil
}

// parseImport checks the Certificate, CertificateChain and PrivateKey of an
// ImportCertificate with crypto/x509 and crypto/tls.
func parseImport(in *transferapi.ImportCertificateRequest) (parsedCert, error) {
	var p parsedCert
	blocks, err := pemBlocks(*in.Certificate, "Certificate", "CERTIFICATE")
	if err != nil {
		return p, err
	}
	certs, err := parseCertBlocks(blocks, "Certificate")
	if err != nil {
		return p, err
	}
	p.leaf = certs[0]
	p.leafPEM = string(pem.EncodeToMemory(blocks[0]))
	var chain []*pem.Block
	if len(blocks) > 1 {
		if in.CertificateChain != nil {
			return p, invalid("Certificate already holds the certificate's chain; do not also give CertificateChain")
		}
		chain = blocks[1:]
	}
	if in.CertificateChain != nil {
		cb, err := pemBlocks(*in.CertificateChain, "CertificateChain", "CERTIFICATE")
		if err != nil {
			return p, err
		}
		if _, err := parseCertBlocks(cb, "CertificateChain"); err != nil {
			return p, err
		}
		chain = cb
	}
	for _, b := range chain {
		p.chainPEM += string(pem.EncodeToMemory(b))
	}
	p.certType = transferapi.CertificateTypeCertificate
	if in.PrivateKey != nil {
		kb, rest := pem.Decode([]byte(*in.PrivateKey))
		if kb == nil || len(bytes.TrimSpace(rest)) > 0 {
			return p, invalid("PrivateKey is not valid PEM: expected exactly one private key block")
		}
		if strings.Contains(kb.Headers["Proc-Type"], "ENCRYPTED") {
			return p, invalid("PrivateKey is encrypted; provide the private key without a passphrase")
		}
		if kb.Type == "ENCRYPTED PRIVATE KEY" {
			return p, invalid("PrivateKey is an encrypted PKCS #8 key; provide the private key without a passphrase")
		}
		if _, err := tls.X509KeyPair([]byte(p.leafPEM), pem.EncodeToMemory(kb)); err != nil {
			return p, invalid("PrivateKey does not fit Certificate: %v", err)
		}
		p.keyPEM = string(pem.EncodeToMemory(kb))
		p.certType = transferapi.CertificateTypeCertificateWithPrivateKey
	}
	return p, nil
}

// checkCertDates refuses an InactiveDate that is not after the ActiveDate.
func checkCertDates(active, inactive time.Time) error {
	if !inactive.After(active) {
		return invalid("InactiveDate (%s) must be after ActiveDate (%s)",
			inactive.UTC().Format(time.RFC3339), active.UTC().Format(time.RFC3339))
	}
	return nil
}

func epochPtr(t *api.EpochSeconds) *time.Time {
	if t == nil {
		return nil
	}
	v := t.UTC().Truncate(time.Millisecond)
	return &v
}

// ImportCertificate parses the certificate (and its chain and private key)
// and stores it. NotBeforeDate, NotAfterDate, Serial and Type come from the
// certificate; ActiveDate and InactiveDate default to its validity.
func (s *Service) ImportCertificate(ctx context.Context, in *transferapi.ImportCertificateRequest) (*transferapi.ImportCertificateResponse, error) {
	p, err := parseImport(in)
	if err != nil {
		return nil, err
	}
	tags, err := checkNewTags(in.Tags)
	if err != nil {
		return nil, err
	}
	rec := certRecord{
		CertificateID:    ids.Hex17("cert-"),
		Usage:            *in.Usage,
		Certificate:      p.leafPEM,
		CertificateChain: p.chainPEM,
		PrivateKey:       p.keyPEM,
		ActiveDate:       epochPtr(in.ActiveDate),
		InactiveDate:     epochPtr(in.InactiveDate),
		NotBefore:        p.leaf.NotBefore.UTC(),
		NotAfter:         p.leaf.NotAfter.UTC(),
		Serial:           hex.EncodeToString(p.leaf.SerialNumber.Bytes()),
		Type:             p.certType,
		Description:      api.Val(in.Description),
		ImportedAt:       s.clock(),
	}
	if err := checkCertDates(rec.activeFrom(), rec.activeUntil()); err != nil {
		return nil, err
	}
	rec.Arn = s.kit.ARN(ctx, "certificate/"+rec.CertificateID)
	key := certKey(s.kit.Scope(ctx), rec.CertificateID)
	err = s.create(ctx, key, &rec, tags, nil)
	if err != nil {
		return nil, s.kit.Err("ImportCertificate", err)
	}
	return &transferapi.ImportCertificateResponse{CertificateId: api.Ptr(rec.CertificateID)}, nil
}

func epoch(t time.Time) *api.EpochSeconds { return &api.EpochSeconds{Time: t} }

// DescribeCertificate returns the certificate, its chain (never the private
// key), its dates, derived status and tags.
func (s *Service) DescribeCertificate(ctx context.Context, in *transferapi.DescribeCertificateRequest) (*transferapi.DescribeCertificateResponse, error) {
	sc := s.kit.Scope(ctx)
	out, err := describe(ctx, s.store,
		func(tx store.Tx) (certRecord, error) { return getCert(tx, sc, *in.CertificateId) },
		func(rec *certRecord) store.Key { return certKey(sc, rec.CertificateID) },
		func(rec *certRecord, tags []transferapi.Tag) *transferapi.DescribedCertificate {
			return &transferapi.DescribedCertificate{
				Arn: api.Ptr(rec.Arn), CertificateId: api.Ptr(rec.CertificateID), Usage: api.Ptr(rec.Usage),
				Status: api.Ptr(rec.statusAt(s.clock())), Certificate: api.Ptr(rec.Certificate),
				CertificateChain: svc.PtrIf(rec.CertificateChain),
				ActiveDate:       epoch(rec.activeFrom()), InactiveDate: epoch(rec.activeUntil()),
				Serial: api.Ptr(rec.Serial), NotBeforeDate: epoch(rec.NotBefore), NotAfterDate: epoch(rec.NotAfter),
				Type: api.Ptr(rec.Type), Description: svc.PtrIf(rec.Description), Tags: tags,
			}
		})
	if err != nil {
		return nil, s.kit.Err("DescribeCertificate", err)
	}
	return &transferapi.DescribeCertificateResponse{Certificate: out}, nil
}

// ListCertificates pages through the certificates in ascending order of id.
func (s *Service) ListCertificates(ctx context.Context, in *transferapi.ListCertificatesRequest) (*transferapi.ListCertificatesResponse, error) {
	sc := s.kit.Scope(ctx)
	now := s.clock()
	items, next, err := listPage(ctx, s, inScope(store.Collection{Scope: sc, Kind: kindCertificate}), in.NextToken, in.MaxResults, []transferapi.ListedCertificate{},
		func(r *certRecord) transferapi.ListedCertificate {
			return transferapi.ListedCertificate{
				Arn: api.Ptr(r.Arn), CertificateId: api.Ptr(r.CertificateID), Usage: api.Ptr(r.Usage),
				Status: api.Ptr(r.statusAt(now)), ActiveDate: epoch(r.activeFrom()), InactiveDate: epoch(r.activeUntil()),
				Type: api.Ptr(r.Type), Description: svc.PtrIf(r.Description),
			}
		})
	if err != nil {
		return nil, s.kit.Err("ListCertificates", err)
	}
	return &transferapi.ListCertificatesResponse{Certificates: items, NextToken: next}, nil
}

// UpdateCertificate changes the ActiveDate, InactiveDate and Description; the
// dates must stay in order (a rejected update changes nothing).
func (s *Service) UpdateCertificate(ctx context.Context, in *transferapi.UpdateCertificateRequest) (*transferapi.UpdateCertificateResponse, error) {
	sc := s.kit.Scope(ctx)
	err := s.store.Update(ctx, func(tx store.Tx) error {
		rec, err := getCert(tx, sc, *in.CertificateId)
		if err != nil {
			return err
		}
		if in.ActiveDate != nil {
			rec.ActiveDate = epochPtr(in.ActiveDate)
		}
		if in.InactiveDate != nil {
			rec.InactiveDate = epochPtr(in.InactiveDate)
		}
		if in.Description != nil {
			rec.Description = *in.Description
		}
		if err := checkCertDates(rec.activeFrom(), rec.activeUntil()); err != nil {
			return err
		}
		return store.PutJSON(tx, certKey(sc, rec.CertificateID), rec)
	})
	if err != nil {
		return nil, s.kit.Err("UpdateCertificate", err)
	}
	return &transferapi.UpdateCertificateResponse{CertificateId: in.CertificateId}, nil
}

// DeleteCertificate deletes a certificate no profile uses: a certificate
// still named by a profile's CertificateIds is refused, so that no profile
// is left pointing at nothing (AWS documents no rule; this one is Ersatz's).
func (s *Service) DeleteCertificate(ctx context.Context, in *transferapi.DeleteCertificateRequest) error {
	sc := s.kit.Scope(ctx)
	err := s.store.Update(ctx, func(tx store.Tx) error {
		if _, err := getCert(tx, sc, *in.CertificateId); err != nil {
			return err
		}
		profiles, _, err := store.ListJSON[profileRecord](tx, store.Collection{Scope: sc, Kind: kindProfile}, store.Page{})
		if err != nil {
			return err
		}
		for _, p := range profiles {
			for _, id := range p.CertificateIDs {
				if id == *in.CertificateId {
					return invalid("Certificate %s is still in use by profile %s", id, p.ProfileID)
				}
			}
		}
		return tx.Delete(certKey(sc, *in.CertificateId))
	})
	return s.kit.Err("DeleteCertificate", err)
}
