package transfer

import (
	"context"
	"fmt"
	"net/http"
	"slices"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/transferapi"
	"github.com/ersatz-dev/ersatz/internal/store"
)

// TestIdentityProvider tests a server's external identity provider. Ersatz
// cannot reach API Gateway endpoints, Lambda functions or Active Directory,
// so for those it answers what a failed test answers — StatusCode 500, an
// empty Response and a Message that says plainly why — and never pretends
// the user authenticated. A SERVICE_MANAGED server is refused as AWS refuses
// it: "s-<id> not configured for external auth".
func (s *Service) TestIdentityProvider(ctx context.Context, in *transferapi.TestIdentityProviderRequest) (*transferapi.TestIdentityProviderResponse, error) {
	sc := scope(ctx)
	var srv serverRecord
	err := s.store.View(ctx, func(tx store.Tx) error {
		var err error
		srv, err = getServer(tx, sc, *in.ServerId)
		return err
	})
	if err != nil {
		return nil, err
	}
	if srv.IdentityProviderType == transferapi.IdentityProviderTypeServiceManaged {
		return nil, invalid("%s not configured for external auth", srv.ServerID)
	}
	if p := api.Val(in.ServerProtocol); p != "" && !slices.Contains(srv.Protocols, p) {
		return nil, invalid("ServerProtocol %s is not enabled on server %s (its protocols are %v)", p, srv.ServerID, srv.Protocols)
	}
	d := srv.IdentityProviderDetails
	if d == nil {
		d = &transferapi.IdentityProviderDetails{}
	}
	out := &transferapi.TestIdentityProviderResponse{
		Response:   api.Ptr(""),
		StatusCode: api.Ptr(int32(http.StatusInternalServerError)),
	}
	user := *in.UserName
	switch srv.IdentityProviderType {
	case transferapi.IdentityProviderTypeApiGateway:
		out.Url = d.Url
		out.Message = api.Ptr(fmt.Sprintf("Unable to call the identity provider: the API Gateway endpoint %s is not reachable "+
			"from Ersatz, so user %s was not authenticated", api.Val(d.Url), user))
	case transferapi.IdentityProviderTypeAwsLambda:
		out.Url = d.Function
		out.Message = api.Ptr(fmt.Sprintf("Unable to call the identity provider: the Lambda function %s is not reachable "+
			"from Ersatz, so user %s was not authenticated", api.Val(d.Function), user))
	case transferapi.IdentityProviderTypeAwsDirectoryService:
		out.Message = api.Ptr(fmt.Sprintf("Unable to reach directory %s: Ersatz has no directory service, "+
			"so user %s was not authenticated", api.Val(d.DirectoryId), user))
	}
	return out, nil
}
