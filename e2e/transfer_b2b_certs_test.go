package e2e_test

import (
	"context"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"
)

func TestB2BCertificatesDerivedFields(t *testing.T) {
	t.Parallel()
	env := newB2B(t)
	c, ctx := env.c, context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	validCert, validKey, validParsed := testCert(t, "valid", 0x0a1b2c3d, now.Add(-time.Hour), now.Add(48*time.Hour))
	expiredCert, _, _ := testCert(t, "expired", 2, now.Add(-72*time.Hour), now.Add(-24*time.Hour))
	futureCert, _, _ := testCert(t, "future", 3, now.Add(24*time.Hour), now.Add(72*time.Hour))
	otherCert, otherKey, _ := testCert(t, "other", 4, now.Add(-time.Hour), now.Add(time.Hour))
	_ = otherCert

	tests := []struct {
		name       string
		in         transfer.ImportCertificateInput
		wantStatus types.CertificateStatusType
		wantType   types.CertificateType
	}{
		{"self-signed without key", transfer.ImportCertificateInput{Certificate: &validCert},
			types.CertificateStatusTypeActive, types.CertificateTypeCertificate},
		{"with key", transfer.ImportCertificateInput{Certificate: &validCert, PrivateKey: &validKey},
			types.CertificateStatusTypeActive, types.CertificateTypeCertificateWithPrivateKey},
		{"expired", transfer.ImportCertificateInput{Certificate: &expiredCert},
			types.CertificateStatusTypeInactive, types.CertificateTypeCertificate},
		{"not yet valid", transfer.ImportCertificateInput{Certificate: &futureCert},
			types.CertificateStatusTypePendingRotation, types.CertificateTypeCertificate},
		{"inactive date passed", transfer.ImportCertificateInput{Certificate: &validCert,
			ActiveDate: aws.Time(now.Add(-2 * time.Hour)), InactiveDate: aws.Time(now.Add(-time.Minute))},
			types.CertificateStatusTypeInactive, types.CertificateTypeCertificate},
		{"active date ahead", transfer.ImportCertificateInput{Certificate: &validCert,
			ActiveDate: aws.Time(now.Add(time.Hour))},
			types.CertificateStatusTypePendingRotation, types.CertificateTypeCertificate},
		{"chain inside Certificate", transfer.ImportCertificateInput{Certificate: aws.String(validCert + expiredCert)},
			types.CertificateStatusTypeActive, types.CertificateTypeCertificate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			in.Usage = types.CertificateUsageTypeSigning
			in.Description = aws.String("test-" + strings.ReplaceAll(tt.name, " ", "-"))
			out, err := c.ImportCertificate(ctx, &in)
			if err != nil {
				t.Fatal(err)
			}
			id := aws.ToString(out.CertificateId)
			if !strings.HasPrefix(id, "cert-") || len(id) != 22 {
				t.Fatalf("CertificateId %q", id)
			}
			d, err := c.DescribeCertificate(ctx, &transfer.DescribeCertificateInput{CertificateId: &id})
			if err != nil {
				t.Fatal(err)
			}
			cert := d.Certificate
			if cert.Status != tt.wantStatus || cert.Type != tt.wantType {
				t.Fatalf("Status %s Type %s, want %s %s", cert.Status, cert.Type, tt.wantStatus, tt.wantType)
			}
			if aws.ToString(cert.Arn) != "arn:aws:transfer:us-east-1:111111111111:certificate/"+id {
				t.Fatalf("Arn %s", aws.ToString(cert.Arn))
			}
			if strings.Contains(aws.ToString(cert.Certificate), "PRIVATE KEY") {
				t.Fatal("DescribeCertificate returned a private key")
			}
			if in.ActiveDate == nil && !cert.ActiveDate.Equal(*cert.NotBeforeDate) {
				t.Fatalf("ActiveDate %v != NotBeforeDate %v", cert.ActiveDate, cert.NotBeforeDate)
			}
			if in.ActiveDate != nil && !cert.ActiveDate.Equal(*in.ActiveDate) {
				t.Fatalf("ActiveDate %v, want %v", cert.ActiveDate, in.ActiveDate)
			}
			if tt.name == "with key" {
				if !cert.NotBeforeDate.Equal(validParsed.NotBefore) || !cert.NotAfterDate.Equal(validParsed.NotAfter) {
					t.Fatalf("NotBefore/After %v %v, want %v %v", cert.NotBeforeDate, cert.NotAfterDate, validParsed.NotBefore, validParsed.NotAfter)
				}
				if aws.ToString(cert.Serial) != hex.EncodeToString(validParsed.SerialNumber.Bytes()) || aws.ToString(cert.Serial) != "0a1b2c3d" {
					t.Fatalf("Serial %q", aws.ToString(cert.Serial))
				}
			}
			if tt.name == "chain inside Certificate" && !strings.Contains(aws.ToString(cert.CertificateChain), "BEGIN CERTIFICATE") {
				t.Fatalf("CertificateChain %q", aws.ToString(cert.CertificateChain))
			}
		})
	}

	bad := []struct {
		name, member string
		in           transfer.ImportCertificateInput
	}{
		{"malformed PEM", "Certificate", transfer.ImportCertificateInput{Certificate: aws.String("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")}},
		{"not PEM", "Certificate", transfer.ImportCertificateInput{Certificate: aws.String("hello")}},
		{"key as certificate", "Certificate", transfer.ImportCertificateInput{Certificate: &validKey}},
		{"key does not match", "PrivateKey", transfer.ImportCertificateInput{Certificate: &validCert, PrivateKey: &otherKey}},
		{"bad chain", "CertificateChain", transfer.ImportCertificateInput{Certificate: &validCert, CertificateChain: aws.String("junk")}},
		{"chain twice", "CertificateChain", transfer.ImportCertificateInput{Certificate: aws.String(validCert + expiredCert), CertificateChain: &expiredCert}},
		{"dates out of order", "InactiveDate", transfer.ImportCertificateInput{Certificate: &validCert,
			ActiveDate: aws.Time(now), InactiveDate: aws.Time(now.Add(-time.Hour))}},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			in.Usage = types.CertificateUsageTypeEncryption
			_, err := c.ImportCertificate(ctx, &in)
			wantInvalid(t, err, tt.member)
		})
	}
	t.Run("oversize body", func(t *testing.T) {
		_, err := c.ImportCertificate(ctx, &transfer.ImportCertificateInput{
			Usage: types.CertificateUsageTypeTls, Certificate: aws.String(strings.Repeat(validCert, 40)),
		})
		ae := wantAPIError(t, err, "ValidationException")
		if !strings.Contains(ae.ErrorMessage(), "certificate") {
			t.Fatalf("message %q does not name the member", ae.ErrorMessage())
		}
	})
}

