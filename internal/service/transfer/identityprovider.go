package transfer

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/transferapi"
	"github.com/ersatz-dev/ersatz/internal/dataplane/idp"
	"github.com/ersatz-dev/ersatz/internal/store"
)

// WithIdentityProviders makes TestIdentityProvider call custom identity
// providers with c (the data plane logs users in with the same client).
func WithIdentityProviders(c *idp.Client) Option {
	return func(s *Service) {
		if c != nil {
			s.idp = c
		}
	}
}

// IdentityProviders is the client that calls custom identity providers.
func (s *Service) IdentityProviders() *idp.Client { return s.idp }

func (s *Service) initIdentityProviders() {
	if s.idp == nil {
		// Without options New cannot fail: no Lambda endpoint to check.
		s.idp, _ = idp.New(idp.Options{})
	}
}

// DefaultTestSourceIP is the SourceIp TestIdentityProvider sends when the
// request names none (AWS documents no default; Ersatz's clients are on
// loopback).
const DefaultTestSourceIP = "127.0.0.1"

// TestIdentityProvider tests a server's external identity provider. For
// API_GATEWAY and AWS_LAMBDA servers it sends the provider the request a
// login sends and reports its raw answer: StatusCode, Response, Url (the
// URL called, API_GATEWAY only) and a Message saying why the user would
// be refused ("" when the answer authenticates the user). Ersatz has no
// directory service to test, so an AWS_DIRECTORY_SERVICE server answers
// what a failed test answers. A SERVICE_MANAGED server is refused as AWS
// refuses it: "s-<id> not configured for external auth".
func (s *Service) TestIdentityProvider(ctx context.Context, in *transferapi.TestIdentityProviderRequest) (*transferapi.TestIdentityProviderResponse, error) {
	sc := s.kit.Scope(ctx)
	var srv serverRecord
	err := s.store.View(ctx, func(tx store.Tx) error {
		var err error
		srv, err = getServer(tx, sc, *in.ServerId)
		return err
	})
	if err != nil {
		return nil, s.kit.Err("TestIdentityProvider", err)
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
	user := *in.UserName
	switch srv.IdentityProviderType {
	case transferapi.IdentityProviderTypeApiGateway, transferapi.IdentityProviderTypeAwsLambda:
		return s.testCustomProvider(ctx, &srv, d, in), nil
	}
	return &transferapi.TestIdentityProviderResponse{
		Response:   api.Ptr(""),
		StatusCode: api.Ptr(int32(http.StatusInternalServerError)),
		Message: api.Ptr(fmt.Sprintf("Unable to reach directory %s: Ersatz has no directory service, "+
			"so user %s was not authenticated", api.Val(d.DirectoryId), user)),
	}, nil
}

// testCustomProvider calls an API_GATEWAY or AWS_LAMBDA provider as a
// login over ServerProtocol (default SFTP, or the server's first protocol)
// from SourceIp (default DefaultTestSourceIP) would.
func (s *Service) testCustomProvider(ctx context.Context, srv *serverRecord, d *transferapi.IdentityProviderDetails, in *transferapi.TestIdentityProviderRequest) *transferapi.TestIdentityProviderResponse {
	protocol := api.Val(in.ServerProtocol)
	if protocol == "" {
		protocol = transferapi.ProtocolSftp
		if !slices.Contains(srv.Protocols, protocol) && len(srv.Protocols) > 0 {
			protocol = srv.Protocols[0]
		}
	}
	sourceIP := api.Val(in.SourceIp)
	if sourceIP == "" {
		sourceIP = DefaultTestSourceIP
	}
	p := idp.Provider{Type: srv.IdentityProviderType, URL: api.Val(d.Url), Function: api.Val(d.Function)}
	req := idp.Request{ServerID: srv.ServerID, UserName: *in.UserName, Password: in.UserPassword, Protocol: protocol, SourceIP: sourceIP}
	res, err := s.idp.Call(ctx, p, req)
	out := &transferapi.TestIdentityProviderResponse{}
	if p.Type == transferapi.IdentityProviderTypeApiGateway {
		out.Url = api.Ptr(res.URL)
		if res.URL == "" {
			out.Url = d.Url
		}
	}
	if err != nil {
		// Unreachable, timed out, or no Lambda endpoint: no answer at all.
		out.StatusCode = api.Ptr(int32(http.StatusInternalServerError))
		out.Response = api.Ptr("")
		out.Message = api.Ptr(err.Error())
		return out
	}
	out.StatusCode = api.Ptr(int32(res.StatusCode))
	out.Response = api.Ptr(string(res.Body))
	out.Message = api.Ptr(testMessage(res, *in.UserName))
	return out
}

// testMessage says why the answer would refuse the user, "" when it
// authenticates them.
func testMessage(res idp.Result, user string) string {
	if res.StatusCode != http.StatusOK || res.FunctionError != "" {
		return (&idp.StatusError{StatusCode: res.StatusCode, FunctionError: res.FunctionError}).Error()
	}
	_, err := idp.Parse(res.Body)
	switch {
	case err == nil:
		return ""
	case errors.Is(err, idp.ErrNoRole):
		return fmt.Sprintf("The identity provider did not authenticate user %s: its answer has no Role", user)
	}
	return err.Error()
}
