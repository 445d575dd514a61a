package transfer

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/transferapi"
	"github.com/ersatz-dev/ersatz/internal/ids"
	"github.com/ersatz-dev/ersatz/internal/service/svc"
	"github.com/ersatz-dev/ersatz/internal/store"
)

const (
	kindWebApp       = "webapp"
	kindCustomize    = "customization"
	customizeID      = "current"
	rtWebApp         = "WebApp"
	msgUnknownWebApp = "Unknown web app"

	// DefaultWebAppUnits is the WebAppUnits.Provisioned of a web app created
	// without it (one unit: 250 concurrent sessions).
	DefaultWebAppUnits = 1
)

// webAppRecord is a Transfer Family web app.
type webAppRecord struct {
	WebAppID       string    `json:"webAppId"`
	Arn            string    `json:"arn"`
	ApplicationArn string    `json:"applicationArn"`
	InstanceArn    string    `json:"instanceArn"`
	Role           string    `json:"role,omitempty"`
	AccessEndpoint string    `json:"accessEndpoint"`
	WebAppEndpoint string    `json:"webAppEndpoint"`
	Units          int32     `json:"units"`
	EndpointPolicy string    `json:"endpointPolicy"`
	EndpointType   string    `json:"endpointType"`
	VpcID          string    `json:"vpcId,omitempty"`
	SubnetIDs      []string  `json:"subnetIds,omitempty"`
	SecurityGroups []string  `json:"securityGroupIds,omitempty"`
	VpcIPType      string    `json:"vpcIpAddressType,omitempty"`
	VpcEndpointID  string    `json:"vpcEndpointId,omitempty"`
	CreatedAt      time.Time `json:"createdAt"`
}

// webAppCustomization is a web app's title, logo and favicon.
type webAppCustomization struct {
	Title       string `json:"title,omitempty"`
	LogoFile    []byte `json:"logoFile,omitempty"`
	FaviconFile []byte `json:"faviconFile,omitempty"`
}

func webAppKey(sc store.Scope, id string) store.Key {
	return store.Key{Scope: sc, Kind: kindWebApp, ID: id}
}

func webAppNotFound(id string) error { return notFound(msgUnknownWebApp, id, rtWebApp) }

func getWebApp(tx store.Tx, sc store.Scope, id string) (webAppRecord, error) {
	return getRecord[webAppRecord](tx, webAppKey(sc, id), webAppNotFound)
}

