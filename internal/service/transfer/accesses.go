package transfer

import (
	"context"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/transferapi"
	"github.com/ersatz-dev/ersatz/internal/service/svc"
	"github.com/ersatz-dev/ersatz/internal/store"
)

const kindAccess = "access"

// accessRecord is the access a directory group (ExternalId, its SID) has to
// a server.
type accessRecord struct {
	ExternalID string `json:"externalId"`
	ServerID   string `json:"serverId"`
	homeProfile
}

func accessKey(sc store.Scope, serverID, externalID string) store.Key {
	return serverKey(sc, serverID).Child(kindAccess, externalID)
}

func accessNotFound(externalID string) error { return notFound("Unknown access", externalID, rtAccess) }

// getAccess reads a server and one of its accesses.
func getAccess(tx store.Tx, sc store.Scope, serverID, externalID string) (serverRecord, accessRecord, error) {
	srv, err := getServer(tx, sc, serverID)
	if err != nil {
		return srv, accessRecord{}, err
	}
	a, err := getRecord[accessRecord](tx, accessKey(sc, serverID, externalID), accessNotFound)
	return srv, a, err
}

func putAccess(tx store.Tx, sc store.Scope, a *accessRecord) error {
	return store.PutJSON(tx, accessKey(sc, a.ServerID, a.ExternalID), a)
}

// CreateAccess gives a directory group access to a server. Accesses belong to
// servers whose identity provider is AWS_DIRECTORY_SERVICE (the groups are
// Active Directory groups); the pair (ServerId, ExternalId) is unique.
func (s *Service) CreateAccess(ctx context.Context, in *transferapi.CreateAccessRequest) (*transferapi.CreateAccessResponse, error) {
	sc := s.kit.Scope(ctx)
	err := s.store.Update(ctx, func(tx store.Tx) error {
		srv, err := getServer(tx, sc, *in.ServerId)
		if err != nil {
			return err
		}
		if srv.IdentityProviderType != transferapi.IdentityProviderTypeAwsDirectoryService {
			return invalid("Accesses can only be created on servers whose IdentityProviderType is AWS_DIRECTORY_SERVICE; server %s uses %s",
				srv.ServerID, srv.IdentityProviderType)
		}
		key := accessKey(sc, srv.ServerID, *in.ExternalId)
		found, err := svc.Exists(tx, key)
		if err != nil {
			return err
		}
		if found {
			return exists("Access already exists", *in.ExternalId, rtAccess)
		}
		a := accessRecord{ExternalID: *in.ExternalId, ServerID: srv.ServerID}
		if err := a.apply(profileInput{
			HomeDirectory: in.HomeDirectory, HomeDirectoryType: in.HomeDirectoryType,
			HomeDirectoryMappings: in.HomeDirectoryMappings, Policy: in.Policy,
			PosixProfile: in.PosixProfile, Role: in.Role,
		}, srv.Domain); err != nil {
			return err
		}
		return putAccess(tx, sc, &a)
	})
	if err != nil {
		return nil, s.kit.Err("CreateAccess", err)
	}
	return &transferapi.CreateAccessResponse{ServerId: in.ServerId, ExternalId: in.ExternalId}, nil
}

// DescribeAccess returns every stored member of an access.
func (s *Service) DescribeAccess(ctx context.Context, in *transferapi.DescribeAccessRequest) (*transferapi.DescribeAccessResponse, error) {
	sc := s.kit.Scope(ctx)
	var out *transferapi.DescribedAccess
	err := s.store.View(ctx, func(tx store.Tx) error {
		_, a, err := getAccess(tx, sc, *in.ServerId, *in.ExternalId)
		if err != nil {
			return err
		}
		out = &transferapi.DescribedAccess{
			HomeDirectory: a.homeDir(), HomeDirectoryMappings: a.HomeDirectoryMappings,
			HomeDirectoryType: api.Ptr(a.HomeDirectoryType), Policy: svc.PtrIf(a.Policy), PosixProfile: a.PosixProfile,
			Role: svc.PtrIf(a.Role), ExternalId: api.Ptr(a.ExternalID),
		}
		return nil
	})
	if err != nil {
		return nil, s.kit.Err("DescribeAccess", err)
	}
	return &transferapi.DescribeAccessResponse{ServerId: in.ServerId, Access: out}, nil
}

// ListAccesses pages through a server's accesses in ascending order of
// ExternalId.
func (s *Service) ListAccesses(ctx context.Context, in *transferapi.ListAccessesRequest) (*transferapi.ListAccessesResponse, error) {
	sc := s.kit.Scope(ctx)
	items, next, err := listPage(ctx, s, underServer(sc, *in.ServerId, kindAccess), in.NextToken, in.MaxResults, nil,
		func(a *accessRecord) transferapi.ListedAccess {
			return transferapi.ListedAccess{
				HomeDirectory: a.homeDir(), HomeDirectoryType: api.Ptr(a.HomeDirectoryType),
				Role: svc.PtrIf(a.Role), ExternalId: api.Ptr(a.ExternalID),
			}
		})
	if err != nil {
		return nil, s.kit.Err("ListAccesses", err)
	}
	return &transferapi.ListAccessesResponse{ServerId: in.ServerId, Accesses: items, NextToken: next}, nil
}

// UpdateAccess changes exactly the members given (HomeDirectory,
// HomeDirectoryType, HomeDirectoryMappings, Policy, PosixProfile, Role); a
// rejected update changes nothing.
func (s *Service) UpdateAccess(ctx context.Context, in *transferapi.UpdateAccessRequest) (*transferapi.UpdateAccessResponse, error) {
	sc := s.kit.Scope(ctx)
	err := s.store.Update(ctx, func(tx store.Tx) error {
		srv, a, err := getAccess(tx, sc, *in.ServerId, *in.ExternalId)
		if err != nil {
			return err
		}
		if err := a.apply(profileInput{
			HomeDirectory: in.HomeDirectory, HomeDirectoryType: in.HomeDirectoryType,
			HomeDirectoryMappings: in.HomeDirectoryMappings, Policy: in.Policy,
			PosixProfile: in.PosixProfile, Role: in.Role,
		}, srv.Domain); err != nil {
			return err
		}
		return putAccess(tx, sc, &a)
	})
	if err != nil {
		return nil, s.kit.Err("UpdateAccess", err)
	}
	return &transferapi.UpdateAccessResponse{ServerId: in.ServerId, ExternalId: in.ExternalId}, nil
}

// DeleteAccess removes a group's access to a server.
func (s *Service) DeleteAccess(ctx context.Context, in *transferapi.DeleteAccessRequest) error {
	sc := s.kit.Scope(ctx)
	err := s.store.Update(ctx, func(tx store.Tx) error {
		if _, _, err := getAccess(tx, sc, *in.ServerId, *in.ExternalId); err != nil {
			return err
		}
		return tx.Delete(accessKey(sc, *in.ServerId, *in.ExternalId))
	})
	return s.kit.Err("DeleteAccess", err)
}
