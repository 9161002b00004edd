package service

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hedensted-pb/pb/ui/core"

	"golang.org/x/mod/sumdb/note"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/tally"
	"github.com/hedensted-pb/pb/tally/ledger"
)

// Limits of the core, by their old names.
const (
	maxDescription = core.MaxDescription
	maxProjects    = core.MaxProjects
	maxCodes       = core.MaxCodes
	maxCost        = core.MaxCost
)

// Origin returns the log origin (and log key name) of a round:
// "<host><path>/<round>".
func (s *Service) Origin(round string) string { return s.host + "/" + round }

// councilKeyName returns the note key name of a community's council key.
func (s *Service) councilKeyName(community string) string { return s.host + "/council/" + community }

// newRoundKeys returns the vkeys of a new round's log key and of its
// community's council key, creating key files as needed:
// "log-<round>.key" named after the round's origin, and
// "council-<community>.key" (created at the community's first round and
// reused by later rounds, whatever the base URL is by then).
func (s *Service) newRoundKeys(round, community string) (logV, councilV string, err error) {
	if _, logV, err = s.keys.Signer("log-"+round, s.Origin(round)); err != nil {
		return "", "", err
	}
	_, councilV, err = s.keys.Existing("council-" + community)
	if errors.Is(err, core.ErrMissing) {
		_, councilV, err = s.keys.Signer("council-"+community, s.councilKeyName(community))
	}
	return logV, councilV, err
}

// roundKeys returns the signers of an existing round, checking that the
// key files still hold the keys the round was created with. Key names
// come from the files, so a later change of the base URL does not affect
// existing rounds.
func (s *Service) roundKeys(r core.Round) (logS, councilS note.Signer, err error) {
	logS, logV, err := s.keys.Existing("log-" + r.ID)
	if err != nil {
		return nil, nil, err
	}
	councilS, councilV, err := s.keys.Existing("council-" + r.Community)
	if err != nil {
		return nil, nil, err
	}
	if logV != r.LogKey || councilV != r.CouncilKey {
		return nil, nil, fmt.Errorf("ui: round %s: key files do not hold the round's keys", r.ID)
	}
	return logS, councilS, nil
}

// FrozenRound is what never changes once a round is frozen: its manifest,
// roll and keys. It is cached in memory.
type FrozenRound struct {
	ID              string
	Community       string
	Origin          string   // the log origin
	Leaf0           []byte   // the signed manifest note, leaf 0
	Hash            [32]byte // the manifest hash (docs/record.md §5)
	Manifest        *ballot.Manifest
	Roll            *ballot.Roll
	LogVerifier     note.Verifier
	CouncilVerifier note.Verifier
	Anchors         *ledger.Anchors
	logSigner       note.Signer
	council         note.Signer
}

// FrozenRound returns the immutable data of a frozen round (cached), an
// error matching [core.ErrWrongPhase] when the round is not frozen yet, or
// a NotFound error.
func (s *Service) FrozenRound(ctx context.Context, id string) (*FrozenRound, error) {
	s.frozenMu.Lock()
	fr := s.frozen[id]
	s.frozenMu.Unlock()
	if fr != nil {
		return fr, nil
	}
	var r core.Round
	var leaf0, roll []byte
	err := s.store.Read(ctx, func(tx core.Tx) error {
		var err error
		if r, err = tx.Round(id); err != nil {
			return err
		}
		if !r.Phase.Frozen() {
			return nil
		}
		if leaf0, err = tx.Manifest(id); err != nil {
			return err
		}
		roll, err = tx.Roll(id)
		return err
	})
	if errors.Is(err, core.ErrMissing) && r.ID == "" {
		return nil, core.NotFoundf("no round %s", id)
	}
	if err != nil {
		return nil, err
	}
	if !r.Phase.Frozen() {
		return nil, core.ErrWrongPhase.With("round %s is not frozen yet (phase %s)", id, r.Phase)
	}
	fr, err = s.loadFrozen(r, leaf0, roll)
	if err != nil {
		return nil, err
	}
	s.frozenMu.Lock()
	s.frozen[strings.Clone(id)] = fr
	s.frozenMu.Unlock()
	return fr, nil
}

func (s *Service) loadFrozen(r core.Round, leaf0, rollBytes []byte) (*FrozenRound, error) {
	logS, councilS, err := s.roundKeys(r)
	if err != nil {
		return nil, err
	}
	lv, err := ledger.NewVerifier(r.LogKey)
	if err != nil {
		return nil, err
	}
	cv, err := ledger.NewVerifier(r.CouncilKey)
	if err != nil {
		return nil, err
	}
	m, err := ballot.OpenManifest(leaf0, cv)
	if err != nil {
		return nil, fmt.Errorf("ui: round %s manifest: %w", r.ID, err)
	}
	roll, err := ballot.ParseRoll(rollBytes)
	if err != nil {
		return nil, fmt.Errorf("ui: round %s roll: %w", r.ID, err)
	}
	if roll.Hash() != m.RollHash {
		return nil, fmt.Errorf("ui: round %s: roll does not match the manifest", r.ID)
	}
	return &FrozenRound{
		ID: r.ID, Community: r.Community, Origin: m.LogOrigin,
		Leaf0: leaf0, Hash: ballot.ManifestHash(leaf0), Manifest: m, Roll: roll,
		logSigner: logS, council: councilS, LogVerifier: lv, CouncilVerifier: cv,
		Anchors: &ledger.Anchors{Round: r.ID, LogKey: r.LogKey, CouncilKey: r.CouncilKey, Manifest: ballot.Fingerprint(leaf0)},
	}, nil
}

