package transfer

import (
	"context"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/transferapi"
	"github.com/ersatz-dev/ersatz/internal/service/svc"
	"github.com/ersatz-dev/ersatz/internal/store"
)

const kindUser = "user"

// userRecord is a service-managed user of a server.
type userRecord struct {
	UserName string `json:"userName"`
	ServerID string `json:"serverId"`
	Arn      string `json:"arn"`
	homeProfile
	SshPublicKeys []sshKeyRecord `json:"sshPublicKeys,omitempty"`
}

func userKey(sc store.Scope, serverID, userName string) store.Key {
	return serverKey(sc, serverID).Child(kindUser, userName)
}

// getUser reads a server and one of its users.
func getUser(tx store.Tx, sc store.Scope, serverID, userName string) (serverRecord, userRecord, error) {
	srv, err := getServer(tx, sc, serverID)
	if err != nil {
		return srv, userRecord{}, err
	}
	u, err := getRecord[userRecord](tx, userKey(sc, serverID, userName), userNotFound)
	return srv, u, err
}

// getUserOf reads a user of a server that must exist, for a request that
// needs the user alone: the server's existence is checked without decoding
// its record (the largest of Transfer's, read on every DescribeUser).
func getUserOf(tx store.Tx, sc store.Scope, serverID, userName string) (userRecord, error) {
	if err := serverExists(tx, sc, serverID); err != nil {
		return userRecord{}, err
	}
	return getRecord[userRecord](tx, userKey(sc, serverID, userName), userNotFound)
}

// viewUser is getUserOf for a read whose result is encoded and dropped: the
// user's record comes decoded from s.users, so the record's slices and
// pointers are shared and must not be written through.
func (s *Service) viewUser(tx store.Tx, sc store.Scope, serverID, userName string) (userRecord, error) {
	if err := serverExists(tx, sc, serverID); err != nil {
		return userRecord{}, err
	}
	return s.users.Get(tx, userKey(sc, serverID, userName), func() error { return userNotFound(userName) })
}

// nonZero is p, or nil when *p is empty (an absent member).
func nonZero(p *string) *string {
	if *p == "" {
		return nil
	}
	return p
}

func userNotFound(userName string) error { return notFound(msgUnknownUser, userName, rtUser) }

func putUser(tx store.Tx, sc store.Scope, u *userRecord) error {
	return store.PutJSON(tx, userKey(sc, u.ServerID, u.UserName), u)
}

// CreateUser creates a service-managed user: only SERVICE_MANAGED servers
// have them ("You can only create and associate users with servers that have
// the IdentityProviderType set to SERVICE_MANAGED").
func (s *Service) CreateUser(ctx context.Context, in *transferapi.CreateUserRequest) (*transferapi.CreateUserResponse, error) {
	tags, err := checkNewTags(in.Tags)
	if err != nil {
		return nil, err
	}
	var firstKey *sshKeyRecord
	if in.SshPublicKeyBody != nil {
		k, err := parseSSHPublicKey(*in.SshPublicKeyBody, "SshPublicKeyBody")
		if err != nil {
			return nil, err
		}
		k.ID = newSSHKeyID()
		k.DateImported = s.clock()
		firstKey = &k
	}
	sc := s.kit.Scope(ctx)
	err = s.store.Update(ctx, func(tx store.Tx) error {
		srv, err := getServer(tx, sc, *in.ServerId)
		if err != nil {
			return err
		}
		if srv.IdentityProviderType != transferapi.IdentityProviderTypeServiceManaged {
			return invalid("Users can only be created on servers whose IdentityProviderType is SERVICE_MANAGED; server %s uses %s",
				srv.ServerID, srv.IdentityProviderType)
		}
		key := userKey(sc, srv.ServerID, *in.UserName)
		found, err := svc.Exists(tx, key)
		if err != nil {
			return err
		}
		if found {
			return exists("User already exists", *in.UserName, rtUser)
		}
		u := userRecord{
			UserName: *in.UserName, ServerID: srv.ServerID,
			Arn: s.kit.ARN(ctx, "user/"+srv.ServerID+"/"+*in.UserName),
		}
		if err := u.apply(profileInput{
			HomeDirectory: in.HomeDirectory, HomeDirectoryType: in.HomeDirectoryType,
			HomeDirectoryMappings: in.HomeDirectoryMappings, Policy: in.Policy,
			PosixProfile: in.PosixProfile, Role: in.Role,
		}, srv.Domain); err != nil {
			return err
		}
		if firstKey != nil {
			u.SshPublicKeys = []sshKeyRecord{*firstKey}
		}
		if err := putUser(tx, sc, &u); err != nil {
			return err
		}
		if err := putTags(tx, key, tags); err != nil {
			return err
		}
		srv.UserCount++
		return store.PutJSON(tx, serverKey(sc, srv.ServerID), srv)
	})
	if err != nil {
		return nil, s.kit.Err("CreateUser", err)
	}
	return &transferapi.CreateUserResponse{ServerId: in.ServerId, UserName: in.UserName}, nil
}