// CreateWebApp creates a web app backed by IAM Identity Center. Its
// WebAppEndpoint is https://<webapp-id>.transfer-webapp.<region>.on.aws and
// AccessEndpoint defaults to it; WebAppUnits defaults to 1 and
// WebAppEndpointPolicy to STANDARD (FIPS only in GovCloud regions, as
// documented). A VPC web app (EndpointDetails.Vpc) gets a VPC endpoint id.
func (s *Service) CreateWebApp(ctx context.Context, in *transferapi.CreateWebAppRequest) (*transferapi.CreateWebAppResponse, error) {
	ic := in.IdentityProviderDetails.IdentityCenterConfig
	if ic == nil || api.Val(ic.InstanceArn) == "" || api.Val(ic.Role) == "" {
		return nil, invalid("IdentityProviderDetails.IdentityCenterConfig.InstanceArn and Role are required")
	}
	tags, err := checkNewTags(in.Tags)
	if err != nil {
		return nil, err
	}
	c := api.CallerFrom(ctx)
	policy := valOr(in.WebAppEndpointPolicy, transferapi.WebAppEndpointPolicyStandard)
	if policy == transferapi.WebAppEndpointPolicyFips && !strings.HasPrefix(c.Region, "us-gov-") {
		return nil, invalid("WebAppEndpointPolicy FIPS can only be used in an AWS GovCloud (US) Region, not %s", c.Region)
	}
	rec := webAppRecord{
		WebAppID: ids.Hex17("webapp-"), InstanceArn: *ic.InstanceArn, Role: *ic.Role,
		Units: DefaultWebAppUnits, EndpointPolicy: policy, EndpointType: transferapi.WebAppEndpointTypePublic,
		CreatedAt: s.clock(),
	}
	if in.WebAppUnits != nil && in.WebAppUnits.Provisioned != nil {
		rec.Units = *in.WebAppUnits.Provisioned
	}
	if in.EndpointDetails != nil && in.EndpointDetails.Vpc != nil {
		v := in.EndpointDetails.Vpc
		if api.Val(v.VpcId) == "" || len(v.SubnetIds) == 0 {
			return nil, invalid("EndpointDetails.Vpc.VpcId and SubnetIds are required for a VPC web app")
		}
		rec.EndpointType, rec.VpcID = transferapi.WebAppEndpointTypeVpc, *v.VpcId
		rec.SubnetIDs, rec.SecurityGroups = slices.Clone(v.SubnetIds), slices.Clone(v.SecurityGroupIds)
		rec.VpcIPType = valOr(v.IpAddressType, transferapi.WebAppVpcEndpointIpAddressTypeIpv4)
		rec.VpcEndpointID = "vpce-" + ids.RandHex(17)
	}
	rec.Arn = s.kit.ARN(ctx, "webapp/"+rec.WebAppID)
	rec.WebAppEndpoint = "https://" + rec.WebAppID + ".transfer-webapp." + c.Region + ".on.aws"
	rec.AccessEndpoint = valOr(in.AccessEndpoint, rec.WebAppEndpoint)
	instance := rec.InstanceArn[strings.LastIndexByte(rec.InstanceArn, '/')+1:]
	rec.ApplicationArn = "arn:aws:sso::" + c.Account + ":application/" + instance + "/apl-" + ids.RandHex(16)
	key := webAppKey(s.kit.Scope(ctx), rec.WebAppID)
	err = s.create(ctx, key, &rec, tags, nil)
	if err != nil {
		return nil, s.kit.Err("CreateWebApp", err)
	}
	return &transferapi.CreateWebAppResponse{WebAppId: api.Ptr(rec.WebAppID)}, nil
}

// DescribeWebApp returns a web app with its tags.
func (s *Service) DescribeWebApp(ctx context.Context, in *transferapi.DescribeWebAppRequest) (*transferapi.DescribeWebAppResponse, error) {
	sc := s.kit.Scope(ctx)
	out, err := describe(ctx, s.store,
		func(tx store.Tx) (webAppRecord, error) { return getWebApp(tx, sc, *in.WebAppId) },
		func(rec *webAppRecord) store.Key { return webAppKey(sc, rec.WebAppID) },
		func(rec *webAppRecord, tags []transferapi.Tag) *transferapi.DescribedWebApp {
			out := &transferapi.DescribedWebApp{
				Arn: api.Ptr(rec.Arn), WebAppId: api.Ptr(rec.WebAppID),
				DescribedIdentityProviderDetails: &transferapi.DescribedWebAppIdentityProviderDetails{
					IdentityCenterConfig: &transferapi.DescribedIdentityCenterConfig{
						ApplicationArn: api.Ptr(rec.ApplicationArn), InstanceArn: api.Ptr(rec.InstanceArn), Role: svc.PtrIf(rec.Role),
					},
				},
				AccessEndpoint: api.Ptr(rec.AccessEndpoint), WebAppEndpoint: api.Ptr(rec.WebAppEndpoint),
				WebAppUnits: &transferapi.WebAppUnits{Provisioned: api.Ptr(rec.Units)}, Tags: tags,
				WebAppEndpointPolicy: api.Ptr(rec.EndpointPolicy), EndpointType: api.Ptr(rec.EndpointType),
			}
			if rec.EndpointType == transferapi.WebAppEndpointTypeVpc {
				out.DescribedEndpointDetails = &transferapi.DescribedWebAppEndpointDetails{Vpc: &transferapi.DescribedWebAppVpcConfig{
					SubnetIds: rec.SubnetIDs, VpcId: api.Ptr(rec.VpcID), VpcEndpointId: api.Ptr(rec.VpcEndpointID),
				}}
			}
			return out
		})
	if err != nil {
		return nil, s.kit.Err("DescribeWebApp", err)
	}
	return &transferapi.DescribeWebAppResponse{WebApp: out}, nil
}