// RoundRequest creates a round. Zero fields take defaults: the budget is
// what the community has available for the year, the ballot is approval
// of 1 to 3 projects, the rule greedy, the tie-break the platform default,
// revote none, the categories [core.DefaultCategories].
type RoundRequest struct {
	ID          string            `json:"id"`
	Community   string            `json:"community"`
	Year        int               `json:"year"`
	Title       string            `json:"title"`
	Description string            `json:"description,omitempty"`
	Budget      int64             `json:"budget,omitempty"`
	Ballot      ballot.BallotSpec `json:"ballot,omitzero"`
	Rule        string            `json:"rule,omitempty"`
	Tiebreak    string            `json:"tiebreak,omitempty"`
	Revote      string            `json:"revote,omitempty"`
	Categories  []core.Category   `json:"categories,omitempty"`
	// Minimum and Exclusive are the counting options (docs/counting.md
	// §2.8); zero for none.
	Minimum   int64      `json:"minimum,omitempty"`
	Exclusive [][]string `json:"exclusive,omitempty"`
}

// CreateRound creates a round in the draft phase, with its log key and
// (at first use) its community's council key.
func (s *Service) CreateRound(ctx context.Context, actor *core.Identity, req RoundRequest) (core.Round, error) {
	if !ballot.ValidID(req.ID) {
		return core.Round{}, core.Invalidf("round id %q is not an identifier (a-z, 0-9, hyphens)", req.ID)
	}
	if !actor.CanManage(req.Community) {
		return core.Round{}, core.Forbiddenf("account %s may not create rounds for community %s", actor.Name, req.Community)
	}
	if !validOriginPrefix(s.Origin(req.ID)) || len(s.Origin(req.ID)) > 255 {
		return core.Round{}, core.Invalidf("round id too long for a log origin")
	}
	r := core.Round{
		ID: req.ID, Community: req.Community, Year: req.Year, Title: req.Title, Description: req.Description,
		Budget: req.Budget, Phase: core.PhaseDraft, Ballot: req.Ballot, Rule: req.Rule, Tiebreak: req.Tiebreak,
		Revote: req.Revote, Categories: req.Categories, LogOrigin: s.Origin(req.ID), Created: s.clock(),
		Minimum: req.Minimum, Exclusive: core.CanonExclusive(req.Exclusive),
	}
	if len(req.Exclusive) > 0 {
		// A new round has no projects yet for a group to name.
		return core.Round{}, core.Invalidf("a new round has no projects to put in exclusion groups; set them once the projects are on the ballot")
	}
	if r.Ballot == (ballot.BallotSpec{}) {
		r.Ballot = ballot.BallotSpec{Kind: ballot.KindApproval, Min: 1, Max: 3}
	}
	if r.Rule == "" {
		r.Rule = tally.RuleGreedy
		if r.Ballot.Kind == ballot.KindCumulative {
			r.Rule = tally.RuleGreedyPoints
		}
	}
	if r.Tiebreak == "" {
		r.Tiebreak = ballot.TiebreakDefault
	}
	if r.Revote == "" {
		r.Revote = ballot.RevoteNone
	}
	if len(r.Categories) == 0 {
		r.Categories = slices.Clone(core.DefaultCategories)
	}
	err := s.store.Write(ctx, func(tx core.Tx) error {
		cm, err := tx.Community(req.Community)
		if errors.Is(err, core.ErrMissing) {
			return core.Invalidf("community %q does not exist", req.Community)
		}
		if err != nil {
			return err
		}
		r.Fund = cm.Fund
		if r.Budget == 0 {
			if r.Budget, err = headroom(tx, cm.Fund, cm.ID, r.Year, r.ID); err != nil {
				return err
			}
		}
		if err := checkBudget(tx, &r); err != nil {
			return err
		}
		if err := core.CheckSettings(&r); err != nil {
			return err
		}
		logV, councilV, err := s.newRoundKeys(r.ID, r.Community)
		if err != nil {
			return err
		}
		r.LogKey, r.CouncilKey = logV, councilV
		if err := tx.CreateRound(r); err != nil {
			if errors.Is(err, core.ErrExists) {
				return core.Conflictf("round %s already exists", r.ID)
			}
			return err
		}
		return s.audit(tx, actor.Name, "create round", r.ID, fmt.Sprintf("community %s, year %d, budget %d", r.Community, r.Year, r.Budget))
	})
	return r, err
}

// RoundSettings changes settings of a round before freeze; nil fields stay.
type RoundSettings struct {
	Title       *string            `json:"title,omitempty"`
	Description *string            `json:"description,omitempty"`
	Budget      *int64             `json:"budget,omitempty"`
	Ballot      *ballot.BallotSpec `json:"ballot,omitempty"`
	Rule        *string            `json:"rule,omitempty"`
	Tiebreak    *string            `json:"tiebreak,omitempty"`
	Revote      *string            `json:"revote,omitempty"`
	Categories  []core.Category    `json:"categories,omitempty"`
	// Minimum is the least number of votes (points on cumulative ballots)
	// a project needs to be funded, 0 for none; Exclusive the groups of
	// mutually exclusive projects of the round, each of at least two of
	// its projects (an empty list removes them). docs/counting.md §2.8.
	Minimum   *int64      `json:"minimum,omitempty"`
	Exclusive *[][]string `json:"exclusive,omitempty"`
}