func TestB2BCertificateLifecycle(t *testing.T) {
	t.Parallel()
	env := newB2B(t)
	c, ctx := env.c, context.Background()
	var ids []string
	for i := 0; i < 5; i++ {
		ids = append(ids, mustImportCert(t, c))
	}
	// Pagination.
	seen := map[string]bool{}
	p := transfer.NewListCertificatesPaginator(c, &transfer.ListCertificatesInput{MaxResults: aws.Int32(2)})
	pages := eachPage(ctx, t, p, func(out *transfer.ListCertificatesOutput) {
		for _, ce := range out.Certificates {
			if ce.Status != types.CertificateStatusTypeActive || ce.Type != types.CertificateTypeCertificate {
				t.Fatalf("listed %+v", ce)
			}
			seen[aws.ToString(ce.CertificateId)] = true
		}
	})
	if pages != 3 || len(seen) != 5 {
		t.Fatalf("%d pages, %d certificates", pages, len(seen))
	}
	if _, err := c.ListCertificates(ctx, &transfer.ListCertificatesInput{NextToken: aws.String("bogus")}); err == nil {
		t.Fatal("bogus token accepted")
	} else {
		wantTyped[*types.InvalidNextTokenException](t, err)
	}

	// UpdateCertificate: dates and description; a rejected update changes nothing.
	id := ids[0]
	future := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	if _, err := c.UpdateCertificate(ctx, &transfer.UpdateCertificateInput{CertificateId: &id, ActiveDate: &future, Description: aws.String("rotated")}); err != nil {
		t.Fatal(err)
	}
	d, _ := c.DescribeCertificate(ctx, &transfer.DescribeCertificateInput{CertificateId: &id})
	if d.Certificate.Status != types.CertificateStatusTypePendingRotation || aws.ToString(d.Certificate.Description) != "rotated" {
		t.Fatalf("after update: %s %q", d.Certificate.Status, aws.ToString(d.Certificate.Description))
	}
	_, err := c.UpdateCertificate(ctx, &transfer.UpdateCertificateInput{CertificateId: &id, InactiveDate: aws.Time(future.Add(-time.Minute)), Description: aws.String("nope")})
	wantInvalid(t, err, "InactiveDate")
	d2, _ := c.DescribeCertificate(ctx, &transfer.DescribeCertificateInput{CertificateId: &id})
	if aws.ToString(d2.Certificate.Description) != "rotated" || !d2.Certificate.InactiveDate.Equal(*d.Certificate.InactiveDate) {
		t.Fatal("a rejected UpdateCertificate changed the certificate")
	}

	// A certificate a profile uses cannot be deleted.
	prof, err := c.CreateProfile(ctx, &transfer.CreateProfileInput{As2Id: aws.String("local"), ProfileType: types.ProfileTypeLocal, CertificateIds: []string{id}})
	if err != nil {
		t.Fatal(err)
	}
	err = deleteCert(c, id)
	wantInvalid(t, err, "in use by profile "+aws.ToString(prof.ProfileId))
	if _, err := c.UpdateProfile(ctx, &transfer.UpdateProfileInput{ProfileId: prof.ProfileId, CertificateIds: []string{}}); err != nil {
		t.Fatal(err)
	}
	if err := deleteCert(c, id); err != nil {
		t.Fatal(err)
	}
	_, err = c.DescribeCertificate(ctx, &transfer.DescribeCertificateInput{CertificateId: &id})
	wantNotFound(t, err, id, "Certificate")
	wantNotFound(t, deleteCert(c, id), id, "Certificate")
}

