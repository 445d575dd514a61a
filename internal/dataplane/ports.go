package dataplane

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ersatz-dev/ersatz/internal/service/transfer"
	"github.com/ersatz-dev/ersatz/internal/store"
)

// Scope holds the data plane's own records: port assignments (kind
// "port", id the port number) and FTPS certificates (kind "tls", id
// "<account>:<region>:<server id>"). One scope for every account and
// region makes a port unique across all of them in one transaction.
var Scope = store.Scope{Account: "ersatz", Region: "local", Service: "transfer-dataplane"}

// portRecord assigns a port to one protocol of one server.
type portRecord struct {
	Account  string `json:"account"`
	Region   string `json:"region"`
	ServerID string `json:"serverId"`
	Protocol string `json:"protocol"`
	Port     int    `json:"port"`
}

func (r portRecord) server() string { return serverKey(r.Account, r.Region, r.ServerID) }

// assignPorts returns the ports of every existing server, assigning one
// from the range to each protocol a wanted server serves and lacks, and
// deleting the assignments of servers that no longer exist. An assigned
// port is kept while the server is OFFLINE, so it comes back on the same
// port; an assignment outside the configured range is replaced.
func (m *Manager) assignPorts(ctx context.Context, exists, want map[string]*transfer.LoginServer) (map[string]map[string]int, error) {
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out map[string]map[string]int
	err := readThenWrite(ctx, m.st, func(tx store.Tx, write bool) error {
		out = map[string]map[string]int{}
		recs, _, err := store.ListJSON[portRecord](tx, store.Collection{Scope: Scope, Kind: "port"}, store.Page{})
		if err != nil {
			return fmt.Errorf("dataplane: list ports: %w", err)
		}
		used := map[int]bool{}
		for _, r := range recs {
			if _, ok := exists[r.server()]; !ok || r.Port < m.ports.Low || r.Port > m.ports.High {
				if !write {
					return errNeedsWrite
				}
				if err := tx.Delete(portKey(r.Port)); err != nil && !errors.Is(err, store.ErrNotFound) {
					return fmt.Errorf("dataplane: delete port %d: %w", r.Port, err)
				}
				continue
			}
			used[r.Port] = true
			if out[r.server()] == nil {
				out[r.server()] = map[string]int{}
			}
			out[r.server()][r.Protocol] = r.Port
		}
		next := m.ports.Low
		for _, k := range keys {
			s := want[k]
			for _, proto := range served(s) {
				if _, ok := out[k][proto]; ok {
					continue
				}
				if !write {
					return errNeedsWrite
				}
				port := 0
				for ; next <= m.ports.High; next++ {
					if !used[next] && m.canListen(next) {
						port = next
						break
					}
				}
				if port == 0 {
					m.log.Error("transfer data plane: no free port", "range", m.cfg.Ports, "server", s.ServerID, "protocol", proto)
					continue
				}
				used[port] = true
				rec := portRecord{Account: s.Account, Region: s.Region, ServerID: s.ServerID, Protocol: proto, Port: port}
				if err := store.PutJSON(tx, portKey(port), rec); err != nil {
					return fmt.Errorf("dataplane: record port %d: %w", port, err)
				}
				if out[k] == nil {
					out[k] = map[string]int{}
				}
				out[k][proto] = port
			}
		}
		return nil
	})
	return out, err
}

func portKey(port int) store.Key {
	return store.Key{Scope: Scope, Kind: "port", ID: strconv.Itoa(port)}
}

// canListen reports whether nothing else listens on port (a port another
// program holds is skipped when assigning).
func (m *Manager) canListen(port int) bool {
	ln, err := net.Listen("tcp", net.JoinHostPort(m.host, strconv.Itoa(port)))
	if err != nil {
		return false
	}
	_ = ln.Close()
	return true
}

// certRecord is the FTPS certificate of a server.
type certRecord struct {
	CertPEM string `json:"certPem"`
	KeyPEM  string `json:"keyPem"`
}

// Secrets are the members a state snapshot leaves out unless asked: the
// private keys of the FTPS certificates (a new certificate is made when one
// is missing).
func Secrets() []store.Secret {
	return []store.Secret{{Service: Scope.Service, Kind: "tls", Member: "keyPem"}}
}

func certKey(account, region, serverID string) store.Key {
	return store.Key{Scope: Scope, Kind: "tls", ID: account + ":" + region + ":" + serverID}
}

