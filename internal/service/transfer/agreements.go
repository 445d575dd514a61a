package transfer

import (
	"context"
	"time"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/transferapi"
	"github.com/ersatz-dev/ersatz/internal/files"
	"github.com/ersatz-dev/ersatz/internal/ids"
	"github.com/ersatz-dev/ersatz/internal/service/svc"
	"github.com/ersatz-dev/ersatz/internal/store"
)

const (
	kindAgreement       = "agreement"
	rtAgreement         = "Agreement"
	msgUnknownAgreement = "Unknown agreement"
)

// agreementRecord is an AS2 trading partner agreement of a server.
type agreementRecord struct {
	AgreementID           string                             `json:"agreementId"`
	Arn                   string                             `json:"arn"`
	ServerID              string                             `json:"serverId"`
	Description           string                             `json:"description,omitempty"`
	Status                string                             `json:"status"`
	LocalProfileID        string                             `json:"localProfileId"`
	PartnerProfileID      string                             `json:"partnerProfileId"`
	BaseDirectory         string                             `json:"baseDirectory,omitempty"`
	AccessRole            string                             `json:"accessRole"`
	PreserveFilename      string                             `json:"preserveFilename"`
	EnforceMessageSigning string                             `json:"enforceMessageSigning"`
	CustomDirectories     *transferapi.CustomDirectoriesType `json:"customDirectories,omitempty"`
	CreatedAt             time.Time                          `json:"createdAt"`
}

func agreementKey(sc store.Scope, serverID, id string) store.Key {
	return serverKey(sc, serverID).Child(kindAgreement, id)
}

func agreementCollection(sc store.Scope, serverID string) store.Collection {
	return store.Collection{Scope: sc, Parent: serverKey(sc, serverID).Path(), Kind: kindAgreement}
}

func agreementNotFound(id string) error { return notFound(msgUnknownAgreement, id, rtAgreement) }

// getAgreement reads an agreement of an existing server.
func getAgreement(tx store.Tx, sc store.Scope, serverID, id string) (agreementRecord, error) {
	if _, err := getServer(tx, sc, serverID); err != nil {
		return agreementRecord{}, err
	}
	return getRecord[agreementRecord](tx, agreementKey(sc, serverID, id), agreementNotFound)
}

// checkDirectory refuses a landing directory that names no bucket.
func checkDirectory(field, dir string) error {
	if _, _, err := files.Split(dir); err != nil || dir == "" {
		return invalid("%s %q must be a path that starts with /<bucket>", field, dir)
	}
	return nil
}

// validateAgreement checks an agreement as it would be stored: the server
// exists and speaks AS2, the local profile is LOCAL and the partner profile
// PARTNER, exactly one of BaseDirectory and CustomDirectories is set, and no
// other agreement of the server joins the same two profiles (Ersatz's rule
// for CreateAgreement's ResourceExistsException).
func validateAgreement(tx store.Tx, sc store.Scope, a *agreementRecord) error {
	srv, err := getServer(tx, sc, a.ServerID)
	if err != nil {
		return err
	}
	if !srv.hasProtocol(transferapi.ProtocolAs2) {
		return invalid("Server %s does not support the AS2 protocol; agreements need an AS2 server", a.ServerID)
	}
	if _, err := getProfileOfType(tx, sc, a.LocalProfileID, transferapi.ProfileTypeLocal, "LocalProfileId"); err != nil {
		return err
	}
	if _, err := getProfileOfType(tx, sc, a.PartnerProfileID, transferapi.ProfileTypePartner, "PartnerProfileId"); err != nil {
		return err
	}
	switch {
	case a.BaseDirectory != "" && a.CustomDirectories != nil:
		return invalid("Specify either BaseDirectory or CustomDirectories, but not both")
	case a.BaseDirectory == "" && a.CustomDirectories == nil:
		return invalid("Either BaseDirectory or CustomDirectories is required")
	case a.BaseDirectory != "":
		if err := checkDirectory("BaseDirectory", a.BaseDirectory); err != nil {
			return err
		}
	default:
		d := a.CustomDirectories
		for _, f := range []struct{ name, v string }{
			{"CustomDirectories.FailedFilesDirectory", api.Val(d.FailedFilesDirectory)},
			{"CustomDirectories.MdnFilesDirectory", api.Val(d.MdnFilesDirectory)},
			{"CustomDirectories.PayloadFilesDirectory", api.Val(d.PayloadFilesDirectory)},
			{"CustomDirectories.StatusFilesDirectory", api.Val(d.StatusFilesDirectory)},
			{"CustomDirectories.TemporaryFilesDirectory", api.Val(d.TemporaryFilesDirectory)},
		} {
			if err := checkDirectory(f.name, f.v); err != nil {
				return err
			}
		}
	}
	others, _, err := store.ListJSON[agreementRecord](tx, agreementCollection(sc, a.ServerID), store.Page{})
	if err != nil {
		return err
	}
	for _, o := range others {
		if o.AgreementID != a.AgreementID && o.LocalProfileID == a.LocalProfileID && o.PartnerProfileID == a.PartnerProfileID {
			return exists("An agreement between these profiles already exists on server "+a.ServerID, o.AgreementID, rtAgreement)
		}
	}
	return nil
}

