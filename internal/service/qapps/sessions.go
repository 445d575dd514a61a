package qapps

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/qappsapi"
	"github.com/ersatz-dev/ersatz/internal/ids"
	"github.com/ersatz-dev/ersatz/internal/service/svc"
	"github.com/ersatz-dev/ersatz/internal/store"
)

// Sessions.
//
// StartQAppSession runs a version of an app the caller can read; the caller
// is the session's host. Card states follow the inputs given so far:
//   - a text-input card is WAITING until it gets a value (its defaultValue is
//     shown as currentValue meanwhile), then COMPLETED; later values for it are
//     ignored, as AWS documents for cards not WAITING;
//   - a file-upload card is COMPLETED with its default file, or once given the
//     fileId of a document uploaded for it (ImportDocument or a presigned
//     upload); a default file can be replaced only when allowOverride is true;
//   - a form-input card is WAITING until it has a submission, then COMPLETED;
//     it keeps accepting submissions (add, edit, delete; with computeMode
//     "replace" a user's new submission replaces their previous one);
//   - a Q query or plugin card is COMPLETED as soon as every card it mentions
//     is, with the answer of the local responder, and WAITING before.
//
// The session is WAITING while any card is, COMPLETED after.
//
// The local responder never calls a model. It resolves the prompt, replacing
// each @ mention with the mentioned card's value (a text value, a file's name,
// a form's submissions as a JSON array, another card's answer) and answers:
//
//	q-query:  "Answer (<outputSource>): <resolved prompt>"
//	q-plugin: "Plugin <pluginId>[ action <actionIdentifier>]: <resolved prompt>"
//
// Sharing (UpdateQAppSessionMetadata): with sharing enabled, users who can
// read the app join the session (GetQAppSession, GetQAppSessionMetadata,
// StartQAppSession with its sessionId); with acceptResponses they also submit
// form-input cards (their values for other cards are ignored); without
// revealCards they see only their own submissions. Only the host changes the
// metadata, lists or exports the collected data, tags, and stops the session.
// StopQAppSession deletes the session and its documents. A user who loses read
// on the app (a revoked grant, a library item no longer PUBLISHED) loses its
// sessions too, as host or participant.

func (r req) sessionKey(appID, sessionID string) store.Key {
	return r.appKey(appID).Child("session", sessionID)
}

func (r req) sessionRefKey(sessionID string) store.Key {
	return r.inst.Child("sessionref", segment(sessionID))
}

// sessionView is a session with what the caller may do in it.
type sessionView struct {
	sess        sessionRecord
	app         appRecord
	ver         versionRecord
	host        bool
	participant bool
}

func (v sessionView) member() bool { return v.host || v.participant }

func (v sessionView) acceptsResponses() bool {
	return v.host || (v.participant && api.Val(v.sess.Sharing.AcceptResponses))
}

func (s *Service) loadSession(tx store.Tx, r req, sessionID string) (sessionView, error) {
	ref, err := get[sessionRef](tx, r.sessionRefKey(sessionID), "QAppSession", sessionID)
	if err != nil {
		return sessionView{}, err
	}
	sess, err := get[sessionRecord](tx, r.sessionKey(ref.AppID, segment(sessionID)), "QAppSession", sessionID)
	if err != nil {
		return sessionView{}, err
	}
	app, a, err := s.loadApp(tx, r, ref.AppID)
	if err != nil {
		return sessionView{}, notFoundAs(err, notFound("QAppSession", sessionID))
	}
	ver, err := loadVersion(tx, r, app.ID, sess.AppVersion)
	if err != nil {
		return sessionView{}, notFoundAs(err, notFound("QAppSession", sessionID))
	}
	// Losing read on the app loses its sessions, the host's included.
	isHost := sess.Host.ID == r.user.ID
	v := sessionView{sess: sess, app: app, ver: ver, host: isHost && a.read}
	v.participant = !isHost && sess.Sharing.Enabled && a.read
	return v, nil
}