// withRound runs fn on round id in an Update transaction after checking
// that it exists and that actor may manage it (actor nil skips the check:
// the scheduler and public actions). fn may modify r; it is stored when fn
// returns nil.
func (s *Service) withRound(ctx context.Context, actor *core.Identity, id string, fn func(tx core.Tx, r *core.Round) error) (core.Round, error) {
	var r core.Round
	err := s.store.Write(ctx, func(tx core.Tx) error {
		var err error
		r, err = tx.Round(id)
		if errors.Is(err, core.ErrMissing) {
			return core.NotFoundf("no round %s", id)
		}
		if err != nil {
			return err
		}
		if err := mayManage(actor, r.ID, r.Community); err != nil {
			return err
		}
		if !r.Cancelled.IsZero() {
			return core.ErrCancelled.With("round %s was cancelled", r.ID)
		}
		if err := fn(tx, &r); err != nil {
			return err
		}
		return tx.PutRound(r)
	})
	return r, err
}

// UpdateRound changes a round's settings; refused with 409 once frozen.
func (s *Service) UpdateRound(ctx context.Context, actor *core.Identity, id string, set RoundSettings) (core.Round, error) {
	return s.withRound(ctx, actor, id, func(tx core.Tx, r *core.Round) error {
		if err := core.Allows(r.Phase, core.ActEdit); err != nil {
			return err
		}
		if set.Title != nil {
			r.Title = *set.Title
		}
		if set.Description != nil {
			r.Description = *set.Description
		}
		if set.Ballot != nil {
			r.Ballot = *set.Ballot
		}
		if set.Rule != nil {
			r.Rule = *set.Rule
		}
		if set.Tiebreak != nil {
			r.Tiebreak = *set.Tiebreak
		}
		if set.Revote != nil {
			r.Revote = *set.Revote
		}
		if set.Categories != nil {
			r.Categories = set.Categories
		}
		if set.Minimum != nil {
			r.Minimum = *set.Minimum
		}
		if set.Exclusive != nil {
			r.Exclusive = core.CanonExclusive(*set.Exclusive)
			if err := checkGroupProjects(tx, r); err != nil {
				return err
			}
		}
		if set.Budget != nil {
			r.Budget = *set.Budget
			if err := checkBudget(tx, r); err != nil {
				return err
			}
		}
		if err := core.CheckSettings(r); err != nil {
			return err
		}
		return s.audit(tx, actor.Name, "update round", r.ID, "")
	})
}

// checkGroupProjects refuses exclusion groups that name a project r does
// not have.
func checkGroupProjects(tx core.Tx, r *core.Round) error {
	if len(r.Exclusive) == 0 {
		return nil
	}
	projects, err := tx.Projects(r.ID)
	if err != nil {
		return err
	}
	have := map[string]bool{}
	for _, p := range projects {
		have[p.ID] = true
	}
	for _, g := range r.Exclusive {
		for _, id := range g {
			if !have[id] {
				return core.Invalidf("exclusion group names %s, which is not a project of round %s", id, r.ID)
			}
		}
	}
	return nil
}

// SetPhase moves a round to the next phase of its lifecycle. Moving to
// frozen freezes ([App.Freeze]), to voting opens, to closed closes, to
// published publishes. Any other move is a 409.
func (s *Service) SetPhase(ctx context.Context, actor *core.Identity, id string, to core.Phase) (core.Round, error) {
	if to.Order() < 0 {
		return core.Round{}, core.Invalidf("unknown phase %q", to)
	}
	var cur core.Round
	err := s.store.Read(ctx, func(tx core.Tx) error {
		var err error
		cur, err = tx.Round(id)
		return err
	})
	if errors.Is(err, core.ErrMissing) {
		return core.Round{}, core.NotFoundf("no round %s", id)
	}
	if err != nil {
		return core.Round{}, err
	}
	if actor != nil && !actor.CanManage(cur.Community) {
		return core.Round{}, core.Forbiddenf("account %s may not manage round %s of community %s", actor.Name, cur.ID, cur.Community)
	}
	if next, ok := core.Next(cur.Phase); !ok || next != to {
		return core.Round{}, core.ErrWrongPhase.With("round %s is in phase %s; the next phase is %s, not %s", id, cur.Phase, nextPhase(cur.Phase), to)
	}
	switch to {
	case core.PhaseProposals, core.PhaseReview:
		return s.withRound(ctx, actor, id, func(tx core.Tx, r *core.Round) error {
			if err := core.Allows(r.Phase, core.ActAdvance); err != nil {
				return err
			}
			if next, _ := core.Next(r.Phase); next != to {
				return core.ErrWrongPhase.With("round %s changed phase meanwhile (now %s)", id, r.Phase)
			}
			r.Phase = to
			return s.audit(tx, core.ActorName(actor), "phase", r.ID, string(to))
		})
	case core.PhaseFrozen:
		return s.Freeze(ctx, actor, id)
	case core.PhaseVoting:
		return s.Open(ctx, actor, id)
	case core.PhaseClosed:
		return s.CloseRound(ctx, actor, id)
	case core.PhasePublished:
		return s.Publish(ctx, actor, id)
	}
	return core.Round{}, core.Conflictf("cannot move round %s to %s", id, to)
}

func nextPhase(p core.Phase) core.Phase {
	if next, ok := core.Next(p); ok {
		return next
	}
	return "(none)"
}