// CreateAgreement creates an agreement of an AS2 server. Status defaults to
// ACTIVE, PreserveFilename and EnforceMessageSigning to DISABLED (the
// documented defaults).
func (s *Service) CreateAgreement(ctx context.Context, in *transferapi.CreateAgreementRequest) (*transferapi.CreateAgreementResponse, error) {
	tags, err := checkNewTags(in.Tags)
	if err != nil {
		return nil, err
	}
	sc := s.kit.Scope(ctx)
	rec := agreementRecord{
		AgreementID: ids.Hex17("a-"), ServerID: *in.ServerId, Description: api.Val(in.Description),
		Status:         valOr(in.Status, transferapi.AgreementStatusTypeActive),
		LocalProfileID: *in.LocalProfileId, PartnerProfileID: *in.PartnerProfileId,
		BaseDirectory: api.Val(in.BaseDirectory), AccessRole: *in.AccessRole,
		PreserveFilename:      valOr(in.PreserveFilename, transferapi.PreserveFilenameTypeDisabled),
		EnforceMessageSigning: valOr(in.EnforceMessageSigning, transferapi.EnforceMessageSigningTypeDisabled),
		CustomDirectories:     in.CustomDirectories, CreatedAt: s.clock(),
	}
	rec.Arn = s.kit.ARN(ctx, "agreement/"+rec.ServerID+"/"+rec.AgreementID)
	key := agreementKey(sc, rec.ServerID, rec.AgreementID)
	err = s.create(ctx, key, &rec, tags, func(tx store.Tx) error {
		return validateAgreement(tx, sc, &rec)
	})
	if err != nil {
		return nil, s.kit.Err("CreateAgreement", err)
	}
	return &transferapi.CreateAgreementResponse{AgreementId: api.Ptr(rec.AgreementID)}, nil
}

// DescribeAgreement returns an agreement with its tags.
func (s *Service) DescribeAgreement(ctx context.Context, in *transferapi.DescribeAgreementRequest) (*transferapi.DescribeAgreementResponse, error) {
	sc := s.kit.Scope(ctx)
	out, err := describe(ctx, s.store,
		func(tx store.Tx) (agreementRecord, error) { return getAgreement(tx, sc, *in.ServerId, *in.AgreementId) },
		func(rec *agreementRecord) store.Key { return agreementKey(sc, rec.ServerID, rec.AgreementID) },
		func(rec *agreementRecord, tags []transferapi.Tag) *transferapi.DescribedAgreement {
			return &transferapi.DescribedAgreement{
				Arn: api.Ptr(rec.Arn), AgreementId: api.Ptr(rec.AgreementID), Description: svc.PtrIf(rec.Description),
				Status: api.Ptr(rec.Status), ServerId: api.Ptr(rec.ServerID), LocalProfileId: api.Ptr(rec.LocalProfileID),
				PartnerProfileId: api.Ptr(rec.PartnerProfileID), BaseDirectory: svc.PtrIf(rec.BaseDirectory),
				AccessRole: api.Ptr(rec.AccessRole), Tags: tags, PreserveFilename: api.Ptr(rec.PreserveFilename),
				EnforceMessageSigning: api.Ptr(rec.EnforceMessageSigning), CustomDirectories: rec.CustomDirectories,
			}
		})
	if err != nil {
		return nil, s.kit.Err("DescribeAgreement", err)
	}
	return &transferapi.DescribeAgreementResponse{Agreement: out}, nil
}