func (s *Service) loadSessionAsMember(tx store.Tx, r req, sessionID string) (sessionView, error) {
	v, err := s.loadSession(tx, r, sessionID)
	if err == nil && !v.member() {
		err = denied("User %s is not a member of session %s", r.user.ID, sessionID)
	}
	return v, err
}

func (s *Service) loadSessionAsHost(tx store.Tx, r req, sessionID, op string) (sessionView, error) {
	v, err := s.loadSession(tx, r, sessionID)
	if err == nil && !v.host {
		err = denied("User %s is not allowed to %s session %s: only its host may", r.user.ID, op, sessionID)
	}
	return v, err
}

func findCard(cards []qappsapi.Card, id string) (qappsapi.Card, bool) {
	for _, c := range cards {
		if strings.EqualFold(cardID(c), id) {
			return c, true
		}
	}
	return qappsapi.Card{}, false
}

// applyValues records the values of UpdateQAppSession (or the initial values
// of StartQAppSession) in v.sess. path names the list in the request.
func applyValues(tx store.Tx, r req, v *sessionView, values []qappsapi.CardValue, path string, now time.Time) error {
	if v.sess.Inputs == nil {
		v.sess.Inputs = map[string]*cardInputRecord{}
	}
	for i, cv := range values {
		at := func(member string) string { return pathIndex(path, i) + member }
		card, ok := findCard(v.ver.Cards, *cv.CardId)
		if !ok {
			return validation("Value '%s' at '%s' names no card of Q App %s version %d", *cv.CardId, at(".cardId"), v.app.ID, v.ver.Version)
		}
		id := cardID(card)
		in := v.sess.Inputs[id]
		if in == nil {
			in = &cardInputRecord{}
		}
		switch {
		case card.TextInput != nil:
			if !v.host || in.Value != nil {
				continue // not WAITING (or not the host's card): ignored
			}
			in.Value = api.Ptr(*cv.Value)
		case card.FileUpload != nil:
			fc := card.FileUpload
			if !v.host || in.FileID != "" || (fc.FileId != nil && !api.Val(fc.AllowOverride)) {
				continue
			}
			f, err := findFile(tx, r, *cv.Value)
			if err != nil {
				return err
			}
			usable := f != nil && f.AppID == v.app.ID && strings.EqualFold(f.CardID, id) &&
				(f.Scope == qappsapi.DocumentScopeApplication || f.SessionID == v.sess.ID)
			if !usable {
				return validation("Value '%s' at '%s' is not the fileId of a document uploaded for card %s of this session", *cv.Value, at(".value"), id)
			}
			in.FileID, in.FileName = f.ID, f.Name
		case card.FormInput != nil:
			if !v.acceptsResponses() {
				return denied("Session %s does not accept responses from user %s", v.sess.ID, r.user.ID)
			}
			if err := applySubmission(r, v, card.FormInput, in, cv, at, now); err != nil {
				return err
			}
		default:
			continue // Q query and plugin cards take no input
		}
		v.sess.Inputs[id] = in
	}
	return nil
}

func pathIndex(path string, i int) string {
	return path + "." + itoa(int32(i+1)) + ".member"
}

func applySubmission(r req, v *sessionView, fc *qappsapi.FormInputCard, in *cardInputRecord, cv qappsapi.CardValue, at func(string) string, now time.Time) error {
	kind := qappsapi.SubmissionMutationKindAdd
	var subID string
	if cv.SubmissionMutation != nil {
		kind, subID = *cv.SubmissionMutation.MutationType, *cv.SubmissionMutation.SubmissionId
	}
	if kind != qappsapi.SubmissionMutationKindDelete {
		if err := checkFormValue(fc.Metadata.Schema, json.RawMessage(*cv.Value), at(".value")); err != nil {
			return err
		}
	}
	find := func() (int, error) {
		j := slices.IndexFunc(in.Submissions, func(s submissionRecord) bool { return s.ID == subID })
		if j < 0 {
			return j, validation("Value '%s' at '%s' names no submission of card %s", subID, at(".submissionMutation.submissionId"), api.Val(fc.Id))
		}
		if in.Submissions[j].UserID != r.user.ID && !v.host {
			return j, denied("User %s may change only their own submissions", r.user.ID)
		}
		return j, nil
	}
	switch kind {
	case qappsapi.SubmissionMutationKindEdit:
		j, err := find()
		if err != nil {
			return err
		}
		in.Submissions[j].Value, in.Submissions[j].Timestamp = json.RawMessage(*cv.Value), now
	case qappsapi.SubmissionMutationKindDelete:
		j, err := find()
		if err != nil {
			return err
		}
		in.Submissions = slices.Delete(in.Submissions, j, j+1)
	default:
		if api.Val(fc.ComputeMode) == qappsapi.InputCardComputeModeReplace {
			in.Submissions = slices.DeleteFunc(in.Submissions, func(s submissionRecord) bool { return s.UserID == r.user.ID })
		}
		in.Submissions = append(in.Submissions, submissionRecord{
			ID: ids.UUID(), UserID: r.user.ID, Value: json.RawMessage(*cv.Value), Timestamp: now,
		})
	}
	return nil
}