// DescribeUser returns a user with its SSH public keys and tags.
func (s *Service) DescribeUser(ctx context.Context, in *transferapi.DescribeUserRequest) (*transferapi.DescribeUserResponse, error) {
	sc := s.kit.Scope(ctx)
	out, err := describe(ctx, s.store,
		func(tx store.Tx) (userRecord, error) {
			return s.viewUser(tx, sc, *in.ServerId, *in.UserName)
		},
		func(u *userRecord) store.Key { return userKey(sc, u.ServerID, u.UserName) },
		func(u *userRecord, tags []transferapi.Tag) *transferapi.DescribedUser {
			// u is this request's copy of the record: the answer points
			// into it rather than copying each member.
			out := &transferapi.DescribedUser{
				Arn: &u.Arn, HomeDirectory: u.homeDir(), HomeDirectoryMappings: u.HomeDirectoryMappings,
				HomeDirectoryType: &u.HomeDirectoryType, Policy: nonZero(&u.Policy), PosixProfile: u.PosixProfile,
				Role: nonZero(&u.Role), Tags: tags, UserName: &u.UserName,
			}
			for _, k := range u.SshPublicKeys {
				out.SshPublicKeys = append(out.SshPublicKeys, transferapi.SshPublicKey{
					DateImported: api.Epoch(k.DateImported), SshPublicKeyBody: api.Ptr(k.Body), SshPublicKeyId: api.Ptr(k.ID),
				})
			}
			return out
		})
	if err != nil {
		return nil, s.kit.Err("DescribeUser", err)
	}
	return &transferapi.DescribeUserResponse{ServerId: in.ServerId, User: out}, nil
}

// ListUsers pages through a server's users in ascending order of name.
func (s *Service) ListUsers(ctx context.Context, in *transferapi.ListUsersRequest) (*transferapi.ListUsersResponse, error) {
	sc := s.kit.Scope(ctx)
	items, next, err := listPage(ctx, s, underServer(sc, *in.ServerId, kindUser), in.NextToken, in.MaxResults, nil,
		func(u *userRecord) transferapi.ListedUser {
			return transferapi.ListedUser{
				Arn: api.Ptr(u.Arn), HomeDirectory: u.homeDir(), HomeDirectoryType: api.Ptr(u.HomeDirectoryType),
				Role: svc.PtrIf(u.Role), SshPublicKeyCount: api.Ptr(int32(len(u.SshPublicKeys))), UserName: api.Ptr(u.UserName),
			}
		})
	if err != nil {
		return nil, s.kit.Err("ListUsers", err)
	}
	return &transferapi.ListUsersResponse{ServerId: in.ServerId, Users: items, NextToken: next}, nil
}

// UpdateUser changes the members given; a rejected update changes nothing.
func (s *Service) UpdateUser(ctx context.Context, in *transferapi.UpdateUserRequest) (*transferapi.UpdateUserResponse, error) {
	sc := s.kit.Scope(ctx)
	err := s.store.Update(ctx, func(tx store.Tx) error {
		srv, u, err := getUser(tx, sc, *in.ServerId, *in.UserName)
		if err != nil {
			return err
		}
		if err := u.apply(profileInput{
			HomeDirectory: in.HomeDirectory, HomeDirectoryType: in.HomeDirectoryType,
			HomeDirectoryMappings: in.HomeDirectoryMappings, Policy: in.Policy,
			PosixProfile: in.PosixProfile, Role: in.Role,
		}, srv.Domain); err != nil {
			return err
		}
		return putUser(tx, sc, &u)
	})
	if err != nil {
		return nil, s.kit.Err("UpdateUser", err)
	}
	return &transferapi.UpdateUserResponse{ServerId: in.ServerId, UserName: in.UserName}, nil
}

// DeleteUser deletes a user with its SSH keys and tags.
func (s *Service) DeleteUser(ctx context.Context, in *transferapi.DeleteUserRequest) error {
	sc := s.kit.Scope(ctx)
	err := s.store.Update(ctx, func(tx store.Tx) error {
		srv, u, err := getUser(tx, sc, *in.ServerId, *in.UserName)
		if err != nil {
			return err
		}
		if err := tx.Delete(userKey(sc, u.ServerID, u.UserName)); err != nil {
			return err
		}
		if srv.UserCount > 0 {
			srv.UserCount--
		}
		return store.PutJSON(tx, serverKey(sc, srv.ServerID), srv)
	})
	return s.kit.Err("DeleteUser", err)
}