// ListAgreements pages through a server's agreements in ascending order of id.
func (s *Service) ListAgreements(ctx context.Context, in *transferapi.ListAgreementsRequest) (*transferapi.ListAgreementsResponse, error) {
	sc := s.kit.Scope(ctx)
	items, next, err := listPage(ctx, s, underServer(sc, *in.ServerId, kindAgreement), in.NextToken, in.MaxResults, []transferapi.ListedAgreement{},
		func(r *agreementRecord) transferapi.ListedAgreement {
			return transferapi.ListedAgreement{
				Arn: api.Ptr(r.Arn), AgreementId: api.Ptr(r.AgreementID), Description: svc.PtrIf(r.Description),
				Status: api.Ptr(r.Status), ServerId: api.Ptr(r.ServerID), LocalProfileId: api.Ptr(r.LocalProfileID),
				PartnerProfileId: api.Ptr(r.PartnerProfileID),
			}
		})
	if err != nil {
		return nil, s.kit.Err("ListAgreements", err)
	}
	return &transferapi.ListAgreementsResponse{Agreements: items, NextToken: next}, nil
}

// UpdateAgreement changes the members given and validates the agreement as
// it would be. Setting BaseDirectory drops CustomDirectories and the other
// way round ("the base directory is no longer used"); giving both is refused.
func (s *Service) UpdateAgreement(ctx context.Context, in *transferapi.UpdateAgreementRequest) (*transferapi.UpdateAgreementResponse, error) {
	if in.BaseDirectory != nil && in.CustomDirectories != nil {
		return nil, invalid("Specify either BaseDirectory or CustomDirectories, but not both")
	}
	sc := s.kit.Scope(ctx)
	err := s.store.Update(ctx, func(tx store.Tx) error {
		rec, err := getAgreement(tx, sc, *in.ServerId, *in.AgreementId)
		if err != nil {
			return err
		}
		if in.Description != nil {
			rec.Description = *in.Description
		}
		if in.Status != nil {
			rec.Status = *in.Status
		}
		if in.LocalProfileId != nil {
			rec.LocalProfileID = *in.LocalProfileId
		}
		if in.PartnerProfileId != nil {
			rec.PartnerProfileID = *in.PartnerProfileId
		}
		if in.BaseDirectory != nil {
			rec.BaseDirectory, rec.CustomDirectories = *in.BaseDirectory, nil
		}
		if in.CustomDirectories != nil {
			rec.CustomDirectories, rec.BaseDirectory = in.CustomDirectories, ""
		}
		if in.AccessRole != nil {
			rec.AccessRole = *in.AccessRole
		}
		if in.PreserveFilename != nil {
			rec.PreserveFilename = *in.PreserveFilename
		}
		if in.EnforceMessageSigning != nil {
			rec.EnforceMessageSigning = *in.EnforceMessageSigning
		}
		if err := validateAgreement(tx, sc, &rec); err != nil {
			return err
		}
		return store.PutJSON(tx, agreementKey(sc, rec.ServerID, rec.AgreementID), rec)
	})
	if err != nil {
		return nil, s.kit.Err("UpdateAgreement", err)
	}
	return &transferapi.UpdateAgreementResponse{AgreementId: in.AgreementId}, nil
}

// DeleteAgreement deletes an agreement and its tags.
func (s *Service) DeleteAgreement(ctx context.Context, in *transferapi.DeleteAgreementRequest) error {
	sc := s.kit.Scope(ctx)
	err := s.store.Update(ctx, func(tx store.Tx) error {
		if _, err := getAgreement(tx, sc, *in.ServerId, *in.AgreementId); err != nil {
			return err
		}
		return tx.Delete(agreementKey(sc, *in.ServerId, *in.AgreementId))
	})
	return s.kit.Err("DeleteAgreement", err)
}
