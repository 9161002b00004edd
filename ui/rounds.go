package ui

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/note"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/ballot/slipsheet"
	"github.com/hedensted-pb/pb/tally"
	"github.com/hedensted-pb/pb/tally/ledger"
	"github.com/hedensted-pb/pb/ui/store"
)

// DefaultCategories are Hedensted's four core tasks, the project
// categories a round gets unless it names others.
var DefaultCategories = []store.Category{
	{ID: "fritid-og-faellesskab", Name: "Fritid og fællesskab"},
	{ID: "laering", Name: "Læring"},
	{ID: "beskaeftigelse", Name: "Beskæftigelse"},
	{ID: "social-omsorg", Name: "Social omsorg"},
}

// Limits on what a round may hold.
const (
	maxDescription = 4000
	maxProjects    = 200
	maxCodes       = 20000
	maxCost        = 999_999_999_999
)

// Origin returns the log origin (and log key name) of a round:
// "<host><path>/<round>".
func (a *App) Origin(round string) string { return a.host + "/" + round }

// councilKeyName returns the note key name of a community's council key.
func (a *App) councilKeyName(community string) string { return a.host + "/council/" + community }

// newRoundKeys returns the vkeys of a new round's log key and of its
// community's council key, creating key files as needed:
// "log-<round>.key" named after the round's origin, and
// "council-<community>.key" (created at the community's first round and
// reused by later rounds, whatever the base URL is by then).
func (a *App) newRoundKeys(round, community string) (logV, councilV string, err error) {
	if _, logV, err = a.keys.Signer("log-"+round, a.Origin(round)); err != nil {
		return "", "", err
	}
	_, councilV, err = a.keys.Existing("council-" + community)
	if errors.Is(err, store.ErrNotFound) {
		_, councilV, err = a.keys.Signer("council-"+community, a.councilKeyName(community))
	}
	return logV, councilV, err
}

// roundKeys returns the signers of an existing round, checking that the
// key files still hold the keys the round was created with. Key names
// come from the files, so a later change of the base URL does not affect
// existing rounds.
func (a *App) roundKeys(r store.Round) (logS, councilS note.Signer, err error) {
	logS, logV, err := a.keys.Existing("log-" + r.ID)
	if err != nil {
		return nil, nil, err
	}
	councilS, councilV, err := a.keys.Existing("council-" + r.Community)
	if err != nil {
		return nil, nil, err
	}
	if logV != r.LogKey || councilV != r.CouncilKey {
		return nil, nil, fmt.Errorf("ui: round %s: key files do not hold the round's keys", r.ID)
	}
	return logS, councilS, nil
}

// frozenRound is what never changes once a round is frozen: its manifest,
// roll and keys. It is cached in memory.
type frozenRound struct {
	id          string
	community   string
	origin      string
	leaf0       []byte
	hash        [32]byte
	manifest    *ballot.Manifest
	roll        *ballot.Roll
	logSigner   note.Signer
	council     note.Signer
	logVerifier note.Verifier
	councilVer  note.Verifier
	anchors     *ledger.Anchors
}

