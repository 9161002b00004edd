package service

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/hedensted-pb/pb/ui/core"
)

// Co-creation: a resident's proposal is the start of a conversation. The
// proposer gets a private link (an unguessable secret, stored only as its
// hash) to follow it: the coordinator's public answer, messages back and
// forth, and what became of it (a project of its own, merged into
// another project, or rejected with the reason). The proposer's name and
// contact are optional and for the council only; they are never on a
// public page, in an export or in a log, and the action log records that
// a message was sent, never its text.

// followSecret makes a follow-up secret: 32 random bytes, unpadded
// base64url (43 characters).
func followSecret(rand io.Reader) (string, error) {
	b := make([]byte, 32)
	if _, err := io.ReadFull(rand, b); err != nil {
		return "", fmt.Errorf("service: follow-up secret: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// followHash is what the store keeps of a follow-up secret.
func followHash(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return base64.StdEncoding.EncodeToString(h[:])
}

// cleanText trims s and turns Windows line ends into newlines.
func cleanText(s string) string {
	return strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
}

// Propose records a resident's idea while the round collects proposals and
// returns it with the secret of its follow-up link (shown to the proposer
// once; only its hash is stored). It needs no account. The English title
// and description are optional (both or neither); so are the name and
// contact. A round takes at most [core.MaxProposals] proposals.
func (s *Service) Propose(ctx context.Context, round string, req ProposalRequest) (core.Proposal, string, error) {
	req.Name, req.Contact = strings.TrimSpace(req.Name), strings.TrimSpace(req.Contact)
	req.TitleEN, req.DescriptionEN = strings.Join(strings.Fields(req.TitleEN), " "), cleanText(req.DescriptionEN)
	if err := core.CheckProposal(nil, core.Proposal{Title: req.Title, Description: req.Description, EstimatedCost: req.EstimatedCost}); err != nil {
		return core.Proposal{}, "", err
	}
	if req.TitleEN != "" || req.DescriptionEN != "" {
		if err := core.CheckProposal(nil, core.Proposal{Title: req.TitleEN, Description: req.DescriptionEN, EstimatedCost: req.EstimatedCost}); err != nil {
			return core.Proposal{}, "", core.Invalidf("the English text needs both a title and a description (%v)", err)
		}
	}
	if err := core.CheckContact(req.Name, req.Contact); err != nil {
		return core.Proposal{}, "", err
	}
	secret, err := followSecret(s.rand)
	if err != nil {
		return core.Proposal{}, "", err
	}
	var p core.Proposal
	_, err = s.withRound(ctx, nil, round, func(tx core.Tx, r *core.Round) error {
		if err := core.Allows(r.Phase, core.ActPropose); err != nil {
			return err
		}
		if !r.HasCategory(req.Category) {
			return core.Invalidf("category %q is not one of the round's categories", req.Category)
		}
		var err error
		p, err = tx.AddProposal(core.Proposal{Round: r.ID, Title: req.Title, Description: req.Description,
			TitleEN: req.TitleEN, DescriptionEN: req.DescriptionEN,
			EstimatedCost: req.EstimatedCost, Category: req.Category, Status: core.ProposalPending, Submitted: s.clock()})
		if err == nil && p.ID > core.MaxProposals {
			// Proposals are numbered from 1 and never deleted: the
			// number is the count. The transaction is rolled back.
			return core.ErrProposalsFull.With("round %s holds %d proposals, the most a round takes", r.ID, core.MaxProposals)
		}
		if err != nil {
			return err
		}
		return tx.PutFollowUp(core.FollowUp{Round: r.ID, Proposal: p.ID, Name: req.Name, Contact: req.Contact, Token: followHash(secret)})
	})
	if err != nil {
		return core.Proposal{}, "", err
	}
	return p, secret, nil
}

// FollowPath is the path of a proposal's follow-up page for the proposer
// (the secret in the query, which the access log never records).
func FollowPath(round string, id int64, secret string) string {
	return fmt.Sprintf("/r/%s/follow?p=%d&t=%s", round, id, secret)
}

// Following is what a proposer sees of a proposal: the proposal, its
// project (when accepted), the other proposals merged into the same
// project, and the messages. It never holds the name or contact.
type Following struct {
	Round    core.Round
	Proposal core.Proposal
	Project  *core.Project // the project it became or was merged into
	Together []core.Proposal
	Messages []core.Message
}

// followTx checks a follow-up secret in tx and returns the follow-up;
// any mismatch is [core.ErrFollowUp].
func followTx(tx core.Tx, round string, id int64, secret string) (core.FollowUp, error) {
	if secret == "" || len(secret) > core.MaxFollowUpSecret {
		return core.FollowUp{}, core.ErrFollowUp
	}
	f, err := tx.FollowUp(round, id)
	if errors.Is(err, core.ErrMissing) {
		return f, core.ErrFollowUp
	}
	if err != nil {
		return f, err
	}
	if subtle.ConstantTimeCompare([]byte(f.Token), []byte(followHash(secret))) != 1 {
		return f, core.ErrFollowUp
	}
	return f, nil
}

// Follow returns what the proposer of proposal id in round sees with the
// secret of its follow-up link; a wrong secret is [core.ErrFollowUp].
func (s *Service) Follow(ctx context.Context, round string, id int64, secret string) (Following, error) {
	var out Following
	err := s.store.Read(ctx, func(tx core.Tx) error {
		f, err := followTx(tx, round, id, secret)
		if err != nil {
			return err
		}
		out.Messages = f.Messages
		return readFollowing(tx, round, id, &out)
	})
	return out, err
}

// readFollowing fills out with the round, the proposal, its project and
// the proposals merged with it.
func readFollowing(tx core.Tx, round string, id int64, out *Following) error {
	var err error
	if out.Round, err = tx.Round(round); err != nil {
		return err
	}
	if out.Proposal, err = tx.Proposal(round, id); err != nil {
		return err
	}
	if pid := out.Proposal.Project; pid != "" {
		pr, err := tx.Project(round, pid)
		if err != nil && !errors.Is(err, core.ErrMissing) {
			return err
		}
		if err == nil {
			out.Project = &pr
		}
		all, err := mergedInto(tx, round, pid)
		if err != nil {
			return err
		}
		for _, q := range all {
			if q.ID != id {
				out.Together = append(out.Together, q)
			}
		}
	}
	return nil
}

// mergedInto returns the proposals of round accepted into project pid
// (its own proposal included), in number order.
func mergedInto(tx core.Tx, round, pid string) ([]core.Proposal, error) {
	all, err := tx.Proposals(round)
	if err != nil {
		return nil, err
	}
	var out []core.Proposal
	for _, p := range all {
		if p.Project == pid && p.Status == core.ProposalAccepted {
			out = append(out, p)
		}
	}
	return out, nil
}

// unlinkProject undoes p's acceptance before it is decided again: the
// project it became is deleted, unless other proposals were merged into
// it ([core.ErrMergedInto]); a merged proposal just leaves its project.
func unlinkProject(tx core.Tx, round string, p core.Proposal) error {
	if p.Merged {
		return nil
	}
	others, err := mergedInto(tx, round, p.Project)
	if err != nil {
		return err
	}
	for _, q := range others {
		if q.ID != p.ID {
			return core.ErrMergedInto.With("proposal %d is merged into project %s, which came from proposal %d: decide proposal %d again first", q.ID, p.Project, p.ID, q.ID)
		}
	}
	return tx.DeleteProject(round, p.Project)
}

// mergeTx accepts proposal p (already unlinked, its reason set) into the
// existing project pid of round r.
func (s *Service) mergeTx(tx core.Tx, actor *core.Identity, r *core.Round, p core.Proposal, pid string) (core.Proposal, error) {
	proj, err := tx.Project(r.ID, pid)
	if errors.Is(err, core.ErrMissing) {
		return p, core.Invalidf("round %s has no project %s to merge proposal %d into", r.ID, pid, p.ID)
	}
	if err != nil {
		return p, err
	}
	if proj.Proposal == p.ID {
		return p, core.Invalidf("proposal %d cannot be merged into its own project", p.ID)
	}
	p.Status, p.Project, p.Merged = core.ProposalAccepted, proj.ID, true
	if err := tx.PutProposal(p); err != nil {
		return p, err
	}
	return p, s.audit(tx, actor.Name, "merge proposal", fmt.Sprintf("%s/%d", r.ID, p.ID), "into project "+proj.ID)
}

// ProposerMessage adds the proposer's message to proposal id's
// conversation, with the secret of its follow-up link. It needs no
// account; the round may be in any phase but cancelled.
func (s *Service) ProposerMessage(ctx context.Context, round string, id int64, secret, text string) error {
	text = cleanText(text)
	if err := core.CheckMessage(text); err != nil {
		return err
	}
	return s.store.Write(ctx, func(tx core.Tx) error {
		f, err := followTx(tx, round, id, secret)
		if err != nil {
			return err
		}
		return s.addMessage(tx, f, core.Message{From: core.MessageFromProposer, Text: text, Time: s.clock()})
	})
}

// CouncilMessage adds a coordinator's message (a question or an answer)
// to proposal id's conversation; the proposer reads it on the follow-up
// page. The action log records that a message was sent, not its text.
func (s *Service) CouncilMessage(ctx context.Context, actor *core.Identity, round string, id int64, text string) error {
	text = cleanText(text)
	if err := core.CheckMessage(text); err != nil {
		return err
	}
	_, err := s.withRound(ctx, actor, round, func(tx core.Tx, r *core.Round) error {
		f, err := tx.FollowUp(r.ID, id)
		if errors.Is(err, core.ErrMissing) {
			if _, perr := tx.Proposal(r.ID, id); perr != nil {
				return core.NotFoundf("round %s has no proposal %d", r.ID, id)
			}
			// A proposal from before follow-ups: it has no link, but the
			// council may still note its answer.
			f = core.FollowUp{Round: r.ID, Proposal: id}
		} else if err != nil {
			return err
		}
		if err := s.addMessage(tx, f, core.Message{From: core.MessageFromCouncil, Account: actor.Name, Text: text, Time: s.clock()}); err != nil {
			return err
		}
		return s.audit(tx, actor.Name, "message to proposer", fmt.Sprintf("%s/%d", r.ID, id), "")
	})
	return err
}

func (s *Service) addMessage(tx core.Tx, f core.FollowUp, m core.Message) error {
	r, err := tx.Round(f.Round)
	if err != nil {
		return err
	}
	if !r.Cancelled.IsZero() {
		return core.ErrCancelled.With("round %s was cancelled", r.ID)
	}
	if len(f.Messages) >= core.MaxMessages {
		return core.ErrTooManyMessages
	}
	f.Messages = append(f.Messages, m)
	return tx.PutFollowUp(f)
}

// FollowUps returns the private side of round's proposals by number, for
// the council's pages (managers of the round only).
func (s *Service) FollowUps(ctx context.Context, actor *core.Identity, round string) (map[int64]core.FollowUp, error) {
	out := map[int64]core.FollowUp{}
	err := s.store.Read(ctx, func(tx core.Tx) error {
		r, err := tx.Round(round)
		if err != nil {
			return noRound(round, err)
		}
		if err := mayManage(actor, r.ID, r.Community); err != nil {
			return err
		}
		ps, err := tx.Proposals(round)
		if err != nil {
			return err
		}
		for _, p := range ps {
			f, err := tx.FollowUp(round, p.ID)
			if errors.Is(err, core.ErrMissing) {
				continue
			}
			if err != nil {
				return err
			}
			f.Token = "" // the council has no use for the hash
			out[p.ID] = f
		}
		return nil
	})
	return out, err
}

// SetMeeting sets when and where round id's town meeting is held (for the
// poster); zero and "" clear them. Refused once voting has closed.
func (s *Service) SetMeeting(ctx context.Context, actor *core.Identity, id string, at time.Time, place string) (core.Round, error) {
	place = strings.Join(strings.Fields(place), " ")
	if len(place) > core.MaxContact {
		return core.Round{}, core.Invalidf("the place must be at most %d bytes", core.MaxContact)
	}
	if err := core.CheckContact("", place); err != nil {
		return core.Round{}, err
	}
	return s.withRound(ctx, actor, id, func(tx core.Tx, r *core.Round) error {
		if r.Phase.Order() >= core.PhaseClosed.Order() {
			return core.ErrWrongPhase.With("round %s has closed: its meeting is over", r.ID)
		}
		r.MeetingAt, r.MeetingPlace = at.UTC(), place
		if at.IsZero() {
			r.MeetingAt = time.Time{}
		}
		return s.audit(tx, actor.Name, "set meeting", r.ID, "")
	})
}