// ProposalRequest is a resident's idea.
type ProposalRequest struct {
	Title         string `json:"title" form:"title"`
	Description   string `json:"description" form:"description"`
	EstimatedCost int64  `json:"estimated_cost" form:"estimated_cost"`
	Category      string `json:"category" form:"category"`
	// TitleEN and DescriptionEN: the proposal in English too (optional,
	// both or neither).
	TitleEN       string `json:"title_en,omitempty" form:"title_en"`
	DescriptionEN string `json:"description_en,omitempty" form:"description_en"`
	// Name and Contact (optional) are for the council only: never shown
	// publicly, exported or logged.
	Name    string `json:"name,omitempty" form:"name"`
	Contact string `json:"contact,omitempty" form:"contact"`
}

// SubmitProposal records a resident's idea while the round collects
// proposals, as [Service.Propose] without the follow-up link.
func (s *Service) SubmitProposal(ctx context.Context, round string, req ProposalRequest) (core.Proposal, error) {
	p, _, err := s.Propose(ctx, round, req)
	return p, err
}

// ProposalPage is one page of a round's proposals: at most limit of them
// (1 to MaxProposals; 0 means 100) with a number above after, in
// submission order, optionally only those of one status. Next is the
// after of the next page, 0 when this is the last.
type ProposalPage struct {
	Proposals []core.Proposal
	Next      int64
}

// Proposals returns a page of round's proposals.
func (s *Service) Proposals(ctx context.Context, round string, after int64, limit int, status string) (ProposalPage, error) {
	switch {
	case limit == 0:
		limit = 100
	case limit < 0 || limit > core.MaxProposals:
		return ProposalPage{}, core.Invalidf("limit must be 1 to %d", core.MaxProposals)
	}
	switch status {
	case "", core.ProposalPending, core.ProposalAccepted, core.ProposalRejected:
	default:
		return ProposalPage{}, core.Invalidf("status must be %s, %s or %s", core.ProposalPending, core.ProposalAccepted, core.ProposalRejected)
	}
	var page ProposalPage
	err := s.store.Read(ctx, func(tx core.Tx) error {
		if _, err := tx.Round(round); err != nil {
			return err
		}
		all, err := tx.Proposals(round)
		if err != nil {
			return err
		}
		for _, p := range all {
			if p.ID <= after || status != "" && p.Status != status {
				continue
			}
			if len(page.Proposals) == limit {
				page.Next = page.Proposals[limit-1].ID
				break
			}
			page.Proposals = append(page.Proposals, p)
		}
		return nil
	})
	return page, noRound(round, err)
}

// Decision is a coordinator's review of a proposal. Accepting makes it a
// project: Cost (default the estimate), Project (default "p" and the
// proposal number, zero-padded to three digits) and Title (default the
// proposal's) set its ballot entry. Reason is public and required.
type Decision struct {
	Accept  bool   `json:"accept" form:"accept"`
	Reason  string `json:"reason" form:"reason"`
	Cost    int64  `json:"cost,omitempty" form:"cost"`
	Project string `json:"project,omitempty" form:"project"`
	Title   string `json:"title,omitempty" form:"title"`
	// Merge accepts the proposal into an existing project of the round
	// instead (several proposals, one project); Cost, Project and Title
	// are then ignored.
	Merge string `json:"merge,omitempty" form:"merge"`
}

// DecideProposal accepts or rejects a proposal during review. A decision
// may be changed until the round is frozen.
func (s *Service) DecideProposal(ctx context.Context, actor *core.Identity, round string, pid int64, d Decision) (core.Proposal, error) {
	if !ballot.ValidText(d.Reason) {
		return core.Proposal{}, core.Invalidf("a public reason (1 to 200 bytes of text) is required")
	}
	var p core.Proposal
	_, err := s.withRound(ctx, actor, round, func(tx core.Tx, r *core.Round) error {
		if err := core.Allows(r.Phase, core.ActReview); err != nil {
			return err
		}
		var err error
		p, err = s.decideTx(tx, actor, r, pid, d)
		return err
	})
	return p, err
}

// decideTx decides proposal pid of round r inside tx (phase and access
// checked by the caller).
func (s *Service) decideTx(tx core.Tx, actor *core.Identity, r *core.Round, pid int64, d Decision) (core.Proposal, error) {
	p, err := tx.Proposal(r.ID, pid)
	if errors.Is(err, core.ErrMissing) {
		return p, core.NotFoundf("round %s has no proposal %d", r.ID, pid)
	}
	if err != nil {
		return p, err
	}
	if p.Project != "" {
		if err := unlinkProject(tx, r.ID, p); err != nil {
			return p, err
		}
		p.Project, p.Merged = "", false
	}
	p.Reason, p.Decided = d.Reason, s.clock()
	if d.Accept && d.Merge != "" {
		return s.mergeTx(tx, actor, r, p, d.Merge)
	}
	if !d.Accept {
		p.Status = core.ProposalRejected
		if err := tx.PutProposal(p); err != nil {
			return p, err
		}
		return p, s.audit(tx, actor.Name, "reject proposal", fmt.Sprintf("%s/%d", r.ID, p.ID), "")
	}
	proj := core.Project{Round: r.ID, ID: d.Project, Title: d.Title, Description: p.Description,
		Cost: d.Cost, Category: p.Category, Proposal: p.ID}
	if proj.ID == "" {
		proj.ID = fmt.Sprintf("p%03d", p.ID)
	}
	if proj.Title == "" {
		proj.Title = p.Title
	}
	if proj.Cost == 0 {
		proj.Cost = p.EstimatedCost
	}
	if err := checkProject(tx, *r, proj); err != nil {
		return p, err
	}
	if err := tx.PutProject(proj); err != nil {
		return p, err
	}
	p.Status, p.Project = core.ProposalAccepted, proj.ID
	if err := tx.PutProposal(p); err != nil {
		return p, err
	}
	return p, s.audit(tx, actor.Name, "accept proposal", fmt.Sprintf("%s/%d", r.ID, p.ID), fmt.Sprintf("project %s, cost %d", proj.ID, proj.Cost))
}