// certificate returns the server's FTPS certificate, generating and
// storing it the first time, and again when a snapshot restored it without
// its private key (store.Snapshot.WithoutSecrets).
func (m *Manager) certificate(ctx context.Context, s *transfer.LoginServer) (tls.Certificate, string, error) {
	key := certKey(s.Account, s.Region, s.ServerID)
	var rec certRecord
	err := m.st.View(ctx, func(tx store.Tx) error {
		var err error
		rec, err = store.GetJSON[certRecord](tx, key)
		if err == nil && rec.KeyPEM == "" {
			return store.ErrNotFound
		}
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		fresh, gerr := generateCert(s, m.host)
		if gerr != nil {
			return tls.Certificate{}, "", gerr
		}
		err = m.st.Update(ctx, func(tx store.Tx) error {
			cur, err := store.GetJSON[certRecord](tx, key)
			if err == nil && cur.KeyPEM != "" {
				rec = cur // another process was first
				return nil
			}
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			rec = fresh
			return store.PutJSON(tx, key, fresh)
		})
	}
	if err != nil {
		return tls.Certificate{}, "", fmt.Errorf("dataplane: certificate of %s: %w", s.ServerID, err)
	}
	cert, err := tls.X509KeyPair([]byte(rec.CertPEM), []byte(rec.KeyPEM))
	if err != nil {
		return tls.Certificate{}, "", fmt.Errorf("dataplane: certificate of %s: %w", s.ServerID, err)
	}
	sum := sha256.Sum256(cert.Certificate[0])
	return cert, "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:]), nil
}

// generateCert makes a self-signed ECDSA P-256 certificate for the server's
// AWS-style host name, localhost and the listening address.
func generateCert(s *transfer.LoginServer, host string) (certRecord, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return certRecord{}, fmt.Errorf("dataplane: generate key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return certRecord{}, fmt.Errorf("dataplane: serial: %w", err)
	}
	name := s.ServerID + ".server.transfer." + s.Region + ".amazonaws.com"
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: name, Organization: []string{"Ersatz"}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().AddDate(10, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{name, "localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	if ip := net.ParseIP(host); ip != nil && !ip.IsUnspecified() && !ip.IsLoopback() {
		tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		return certRecord{}, fmt.Errorf("dataplane: create certificate: %w", err)
	}
	keyDER, err := x509.MarshalECPrivateKey(priv)
	if err != nil {
		return certRecord{}, fmt.Errorf("dataplane: encode key: %w", err)
	}
	return certRecord{
		CertPEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		KeyPEM:  string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})),
	}, nil
}

// collectCerts deletes the certificates of servers that no longer exist.
func (m *Manager) collectCerts(ctx context.Context, exists map[string]*transfer.LoginServer) error {
	return readThenWrite(ctx, m.st, func(tx store.Tx, write bool) error {
		items, _, err := tx.List(store.Collection{Scope: Scope, Kind: "tls"}, store.Page{})
		if err != nil {
			return err
		}
		for _, it := range items {
			parts := strings.SplitN(it.Key.ID, ":", 3)
			if len(parts) == 3 {
				if _, ok := exists[serverKey(parts[0], parts[1], parts[2])]; ok {
					continue
				}
			}
			if !write {
				return errNeedsWrite
			}
			if err := tx.Delete(it.Key); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		return nil
	})
}

// tlsCipherSuites maps a security policy's TLS cipher names to the suites
// crypto/tls implements (TLS 1.3 suites are not configurable in Go and are
// always offered).
func tlsCipherSuites(names []string) []uint16 {
	byName := map[string]uint16{}
	for _, c := range tls.CipherSuites() {
		byName[c.Name] = c.ID
	}
	for _, c := range tls.InsecureCipherSuites() {
		byName[c.Name] = c.ID
	}
	var out []uint16
	for _, n := range names {
		if id, ok := byName[n]; ok {
			out = append(out, id)
		}
	}
	return out
}

// errNeedsWrite stops the read-only pass of readThenWrite.
var errNeedsWrite = errors.New("dataplane: needs a write")

// readThenWrite runs fn in a read-only transaction first and, only when it
// reports errNeedsWrite, again in a read-write one: the periodic
// reconciliation then writes nothing while nothing changes.
func readThenWrite(ctx context.Context, st store.Store, fn func(tx store.Tx, write bool) error) error {
	err := st.View(ctx, func(tx store.Tx) error { return fn(tx, false) })
	if !errors.Is(err, errNeedsWrite) {
		return err
	}
	return st.Update(ctx, func(tx store.Tx) error { return fn(tx, true) })
}