func deleteCert(c *transfer.Client, id string) error {
	_, err := c.DeleteCertificate(context.Background(), &transfer.DeleteCertificateInput{CertificateId: &id})
	return err
}

func TestB2BProfiles(t *testing.T) {
	t.Parallel()
	env := newB2B(t)
	c, ctx := env.c, context.Background()
	cert := mustImportCert(t, c)
	out, err := c.CreateProfile(ctx, &transfer.CreateProfileInput{
		As2Id: aws.String("MYCORP"), ProfileType: types.ProfileTypeLocal, CertificateIds: []string{cert},
		Tags: []types.Tag{tag("team", "b2b")},
	})
	if err != nil {
		t.Fatal(err)
	}
	local := aws.ToString(out.ProfileId)
	if !strings.HasPrefix(local, "p-") || len(local) != 19 {
		t.Fatalf("ProfileId %q", local)
	}
	d, err := c.DescribeProfile(ctx, &transfer.DescribeProfileInput{ProfileId: &local})
	if err != nil {
		t.Fatal(err)
	}
	if p := d.Profile; aws.ToString(p.As2Id) != "MYCORP" || p.ProfileType != types.ProfileTypeLocal ||
		len(p.CertificateIds) != 1 || p.CertificateIds[0] != cert || len(p.Tags) != 1 ||
		aws.ToString(p.Arn) != "arn:aws:transfer:us-east-1:111111111111:profile/"+local {
		t.Fatalf("profile %+v", p)
	}
	var partners []string
	for i := 0; i < 3; i++ {
		partners = append(partners, mustProfile(t, c, types.ProfileTypePartner, "PARTNER"+string(rune('A'+i))))
	}
	for _, tt := range []struct {
		typ  types.ProfileType
		want int
	}{{"", 4}, {types.ProfileTypePartner, 3}, {types.ProfileTypeLocal, 1}} {
		n := 0
		p := transfer.NewListProfilesPaginator(c, &transfer.ListProfilesInput{ProfileType: tt.typ, MaxResults: aws.Int32(1)})
		eachPage(ctx, t, p, func(page *transfer.ListProfilesOutput) {
			for _, lp := range page.Profiles {
				if tt.typ != "" && lp.ProfileType != tt.typ {
					t.Fatalf("filter %s listed %s", tt.typ, lp.ProfileType)
				}
				n++
			}
		})
		if n != tt.want {
			t.Fatalf("ListProfiles(%q) = %d, want %d", tt.typ, n, tt.want)
		}
	}

	_, err = c.CreateProfile(ctx, &transfer.CreateProfileInput{As2Id: aws.String("has space"), ProfileType: types.ProfileTypeLocal})
	wantInvalid(t, err, "As2Id")
	_, err = c.CreateProfile(ctx, &transfer.CreateProfileInput{As2Id: aws.String("X"), ProfileType: types.ProfileTypeLocal, CertificateIds: []string{"cert-00000000000000000"}})
	wantNotFound(t, err, "cert-00000000000000000", "Certificate")
	_, err = c.UpdateProfile(ctx, &transfer.UpdateProfileInput{ProfileId: &local, CertificateIds: []string{cert, "cert-00000000000000000"}})
	wantNotFound(t, err, "cert-00000000000000000", "Certificate")
	d, _ = c.DescribeProfile(ctx, &transfer.DescribeProfileInput{ProfileId: &local})
	if len(d.Profile.CertificateIds) != 1 {
		t.Fatal("a rejected UpdateProfile changed the profile")
	}
	_, err = c.UpdateProfile(ctx, &transfer.UpdateProfileInput{ProfileId: &local, CertificateIds: []string{cert, cert}})
	wantInvalid(t, err, "more than once")

	// Agreements: server, profiles, base directory, access role.
	srv := as2Server(t, c)
	sftpOnly := mustCreateServer(t, c, nil)
	base := transfer.CreateAgreementInput{
		ServerId: &srv, LocalProfileId: &local, PartnerProfileId: &partners[0],
		BaseDirectory: aws.String("/inbound/as2"), AccessRole: aws.String(testRole),
	}
	ag, err := c.CreateAgreement(ctx, &base)
	if err != nil {
		t.Fatal(err)
	}
	agID := aws.ToString(ag.AgreementId)
	if !strings.HasPrefix(agID, "a-") || len(agID) != 19 {
		t.Fatalf("AgreementId %q", agID)
	}
	da, err := c.DescribeAgreement(ctx, &transfer.DescribeAgreementInput{AgreementId: &agID, ServerId: &srv})
	if err != nil {
		t.Fatal(err)
	}
	if a := da.Agreement; a.Status != types.AgreementStatusTypeActive || aws.ToString(a.BaseDirectory) != "/inbound/as2" ||
		a.PreserveFilename != types.PreserveFilenameTypeDisabled || a.EnforceMessageSigning != types.EnforceMessageSigningTypeDisabled ||
		aws.ToString(a.Arn) != "arn:aws:transfer:us-east-1:111111111111:agreement/"+srv+"/"+agID {
		t.Fatalf("agreement %+v", a)
	}
	badAgreements := []struct {
		name string
		mod  func(*transfer.CreateAgreementInput)
		want func(error)
	}{
		{"swapped profiles", func(in *transfer.CreateAgreementInput) { in.LocalProfileId, in.PartnerProfileId = &partners[1], &local },
			func(err error) { wantInvalid(t, err, "LocalProfileId") }},
		{"partner is local", func(in *transfer.CreateAgreementInput) { in.PartnerProfileId = &local },
			func(err error) { wantInvalid(t, err, "PartnerProfileId") }},
		{"missing server", func(in *transfer.CreateAgreementInput) { in.ServerId = aws.String("s-00000000000000000") },
			func(err error) { wantNotFound(t, err, "s-00000000000000000", "Server") }},
		{"server without AS2", func(in *transfer.CreateAgreementInput) { in.ServerId = &sftpOnly },
			func(err error) { wantInvalid(t, err, "AS2") }},
		{"missing profile", func(in *transfer.CreateAgreementInput) { in.PartnerProfileId = aws.String("p-00000000000000000") },
			func(err error) { wantNotFound(t, err, "p-00000000000000000", "Profile") }},
		{"no directory", func(in *transfer.CreateAgreementInput) { in.BaseDirectory = nil },
			func(err error) { wantInvalid(t, err, "BaseDirectory") }},
		{"both directories", func(in *transfer.CreateAgreementInput) {
			in.CustomDirectories = &types.CustomDirectoriesType{FailedFilesDirectory: aws.String("/b/f"), MdnFilesDirectory: aws.String("/b/m"),
				PayloadFilesDirectory: aws.String("/b/p"), StatusFilesDirectory: aws.String("/b/s"), TemporaryFilesDirectory: aws.String("/b/t")}
		}, func(err error) { wantInvalid(t, err, "not both") }},
		{"duplicate", func(in *transfer.CreateAgreementInput) {}, func(err error) { wantTyped[*types.ResourceExistsException](t, err) }},
	}
	for _, tt := range badAgreements {
		t.Run(tt.name, func(t *testing.T) {
			in := base
			in.PartnerProfileId = &partners[1]
			if tt.name == "duplicate" {
				in.PartnerProfileId = &partners[0]
			}
			tt.mod(&in)
			_, err := c.CreateAgreement(ctx, &in)
			tt.want(err)
		})
	}
	// A profile in use cannot be deleted; a partner profile not in use can.
	_, err = c.DeleteProfile(ctx, &transfer.DeleteProfileInput{ProfileId: &partners[0]})
	wantInvalid(t, err, "agreement "+agID)
	if _, err := c.DeleteProfile(ctx, &transfer.DeleteProfileInput{ProfileId: &partners[2]}); err != nil {
		t.Fatal(err)
	}
	// UpdateAgreement: switching to custom directories drops the base one;
	// a rejected update changes nothing.
	custom := &types.CustomDirectoriesType{FailedFilesDirectory: aws.String("/b/f"), MdnFilesDirectory: aws.String("/b/m"),
		PayloadFilesDirectory: aws.String("/b/p"), StatusFilesDirectory: aws.String("/b/s"), TemporaryFilesDirectory: aws.String("/b/t")}
	if _, err := c.UpdateAgreement(ctx, &transfer.UpdateAgreementInput{AgreementId: &agID, ServerId: &srv, CustomDirectories: custom,
		Status: types.AgreementStatusTypeInactive, Description: aws.String("switched")}); err != nil {
		t.Fatal(err)
	}
	da, _ = c.DescribeAgreement(ctx, &transfer.DescribeAgreementInput{AgreementId: &agID, ServerId: &srv})
	if da.Agreement.BaseDirectory != nil || da.Agreement.CustomDirectories == nil || da.Agreement.Status != types.AgreementStatusTypeInactive {
		t.Fatalf("after update %+v", da.Agreement)
	}
	_, err = c.UpdateAgreement(ctx, &transfer.UpdateAgreementInput{AgreementId: &agID, ServerId: &srv,
		LocalProfileId: &partners[1], Description: aws.String("bad")})
	wantInvalid(t, err, "LocalProfileId")
	da, _ = c.DescribeAgreement(ctx, &transfer.DescribeAgreementInput{AgreementId: &agID, ServerId: &srv})
	if aws.ToString(da.Agreement.Description) != "switched" || aws.ToString(da.Agreement.LocalProfileId) != local {
		t.Fatal("a rejected UpdateAgreement changed the agreement")
	}
	la, err := c.ListAgreements(ctx, &transfer.ListAgreementsInput{ServerId: &srv})
	if err != nil || len(la.Agreements) != 1 || aws.ToString(la.Agreements[0].AgreementId) != agID {
		t.Fatalf("ListAgreements = %+v, %v", la, err)
	}
	_, err = c.ListAgreements(ctx, &transfer.ListAgreementsInput{ServerId: aws.String("s-00000000000000000")})
	wantNotFound(t, err, "s-00000000000000000", "Server")
	_, err = c.DescribeAgreement(ctx, &transfer.DescribeAgreementInput{AgreementId: &agID, ServerId: &sftpOnly})
	wantNotFound(t, err, agID, "Agreement")
	if _, err := c.DeleteAgreement(ctx, &transfer.DeleteAgreementInput{AgreementId: &agID, ServerId: &srv}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteAgreement(ctx, &transfer.DeleteAgreementInput{AgreementId: &agID, ServerId: &srv})
	wantNotFound(t, err, agID, "Agreement")
	if _, err := c.DeleteProfile(ctx, &transfer.DeleteProfileInput{ProfileId: &partners[0]}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DescribeProfile(ctx, &transfer.DescribeProfileInput{ProfileId: &partners[0]})
	wantNotFound(t, err, partners[0], "Profile")
}