// BulkDecision decides several proposals at once with one public reason:
// those numbered in IDs, or every pending one with AllPending. Accepted
// proposals become projects with their default ID, title and estimated
// cost (decide them one at a time to set those).
type BulkDecision struct {
	IDs        []int64 `json:"ids" form:"ids"`
	AllPending bool    `json:"all_pending" form:"all_pending"`
	Accept     bool    `json:"accept" form:"accept"`
	Reason     string  `json:"reason" form:"reason"`
	// Merge accepts every one of them into this existing project.
	Merge string `json:"merge,omitempty" form:"merge"`
}

// DecideProposals applies one decision to several proposals in one
// transaction during review: all of them or none (the first refusal,
// such as a project over the limits, is returned).
func (s *Service) DecideProposals(ctx context.Context, actor *core.Identity, round string, b BulkDecision) ([]core.Proposal, error) {
	if !ballot.ValidText(b.Reason) {
		return nil, core.Invalidf("a public reason (1 to 200 bytes of text) is required")
	}
	if len(b.IDs) > core.MaxProposals {
		return nil, core.Invalidf("at most %d proposals at once", core.MaxProposals)
	}
	if (len(b.IDs) == 0) == !b.AllPending {
		return nil, core.Invalidf("name the proposals (ids) or choose all pending ones, not both")
	}
	var out []core.Proposal
	_, err := s.withRound(ctx, actor, round, func(tx core.Tx, r *core.Round) error {
		if err := core.Allows(r.Phase, core.ActReview); err != nil {
			return err
		}
		ids := b.IDs
		if b.AllPending {
			all, err := tx.Proposals(r.ID)
			if err != nil {
				return err
			}
			for _, p := range all {
				if p.Status == core.ProposalPending {
					ids = append(ids, p.ID)
				}
			}
		}
		out = out[:0]
		seen := make(map[int64]bool, len(ids))
		for _, id := range ids {
			if seen[id] {
				continue
			}
			seen[id] = true
			p, err := s.decideTx(tx, actor, r, id, Decision{Accept: b.Accept || b.Merge != "", Reason: b.Reason, Merge: b.Merge})
			if err != nil {
				return err
			}
			out = append(out, p)
		}
		return nil
	})
	return out, err
}

// checkProject validates a project for a round; a project ID already used
// by another proposal's project is a 409.
func checkProject(tx core.Tx, r core.Round, p core.Project) error {
	if err := core.CheckProject(&r, p); err != nil {
		return err
	}
	old, err := tx.Project(r.ID, p.ID)
	if err == nil && old.Proposal != p.Proposal {
		return core.Conflictf("round %s already has a project %s", r.ID, p.ID)
	}
	if err != nil && !errors.Is(err, core.ErrMissing) {
		return err
	}
	if errors.Is(err, core.ErrMissing) {
		ps, err := tx.Projects(r.ID)
		if err != nil {
			return err
		}
		if len(ps) >= maxProjects {
			return core.Conflictf("round %s already has %d projects", r.ID, maxProjects)
		}
	}
	return nil
}

// ProjectRequest adds or replaces a project directly (without a proposal).
type ProjectRequest struct {
	ID          string `json:"id" form:"id"`
	Title       string `json:"title" form:"title"`
	Description string `json:"description,omitempty" form:"description"`
	Cost        int64  `json:"cost" form:"cost"`
	Category    string `json:"category" form:"category"`
}

// PutProject adds or replaces a project of a round before freeze.
func (s *Service) PutProject(ctx context.Context, actor *core.Identity, round string, req ProjectRequest) (core.Project, error) {
	p := core.Project{Round: round, ID: req.ID, Title: req.Title, Description: req.Description, Cost: req.Cost, Category: req.Category}
	_, err := s.withRound(ctx, actor, round, func(tx core.Tx, r *core.Round) error {
		if err := core.Allows(r.Phase, core.ActEditProjects); err != nil {
			return err
		}
		if old, err := tx.Project(r.ID, p.ID); err == nil && old.Proposal != 0 {
			return core.ErrFromProposal.With("project %s comes from proposal %d: change it by deciding the proposal again", p.ID, old.Proposal)
		}
		if err := checkProject(tx, *r, p); err != nil {
			return err
		}
		if err := tx.PutProject(p); err != nil {
			return err
		}
		return s.audit(tx, actor.Name, "put project", r.ID+"/"+p.ID, fmt.Sprintf("cost %d", p.Cost))
	})
	return p, err
}

// DeleteProject removes a project added directly, before freeze.
func (s *Service) DeleteProject(ctx context.Context, actor *core.Identity, round, id string) error {
	_, err := s.withRound(ctx, actor, round, func(tx core.Tx, r *core.Round) error {
		if err := core.Allows(r.Phase, core.ActEditProjects); err != nil {
			return err
		}
		p, err := tx.Project(r.ID, id)
		if errors.Is(err, core.ErrMissing) {
			return core.NotFoundf("round %s has no project %s", r.ID, id)
		}
		if err != nil {
			return err
		}
		if p.Proposal != 0 {
			return core.ErrFromProposal.With("project %s comes from proposal %d: reject the proposal instead", id, p.Proposal)
		}
		if merged, err := mergedInto(tx, r.ID, id); err != nil {
			return err
		} else if len(merged) > 0 {
			return core.ErrFromProposal.With("proposals are merged into project %s: decide them again first", id)
		}
		if err := tx.DeleteProject(r.ID, id); err != nil {
			return err
		}
		return s.audit(tx, actor.Name, "delete project", r.ID+"/"+id, "")
	})
	return err
}

