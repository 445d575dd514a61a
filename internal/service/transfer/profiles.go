package transfer

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/transferapi"
	"github.com/ersatz-dev/ersatz/internal/ids"
	"github.com/ersatz-dev/ersatz/internal/service/svc"
	"github.com/ersatz-dev/ersatz/internal/store"
)

const (
	kindProfile       = "profile"
	rtProfile         = "Profile"
	msgUnknownProfile = "Unknown profile"
)

// profileRecord is an AS2 profile, LOCAL (this side) or PARTNER.
type profileRecord struct {
	ProfileID      string    `json:"profileId"`
	Arn            string    `json:"arn"`
	ProfileType    string    `json:"profileType"`
	As2ID          string    `json:"as2Id"`
	CertificateIDs []string  `json:"certificateIds,omitempty"`
	CreatedAt      time.Time `json:"createdAt"`
}

func profileKey(sc store.Scope, id string) store.Key {
	return store.Key{Scope: sc, Kind: kindProfile, ID: id}
}

func profileNotFound(id string) error { return notFound(msgUnknownProfile, id, rtProfile) }

func getProfile(tx store.Tx, sc store.Scope, id string) (profileRecord, error) {
	return getRecord[profileRecord](tx, profileKey(sc, id), profileNotFound)
}

// getProfileOfType reads a profile that must be of type want; field names
// the request member that named it.
func getProfileOfType(tx store.Tx, sc store.Scope, id, want, field string) (profileRecord, error) {
	p, err := getProfile(tx, sc, id)
	if err != nil {
		return p, err
	}
	if p.ProfileType != want {
		return p, invalid("%s %s is a %s profile; it must be a %s profile", field, id, p.ProfileType, want)
	}
	return p, nil
}

// checkCertificateIDs refuses repeated ids and ids of no certificate.
func checkCertificateIDs(tx store.Tx, sc store.Scope, certIDs []string) error {
	seen := map[string]bool{}
	for _, id := range certIDs {
		if seen[id] {
			return invalid("CertificateIds lists %s more than once", id)
		}
		seen[id] = true
		if _, err := getCert(tx, sc, id); err != nil {
			return err
		}
	}
	return nil
}

// CreateProfile creates a LOCAL or PARTNER profile. The As2Id "cannot include
// spaces"; every certificate id must name an imported certificate.
func (s *Service) CreateProfile(ctx context.Context, in *transferapi.CreateProfileRequest) (*transferapi.CreateProfileResponse, error) {
	if strings.IndexFunc(*in.As2Id, unicode.IsSpace) >= 0 {
		return nil, invalid("As2Id %q cannot include spaces", *in.As2Id)
	}
	tags, err := checkNewTags(in.Tags)
	if err != nil {
		return nil, err
	}
	sc := s.kit.Scope(ctx)
	rec := profileRecord{
		ProfileID: ids.Hex17("p-"), ProfileType: *in.ProfileType, As2ID: *in.As2Id,
		CertificateIDs: slices.Clone(in.CertificateIds), CreatedAt: s.clock(),
	}
	rec.Arn = s.kit.ARN(ctx, "profile/"+rec.ProfileID)
	key := profileKey(sc, rec.ProfileID)
	err = s.create(ctx, key, &rec, tags, func(tx store.Tx) error {
		return checkCertificateIDs(tx, sc, rec.CertificateIDs)
	})
	if err != nil {
		return nil, s.kit.Err("CreateProfile", err)
	}
	return &transferapi.CreateProfileResponse{ProfileId: api.Ptr(rec.ProfileID)}, nil
}

// DescribeProfile returns a profile with its tags.
func (s *Service) DescribeProfile(ctx context.Context, in *transferapi.DescribeProfileRequest) (*transferapi.DescribeProfileResponse, error) {
	sc := s.kit.Scope(ctx)
	out, err := describe(ctx, s.store,
		func(tx store.Tx) (profileRecord, error) { return getProfile(tx, sc, *in.ProfileId) },
		func(rec *profileRecord) store.Key { return profileKey(sc, rec.ProfileID) },
		func(rec *profileRecord, tags []transferapi.Tag) *transferapi.DescribedProfile {
			return &transferapi.DescribedProfile{
				Arn: api.Ptr(rec.Arn), ProfileId: api.Ptr(rec.ProfileID), ProfileType: api.Ptr(rec.ProfileType),
				As2Id: api.Ptr(rec.As2ID), CertificateIds: rec.CertificateIDs, Tags: tags,
			}
		})
	if err != nil {
		return nil, s.kit.Err("DescribeProfile", err)
	}
	return &transferapi.DescribeProfileResponse{Profile: out}, nil
}