// frozen returns the frozen data of a round, or a 409 *Error when the
// round is not frozen yet, or 404 when it does not exist.
func (a *App) frozenRound(ctx context.Context, id string) (*frozenRound, error) {
	a.frozenMu.Lock()
	fr := a.frozen[id]
	a.frozenMu.Unlock()
	if fr != nil {
		return fr, nil
	}
	var r store.Round
	var leaf0, roll []byte
	err := a.store.View(ctx, func(tx *store.Tx) error {
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
	if errors.Is(err, store.ErrNotFound) && r.ID == "" {
		return nil, notFound("no round %s", id)
	}
	if err != nil {
		return nil, err
	}
	if !r.Phase.Frozen() {
		return nil, conflict("round %s is not frozen yet (phase %s)", id, r.Phase)
	}
	fr, err = a.loadFrozen(r, leaf0, roll)
	if err != nil {
		return nil, err
	}
	a.frozenMu.Lock()
	a.frozen[strings.Clone(id)] = fr
	a.frozenMu.Unlock()
	return fr, nil
}

func (a *App) loadFrozen(r store.Round, leaf0, rollBytes []byte) (*frozenRound, error) {
	logS, councilS, err := a.roundKeys(r)
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
	return &frozenRound{
		id: r.ID, community: r.Community, origin: m.LogOrigin,
		leaf0: leaf0, hash: ballot.ManifestHash(leaf0), manifest: m, roll: roll,
		logSigner: logS, council: councilS, logVerifier: lv, councilVer: cv,
		anchors: &ledger.Anchors{Round: r.ID, LogKey: r.LogKey, CouncilKey: r.CouncilKey, Manifest: ballot.Fingerprint(leaf0)},
	}, nil
}

// RoundRequest creates a round. Zero fields take defaults: the budget is
// what the community has available for the year, the ballot is approval
// of 1 to 3 projects, the rule greedy, the tie-break the platform default,
// revote none, the categories [DefaultCategories].
type RoundRequest struct {
	ID          string            `json:"id"`
	Community   string            `json:"community"`
	Year        int               `json:"year"`
	Title       string            `json:"title"`
	Description string            `json:"description,omitempty"`
	Budget      int64             `json:"budget,omitempty"`
	Ballot      store.BallotRules `json:"ballot,omitzero"`
	Rule        string            `json:"rule,omitempty"`
	Tiebreak    string            `json:"tiebreak,omitempty"`
	Revote      string            `json:"revote,omitempty"`
	Categories  []store.Category  `json:"categories,omitempty"`
}

// CreateRound creates a round in the draft phase, with its log key and
// (at first use) its community's council key.
func (a *App) CreateRound(ctx context.Context, actor *Identity, req RoundRequest) (store.Round, error) {
	if !ballot.ValidID(req.ID) {
		return store.Round{}, badRequest("round id %q is not an identifier (a-z, 0-9, hyphens)", req.ID)
	}
	if !actor.CanManage(req.Community) {
		return store.Round{}, forbidden("account %s may not create rounds for community %s", actor.Name, req.Community)
	}
	if !validOriginPrefix(a.Origin(req.ID)) || len(a.Origin(req.ID)) > 255 {
		return store.Round{}, badRequest("round id too long for a log origin")
	}
	r := store.Round{
		ID: req.ID, Community: req.Community, Year: req.Year, Title: req.Title, Description: req.Description,
		Budget: req.Budget, Phase: store.PhaseDraft, Ballot: req.Ballot, Rule: req.Rule, Tiebreak: req.Tiebreak,
		Revote: req.Revote, Categories: req.Categories, LogOrigin: a.Origin(req.ID), Created: a.clock(),
	}
	if r.Ballot == (store.BallotRules{}) {
		r.Ballot = store.BallotRules{Kind: string(ballot.KindApproval), Min: 1, Max: 3}
	}
	if r.Rule == "" {
		r.Rule = tally.RuleGreedy
		if r.Ballot.Kind == string(ballot.KindCumulative) {
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
		r.Categories = slices.Clone(DefaultCategories)
	}
	err := a.store.Update(ctx, func(tx *store.Tx) error {
		cm, err := tx.Community(req.Community)
		if errors.Is(err, store.ErrNotFound) {
			return badRequest("community %q does not exist", req.Community)
		}
		if err != nil {
			return err
		}
		r.Fund = cm.Fund
		left, ok, err := available(tx, cm.Fund, cm.ID, r.Year, r.ID)
		if err != nil {
			return err
		}
		if !ok {
			return badRequest("fund %s has no tranche for year %d", cm.Fund, r.Year)
		}
		if r.Budget == 0 {
			r.Budget = left
		}
		if r.Budget > left {
			return badRequest("budget %d exceeds the %d community %s has available in %d", r.Budget, left, cm.ID, r.Year)
		}
		if err := checkSettings(&r); err != nil {
			return err
		}
		logV, councilV, err := a.newRoundKeys(r.ID, r.Community)
		if err != nil {
			return err
		}
		r.LogKey, r.CouncilKey = logV, councilV
		if err := tx.CreateRound(r); err != nil {
			if errors.Is(err, store.ErrExists) {
				return conflict("round %s already exists", r.ID)
			}
			return err
		}
		return a.audit(tx, actor.Name, "create round", r.ID, fmt.Sprintf("community %s, year %d, budget %d", r.Community, r.Year, r.Budget))
	})
	return r, err
}

// checkSettings validates the settings of a round that the manifest will
// carry.
func checkSettings(r *store.Round) error {
	if !ballot.ValidText(r.Title) {
		return badRequest("title must be 1 to 200 bytes of text (no control characters, no double spaces)")
	}
	if len(r.Description) > maxDescription || !utf8.ValidString(r.Description) {
		return badRequest("description must be valid UTF-8 of at most %d bytes", maxDescription)
	}
	if r.Budget < 1 || r.Budget > maxCost {
		return badRequest("budget must be at least 1")
	}
	b := r.Ballot
	switch ballot.Kind(b.Kind) {
	case ballot.KindApproval:
		if b.Min < 0 || b.Max < 1 || b.Min > b.Max || b.Limit != 0 || b.Total != 0 || b.Cap != 0 {
			return badRequest("approval ballot needs 0 ≤ min ≤ max and max ≥ 1 (and no limit, total or cap)")
		}
	case ballot.KindApprovalCost:
		if b.Limit < 1 || b.Min != 0 || b.Max != 0 || b.Total != 0 || b.Cap != 0 {
			return badRequest("approval-cost ballot needs a limit ≥ 1 (and no min, max, total or cap)")
		}
	case ballot.KindCumulative:
		if b.Cap < 1 || b.Cap > b.Total || b.Min != 0 || b.Max != 0 || b.Limit != 0 {
			return badRequest("cumulative ballot needs 1 ≤ cap ≤ total (and no min, max or limit)")
		}
	default:
		return badRequest("ballot kind must be %q, %q or %q", ballot.KindApproval, ballot.KindApprovalCost, ballot.KindCumulative)
	}
	if !tally.ValidRule(r.Rule, r.Ballot.Kind) {
		return badRequest("rule %q is not a counting rule for %s ballots (see docs/counting.md)", r.Rule, r.Ballot.Kind)
	}
	if r.Tiebreak != ballot.TiebreakDefault && r.Tiebreak != ballot.TiebreakLexicographic {
		return badRequest("tiebreak must be %q or %q", ballot.TiebreakDefault, ballot.TiebreakLexicographic)
	}
	if r.Revote != ballot.RevoteNone && r.Revote != ballot.RevoteLast {
		return badRequest("revote must be %q or %q", ballot.RevoteNone, ballot.RevoteLast)
	}
	if len(r.Categories) == 0 || len(r.Categories) > 50 {
		return badRequest("a round needs 1 to 50 categories")
	}
	for i, c := range r.Categories {
		if !ballot.ValidID(c.ID) || !ballot.ValidText(c.Name) {
			return badRequest("category %d needs an identifier and a name", i+1)
		}
		for _, d := range r.Categories[:i] {
			if d.ID == c.ID {
				return badRequest("category %s appears twice", c.ID)
			}
		}
	}
	return nil
}

// RoundSettings changes settings of a round before freeze; nil fields stay.
type RoundSettings struct {
	Title       *string            `json:"title,omitempty"`
	Description *string            `json:"description,omitempty"`
	Budget      *int64             `json:"budget,omitempty"`
	Ballot      *store.BallotRules `json:"ballot,omitempty"`
	Rule        *string            `json:"rule,omitempty"`
	Tiebreak    *string            `json:"tiebreak,omitempty"`
	Revote      *string            `json:"revote,omitempty"`
	Categories  []store.Category   `json:"categories,omitempty"`
}

// errFrozen is the 409 for any change to a frozen round.
func errFrozen(r store.Round) *Error {
	return conflict("round %s is frozen (phase %s): its manifest is signed and cannot change", r.ID, r.Phase)
}

// withRound runs fn on round id in an Update transaction after checking
// that it exists and that actor may manage it (actor nil skips the check:
// the scheduler and public actions). fn may modify r; it is stored when fn
// returns nil.
func (a *App) withRound(ctx context.Context, actor *Identity, id string, fn func(tx *store.Tx, r *store.Round) error) (store.Round, error) {
	var r store.Round
	err := a.store.Update(ctx, func(tx *store.Tx) error {
		var err error
		r, err = tx.Round(id)
		if errors.Is(err, store.ErrNotFound) {
			return notFound("no round %s", id)
		}
		if err != nil {
			return err
		}
		if actor != nil && !actor.CanManage(r.Community) {
			return forbidden("account %s may not manage round %s of community %s", actor.Name, r.ID, r.Community)
		}
		if err := fn(tx, &r); err != nil {
			return err
		}
		return tx.PutRound(r)
	})
	return r, err
}

// UpdateRound changes a round's settings; refused with 409 once frozen.
func (a *App) UpdateRound(ctx context.Context, actor *Identity, id string, s RoundSettings) (store.Round, error) {
	return a.withRound(ctx, actor, id, func(tx *store.Tx, r *store.Round) error {
		if r.Phase.Frozen() {
			return errFrozen(*r)
		}
		if s.Title != nil {
			r.Title = *s.Title
		}
		if s.Description != nil {
			r.Description = *s.Description
		}
		if s.Ballot != nil {
			r.Ballot = *s.Ballot
		}
		if s.Rule != nil {
			r.Rule = *s.Rule
		}
		if s.Tiebreak != nil {
			r.Tiebreak = *s.Tiebreak
		}
		if s.Revote != nil {
			r.Revote = *s.Revote
		}
		if s.Categories != nil {
			r.Categories = s.Categories
		}
		if s.Budget != nil {
			left, ok, err := available(tx, r.Fund, r.Community, r.Year, r.ID)
			if err != nil {
				return err
			}
			if !ok || *s.Budget > left {
				return badRequest("budget %d exceeds the %d community %s has available in %d", *s.Budget, left, r.Community, r.Year)
			}
			r.Budget = *s.Budget
		}
		if err := checkSettings(r); err != nil {
			return err
		}
		return a.audit(tx, actor.Name, "update round", r.ID, "")
	})
}

// SetPhase moves a round to the next phase of its lifecycle. Moving to
// frozen freezes ([App.Freeze]), to voting opens, to closed closes, to
// published publishes. Any other move is a 409.
func (a *App) SetPhase(ctx context.Context, actor *Identity, id string, to store.Phase) (store.Round, error) {
	if to.Order() < 0 {
		return store.Round{}, badRequest("unknown phase %q", to)
	}
	var cur store.Round
	err := a.store.View(ctx, func(tx *store.Tx) error {
		var err error
		cur, err = tx.Round(id)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return store.Round{}, notFound("no round %s", id)
	}
	if err != nil {
		return store.Round{}, err
	}
	if actor != nil && !actor.CanManage(cur.Community) {
		return store.Round{}, forbidden("account %s may not manage round %s of community %s", actor.Name, cur.ID, cur.Community)
	}
	if to.Order() != cur.Phase.Order()+1 {
		return store.Round{}, conflict("round %s is in phase %s; the next phase is %s, not %s", id, cur.Phase, nextPhase(cur.Phase), to)
	}
	switch to {
	case store.PhaseProposals, store.PhaseReview:
		return a.withRound(ctx, actor, id, func(tx *store.Tx, r *store.Round) error {
			if r.Phase.Order()+1 != to.Order() {
				return conflict("round %s changed phase meanwhile (now %s)", id, r.Phase)
			}
			r.Phase = to
			return a.audit(tx, actorName(actor), "phase", r.ID, string(to))
		})
	case store.PhaseFrozen:
		return a.Freeze(ctx, actor, id)
	case store.PhaseVoting:
		return a.Open(ctx, actor, id)
	case store.PhaseClosed:
		return a.CloseRound(ctx, actor, id)
	case store.PhasePublished:
		return a.Publish(ctx, actor, id)
	}
	return store.Round{}, conflict("cannot move round %s to %s", id, to)
}

func nextPhase(p store.Phase) store.Phase {
	ps := store.Phases()
	if i := p.Order(); i >= 0 && i+1 < len(ps) {
		return ps[i+1]
	}
	return "(none)"
}

func actorName(actor *Identity) string {
	if actor == nil {
		return "scheduler"
	}
	return actor.Name
}

// ProposalRequest is a resident's idea.
type ProposalRequest struct {
	Title         string `json:"title" form:"title"`
	Description   string `json:"description" form:"description"`
	EstimatedCost int64  `json:"estimated_cost" form:"estimated_cost"`
	Category      string `json:"category" form:"category"`
}

// SubmitProposal records a resident's idea while the round collects
// proposals. It needs no account.
func (a *App) SubmitProposal(ctx context.Context, round string, req ProposalRequest) (store.Proposal, error) {
	if !ballot.ValidText(req.Title) {
		return store.Proposal{}, badRequest("title must be 1 to 200 bytes of text (no control characters, no double spaces)")
	}
	if req.Description == "" || len(req.Description) > maxDescription || !utf8.ValidString(req.Description) {
		return store.Proposal{}, badRequest("description must be 1 to %d bytes of text", maxDescription)
	}
	if req.EstimatedCost < 1 || req.EstimatedCost > maxCost {
		return store.Proposal{}, badRequest("estimated cost must be a positive whole number of kroner")
	}
	var p store.Proposal
	_, err := a.withRound(ctx, nil, round, func(tx *store.Tx, r *store.Round) error {
		if r.Phase != store.PhaseProposals {
			return conflict("round %s is not collecting proposals (phase %s)", r.ID, r.Phase)
		}
		if !hasCategory(*r, req.Category) {
			return badRequest("category %q is not one of the round's categories", req.Category)
		}
		var err error
		p, err = tx.AddProposal(store.Proposal{Round: r.ID, Title: req.Title, Description: req.Description,
			EstimatedCost: req.EstimatedCost, Category: req.Category, Status: store.ProposalPending, Submitted: a.clock()})
		return err
	})
	return p, err
}

func hasCategory(r store.Round, id string) bool {
	for _, c := range r.Categories {
		if c.ID == id {
			return true
		}
	}
	return false
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
}

// DecideProposal accepts or rejects a proposal during review. A decision
// may be changed until the round is frozen.
func (a *App) DecideProposal(ctx context.Context, actor *Identity, round string, pid int64, d Decision) (store.Proposal, error) {
	if !ballot.ValidText(d.Reason) {
		return store.Proposal{}, badRequest("a public reason (1 to 200 bytes of text) is required")
	}
	var p store.Proposal
	_, err := a.withRound(ctx, actor, round, func(tx *store.Tx, r *store.Round) error {
		if r.Phase.Frozen() {
			return errFrozen(*r)
		}
		if r.Phase != store.PhaseReview {
			return conflict("proposals are reviewed in the review phase; round %s is in phase %s", r.ID, r.Phase)
		}
		var err error
		p, err = tx.Proposal(r.ID, pid)
		if errors.Is(err, store.ErrNotFound) {
			return notFound("round %s has no proposal %d", r.ID, pid)
		}
		if err != nil {
			return err
		}
		if p.Project != "" {
			if err := tx.DeleteProject(r.ID, p.Project); err != nil {
				return err
			}
			p.Project = ""
		}
		p.Reason, p.Decided = d.Reason, a.clock()
		if !d.Accept {
			p.Status = store.ProposalRejected
			if err := tx.PutProposal(p); err != nil {
				return err
			}
			return a.audit(tx, actor.Name, "reject proposal", fmt.Sprintf("%s/%d", r.ID, p.ID), "")
		}
		proj := store.Project{Round: r.ID, ID: d.Project, Title: d.Title, Description: p.Description,
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
			return err
		}
		if err := tx.PutProject(proj); err != nil {
			return err
		}
		p.Status, p.Project = store.ProposalAccepted, proj.ID
		if err := tx.PutProposal(p); err != nil {
			return err
		}
		return a.audit(tx, actor.Name, "accept proposal", fmt.Sprintf("%s/%d", r.ID, p.ID), fmt.Sprintf("project %s, cost %d", proj.ID, proj.Cost))
	})
	return p, err
}

// checkProject validates a project for a round; a project ID already used
// by another proposal's project is a 409.
func checkProject(tx *store.Tx, r store.Round, p store.Project) error {
	if !ballot.ValidID(p.ID) {
		return badRequest("project id %q is not an identifier (a-z, 0-9, hyphens)", p.ID)
	}
	if !ballot.ValidText(p.Title) {
		return badRequest("project title must be 1 to 200 bytes of text (no control characters, no double spaces)")
	}
	if p.Cost < 1 || p.Cost > maxCost {
		return badRequest("project cost must be a positive whole number of kroner")
	}
	if !hasCategory(r, p.Category) {
		return badRequest("category %q is not one of the round's categories", p.Category)
	}
	if len(p.Description) > maxDescription || !utf8.ValidString(p.Description) {
		return badRequest("description must be valid UTF-8 of at most %d bytes", maxDescription)
	}
	old, err := tx.Project(r.ID, p.ID)
	if err == nil && old.Proposal != p.Proposal {
		return conflict("round %s already has a project %s", r.ID, p.ID)
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if errors.Is(err, store.ErrNotFound) {
		ps, err := tx.Projects(r.ID)
		if err != nil {
			return err
		}
		if len(ps) >= maxProjects {
			return conflict("round %s already has %d projects", r.ID, maxProjects)
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
func (a *App) PutProject(ctx context.Context, actor *Identity, round string, req ProjectRequest) (store.Project, error) {
	p := store.Project{Round: round, ID: req.ID, Title: req.Title, Description: req.Description, Cost: req.Cost, Category: req.Category}
	_, err := a.withRound(ctx, actor, round, func(tx *store.Tx, r *store.Round) error {
		if r.Phase.Frozen() {
			return errFrozen(*r)
		}
		if old, err := tx.Project(r.ID, p.ID); err == nil && old.Proposal != 0 {
			return conflict("project %s comes from proposal %d: change it by deciding the proposal again", p.ID, old.Proposal)
		}
		if err := checkProject(tx, *r, p); err != nil {
			return err
		}
		if err := tx.PutProject(p); err != nil {
			return err
		}
		return a.audit(tx, actor.Name, "put project", r.ID+"/"+p.ID, fmt.Sprintf("cost %d", p.Cost))
	})
	return p, err
}

// DeleteProject removes a project added directly, before freeze.
func (a *App) DeleteProject(ctx context.Context, actor *Identity, round, id string) error {
	_, err := a.withRound(ctx, actor, round, func(tx *store.Tx, r *store.Round) error {
		if r.Phase.Frozen() {
			return errFrozen(*r)
		}
		p, err := tx.Project(r.ID, id)
		if errors.Is(err, store.ErrNotFound) {
			return notFound("round %s has no project %s", r.ID, id)
		}
		if err != nil {
			return err
		}
		if p.Proposal != 0 {
			return conflict("project %s comes from proposal %d: reject the proposal instead", id, p.Proposal)
		}
		if err := tx.DeleteProject(r.ID, id); err != nil {
			return err
		}
		return a.audit(tx, actor.Name, "delete project", r.ID+"/"+id, "")
	})
	return err
}

// UploadRoll attaches a roll.txt made offline (pbverify codes) to a round
// before freeze, replacing any earlier roll.
func (a *App) UploadRoll(ctx context.Context, actor *Identity, round string, rollBytes []byte) (store.Round, error) {
	roll, err := ballot.ParseRoll(rollBytes)
	if err != nil {
		var pe *ballot.ParseError
		if errors.As(err, &pe) {
			return store.Round{}, badRequest("roll.txt is not canonical: %s", pe.Error())
		}
		return store.Round{}, badRequest("roll.txt is not canonical")
	}
	if roll.Round != round {
		return store.Round{}, badRequest("roll.txt is for round %s, not %s", roll.Round, round)
	}
	return a.withRound(ctx, actor, round, func(tx *store.Tx, r *store.Round) error {
		if r.Phase.Frozen() {
			return errFrozen(*r)
		}
		if err := tx.PutRoll(r.ID, roll.Bytes()); err != nil {
			return err
		}
		r.RollSource, r.RollCount, r.RollReserve = "uploaded", len(roll.Keys), 0
		return a.audit(tx, actor.Name, "upload roll", r.ID, fmt.Sprintf("%d keys", len(roll.Keys)))
	})
}

// CodesRequest asks for server-generated voting codes at freeze: count
// slips, the last reserve of them marked as reserve slips. Replace allows
// them to replace a roll uploaded earlier (otherwise that is a 409).
type CodesRequest struct {
	Count   int  `json:"count" form:"count"`
	Reserve int  `json:"reserve" form:"reserve"`
	Replace bool `json:"replace,omitempty" form:"replace"`
}

// FreezeWithCodes freezes a round with server-generated codes in one step:
// it makes the codes, attaches their roll, signs and logs the manifest
// ([App.Freeze]) and renders the printable slip sheet (HTML) with the
// manifest's fingerprint on every slip. All of it happens in one
// transaction, so either the round is frozen and the sheet returned, or
// nothing changed. The codes exist only in the returned sheet: the server
// keeps the public keys and forgets the codes, and a frozen round can
// never get new codes, so the sheet can be had once.
func (a *App) FreezeWithCodes(ctx context.Context, actor *Identity, id string, req CodesRequest) (store.Round, []byte, error) {
	r, _, sheet, err := a.freezeWithCodes(ctx, actor, id, req)
	return r, sheet, err
}

// freezeWithCodes is FreezeWithCodes returning the codes too (for the demo).
func (a *App) freezeWithCodes(ctx context.Context, actor *Identity, id string, req CodesRequest) (store.Round, []ballot.Code, []byte, error) {
	count, reserve := req.Count, req.Reserve
	if count < 1 || count > maxCodes || reserve < 0 || reserve >= count {
		return store.Round{}, nil, nil, badRequest("count must be 1 to %d and reserve 0 to count-1", maxCodes)
	}
	if !ballot.ValidID(id) {
		return store.Round{}, nil, nil, notFound("no round %s", id)
	}
	// Check access and phase before spending time on key derivation.
	err := a.store.View(ctx, func(tx *store.Tx) error {
		r, err := tx.Round(id)
		if errors.Is(err, store.ErrNotFound) {
			return notFound("no round %s", id)
		}
		if err != nil {
			return err
		}
		if actor != nil && !actor.CanManage(r.Community) {
			return forbidden("account %s may not manage round %s of community %s", actor.Name, r.ID, r.Community)
		}
		return a.canGenerate(r, req.Replace)
	})
	if err != nil {
		return store.Round{}, nil, nil, err
	}
	codes := make([]ballot.Code, count)
	keys := make([][32]byte, count)
	for i := range codes {
		c, err := ballot.NewCode(a.rand)
		if err != nil {
			return store.Round{}, nil, nil, err
		}
		codes[i] = c
		keys[i] = ballot.PublicKey(ballot.DeriveKey(c, id))
	}
	roll, err := ballot.NewRoll(id, keys)
	if err != nil {
		return store.Round{}, nil, nil, fmt.Errorf("ui: roll of %s: %w", id, err)
	}
	var sheet bytes.Buffer
	var cp []byte
	r, err := a.withRound(ctx, actor, id, func(tx *store.Tx, r *store.Round) error {
		if err := a.canGenerate(*r, req.Replace); err != nil {
			return err
		}
		if err := tx.PutRoll(r.ID, roll.Bytes()); err != nil {
			return err
		}
		r.RollSource, r.RollCount, r.RollReserve = "generated", count, reserve
		if err := a.audit(tx, actorName(actor), "generate codes", r.ID, fmt.Sprintf("%d codes, %d reserve", count, reserve)); err != nil {
			return err
		}
		var err error
		if cp, err = a.freezeTx(tx, actor, r); err != nil {
			return err
		}
		s := slipsheet.Sheet{Round: r.ID, Title: r.Title, BaseURL: a.cfg.BaseURL, AnchorsFingerprint: r.Fingerprint}
		for i, c := range codes {
			s.Slips = append(s.Slips, slipsheet.Slip{Code: c, Reserve: i >= count-reserve})
		}
		sheet.Reset()
		if err := slipsheet.Render(&sheet, s); err != nil {
			return fmt.Errorf("ui: render slips: %w", err)
		}
		return nil
	})
	if err != nil {
		return r, nil, nil, err
	}
	a.hub.publish(Event{Round: r.ID, Size: 1, Checkpoint: cp})
	return r, codes, sheet.Bytes(), nil
}

// canGenerate refuses codes for a frozen round (its roll is signed into
// the manifest), outside the review phase (codes are made at freeze) and,
// unless replace is set, for a round holding an uploaded roll.
func (a *App) canGenerate(r store.Round, replace bool) error {
	if r.Phase.Frozen() {
		return conflict("round %s is frozen (phase %s): its slips were printed at freeze and no new codes can be made; hand out reserve slips instead", r.ID, r.Phase)
	}
	if r.Phase != store.PhaseReview {
		return conflict("round %s is in phase %s; codes are made when the round is frozen, from the review phase", r.ID, r.Phase)
	}
	if r.RollSource == "uploaded" && !replace {
		return conflict("round %s has an uploaded roll of %d keys: freeze it as it is, or ask to replace it", r.ID, r.RollCount)
	}
	return nil
}

// Freeze signs the round's manifest with the council key and logs it as
// leaf 0 with a checkpoint of size 1. It needs the review phase, decisions
// on every proposal, at least one project and an attached roll (uploaded
// from "pbverify codes"); [App.FreezeWithCodes] freezes with codes the
// server makes.
func (a *App) Freeze(ctx context.Context, actor *Identity, id string) (store.Round, error) {
	var cp []byte
	r, err := a.withRound(ctx, actor, id, func(tx *store.Tx, r *store.Round) error {
		var err error
		cp, err = a.freezeTx(tx, actor, r)
		return err
	})
	if err != nil {
		return r, err
	}
	a.hub.publish(Event{Round: r.ID, Size: 1, Checkpoint: cp})
	return r, nil
}

// freezeTx freezes r within tx with the roll stored for it and returns
// the checkpoint of size 1; it sets r's phase, manifest hash and
// fingerprint.
func (a *App) freezeTx(tx *store.Tx, actor *Identity, r *store.Round) ([]byte, error) {
	if r.Phase.Frozen() {
		return nil, errFrozen(*r)
	}
	if r.Phase != store.PhaseReview {
		return nil, conflict("round %s is in phase %s; it is frozen from the review phase", r.ID, r.Phase)
	}
	props, err := tx.Proposals(r.ID)
	if err != nil {
		return nil, err
	}
	pending := 0
	for _, p := range props {
		if p.Status == store.ProposalPending {
			pending++
		}
	}
	if pending > 0 {
		return nil, conflict("cannot freeze round %s: %d proposals still await a decision", r.ID, pending)
	}
	projects, err := tx.Projects(r.ID)
	if err != nil {
		return nil, err
	}
	if len(projects) == 0 {
		return nil, conflict("cannot freeze round %s: it has no projects", r.ID)
	}
	rollBytes, err := tx.Roll(r.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, conflict("cannot freeze round %s: attach a roll first (freeze with codes, or upload roll.txt)", r.ID)
	}
	if err != nil {
		return nil, err
	}
	roll, err := ballot.ParseRoll(rollBytes)
	if err != nil {
		return nil, fmt.Errorf("ui: stored roll of %s: %w", r.ID, err)
	}
	logS, councilS, err := a.roundKeys(*r)
	if err != nil {
		return nil, err
	}
	m := &ballot.Manifest{
		Round: r.ID, Community: r.Community, Fund: r.Fund, Title: r.Title, Budget: r.Budget,
		Ballot: ballot.BallotSpec{Kind: ballot.Kind(r.Ballot.Kind), Min: r.Ballot.Min, Max: r.Ballot.Max,
			Limit: r.Ballot.Limit, Total: int64(r.Ballot.Total), Cap: int64(r.Ballot.Cap)},
		Rule: r.Rule, Tiebreak: r.Tiebreak, Revote: r.Revote,
		LogOrigin: r.LogOrigin, LogKey: r.LogKey, CouncilKey: r.CouncilKey,
		RollHash: roll.Hash(), RollCount: len(roll.Keys),
	}
	for _, p := range projects {
		m.Projects = append(m.Projects, ballot.Project{ID: p.ID, Cost: p.Cost, Category: p.Category, Title: p.Title})
	}
	leaf0, err := ballot.SignManifest(m, councilS)
	if errors.Is(err, ballot.ErrInvalidManifest) {
		return nil, conflict("cannot freeze round %s: %s", r.ID, strings.TrimPrefix(err.Error(), "ballot: "))
	}
	if err != nil {
		return nil, err
	}
	if err := tx.PutManifest(r.ID, leaf0); err != nil {
		return nil, err
	}
	lg := ledger.NewLog(tx.Log(r.ID))
	if _, err := lg.Append([][]byte{leaf0}); err != nil {
		return nil, err
	}
	head, err := lg.Head(r.LogOrigin)
	if err != nil {
		return nil, err
	}
	cp, err := ledger.SignCheckpoint(head, logS)
	if err != nil {
		return nil, err
	}
	if err := tx.Log(r.ID).PutCheckpoint(head.Size, cp); err != nil {
		return nil, err
	}
	r.Phase, r.Frozen = store.PhaseFrozen, a.clock()
	h := ballot.ManifestHash(leaf0)
	r.ManifestHash, r.Fingerprint = base64.StdEncoding.EncodeToString(h[:]), ballot.Fingerprint(leaf0)
	return cp, a.audit(tx, actorName(actor), "freeze", r.ID, "manifest "+ballot.FormatFingerprint(r.Fingerprint))
}

// SetHandedOut records how many slips were handed out at the meeting, the
// projector's and the results' turnout base: 0 (the default) means all
// slips but the reserve ones. It can be set from freeze until publication.
func (a *App) SetHandedOut(ctx context.Context, actor *Identity, id string, n int) (store.Round, error) {
	return a.withRound(ctx, actor, id, func(tx *store.Tx, r *store.Round) error {
		if !r.Phase.Frozen() || r.Phase == store.PhasePublished {
			return conflict("round %s is in phase %s; the slips handed out are counted from freeze until publication", r.ID, r.Phase)
		}
		if n < 0 || n > r.RollCount {
			return badRequest("slips handed out must be 0 to %d (the slips printed)", r.RollCount)
		}
		r.HandedOut = n
		return a.audit(tx, actorName(actor), "handed out", r.ID, strconv.Itoa(n))
	})
}

// handedOut is the turnout base of a round: the slips handed out, by
// default the non-reserve slips.
func handedOut(r store.Round) int {
	if r.HandedOut > 0 {
		return r.HandedOut
	}
	return r.RollCount - r.RollReserve
}

// Open starts voting on a frozen round.
func (a *App) Open(ctx context.Context, actor *Identity, id string) (store.Round, error) {
	if _, err := a.frozenRound(ctx, id); err != nil {
		var e *Error
		if errors.As(err, &e) && e.Status == http.StatusConflict {
			return store.Round{}, conflict("round %s must be frozen before voting opens", id)
		}
		return store.Round{}, err
	}
	return a.withRound(ctx, actor, id, func(tx *store.Tx, r *store.Round) error {
		if r.Phase != store.PhaseFrozen {
			return conflict("round %s is in phase %s; voting opens only on a frozen round", r.ID, r.Phase)
		}
		r.Phase, r.Opened = store.PhaseVoting, a.clock()
		return a.audit(tx, actorName(actor), "open voting", r.ID, "")
	})
}

// Schedule sets or clears (zero time) when voting opens and closes by
// itself. An opening can be scheduled until voting opens, a closing until
// it closes.
func (a *App) Schedule(ctx context.Context, actor *Identity, id string, opensAt, closesAt time.Time) (store.Round, error) {
	return a.withRound(ctx, actor, id, func(tx *store.Tx, r *store.Round) error {
		if r.Phase.Order() >= store.PhaseClosed.Order() {
			return conflict("round %s is %s: nothing left to schedule", r.ID, r.Phase)
		}
		if !opensAt.Equal(r.OpensAt) && r.Phase.Order() >= store.PhaseVoting.Order() {
			return conflict("voting in round %s has already opened", r.ID)
		}
		if !opensAt.IsZero() && !closesAt.IsZero() && !closesAt.After(opensAt) {
			return badRequest("closing time must be after the opening time")
		}
		r.OpensAt, r.ClosesAt = opensAt.UTC(), closesAt.UTC()
		return a.audit(tx, actor.Name, "schedule", r.ID, fmt.Sprintf("opens %s, closes %s", fmtTime(r.OpensAt), fmtTime(r.ClosesAt)))
	})
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "by hand"
	}
	return t.Format(time.RFC3339)
}