// UploadRoll attaches a roll.txt made offline (pbverify codes) to a round
// before freeze, replacing any earlier roll.
func (s *Service) UploadRoll(ctx context.Context, actor *core.Identity, round string, rollBytes []byte) (core.Round, error) {
	roll, err := ballot.ParseRoll(rollBytes)
	if err != nil {
		var pe *ballot.ParseError
		if errors.As(err, &pe) {
			return core.Round{}, core.Invalidf("roll.txt is not canonical: %s", pe.Error())
		}
		return core.Round{}, core.Invalidf("roll.txt is not canonical")
	}
	if roll.Round != round {
		return core.Round{}, core.Invalidf("roll.txt is for round %s, not %s", roll.Round, round)
	}
	return s.withRound(ctx, actor, round, func(tx core.Tx, r *core.Round) error {
		if err := core.Allows(r.Phase, core.ActUploadRoll); err != nil {
			return err
		}
		if err := tx.PutRoll(r.ID, roll.Bytes()); err != nil {
			return err
		}
		r.RollSource, r.RollCount, r.RollReserve = "uploaded", len(roll.Keys), 0
		return s.audit(tx, actor.Name, "upload roll", r.ID, fmt.Sprintf("%d keys", len(roll.Keys)))
	})
}

// CodesRequest asks for server-generated voting codes at freeze: count
// slips, the last reserve of them marked as reserve slips. Replace allows
// them to replace a roll uploaded earlier (otherwise that is a 409).
// Passphrase, when given (at least 10 characters), keeps a copy of the
// codes sealed under it until voting opens, so that a lost sheet can be
// downloaded again ([Service.SlipSheet]); it is never stored.
type CodesRequest struct {
	Count      int    `json:"count" form:"count"`
	Reserve    int    `json:"reserve" form:"reserve"`
	Replace    bool   `json:"replace,omitempty" form:"replace"`
	Passphrase string `json:"passphrase,omitempty" form:"passphrase"`
}

// FreezeWithCodes freezes a round with server-generated codes in one step:
// it makes the codes, attaches their roll, signs and logs the manifest
// ([App.Freeze]) in one transaction, so either the round is frozen or
// nothing changed, and then, outside the transaction, renders the
// printable slip sheet (HTML) with the manifest's fingerprint on every
// slip. The server keeps the public keys; the codes it keeps only sealed
// under the coordinator's passphrase (when one is given) until voting
// opens, and a frozen round never gets new codes.
func (s *Service) FreezeWithCodes(ctx context.Context, actor *core.Identity, id string, req CodesRequest) (core.Round, []byte, error) {
	r, _, sheet, err := s.FreezeWithNewCodes(ctx, actor, id, req)
	return r, sheet, err
}

// FreezeWithNewCodes is FreezeWithCodes returning the codes too (for the demo).
func (s *Service) FreezeWithNewCodes(ctx context.Context, actor *core.Identity, id string, req CodesRequest) (core.Round, []ballot.Code, []byte, error) {
	count, reserve := req.Count, req.Reserve
	if count < 1 || count > maxCodes || reserve < 0 || reserve >= count {
		return core.Round{}, nil, nil, core.Invalidf("count must be 1 to %d and reserve 0 to count-1", maxCodes)
	}
	if err := checkSlipPassphrase(req.Passphrase); err != nil {
		return core.Round{}, nil, nil, err
	}
	if !ballot.ValidID(id) {
		return core.Round{}, nil, nil, core.NotFoundf("no round %s", id)
	}
	// Check access and phase before spending time on key derivation.
	err := s.store.Read(ctx, func(tx core.Tx) error {
		r, err := tx.Round(id)
		if errors.Is(err, core.ErrMissing) {
			return core.NotFoundf("no round %s", id)
		}
		if err != nil {
			return err
		}
		if err := mayManage(actor, r.ID, r.Community); err != nil {
			return err
		}
		return s.canGenerate(r, req.Replace)
	})
	if err != nil {
		return core.Round{}, nil, nil, err
	}
	codes := make([]ballot.Code, count)
	keys := make([][32]byte, count)
	for i := range codes {
		c, err := ballot.NewCode(s.rand)
		if err != nil {
			return core.Round{}, nil, nil, err
		}
		codes[i] = c
		keys[i] = ballot.PublicKey(ballot.DeriveKey(c, id))
	}
	roll, err := ballot.NewRoll(id, keys)
	if err != nil {
		return core.Round{}, nil, nil, fmt.Errorf("ui: roll of %s: %w", id, err)
	}
	var sealed []byte
	if req.Passphrase != "" {
		if sealed, err = sealSlips(id, codes, reserve, req.Passphrase, s.cfg.Argon2, s.rand); err != nil {
			return core.Round{}, nil, nil, err
		}
	}
	var cp []byte
	r, err := s.withRound(ctx, actor, id, func(tx core.Tx, r *core.Round) error {
		if err := s.canGenerate(*r, req.Replace); err != nil {
			return err
		}
		if err := tx.PutRoll(r.ID, roll.Bytes()); err != nil {
			return err
		}
		r.RollSource, r.RollCount, r.RollReserve = "generated", count, reserve
		if err := s.audit(tx, core.ActorName(actor), "generate codes", r.ID, fmt.Sprintf("%d codes, %d reserve", count, reserve)); err != nil {
			return err
		}
		var err error
		if cp, err = s.freezeTx(tx, actor, r); err != nil {
			return err
		}
		if sealed != nil {
			return tx.PutSealedSlips(r.ID, sealed)
		}
		return nil
	})
	if err != nil {
		return r, nil, nil, err
	}
	s.hub.publish(Event{Round: r.ID, Size: 1, Checkpoint: cp})
	// Rendering 20,000 slips takes tens of seconds: never inside the write
	// transaction, which every round's ballots wait for.
	sheet, err := s.renderSlips(r, codes, reserve)
	if err != nil {
		return r, nil, nil, err
	}
	return r, codes, sheet, nil
}