// ListWebApps pages through the web apps in ascending order of id.
func (s *Service) ListWebApps(ctx context.Context, in *transferapi.ListWebAppsRequest) (*transferapi.ListWebAppsResponse, error) {
	sc := s.kit.Scope(ctx)
	items, next, err := listPage(ctx, s, inScope(store.Collection{Scope: sc, Kind: kindWebApp}), in.NextToken, in.MaxResults, []transferapi.ListedWebApp{},
		func(r *webAppRecord) transferapi.ListedWebApp {
			return transferapi.ListedWebApp{
				Arn: api.Ptr(r.Arn), WebAppId: api.Ptr(r.WebAppID), AccessEndpoint: api.Ptr(r.AccessEndpoint),
				WebAppEndpoint: api.Ptr(r.WebAppEndpoint), EndpointType: api.Ptr(r.EndpointType),
			}
		})
	if err != nil {
		return nil, s.kit.Err("ListWebApps", err)
	}
	return &transferapi.ListWebAppsResponse{WebApps: items, NextToken: next}, nil
}

// UpdateWebApp changes the members given: the Identity Center role, the
// AccessEndpoint, the units, and a VPC web app's subnets and IP address
// type (EndpointDetails.Vpc on a PUBLIC web app is refused).
func (s *Service) UpdateWebApp(ctx context.Context, in *transferapi.UpdateWebAppRequest) (*transferapi.UpdateWebAppResponse, error) {
	sc := s.kit.Scope(ctx)
	err := s.store.Update(ctx, func(tx store.Tx) error {
		rec, err := getWebApp(tx, sc, *in.WebAppId)
		if err != nil {
			return err
		}
		if d := in.IdentityProviderDetails; d != nil && d.IdentityCenterConfig != nil && d.IdentityCenterConfig.Role != nil {
			rec.Role = *d.IdentityCenterConfig.Role
		}
		if in.AccessEndpoint != nil {
			rec.AccessEndpoint = *in.AccessEndpoint
		}
		if in.WebAppUnits != nil && in.WebAppUnits.Provisioned != nil {
			rec.Units = *in.WebAppUnits.Provisioned
		}
		if in.EndpointDetails != nil && in.EndpointDetails.Vpc != nil {
			if rec.EndpointType != transferapi.WebAppEndpointTypeVpc {
				return invalid("Web app %s has a PUBLIC endpoint; EndpointDetails.Vpc can only be updated on a VPC web app", rec.WebAppID)
			}
			v := in.EndpointDetails.Vpc
			if v.SubnetIds != nil {
				if len(v.SubnetIds) == 0 {
					return invalid("EndpointDetails.Vpc.SubnetIds cannot be empty")
				}
				rec.SubnetIDs = slices.Clone(v.SubnetIds)
			}
			if v.IpAddressType != nil {
				rec.VpcIPType = *v.IpAddressType
			}
		}
		return store.PutJSON(tx, webAppKey(sc, rec.WebAppID), rec)
	})
	if err != nil {
		return nil, s.kit.Err("UpdateWebApp", err)
	}
	return &transferapi.UpdateWebAppResponse{WebAppId: in.WebAppId}, nil
}

