package transfer

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/transferapi"
)

// isInvalidRequest reports whether err is the 400 InvalidRequestException.
func isInvalidRequest(err error) bool {
	var ire *transferapi.InvalidRequestException
	return errors.As(err, &ire)
}

// fuzzKeys are keys of every accepted type, as private key PEM and public
// authorized_keys lines.
func fuzzKeys(f *testing.F) (privPEM, pubLines []string) {
	f.Helper()
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rs, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		f.Fatal(err)
	}
	for _, k := range []any{ed, ec, rs} {
		block, err := ssh.MarshalPrivateKey(k, "")
		if err != nil {
			f.Fatal(err)
		}
		privPEM = append(privPEM, string(pem.EncodeToMemory(block)))
		signer, err := ssh.NewSignerFromKey(k)
		if err != nil {
			f.Fatal(err)
		}
		pubLines = append(pubLines, strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey()))))
	}
	ecDER, _ := x509.MarshalECPrivateKey(ec)
	privPEM = append(privPEM,
		string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: ecDER})),
		string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rs)})))
	return privPEM, pubLines
}

// FuzzParseSSHPublicKey: a key ImportSshPublicKey accepts re-marshals to the
// same fingerprint and is of an accepted type; a refused one is a 400.
func FuzzParseSSHPublicKey(f *testing.F) {
	_, pubs := fuzzKeys(f)
	for _, p := range pubs {
		f.Add(p + " user@host")
		f.Add(`command="ls" ` + p)
		f.Add(p + "\n" + p)
	}
	f.Add("ssh-ed25519 !!!!")
	f.Add("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGl0")
	f.Add("ssh-dss AAAAB3NzaC1kc3MAAACBAP")
	f.Add("")
	f.Fuzz(func(t *testing.T, body string) {
		k, err := parseSSHPublicKey(body, "SshPublicKeyBody")
		if err != nil {
			if !isInvalidRequest(err) {
				t.Fatalf("refused with %T %v, not a 400 InvalidRequestException", err, err)
			}
			return
		}
		pub, _, _, _, err := ssh.ParseAuthorizedKey([]byte(k.Body))
		if err != nil {
			t.Fatalf("the stored body %q does not parse again: %v", k.Body, err)
		}
		if !acceptedKeyType(pub.Type()) || ssh.FingerprintSHA256(pub) != k.Fingerprint {
			t.Fatalf("body %q: type %s fingerprint %s, recorded %s", k.Body, pub.Type(), ssh.FingerprintSHA256(pub), k.Fingerprint)
		}
		again, err := parseSSHPublicKey(string(ssh.MarshalAuthorizedKey(pub)), "SshPublicKeyBody")
		if err != nil || again.Fingerprint != k.Fingerprint {
			t.Fatalf("re-marshalled key: %+v, %v; want fingerprint %s", again, err, k.Fingerprint)
		}
	})
}

// FuzzParseHostKey: a host key ImportHostKey/CreateServer accepts is usable
// by the SFTP data plane (ssh.ParsePrivateKey) with the recorded type and
// fingerprint; a refused one is a 400.
func FuzzParseHostKey(f *testing.F) {
	privs, pubs := fuzzKeys(f)
	for _, p := range privs {
		f.Add(p)
		f.Add(p[:len(p)/2])
	}
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	f.Add(string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(small)})))
	f.Add(pubs[0])
	f.Add("-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n")
	f.Add("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n")
	f.Fuzz(func(t *testing.T, body string) {
		hk, err := parseHostKey(body, "HostKey")
		if err != nil {
			if !isInvalidRequest(err) {
				t.Fatalf("refused with %T %v, not a 400 InvalidRequestException", err, err)
			}
			return
		}
		signer, err := ssh.ParsePrivateKey([]byte(hk.PEM))
		if err != nil {
			t.Fatalf("an accepted host key cannot be served: %v", err)
		}
		if pub := signer.PublicKey(); pub.Type() != hk.Type || ssh.FingerprintSHA256(pub) != hk.Fingerprint {
			t.Fatalf("served as %s %s, recorded %s %s", pub.Type(), ssh.FingerprintSHA256(pub), hk.Type, hk.Fingerprint)
		}
	})
}

// FuzzParseTrustedHostKey: an accepted TrustedHostKeys entry is an RSA or
// ECDSA key that reads back the same from its marshalled form.
func FuzzParseTrustedHostKey(f *testing.F) {
	_, pubs := fuzzKeys(f)
	for _, p := range pubs {
		f.Add(p, true)
		f.Add("sftp.example.com "+p, true)
		f.Add("sftp.example.com "+p, false)
		f.Add(p+" comment and more", false)
	}
	f.Add("ecdsa-sha2-nistp256", true)
	f.Add("host", true)
	f.Add("", false)
	f.Fuzz(func(t *testing.T, entry string, allowHost bool) {
		pub, err := parseTrustedHostKey(entry, 0, allowHost)
		if err != nil {
			if !isInvalidRequest(err) {
				t.Fatalf("refused with %T %v, not a 400 InvalidRequestException", err, err)
			}
			return
		}
		if pub.Type() != ssh.KeyAlgoRSA && !strings.HasPrefix(pub.Type(), "ecdsa-sha2-nistp") {
			t.Fatalf("accepted a %s key", pub.Type())
		}
		again, err := ssh.ParsePublicKey(pub.Marshal())
		if err != nil || ssh.FingerprintSHA256(again) != ssh.FingerprintSHA256(pub) {
			t.Fatalf("the key does not read back: %v", err)
		}
	})
}

