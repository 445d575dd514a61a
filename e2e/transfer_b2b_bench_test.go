package e2e_test

import (
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"

	"github.com/ersatz-dev/ersatz/internal/service/transfer/sftptest"
)

// BenchmarkB2BConnectorSend1MiB measures StartFileTransfer of a 1 MiB file
// to a local SFTP server, until ListFileTransferResults says COMPLETED
// (connect, authenticate, verify the host key, copy, record).
func BenchmarkB2BConnectorSend1MiB(b *testing.B) {
	env := newB2B(b)
	srv := sftptest.Start(b, b.TempDir(), sftptest.Options{User: "partner", Password: "s3cret"})
	env.writeSecrets(b, map[string]map[string]string{partnerSecretARN: {"Username": "partner", "Password": "s3cret"}})
	id := sftpConnector(b, env.c, srv.URL, partnerSecretARN, srv.HostKeyLine)
	payload := make([]byte, 1<<20)
	_, _ = rand.Read(payload)
	env.putLocal(b, "bench", "file.bin", payload)
	b.SetBytes(int64(len(payload)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if r := env.sendOne(b, id, "/bench/file.bin", "/"); r.StatusCode != types.TransferTableStatusCompleted {
			b.Fatalf("send %+v", r)
		}
	}
}

// BenchmarkB2BConnectorRetrieve1MiB measures StartFileTransfer retrieving a
// 1 MiB file from a local SFTP server into the object store, until
// ListFileTransferResults says COMPLETED.
func BenchmarkB2BConnectorRetrieve1MiB(b *testing.B) {
	env := newB2B(b)
	remote := b.TempDir()
	srv := sftptest.Start(b, remote, sftptest.Options{User: "partner", Password: "s3cret"})
	env.writeSecrets(b, map[string]map[string]string{partnerSecretARN: {"Username": "partner", "Password": "s3cret"}})
	id := sftpConnector(b, env.c, srv.URL, partnerSecretARN, srv.HostKeyLine)
	payload := make([]byte, 1<<20)
	_, _ = rand.Read(payload)
	if err := os.WriteFile(filepath.Join(remote, "file.bin"), payload, 0o644); err != nil {
		b.Fatal(err)
	}
	in := &transfer.StartFileTransferInput{ConnectorId: &id, RetrieveFilePaths: []string{"/file.bin"}, LocalDirectoryPath: aws.String("/bench/in")}
	b.SetBytes(int64(len(payload)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out, err := env.c.StartFileTransfer(context.Background(), in)
		if err != nil {
			b.Fatal(err)
		}
		if r := env.waitResults(b, id, aws.ToString(out.TransferId)); r[0].StatusCode != types.TransferTableStatusCompleted {
			b.Fatalf("retrieve %+v", r[0])
		}
	}
}

// BenchmarkB2BImportDescribeCertificate measures ImportCertificate (PEM
// parsing, key match) followed by DescribeCertificate.
func BenchmarkB2BImportDescribeCertificate(b *testing.B) {
	env := newB2B(b)
	cert, key, _ := testCert(b, "bench", 1, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out, err := env.c.ImportCertificate(ctx, &transfer.ImportCertificateInput{Usage: types.CertificateUsageTypeSigning,
			Certificate: aws.String(cert), PrivateKey: aws.String(key)})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := env.c.DescribeCertificate(ctx, &transfer.DescribeCertificateInput{CertificateId: out.CertificateId}); err != nil {
			b.Fatal(err)
		}
	}
}