// cardResult is one card's computed state.
type cardResult struct {
	state string
	value string // currentValue
	subst string // what an @ mention of the card becomes
}

// evaluate computes every card's state from the session's inputs.
func evaluate(cards []qappsapi.Card, inputs map[string]*cardInputRecord) (map[string]cardResult, string) {
	byID := map[string]qappsapi.Card{}
	for _, c := range cards {
		byID[strings.ToLower(cardID(c))] = c
	}
	results := map[string]cardResult{}
	var eval func(id string) cardResult
	eval = func(id string) cardResult {
		key := strings.ToLower(id)
		if res, ok := results[key]; ok {
			return res
		}
		c := byID[key]
		in := inputs[cardID(c)]
		if in == nil {
			in = &cardInputRecord{}
		}
		var res cardResult
		switch {
		case c.TextInput != nil:
			if in.Value != nil {
				res = cardResult{qappsapi.ExecutionStatusCompleted, *in.Value, *in.Value}
			} else {
				res = cardResult{qappsapi.ExecutionStatusWaiting, api.Val(c.TextInput.DefaultValue), ""}
			}
		case c.FileUpload != nil:
			switch {
			case in.FileID != "":
				res = cardResult{qappsapi.ExecutionStatusCompleted, in.FileID, in.FileName}
			case c.FileUpload.FileId != nil:
				res = cardResult{qappsapi.ExecutionStatusCompleted, *c.FileUpload.FileId, api.Val(c.FileUpload.Filename)}
			default:
				res = cardResult{qappsapi.ExecutionStatusWaiting, "", ""}
			}
		case c.FormInput != nil:
			vals := make([]json.RawMessage, len(in.Submissions))
			for i, s := range in.Submissions {
				vals[i] = s.Value
			}
			b, _ := json.Marshal(vals)
			state := qappsapi.ExecutionStatusWaiting
			if len(vals) > 0 {
				state = qappsapi.ExecutionStatusCompleted
			}
			res = cardResult{state, "", string(b)}
		case c.QQuery != nil || c.QPlugin != nil:
			ready := true
			for _, d := range cardDeps(c) {
				if eval(d).state != qappsapi.ExecutionStatusCompleted {
					ready = false
				}
			}
			if ready {
				answer := respond(c, resolvePrompt(c, results))
				res = cardResult{qappsapi.ExecutionStatusCompleted, answer, answer}
			} else {
				res = cardResult{qappsapi.ExecutionStatusWaiting, "", ""}
			}
		}
		results[key] = res
		return res
	}
	status := qappsapi.ExecutionStatusCompleted
	for _, c := range cards {
		if eval(cardID(c)).state != qappsapi.ExecutionStatusCompleted {
			status = qappsapi.ExecutionStatusWaiting
		}
	}
	return results, status
}