// ListProfiles pages through the profiles in ascending order of id, only
// those of ProfileType when it is given. The page token is bound to the
// filter's collection, so a token of an unfiltered listing is refused by a
// filtered one and vice versa.
func (s *Service) ListProfiles(ctx context.Context, in *transferapi.ListProfilesRequest) (*transferapi.ListProfilesResponse, error) {
	sc := s.kit.Scope(ctx)
	out := &transferapi.ListProfilesResponse{Profiles: []transferapi.ListedProfile{}}
	err := s.store.View(ctx, func(tx store.Tx) error {
		coll := store.Collection{Scope: sc, Kind: kindProfile}
		var recs []profileRecord
		if in.ProfileType == nil {
			var next string
			var err error
			recs, next, err = store.ListJSON[profileRecord](tx, coll, store.Page{Token: api.Val(in.NextToken), Limit: s.kit.Limit(in.MaxResults)})
			if err != nil {
				return err
			}
			out.NextToken = svc.PtrIf(next)
		} else {
			all, _, err := store.ListJSON[profileRecord](tx, coll, store.Page{})
			if err != nil {
				return err
			}
			all = slices.DeleteFunc(all, func(p profileRecord) bool { return p.ProfileType != *in.ProfileType })
			filtered := store.Collection{Scope: sc, Parent: "profiletype/" + *in.ProfileType, Kind: kindProfile}
			cur, err := s.kit.Cursor(filtered, api.Val(in.NextToken), s.kit.Limit(in.MaxResults))
			if err != nil {
				return err
			}
			recs, out.NextToken = svc.Page(cur, all, func(p profileRecord) string { return p.ProfileID })
		}
		for _, r := range recs {
			out.Profiles = append(out.Profiles, transferapi.ListedProfile{
				Arn: api.Ptr(r.Arn), ProfileId: api.Ptr(r.ProfileID), As2Id: api.Ptr(r.As2ID), ProfileType: api.Ptr(r.ProfileType),
			})
		}
		return nil
	})
	if err != nil {
		return nil, s.kit.Err("list profiles", err)
	}
	return out, nil
}

// UpdateProfile replaces the profile's CertificateIds (an empty list removes
// them all; an absent one changes nothing).
func (s *Service) UpdateProfile(ctx context.Context, in *transferapi.UpdateProfileRequest) (*transferapi.UpdateProfileResponse, error) {
	sc := s.kit.Scope(ctx)
	err := s.store.Update(ctx, func(tx store.Tx) error {
		rec, err := getProfile(tx, sc, *in.ProfileId)
		if err != nil {
			return err
		}
		if in.CertificateIds != nil {
			if err := checkCertificateIDs(tx, sc, in.CertificateIds); err != nil {
				return err
			}
			rec.CertificateIDs = slices.Clone(in.CertificateIds)
		}
		return store.PutJSON(tx, profileKey(sc, rec.ProfileID), rec)
	})
	if err != nil {
		return nil, s.kit.Err("UpdateProfile", err)
	}
	return &transferapi.UpdateProfileResponse{ProfileId: in.ProfileId}, nil
}

// DeleteProfile deletes a profile no agreement or AS2 connector uses (one
// still in use is refused: AWS documents no rule; this one is Ersatz's, so
// that nothing is left pointing at a deleted profile).
func (s *Service) DeleteProfile(ctx context.Context, in *transferapi.DeleteProfileRequest) error {
	sc := s.kit.Scope(ctx)
	id := *in.ProfileId
	err := s.store.Update(ctx, func(tx store.Tx) error {
		if _, err := getProfile(tx, sc, id); err != nil {
			return err
		}
		if user, err := profileUser(tx, sc, id); err != nil {
			return err
		} else if user != "" {
			return invalid("Profile %s is still in use by %s", id, user)
		}
		return tx.Delete(profileKey(sc, id))
	})
	return s.kit.Err("DeleteProfile", err)
}

// profileUser names the first agreement or connector that uses a profile
// ("" when none does).
func profileUser(tx store.Tx, sc store.Scope, profileID string) (string, error) {
	conns, _, err := store.ListJSON[connectorRecord](tx, store.Collection{Scope: sc, Kind: kindConnector}, store.Page{})
	if err != nil {
		return "", err
	}
	for _, c := range conns {
		if a := c.As2Config; a != nil && (api.Val(a.LocalProfileId) == profileID || api.Val(a.PartnerProfileId) == profileID) {
			return "connector " + c.ConnectorID, nil
		}
	}
	servers, _, err := store.ListJSON[serverRecord](tx, store.Collection{Scope: sc, Kind: "server"}, store.Page{})
	if err != nil {
		return "", err
	}
	for _, srv := range servers {
		ags, _, err := store.ListJSON[agreementRecord](tx, agreementCollection(sc, srv.ServerID), store.Page{})
		if err != nil {
			return "", err
		}
		for _, a := range ags {
			if a.LocalProfileID == profileID || a.PartnerProfileID == profileID {
				return "agreement " + a.AgreementID + " of server " + srv.ServerID, nil
			}
		}
	}
	return "", nil
}