// canGenerate refuses codes for a frozen round (its roll is signed into
// the manifest), outside the review phase (codes are made at freeze) and,
// unless replace is set, for a round holding an uploaded roll.
func (s *Service) canGenerate(r core.Round, replace bool) error {
	if r.Phase.Frozen() {
		return core.ErrSlipsMade.With("round %s is frozen (phase %s): its slips were made at freeze and no new codes can be made; download them again with the passphrase until voting opens, or hand out reserve slips", r.ID, r.Phase)
	}
	if err := core.Allows(r.Phase, core.ActFreeze); err != nil {
		return core.ErrWrongPhase.With("round %s is in phase %s; codes are made when the round is frozen, from the review phase", r.ID, r.Phase)
	}
	if r.RollSource == "uploaded" && !replace {
		return core.Conflictf("round %s has an uploaded roll of %d keys: freeze it as it is, or ask to replace it", r.ID, r.RollCount)
	}
	return nil
}

// Freeze signs the round's manifest with the council key and logs it as
// leaf 0 with a checkpoint of size 1. It needs the review phase, decisions
// on every proposal, at least one project and an attached roll (uploaded
// from "pbverify codes"); [App.FreezeWithCodes] freezes with codes the
// server makes.
func (s *Service) Freeze(ctx context.Context, actor *core.Identity, id string) (core.Round, error) {
	var cp []byte
	r, err := s.withRound(ctx, actor, id, func(tx core.Tx, r *core.Round) error {
		var err error
		cp, err = s.freezeTx(tx, actor, r)
		return err
	})
	if err != nil {
		return r, err
	}
	s.hub.publish(Event{Round: r.ID, Size: 1, Checkpoint: cp})
	return r, nil
}

// freezeState reads what the freeze checks about r.
func freezeState(tx core.Tx, r *core.Round) (core.FreezeState, error) {
	st := core.FreezeState{Phase: r.Phase}
	props, err := tx.Proposals(r.ID)
	if err != nil {
		return st, err
	}
	for _, p := range props {
		if p.Status == core.ProposalPending {
			st.Pending++
		}
	}
	projects, err := tx.Projects(r.ID)
	if err != nil {
		return st, err
	}
	st.Projects = len(projects)
	st.Budget = r.Budget
	have := map[string]bool{}
	for _, p := range projects {
		have[p.ID] = true
	}
	for _, g := range r.Exclusive {
		for _, id := range g {
			if !have[id] && st.Ungrouped == "" {
				st.Ungrouped = id
			}
		}
	}
	for i, p := range projects {
		if i == 0 || p.Cost < st.Cheapest {
			st.Cheapest = p.Cost
		}
		st.Cost += p.Cost // each at most the budget limit: no overflow
	}
	st.Left, err = headroom(tx, r.Fund, r.Community, r.Year, r.ID)
	if core.KindOf(err) != core.Internal {
		err = nil // the budget cannot be reserved: Left stays 0, a blocker
	}
	if err != nil {
		return st, err
	}
	if _, err := tx.Roll(r.ID); err == nil {
		st.Roll = true
	} else if !errors.Is(err, core.ErrMissing) {
		return st, err
	}
	return st, nil
}

// FreezeBlockers lists every reason round id cannot be frozen now, as
// the freeze itself checks them (none: it can be frozen). withCodes asks
// about freezing with server-made codes, which attaches the roll itself.
func (s *Service) FreezeBlockers(ctx context.Context, id string, withCodes bool) ([]core.Blocker, error) {
	var bs []core.Blocker
	err := s.store.Read(ctx, func(tx core.Tx) error {
		r, err := tx.Round(id)
		if err != nil {
			return err
		}
		st, err := freezeState(tx, &r)
		st.Roll = st.Roll || withCodes
		bs = core.FreezeBlockers(st)
		return err
	})
	return bs, err
}