// resolvePrompt replaces the @ mentions of a card's prompt by the mentioned
// cards' values (every one of them is already in results).
func resolvePrompt(c qappsapi.Card, results map[string]cardResult) string {
	var prompt string
	if c.QQuery != nil {
		prompt = api.Val(c.QQuery.Prompt)
	} else {
		prompt = api.Val(c.QPlugin.Prompt)
	}
	var b strings.Builder
	last := 0
	for _, m := range mentions(prompt) {
		b.WriteString(prompt[last:m.start])
		b.WriteString(results[strings.ToLower(m.id)].subst)
		last = m.end
	}
	b.WriteString(prompt[last:])
	return b.String()
}

// respond is the deterministic local responder.
func respond(c qappsapi.Card, resolved string) string {
	if c.QQuery != nil {
		return "Answer (" + api.Val(c.QQuery.OutputSource) + "): " + resolved
	}
	out := "Plugin " + api.Val(c.QPlugin.PluginId)
	if c.QPlugin.ActionIdentifier != nil {
		out += " action " + *c.QPlugin.ActionIdentifier
	}
	return out + ": " + resolved
}

// StartQAppSession starts a session of an app version, or joins the shared
// session named by sessionId.
func (s *Service) StartQAppSession(ctx context.Context, in *qappsapi.StartQAppSessionInput) (*qappsapi.StartQAppSessionOutput, error) {
	r, err := s.begin(ctx, in.InstanceId)
	if err != nil {
		return nil, err
	}
	if err := checkTags(in.Tags, "tags"); err != nil {
		return nil, err
	}
	now, newID := s.clock(), ids.UUID()
	var sid, appID string
	err = s.store.Update(ctx, func(tx store.Tx) error {
		app, a, err := s.loadApp(tx, r, *in.AppId)
		if err != nil {
			return err
		}
		if err := needRead(a, r, app.ID); err != nil {
			return err
		}
		if a.viaLibrary && *in.AppVersion != a.libraryVersion {
			return denied("User %s may run only the published version %d of Q App %s", r.user.ID, a.libraryVersion, app.ID)
		}
		var v sessionView
		if in.SessionId != nil {
			v, err = s.loadSessionAsMember(tx, r, *in.SessionId)
			if err != nil {
				return err
			}
			if v.app.ID != app.ID || v.sess.AppVersion != *in.AppVersion {
				return validation("Session %s at 'sessionId' runs Q App %s version %d, not the requested app and version", *in.SessionId, v.app.ID, v.sess.AppVersion)
			}
		} else {
			ver, err := loadVersion(tx, r, app.ID, *in.AppVersion)
			if err != nil {
				return err
			}
			v = sessionView{
				sess: sessionRecord{ID: newID, AppID: app.ID, AppVersion: ver.Version, Host: r.user, Tags: in.Tags, CreatedAt: now},
				app:  app, ver: ver, host: true,
			}
		}
		if err := applyValues(tx, r, &v, in.InitialValues, "initialValues", now); err != nil {
			return err
		}
		sid, appID = v.sess.ID, app.ID
		if err := store.PutJSON(tx, r.sessionRefKey(sid), sessionRef{AppID: app.ID}); err != nil {
			return err
		}
		return store.PutJSON(tx, r.sessionKey(app.ID, segment(sid)), v.sess)
	})
	if err != nil {
		return nil, s.kit.Err("start session", err)
	}
	return &qappsapi.StartQAppSessionOutput{SessionId: api.Ptr(sid), SessionArn: api.Ptr(r.sessionArn(appID, sid))}, nil
}