// fuzzCert is a self-signed certificate and its key, in PEM.
func fuzzCert(f *testing.F) (certPEM, keyPEM string) {
	f.Helper()
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "partner"},
		NotBefore: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		f.Fatal(err)
	}
	kd, _ := x509.MarshalPKCS8PrivateKey(k)
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kd}))
}

// FuzzParseImport feeds arbitrary Certificate, CertificateChain and
// PrivateKey bodies to ImportCertificate's parser: a refusal is a 400; what
// it accepts stores PEM that parses again, to the same leaf, with a key that
// fits it.
func FuzzParseImport(f *testing.F) {
	cert, key := fuzzCert(f)
	other, otherKey := fuzzCert(f)
	f.Add(cert, "", "", false, false)
	f.Add(cert, other, key, true, true)
	f.Add(cert+other, "", key, false, true)
	f.Add(cert+other, other, "", true, false)
	f.Add(cert, "", otherKey, false, true)
	f.Add(cert+"trailing", "", "", false, false)
	f.Add(strings.Replace(cert, "CERTIFICATE", "PRIVATE KEY", 2), "", "", false, false)
	f.Add(cert, "", "-----BEGIN PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\nAAAA\n-----END PRIVATE KEY-----\n", false, true)
	f.Add(cert, "", "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n", false, true)
	f.Add("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "", "", false, false)
	f.Fuzz(func(t *testing.T, certBody, chainBody, keyBody string, hasChain, hasKey bool) {
		in := &transferapi.ImportCertificateRequest{Certificate: &certBody, Usage: api.Ptr(transferapi.CertificateUsageTypeSigning)}
		if hasChain {
			in.CertificateChain = &chainBody
		}
		if hasKey {
			in.PrivateKey = &keyBody
		}
		p, err := parseImport(in)
		if err != nil {
			if !isInvalidRequest(err) {
				t.Fatalf("refused with %T %v, not a 400 InvalidRequestException", err, err)
			}
			return
		}
		b, rest := pem.Decode([]byte(p.leafPEM))
		if b == nil || len(rest) != 0 {
			t.Fatalf("stored leaf PEM %q does not decode", p.leafPEM)
		}
		leaf, err := x509.ParseCertificate(b.Bytes)
		if err != nil || !leaf.Equal(p.leaf) {
			t.Fatalf("stored leaf does not parse to the leaf: %v", err)
		}
		if p.chainPEM != "" {
			if _, err := pemBlocks(p.chainPEM, "chain", "CERTIFICATE"); err != nil {
				t.Fatalf("stored chain does not parse: %v", err)
			}
		}
		if hasKey != (p.keyPEM != "") {
			t.Fatalf("PrivateKey given %v, stored %q", hasKey, p.keyPEM)
		}
		if p.keyPEM != "" {
			if p.certType != transferapi.CertificateTypeCertificateWithPrivateKey {
				t.Fatalf("type %s with a key", p.certType)
			}
			if _, err := tls.X509KeyPair([]byte(p.leafPEM), []byte(p.keyPEM)); err != nil {
				t.Fatalf("stored key does not fit the stored leaf: %v", err)
			}
		}
	})
}

// FuzzLogicalHomeDirectory: a LOGICAL profile is accepted only with a
// HomeDirectory that is the Entry or Target of one of its mappings.
func FuzzLogicalHomeDirectory(f *testing.F) {
	f.Add("/elsewhere", "/", "/bucket/home/team")
	f.Add("/doc/", "/doc", "/bucket/doc")
	f.Add("/bucket/home", "/", "/bucket/home/")
	f.Add("", "/", "/b")
	f.Fuzz(func(t *testing.T, home, entry, target string) {
		p := homeProfile{}
		err := p.apply(profileInput{
			HomeDirectory: api.Ptr(home), HomeDirectoryType: api.Ptr(transferapi.HomeDirectoryTypeLogical),
			HomeDirectoryMappings: []transferapi.HomeDirectoryMapEntry{{Entry: api.Ptr(entry), Target: api.Ptr(target)}},
		}, transferapi.DomainS3)
		// A path and the same path with trailing slashes are one; a path
		// made only of slashes is compared as given.
		norm := func(p string) string {
			for len(p) > 1 && strings.HasSuffix(p, "/") && strings.Trim(p, "/") != "" {
				p = p[:len(p)-1]
			}
			return p
		}
		maps := home == "" || norm(home) == norm(entry) || norm(home) == norm(target)
		if (err == nil) != maps {
			t.Fatalf("home %q, entry %q, target %q: err %v", home, entry, target, err)
		}
		if err != nil && !isInvalidRequest(err) {
			t.Fatalf("not an InvalidRequestException: %v", err)
		}
	})
}