// freezeTx freezes r within tx with the roll stored for it and returns
// the checkpoint of size 1; it sets r's phase, manifest hash and
// fingerprint.
func (s *Service) freezeTx(tx core.Tx, actor *core.Identity, r *core.Round) ([]byte, error) {
	st, err := freezeState(tx, r)
	if err != nil {
		return nil, err
	}
	if bs := core.FreezeBlockers(st); len(bs) > 0 {
		return nil, core.BlockerError(r.ID, r.Phase, bs[0])
	}
	if err := s.reserveAtFreeze(tx, r); err != nil {
		return nil, err
	}
	projects, err := tx.Projects(r.ID)
	if err != nil {
		return nil, err
	}
	rollBytes, err := tx.Roll(r.ID)
	if err != nil {
		return nil, err
	}
	roll, err := ballot.ParseRoll(rollBytes)
	if err != nil {
		return nil, fmt.Errorf("ui: stored roll of %s: %w", r.ID, err)
	}
	logS, councilS, err := s.roundKeys(*r)
	if err != nil {
		return nil, err
	}
	m := &ballot.Manifest{
		Round: r.ID, Community: r.Community, Fund: r.Fund, Title: r.Title, Budget: r.Budget,
		Ballot: r.Ballot,
		Rule:   r.Rule, Tiebreak: r.Tiebreak, Revote: r.Revote,
		LogOrigin: r.LogOrigin, LogKey: r.LogKey, CouncilKey: r.CouncilKey,
		RollHash: roll.Hash(), RollCount: len(roll.Keys),
		Minimum: r.Minimum, Exclusive: core.CanonExclusive(r.Exclusive),
	}
	for _, p := range projects {
		m.Projects = append(m.Projects, ballot.Project{ID: p.ID, Cost: p.Cost, Category: p.Category, Title: p.Title})
	}
	if err := checkGroupProjects(tx, r); err != nil {
		var ce *core.Error
		if errors.As(err, &ce) {
			return nil, core.Conflictf("cannot freeze round %s: %s; change the exclusion groups", r.ID, ce.Msg)
		}
		return nil, err
	}
	leaf0, err := ballot.SignManifest(m, councilS)
	if errors.Is(err, ballot.ErrInvalidManifest) {
		return nil, core.Conflictf("cannot freeze round %s: %s", r.ID, strings.TrimPrefix(err.Error(), "ballot: "))
	}
	if err != nil {
		return nil, err
	}
	if err := tx.PutManifest(r.ID, leaf0); err != nil {
		return nil, err
	}
	_, _, cp, err := appendSigned(tx.RoundLog(r.ID), r.LogOrigin, [][]byte{leaf0}, logS)
	if err != nil {
		return nil, err
	}
	r.Phase, r.Frozen = core.PhaseFrozen, s.clock()
	h := ballot.ManifestHash(leaf0)
	r.ManifestHash, r.Fingerprint = base64.StdEncoding.EncodeToString(h[:]), ballot.Fingerprint(leaf0)
	if err := tx.PutRound(*r); err != nil {
		return nil, err
	}
	if err := s.reserveInLedger(tx, *r); err != nil {
		return nil, err
	}
	return cp, s.audit(tx, core.ActorName(actor), "freeze", r.ID, "manifest "+ballot.FormatFingerprint(r.Fingerprint))
}

// SetHandedOut records how many slips were handed out at the meeting, the
// projector's and the results' turnout base: 0 (the default) means all
// slips but the reserve ones. It can be set from freeze until publication.
func (s *Service) SetHandedOut(ctx context.Context, actor *core.Identity, id string, n int) (core.Round, error) {
	return s.withRound(ctx, actor, id, func(tx core.Tx, r *core.Round) error {
		if err := core.Allows(r.Phase, core.ActHandedOut); err != nil {
			return err
		}
		if n < 0 || n > r.RollCount {
			return core.ErrHandedOut.With("slips handed out must be 0 to %d (the slips printed)", r.RollCount)
		}
		r.HandedOut = n
		return s.audit(tx, core.ActorName(actor), "handed out", r.ID, strconv.Itoa(n))
	})
}

// Open starts voting on a frozen round.
func (s *Service) Open(ctx context.Context, actor *core.Identity, id string) (core.Round, error) {
	if _, err := s.FrozenRound(ctx, id); err != nil {
		if errors.Is(err, core.ErrWrongPhase) {
			return core.Round{}, core.ErrWrongPhase.With("round %s must be frozen before voting opens", id)
		}
		return core.Round{}, err
	}
	return s.withRound(ctx, actor, id, func(tx core.Tx, r *core.Round) error {
		if err := core.Allows(r.Phase, core.ActOpen); err != nil {
			return err
		}
		r.Phase, r.Opened = core.PhaseVoting, s.clock()
		// The sealed copy of the slips goes when voting opens.
		if _, err := tx.SealedSlips(r.ID); err == nil {
			if err := tx.DeleteSealedSlips(r.ID); err != nil {
				return err
			}
			return s.audit(tx, core.ActorName(actor), "open voting", r.ID, "the copy of the slips is destroyed")
		} else if !errors.Is(err, core.ErrMissing) {
			return err
		}
		return s.audit(tx, core.ActorName(actor), "open voting", r.ID, "")
	})
}

// Schedule sets or clears (zero time) when voting opens and closes by
// itself. An opening can be scheduled until voting opens, a closing until
// it closes.
func (s *Service) Schedule(ctx context.Context, actor *core.Identity, id string, opensAt, closesAt time.Time) (core.Round, error) {
	return s.withRound(ctx, actor, id, func(tx core.Tx, r *core.Round) error {
		if err := core.Allows(r.Phase, core.ActScheduleClose); err != nil {
			return err
		}
		if !opensAt.Equal(r.OpensAt) {
			if err := core.Allows(r.Phase, core.ActScheduleOpen); err != nil {
				return err
			}
		}
		if !opensAt.IsZero() && !closesAt.IsZero() && !closesAt.After(opensAt) {
			return core.Invalidf("closing time must be after the opening time")
		}
		r.OpensAt, r.ClosesAt = opensAt.UTC(), closesAt.UTC()
		return s.audit(tx, actor.Name, "schedule", r.ID, fmt.Sprintf("opens %s, closes %s", fmtTime(r.OpensAt), fmtTime(r.ClosesAt)))
	})
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "by hand"
	}
	return t.Format(time.RFC3339)
}