// GetQAppSession returns the state of every card of a session.
func (s *Service) GetQAppSession(ctx context.Context, in *qappsapi.GetQAppSessionInput) (*qappsapi.GetQAppSessionOutput, error) {
	r, err := s.begin(ctx, in.InstanceId)
	if err != nil {
		return nil, err
	}
	var out *qappsapi.GetQAppSessionOutput
	err = s.store.View(ctx, func(tx store.Tx) error {
		v, err := s.loadSessionAsMember(tx, r, *in.SessionId)
		if err != nil {
			return err
		}
		results, status := evaluate(v.ver.Cards, v.sess.Inputs)
		cards := map[string]qappsapi.CardStatus{}
		for _, c := range v.ver.Cards {
			id := cardID(c)
			res := results[strings.ToLower(id)]
			cs := qappsapi.CardStatus{CurrentState: api.Ptr(res.state), CurrentValue: api.Ptr(res.value)}
			if c.FormInput != nil {
				cs.Submissions = []qappsapi.Submission{}
				if in := v.sess.Inputs[id]; in != nil {
					reveal := v.host || api.Val(v.sess.Sharing.RevealCards)
					for _, sub := range in.Submissions {
						if reveal || sub.UserID == r.user.ID {
							cs.Submissions = append(cs.Submissions, qappsapi.Submission{
								Value: sub.Value, SubmissionId: api.Ptr(sub.ID), Timestamp: api.ISO(sub.Timestamp),
							})
						}
					}
				}
			}
			cards[id] = cs
		}
		out = &qappsapi.GetQAppSessionOutput{
			SessionId: api.Ptr(v.sess.ID), SessionArn: api.Ptr(r.sessionArn(v.app.ID, v.sess.ID)), SessionName: v.sess.Name,
			AppVersion: api.Ptr(v.sess.AppVersion), Status: api.Ptr(status), CardStatus: cards, UserIsHost: api.Ptr(v.host),
		}
		if item, ok, err := s.libraryItemOf(tx, r, v.app); err != nil {
			return err
		} else if ok && item.Status == qappsapi.LibraryItemStatusPublished {
			out.LatestPublishedAppVersion = api.Ptr(item.AppVersion)
		}
		return nil
	})
	if err != nil {
		return nil, s.kit.Err("get session", err)
	}
	return out, nil
}

// UpdateQAppSession gives values to the cards of a session.
func (s *Service) UpdateQAppSession(ctx context.Context, in *qappsapi.UpdateQAppSessionInput) (*qappsapi.UpdateQAppSessionOutput, error) {
	r, err := s.begin(ctx, in.InstanceId)
	if err != nil {
		return nil, err
	}
	now := s.clock()
	var appID string
	err = s.store.Update(ctx, func(tx store.Tx) error {
		v, err := s.loadSessionAsMember(tx, r, *in.SessionId)
		if err != nil {
			return err
		}
		appID = v.app.ID
		if err := applyValues(tx, r, &v, in.Values, "values", now); err != nil {
			return err
		}
		return store.PutJSON(tx, r.sessionKey(v.app.ID, segment(v.sess.ID)), v.sess)
	})
	if err != nil {
		return nil, s.kit.Err("update session", err)
	}
	return &qappsapi.UpdateQAppSessionOutput{SessionId: in.SessionId, SessionArn: api.Ptr(r.sessionArn(appID, *in.SessionId))}, nil
}

// StopQAppSession ends a session, deleting its data.
func (s *Service) StopQAppSession(ctx context.Context, in *qappsapi.StopQAppSessionInput) error {
	r, err := s.begin(ctx, in.InstanceId)
	if err != nil {
		return err
	}
	err = s.store.Update(ctx, func(tx store.Tx) error {
		v, err := s.loadSessionAsHost(tx, r, *in.SessionId, "stop")
		if err != nil {
			return err
		}
		if err := tx.Delete(r.sessionKey(v.app.ID, segment(v.sess.ID))); err != nil {
			return err
		}
		return svc.DeleteIfExists(tx, r.sessionRefKey(v.sess.ID))
	})
	return s.kit.Err("stop session", err)
}

func sharingOutput(sh sharing) *qappsapi.SessionSharingConfiguration {
	return &qappsapi.SessionSharingConfiguration{
		Enabled: api.Ptr(sh.Enabled), AcceptResponses: api.Ptr(api.Val(sh.AcceptResponses)), RevealCards: api.Ptr(api.Val(sh.RevealCards)),
	}
}

