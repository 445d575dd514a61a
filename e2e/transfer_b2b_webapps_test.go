package e2e_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"
)

const (
	ssoInstance = "arn:aws:sso:::instance/ssoins-0123456789abcdef"
	webAppRole  = "arn:aws:iam::111111111111:role/webapp"
)

func identityCenter() *types.WebAppIdentityProviderDetailsMemberIdentityCenterConfig {
	return &types.WebAppIdentityProviderDetailsMemberIdentityCenterConfig{Value: types.IdentityCenterConfig{
		InstanceArn: aws.String(ssoInstance), Role: aws.String(webAppRole)}}
}

func TestB2BWebApps(t *testing.T) {
	t.Parallel()
	env := newB2B(t)
	c, ctx := env.c, context.Background()
	out, err := c.CreateWebApp(ctx, &transfer.CreateWebAppInput{IdentityProviderDetails: identityCenter(), Tags: []types.Tag{tag("app", "portal")}})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(out.WebAppId)
	if !strings.HasPrefix(id, "webapp-") || len(id) != 24 {
		t.Fatalf("WebAppId %q", id)
	}
	d, err := c.DescribeWebApp(ctx, &transfer.DescribeWebAppInput{WebAppId: &id})
	if err != nil {
		t.Fatal(err)
	}
	w := d.WebApp
	endpoint := "https://" + id + ".transfer-webapp.us-east-1.on.aws"
	ic, ok := w.DescribedIdentityProviderDetails.(*types.DescribedWebAppIdentityProviderDetailsMemberIdentityCenterConfig)
	if !ok || aws.ToString(ic.Value.InstanceArn) != ssoInstance || aws.ToString(ic.Value.Role) != webAppRole ||
		!strings.HasPrefix(aws.ToString(ic.Value.ApplicationArn), "arn:aws:sso::111111111111:application/ssoins-0123456789abcdef/apl-") {
		t.Fatalf("identity provider %+v", w.DescribedIdentityProviderDetails)
	}
	units, _ := w.WebAppUnits.(*types.WebAppUnitsMemberProvisioned)
	if aws.ToString(w.WebAppEndpoint) != endpoint || aws.ToString(w.AccessEndpoint) != endpoint || units == nil || units.Value != 1 ||
		w.WebAppEndpointPolicy != types.WebAppEndpointPolicyStandard || w.EndpointType != types.WebAppEndpointTypePublic ||
		aws.ToString(w.Arn) != "arn:aws:transfer:us-east-1:111111111111:webapp/"+id || len(w.Tags) != 1 {
		t.Fatalf("web app %+v", w)
	}

	// A VPC web app.
	vpc, err := c.CreateWebApp(ctx, &transfer.CreateWebAppInput{IdentityProviderDetails: identityCenter(),
		AccessEndpoint: aws.String("https://files.example.com"), WebAppUnits: &types.WebAppUnitsMemberProvisioned{Value: 3},
		EndpointDetails: &types.WebAppEndpointDetailsMemberVpc{Value: types.WebAppVpcConfig{
			VpcId: aws.String("vpc-0123456789abcdef0"), SubnetIds: []string{"subnet-0123456789abcdef0"}}}})
	if err != nil {
		t.Fatal(err)
	}
	vd, _ := c.DescribeWebApp(ctx, &transfer.DescribeWebAppInput{WebAppId: vpc.WebAppId})
	vv, ok := vd.WebApp.DescribedEndpointDetails.(*types.DescribedWebAppEndpointDetailsMemberVpc)
	if !ok || vd.WebApp.EndpointType != types.WebAppEndpointTypeVpc || aws.ToString(vv.Value.VpcId) != "vpc-0123456789abcdef0" ||
		!strings.HasPrefix(aws.ToString(vv.Value.VpcEndpointId), "vpce-") || aws.ToString(vd.WebApp.AccessEndpoint) != "https://files.example.com" {
		t.Fatalf("VPC web app %+v", vd.WebApp)
	}

	// Validation.
	_, err = c.CreateWebApp(ctx, &transfer.CreateWebAppInput{IdentityProviderDetails: identityCenter(), WebAppEndpointPolicy: types.WebAppEndpointPolicyFips})
	wantInvalid(t, err, "GovCloud")
	_, err = c.CreateWebApp(ctx, &transfer.CreateWebAppInput{IdentityProviderDetails: &types.WebAppIdentityProviderDetailsMemberIdentityCenterConfig{
		Value: types.IdentityCenterConfig{InstanceArn: aws.String(ssoInstance)}}})
	wantInvalid(t, err, "Role")
	_, err = c.UpdateWebApp(ctx, &transfer.UpdateWebAppInput{WebAppId: &id, AccessEndpoint: aws.String("https://new.example.com"),
		EndpointDetails: &types.UpdateWebAppEndpointDetailsMemberVpc{Value: types.UpdateWebAppVpcConfig{SubnetIds: []string{"subnet-1"}}}})
	wantInvalid(t, err, "PUBLIC")
	d, _ = c.DescribeWebApp(ctx, &transfer.DescribeWebAppInput{WebAppId: &id})
	if aws.ToString(d.WebApp.AccessEndpoint) != endpoint {
		t.Fatal("a rejected UpdateWebApp changed the web app")
	}
	if _, err := c.UpdateWebApp(ctx, &transfer.UpdateWebAppInput{WebAppId: &id, AccessEndpoint: aws.String("https://new.example.com"),
		WebAppUnits: &types.WebAppUnitsMemberProvisioned{Value: 2},
		IdentityProviderDetails: &types.UpdateWebAppIdentityProviderDetailsMemberIdentityCenterConfig{
			Value: types.UpdateWebAppIdentityCenterConfig{Role: aws.String(testRole)}}}); err != nil {
		t.Fatal(err)
	}
	d, _ = c.DescribeWebApp(ctx, &transfer.DescribeWebAppInput{WebAppId: &id})
	ic = d.WebApp.DescribedIdentityProviderDetails.(*types.DescribedWebAppIdentityProviderDetailsMemberIdentityCenterConfig)
	if aws.ToString(d.WebApp.AccessEndpoint) != "https://new.example.com" || d.WebApp.WebAppUnits.(*types.WebAppUnitsMemberProvisioned).Value != 2 ||
		aws.ToString(ic.Value.Role) != testRole {
		t.Fatalf("after update %+v", d.WebApp)
	}

	// Customization: title, logo and favicon with the model's size limits.
	dc, err := c.DescribeWebAppCustomization(ctx, &transfer.DescribeWebAppCustomizationInput{WebAppId: &id})
	if err != nil || dc.WebAppCustomization.Title != nil || dc.WebAppCustomization.LogoFile != nil || aws.ToString(dc.WebAppCustomization.WebAppId) != id {
		t.Fatalf("fresh customization %+v, %v", dc, err)
	}
	logo := bytes.Repeat([]byte{0x89, 'P', 'N', 'G'}, 1000)
	favicon := []byte{0, 0, 1, 0, 1, 0}
	if _, err := c.UpdateWebAppCustomization(ctx, &transfer.UpdateWebAppCustomizationInput{WebAppId: &id, Title: aws.String("Partner portal"),
		LogoFile: logo, FaviconFile: favicon}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		in     transfer.UpdateWebAppCustomizationInput
		member string
	}{
		{"logo too large", transfer.UpdateWebAppCustomizationInput{LogoFile: make([]byte, 51201)}, "logoFile"},
		{"favicon too large", transfer.UpdateWebAppCustomizationInput{FaviconFile: make([]byte, 20961), Title: aws.String("x")}, "faviconFile"},
		{"title too long", transfer.UpdateWebAppCustomizationInput{Title: aws.String(strings.Repeat("t", 101))}, "title"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			in.WebAppId = &id
			_, err := c.UpdateWebAppCustomization(ctx, &in)
			ae := wantAPIError(t, err, "ValidationException")
			if !strings.Contains(ae.ErrorMessage(), tt.member) {
				t.Fatalf("message %q does not name %s", ae.ErrorMessage(), tt.member)
			}
		})
	}
	if dc, err = c.DescribeWebAppCustomization(ctx, &transfer.DescribeWebAppCustomizationInput{WebAppId: &id}); err != nil {
		t.Fatalf("DescribeWebAppCustomization: %v", err)
	}
	if wc := dc.WebAppCustomization; aws.ToString(wc.Title) != "Partner portal" || !bytes.Equal(wc.LogoFile, logo) || !bytes.Equal(wc.FaviconFile, favicon) ||
		aws.ToString(wc.Arn) != "arn:aws:transfer:us-east-1:111111111111:webapp/"+id {
		t.Fatalf("customization %+v", wc)
	}
	// Title "" removes the title and keeps the images.
	if _, err := c.UpdateWebAppCustomization(ctx, &transfer.UpdateWebAppCustomizationInput{WebAppId: &id, Title: aws.String("")}); err != nil {
		t.Fatal(err)
	}
	if dc, err = c.DescribeWebAppCustomization(ctx, &transfer.DescribeWebAppCustomizationInput{WebAppId: &id}); err != nil {
		t.Fatalf("DescribeWebAppCustomization: %v", err)
	}
	if dc.WebAppCustomization.Title != nil || !bytes.Equal(dc.WebAppCustomization.LogoFile, logo) {
		t.Fatalf("after clearing the title %+v", dc.WebAppCustomization)
	}
	if _, err := c.DeleteWebAppCustomization(ctx, &transfer.DeleteWebAppCustomizationInput{WebAppId: &id}); err != nil {
		t.Fatal(err)
	}
	if dc, err = c.DescribeWebAppCustomization(ctx, &transfer.DescribeWebAppCustomizationInput{WebAppId: &id}); err != nil {
		t.Fatalf("DescribeWebAppCustomization: %v", err)
	}
	if dc.WebAppCustomization.LogoFile != nil || dc.WebAppCustomization.FaviconFile != nil {
		t.Fatal("DeleteWebAppCustomization left the images")
	}

	// Listing, pagination, deletion.
	var listed []string
	p := transfer.NewListWebAppsPaginator(c, &transfer.ListWebAppsInput{MaxResults: aws.Int32(1)})
	eachPage(ctx, t, p, func(page *transfer.ListWebAppsOutput) {
		for _, wa := range page.WebApps {
			listed = append(listed, aws.ToString(wa.WebAppId))
		}
	})
	if len(listed) != 2 {
		t.Fatalf("listed %v", listed)
	}
	if _, err := c.DeleteWebApp(ctx, &transfer.DeleteWebAppInput{WebAppId: &id}); err != nil {
		t.Fatal(err)
	}
	for name, call := range map[string]func() error{
		"DescribeWebApp": func() error {
			_, err := c.DescribeWebApp(ctx, &transfer.DescribeWebAppInput{WebAppId: &id})
			return err
		},
		"DeleteWebApp": func() error { _, err := c.DeleteWebApp(ctx, &transfer.DeleteWebAppInput{WebAppId: &id}); return err },
		"DescribeWebAppCustomization": func() error {
			_, err := c.DescribeWebAppCustomization(ctx, &transfer.DescribeWebAppCustomizationInput{WebAppId: &id})
			return err
		},
		"UpdateWebAppCustomization": func() error {
			_, err := c.UpdateWebAppCustomization(ctx, &transfer.UpdateWebAppCustomizationInput{WebAppId: &id, Title: aws.String("x")})
			return err
		},
		"DeleteWebAppCustomization": func() error {
			_, err := c.DeleteWebAppCustomization(ctx, &transfer.DeleteWebAppCustomizationInput{WebAppId: &id})
			return err
		},
		"UpdateWebApp": func() error {
			_, err := c.UpdateWebApp(ctx, &transfer.UpdateWebAppInput{WebAppId: &id, AccessEndpoint: aws.String("https://x")})
			return err
		},
	} {
		t.Run(name, func(t *testing.T) { wantNotFound(t, call(), id, "WebApp") })
	}
}

