package e2e_test

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"
)

func TestTransferHostKeys(t *testing.T) {
	t.Parallel()
	_, c := newTransfer(t)
	ctx := context.Background()
	id := mustCreateServer(t, c, nil)
	start := time.Now().Add(-time.Second)

	_, rsaPEM, rsaFP := sshKeyPair(t, "rsa")
	imp, err := c.ImportHostKey(ctx, &transfer.ImportHostKeyInput{
		ServerId: &id, HostKeyBody: aws.String(rsaPEM), Description: aws.String("rotation key"),
		Tags: []types.Tag{{Key: aws.String("purpose"), Value: aws.String("rotation")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	hkID := aws.ToString(imp.HostKeyId)
	if !regexp.MustCompile(`^hostkey-[0-9a-f]{17}$`).MatchString(hkID) || aws.ToString(imp.ServerId) != id {
		t.Fatalf("ImportHostKey = %+v", imp)
	}
	_, err = c.ImportHostKey(ctx, &transfer.ImportHostKeyInput{ServerId: &id, HostKeyBody: aws.String(rsaPEM)})
	wantTyped[*types.ResourceExistsException](t, err)
	_, err = c.ImportHostKey(ctx, &transfer.ImportHostKeyInput{ServerId: &id, HostKeyBody: aws.String("-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n")})
	wantInvalid(t, err, "HostKeyBody")

	d, err := c.DescribeHostKey(ctx, &transfer.DescribeHostKeyInput{ServerId: &id, HostKeyId: &hkID})
	if err != nil {
		t.Fatal(err)
	}
	hk := d.HostKey
	if aws.ToString(hk.Arn) != "arn:aws:transfer:us-east-1:111111111111:host-key/"+id+"/"+hkID ||
		aws.ToString(hk.HostKeyFingerprint) != rsaFP || aws.ToString(hk.Type) != "ssh-rsa" ||
		aws.ToString(hk.Description) != "rotation key" || hk.DateImported.Before(start) ||
		len(hk.Tags) != 1 || aws.ToString(hk.Tags[0].Value) != "rotation" {
		t.Fatalf("DescribeHostKey = %+v", hk)
	}
	if _, err := c.UpdateHostKey(ctx, &transfer.UpdateHostKeyInput{ServerId: &id, HostKeyId: &hkID, Description: aws.String("renamed")}); err != nil {
		t.Fatal(err)
	}

	_, ecPEM, _ := sshKeyPair(t, "ecdsa")
	if _, err := c.ImportHostKey(ctx, &transfer.ImportHostKeyInput{ServerId: &id, HostKeyBody: aws.String(ecPEM)}); err != nil {
		t.Fatal(err)
	}
	// Pages of one: the generated key, the RSA key and the ECDSA key.
	var listed []types.ListedHostKey
	var token *string
	for pages := 0; ; pages++ {
		out, err := c.ListHostKeys(ctx, &transfer.ListHostKeysInput{ServerId: &id, MaxResults: aws.Int32(1), NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.HostKeys) > 1 || aws.ToString(out.ServerId) != id {
			t.Fatalf("page = %+v", out)
		}
		listed = append(listed, out.HostKeys...)
		if token = out.NextToken; token == nil {
			break
		}
		if pages > 5 {
			t.Fatal("ListHostKeys does not end")
		}
	}
	types_ := map[string]bool{}
	for _, k := range listed {
		types_[aws.ToString(k.Type)] = true
		if aws.ToString(k.HostKeyId) == hkID && aws.ToString(k.Description) != "renamed" {
			t.Fatalf("listed key %+v has the old description", k)
		}
	}
	if len(listed) != 3 || !types_["ssh-ed25519"] || !types_["ssh-rsa"] || !types_["ecdsa-sha2-nistp384"] {
		t.Fatalf("listed %+v", listed)
	}

	// Deleting the primary key promotes the oldest other key.
	srv, err := c.DescribeServer(ctx, &transfer.DescribeServerInput{ServerId: &id})
	if err != nil {
		t.Fatal(err)
	}
	var primary string
	for _, k := range listed {
		if aws.ToString(k.Fingerprint) == aws.ToString(srv.Server.HostKeyFingerprint) {
			primary = aws.ToString(k.HostKeyId)
		}
	}
	if primary == "" {
		t.Fatal("the server's fingerprint is none of its host keys")
	}
	if _, err := c.DeleteHostKey(ctx, &transfer.DeleteHostKeyInput{ServerId: &id, HostKeyId: &primary}); err != nil {
		t.Fatal(err)
	}
	srv, err = c.DescribeServer(ctx, &transfer.DescribeServerInput{ServerId: &id})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(srv.Server.HostKeyFingerprint); got != rsaFP {
		t.Fatalf("after deleting the primary key the server's fingerprint is %s, want the RSA key's %s", got, rsaFP)
	}
	_, err = c.DescribeHostKey(ctx, &transfer.DescribeHostKeyInput{ServerId: &id, HostKeyId: &primary})
	wantNotFound(t, err, primary, "HostKey")
	_, err = c.DeleteHostKey(ctx, &transfer.DeleteHostKeyInput{ServerId: &id, HostKeyId: &primary})
	wantNotFound(t, err, primary, "HostKey")
	_, err = c.UpdateHostKey(ctx, &transfer.UpdateHostKeyInput{ServerId: &id, HostKeyId: &primary, Description: aws.String("x")})
	wantNotFound(t, err, primary, "HostKey")
	_, err = c.ListHostKeys(ctx, &transfer.ListHostKeysInput{ServerId: aws.String("s-00000000000000000")})
	wantNotFound(t, err, "s-00000000000000000", "Server")
	_, err = c.ListHostKeys(ctx, &transfer.ListHostKeysInput{ServerId: &id, NextToken: aws.String("garbage-token")})
	wantTyped[*types.InvalidNextTokenException](t, err)

	// The last host key of a server cannot go.
	one := mustCreateServer(t, c, nil)
	keys, err := c.ListHostKeys(ctx, &transfer.ListHostKeysInput{ServerId: &one})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteHostKey(ctx, &transfer.DeleteHostKeyInput{ServerId: &one, HostKeyId: keys.HostKeys[0].HostKeyId})
	wantInvalid(t, err, "only host key")
}