// GetQAppSessionMetadata returns a session's name and sharing.
func (s *Service) GetQAppSessionMetadata(ctx context.Context, in *qappsapi.GetQAppSessionMetadataInput) (*qappsapi.GetQAppSessionMetadataOutput, error) {
	r, err := s.begin(ctx, in.InstanceId)
	if err != nil {
		return nil, err
	}
	var v sessionView
	err = s.store.View(ctx, func(tx store.Tx) error {
		v, err = s.loadSessionAsMember(tx, r, *in.SessionId)
		return err
	})
	if err != nil {
		return nil, s.kit.Err("get session metadata", err)
	}
	return &qappsapi.GetQAppSessionMetadataOutput{
		SessionId: api.Ptr(v.sess.ID), SessionArn: api.Ptr(r.sessionArn(v.app.ID, v.sess.ID)), SessionName: v.sess.Name,
		SharingConfiguration: sharingOutput(v.sess.Sharing), SessionOwner: api.Ptr(v.host),
	}, nil
}

// UpdateQAppSessionMetadata renames a session and sets its sharing.
func (s *Service) UpdateQAppSessionMetadata(ctx context.Context, in *qappsapi.UpdateQAppSessionMetadataInput) (*qappsapi.UpdateQAppSessionMetadataOutput, error) {
	r, err := s.begin(ctx, in.InstanceId)
	if err != nil {
		return nil, err
	}
	var v sessionView
	err = s.store.Update(ctx, func(tx store.Tx) error {
		v, err = s.loadSessionAsHost(tx, r, *in.SessionId, "change the metadata of")
		if err != nil {
			return err
		}
		if in.SessionName != nil {
			v.sess.Name = in.SessionName
		}
		sc := in.SharingConfiguration
		v.sess.Sharing = sharing{Enabled: *sc.Enabled, AcceptResponses: sc.AcceptResponses, RevealCards: sc.RevealCards}
		return store.PutJSON(tx, r.sessionKey(v.app.ID, segment(v.sess.ID)), v.sess)
	})
	if err != nil {
		return nil, s.kit.Err("update session metadata", err)
	}
	return &qappsapi.UpdateQAppSessionMetadataOutput{
		SessionId: api.Ptr(v.sess.ID), SessionArn: api.Ptr(r.sessionArn(v.app.ID, v.sess.ID)), SessionName: v.sess.Name,
		SharingConfiguration: sharingOutput(v.sess.Sharing),
	}, nil
}

// eachSubmission calls fn with every form submission of a session, in card
// order, with its card and the card's id.
func eachSubmission(v sessionView, fn func(c qappsapi.Card, cardID string, sub submissionRecord)) {
	for _, c := range v.ver.Cards {
		if c.FormInput == nil {
			continue
		}
		id := cardID(c)
		in := v.sess.Inputs[id]
		if in == nil {
			continue
		}
		for _, sub := range in.Submissions {
			fn(c, id, sub)
		}
	}
}

// sessionData is every form submission of a session, in card order.
func sessionData(v sessionView) []qappsapi.QAppSessionData {
	out := []qappsapi.QAppSessionData{}
	eachSubmission(v, func(_ qappsapi.Card, id string, sub submissionRecord) {
		out = append(out, qappsapi.QAppSessionData{
			CardId: api.Ptr(id), Value: sub.Value, User: &qappsapi.User{UserId: api.Ptr(sub.UserID)},
			SubmissionId: api.Ptr(sub.ID), Timestamp: api.ISO(sub.Timestamp),
		})
	})
	return out
}

// ListQAppSessionData lists the responses collected by a session (host only).
func (s *Service) ListQAppSessionData(ctx context.Context, in *qappsapi.ListQAppSessionDataInput) (*qappsapi.ListQAppSessionDataOutput, error) {
	r, err := s.begin(ctx, in.InstanceId)
	if err != nil {
		return nil, err
	}
	var v sessionView
	err = s.store.View(ctx, func(tx store.Tx) error {
		v, err = s.loadSessionAsHost(tx, r, *in.SessionId, "list the data of")
		return err
	})
	if err != nil {
		return nil, s.kit.Err("list session data", err)
	}
	return &qappsapi.ListQAppSessionDataOutput{
		SessionId: api.Ptr(v.sess.ID), SessionArn: api.Ptr(r.sessionArn(v.app.ID, v.sess.ID)), SessionData: sessionData(v),
	}, nil
}