// TestB2BTagsAndIsolation tags every B2B kind through its ARN and checks
// that another account sees none of them.
func TestB2BTagsAndIsolation(t *testing.T) {
	t.Parallel()
	env := newB2B(t)
	c, ctx := env.c, context.Background()
	cert := mustImportCert(t, c)
	local := mustProfile(t, c, types.ProfileTypeLocal, "L")
	partner := mustProfile(t, c, types.ProfileTypePartner, "P")
	srv := as2Server(t, c)
	ag, err := c.CreateAgreement(ctx, &transfer.CreateAgreementInput{ServerId: &srv, LocalProfileId: &local, PartnerProfileId: &partner,
		BaseDirectory: aws.String("/b/as2"), AccessRole: aws.String(testRole)})
	if err != nil {
		t.Fatal(err)
	}
	conn := sftpConnector(t, c, "sftp://127.0.0.1:22", partnerSecretARN)
	wf := mustWorkflow(t, c, []types.WorkflowStep{copyStep("bkt", "x/", "")}, nil)
	wa, err := c.CreateWebApp(ctx, &transfer.CreateWebAppInput{IdentityProviderDetails: identityCenter()})
	if err != nil {
		t.Fatal(err)
	}
	prefix := "arn:aws:transfer:us-east-1:111111111111:"
	arns := map[string]string{
		"certificate": prefix + "certificate/" + cert,
		"profile":     prefix + "profile/" + local,
		"agreement":   prefix + "agreement/" + srv + "/" + aws.ToString(ag.AgreementId),
		"connector":   prefix + "connector/" + conn,
		"workflow":    prefix + "workflow/" + wf,
		"webapp":      prefix + "webapp/" + aws.ToString(wa.WebAppId),
	}
	for kind, arn := range arns {
		t.Run(kind, func(t *testing.T) {
			if _, err := c.TagResource(ctx, &transfer.TagResourceInput{Arn: &arn, Tags: []types.Tag{tag("a", "1"), tag("b", "2"), tag("c", "3")}}); err != nil {
				t.Fatal(err)
			}
			if _, err := c.UntagResource(ctx, &transfer.UntagResourceInput{Arn: &arn, TagKeys: []string{"b"}}); err != nil {
				t.Fatal(err)
			}
			var got []string
			p := transfer.NewListTagsForResourcePaginator(c, &transfer.ListTagsForResourceInput{Arn: &arn, MaxResults: aws.Int32(1)})
			eachPage(ctx, t, p, func(page *transfer.ListTagsForResourceOutput) {
				for _, tg := range page.Tags {
					got = append(got, aws.ToString(tg.Key)+"="+aws.ToString(tg.Value))
				}
			})
			if fmt.Sprint(got) != "[a=1 c=3]" {
				t.Fatalf("tags %v", got)
			}
			missing := arn[:len(arn)-3] + "fff"
			_, err := c.TagResource(ctx, &transfer.TagResourceInput{Arn: &missing, Tags: []types.Tag{tag("a", "1")}})
			wantTyped[*types.ResourceNotFoundException](t, err)
		})
	}
	// The Describe calls return the tags.
	dw, _ := c.DescribeWorkflow(ctx, &transfer.DescribeWorkflowInput{WorkflowId: &wf})
	if len(dw.Workflow.Tags) != 2 {
		t.Fatalf("DescribeWorkflow tags %v", dw.Workflow.Tags)
	}

	// Account B sees nothing of account A.
	b := env.srv.TransferAs(acctB, "us-east-1")
	if out, err := b.ListConnectors(ctx, &transfer.ListConnectorsInput{}); err != nil || len(out.Connectors) != 0 {
		t.Fatalf("account B ListConnectors = %+v, %v", out, err)
	}
	_, err = b.DescribeWorkflow(ctx, &transfer.DescribeWorkflowInput{WorkflowId: &wf})
	wantNotFound(t, err, wf, "Workflow")
	_, err = b.DescribeCertificate(ctx, &transfer.DescribeCertificateInput{CertificateId: &cert})
	wantNotFound(t, err, cert, "Certificate")
	_, err = b.ListTagsForResource(ctx, &transfer.ListTagsForResourceInput{Arn: aws.String(arns["connector"])})
	wantAPIError(t, err, "ResourceNotFoundException")
}