// DeleteWebApp deletes a web app with its customization and tags.
func (s *Service) DeleteWebApp(ctx context.Context, in *transferapi.DeleteWebAppRequest) error {
	sc := s.kit.Scope(ctx)
	err := s.store.Update(ctx, func(tx store.Tx) error {
		return svc.Delete(tx, webAppKey(sc, *in.WebAppId), func() error { return webAppNotFound(*in.WebAppId) })
	})
	return s.kit.Err("DeleteWebApp", err)
}

func customizationKey(sc store.Scope, id string) store.Key {
	return webAppKey(sc, id).Child(kindCustomize, customizeID)
}

// getCustomization reads a web app's customization (empty when none).
func getCustomization(tx store.Tx, sc store.Scope, id string) (webAppRecord, webAppCustomization, bool, error) {
	rec, err := getWebApp(tx, sc, id)
	if err != nil {
		return rec, webAppCustomization{}, false, err
	}
	c, found, err := svc.Lookup[webAppCustomization](tx, customizationKey(sc, id))
	return rec, c, found, err
}

// DescribeWebAppCustomization returns a web app's title, logo and favicon
// (a web app never customized answers with its ARN and id only).
func (s *Service) DescribeWebAppCustomization(ctx context.Context, in *transferapi.DescribeWebAppCustomizationRequest) (*transferapi.DescribeWebAppCustomizationResponse, error) {
	sc := s.kit.Scope(ctx)
	var out *transferapi.DescribedWebAppCustomization
	err := s.store.View(ctx, func(tx store.Tx) error {
		rec, c, _, err := getCustomization(tx, sc, *in.WebAppId)
		if err != nil {
			return err
		}
		out = &transferapi.DescribedWebAppCustomization{
			Arn: api.Ptr(rec.Arn), WebAppId: api.Ptr(rec.WebAppID), Title: svc.PtrIf(c.Title),
			LogoFile: c.LogoFile, FaviconFile: c.FaviconFile,
		}
		return nil
	})
	if err != nil {
		return nil, s.kit.Err("DescribeWebAppCustomization", err)
	}
	return &transferapi.DescribeWebAppCustomizationResponse{WebAppCustomization: out}, nil
}

// UpdateWebAppCustomization sets the members given: Title ("" removes it),
// LogoFile (1 to 51,200 bytes) and FaviconFile (1 to 20,960 bytes): the
// model's limits, checked before the handler runs.
func (s *Service) UpdateWebAppCustomization(ctx context.Context, in *transferapi.UpdateWebAppCustomizationRequest) (*transferapi.UpdateWebAppCustomizationResponse, error) {
	sc := s.kit.Scope(ctx)
	err := s.store.Update(ctx, func(tx store.Tx) error {
		_, c, _, err := getCustomization(tx, sc, *in.WebAppId)
		if err != nil {
			return err
		}
		if in.Title != nil {
			c.Title = *in.Title
		}
		if in.LogoFile != nil {
			c.LogoFile = slices.Clone(in.LogoFile)
		}
		if in.FaviconFile != nil {
			c.FaviconFile = slices.Clone(in.FaviconFile)
		}
		return store.PutJSON(tx, customizationKey(sc, *in.WebAppId), c)
	})
	if err != nil {
		return nil, s.kit.Err("UpdateWebAppCustomization", err)
	}
	return &transferapi.UpdateWebAppCustomizationResponse{WebAppId: in.WebAppId}, nil
}

// DeleteWebAppCustomization removes a web app's title, logo and favicon.
// Deleting a customization that does not exist succeeds (AWS documents no
// error for it; the web app itself must exist).
func (s *Service) DeleteWebAppCustomization(ctx context.Context, in *transferapi.DeleteWebAppCustomizationRequest) error {
	sc := s.kit.Scope(ctx)
	err := s.store.Update(ctx, func(tx store.Tx) error {
		_, _, found, err := getCustomization(tx, sc, *in.WebAppId)
		if err != nil || !found {
			return err
		}
		return tx.Delete(customizationKey(sc, *in.WebAppId))
	})
	return s.kit.Err("DeleteWebAppCustomization", err)
}
