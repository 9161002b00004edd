package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/tally"
	"github.com/hedensted-pb/pb/tally/recount"
	"github.com/hedensted-pb/pb/ui/core"
)

// Limits of a preview's sample ballots.
const (
	MaxSampleBallots = 1000    // distinct sample ballots
	MaxSampleVoters  = 100_000 // voters in all (the sum of the counts)
)

// A SampleBallot is one ballot of a "what would happen if" preview:
// approved projects (approval kinds) or points per project (cumulative),
// cast by Count voters (1 when 0).
type SampleBallot struct {
	Approve []string         `json:"approve,omitempty"`
	Points  map[string]int64 `json:"points,omitempty"`
	Count   int              `json:"count,omitempty"`
}

// PreviewRequest asks what the counting rules would fund from sample
// ballots. Rules defaults to every rule the round's ballot kind allows
// (docs/record.md §11).
type PreviewRequest struct {
	Ballots []SampleBallot `json:"ballots"`
	Rules   []string       `json:"rules,omitempty"`
}

// A Preview is the outcome of each rule on a round's sample ballots, with
// the round's settings as the freeze would write them into the manifest.
type Preview struct {
	Round     string           `json:"round"`
	Rule      string           `json:"rule"` // the round's chosen rule
	Tiebreak  string           `json:"tiebreak"`
	Budget    int64            `json:"budget"`
	Minimum   int64            `json:"minimum,omitempty"`
	Exclusive [][]string       `json:"exclusive,omitempty"`
	Voters    int              `json:"voters"`
	Outcomes  []PreviewOutcome `json:"outcomes"`
}

// A PreviewOutcome is what one rule would fund.
type PreviewOutcome struct {
	Rule     string           `json:"rule"`
	Chosen   bool             `json:"chosen"` // the round's rule
	Funded   []string         `json:"funded"` // in byte order
	Spent    int64            `json:"spent"`
	Note     string           `json:"note,omitempty"`
	Projects []PreviewProject `json:"projects"`
	// Explanations are the rule's, per project in Projects' order (for
	// the pages' texts; not in the JSON, whose projects carry them).
	Explanations []tally.Explanation `json:"-"`
}

// A PreviewProject is one project's fate under a rule.
type PreviewProject struct {
	ID         string       `json:"id"`
	Title      string       `json:"title"`
	Cost       int64        `json:"cost"`
	Votes      int64        `json:"votes"`
	Funded     bool         `json:"funded"`
	Reason     tally.Reason `json:"reason"`
	ExcludedBy string       `json:"excluded_by,omitempty"`
	Why        string       `json:"why"` // the rule's English sentence
}

// PreviewRound counts sample ballots with the round's current settings
// (budget, projects, ballot kind, tie-break, minimum and exclusion groups)
// under each rule asked for, with [recount.Tally], the count of
// publication and pbverify, so that a coordinator sees before the freeze
// what each rule would fund ("what would happen if ..."). Nothing is
// stored. The lot of min-cost,max-votes,lot is drawn with a zero seed: a
// round's real lot comes from its final checkpoint, unknown before it
// closes. Errors: not found, forbidden, invalid (a sample ballot the
// round's ballot would refuse, an unknown rule or one not for its kind, no
// projects, groups naming a project the round no longer has, too many
// samples).
func (s *Service) PreviewRound(ctx context.Context, actor *core.Identity, id string, req PreviewRequest) (*Preview, error) {
	if len(req.Ballots) > MaxSampleBallots {
		return nil, core.Invalidf("at most %d sample ballots", MaxSampleBallots)
	}
	voters := 0
	for i, b := range req.Ballots {
		if b.Count < 0 || b.Count > MaxSampleVoters {
			return nil, core.Invalidf("sample ballot %d: count out of range", i+1)
		}
		voters += max(b.Count, 1)
	}
	if voters > MaxSampleVoters {
		return nil, core.Invalidf("at most %d sample voters in all", MaxSampleVoters)
	}
	var r core.Round
	var projects []core.Project
	err := s.store.Read(ctx, func(tx core.Tx) error {
		var err error
		if r, err = tx.Round(id); err != nil {
			return err
		}
		if err := mayManage(actor, r.ID, r.Community); err != nil {
			return err
		}
		if err := checkGroupProjects(tx, &r); err != nil {
			return err
		}
		projects, err = tx.Projects(id)
		return err
	})
	if errors.Is(err, core.ErrMissing) {
		return nil, core.NotFoundf("no round %s", id)
	}
	if err != nil {
		return nil, err
	}
	if len(projects) == 0 {
		return nil, core.Invalidf("round %s has no projects yet", id)
	}
	m := &ballot.Manifest{Round: r.ID, Budget: r.Budget, Ballot: r.Ballot, Tiebreak: r.Tiebreak,
		Minimum: r.Minimum, Exclusive: core.CanonExclusive(r.Exclusive)}
	titles := map[string]string{}
	for _, p := range projects {
		m.Projects = append(m.Projects, ballot.Project{ID: p.ID, Cost: p.Cost, Category: p.Category, Title: p.Title})
		titles[p.ID] = p.Title
	}
	slices.SortFunc(m.Projects, func(a, b ballot.Project) int { return strings.Compare(a.ID, b.ID) })
	counted := make([]*ballot.Ballot, 0, voters)
	for i, sb := range req.Ballots {
		b := &ballot.Ballot{Round: r.ID, Cumulative: r.Ballot.Kind == ballot.KindCumulative}
		if b.Cumulative {
			if len(sb.Approve) > 0 {
				return nil, core.Invalidf("sample ballot %d: a cumulative ballot gives points, not approvals", i+1)
			}
			for p, n := range sb.Points {
				b.Points = append(b.Points, ballot.Points{Project: p, N: n})
			}
			slices.SortFunc(b.Points, func(a, b ballot.Points) int { return strings.Compare(a.Project, b.Project) })
		} else {
			if len(sb.Points) > 0 {
				return nil, core.Invalidf("sample ballot %d: an approval ballot approves projects, it gives no points", i+1)
			}
			b.Approve = slices.Clone(sb.Approve)
			slices.Sort(b.Approve)
			b.Approve = slices.Compact(b.Approve)
		}
		if err := m.CheckChoices(b); err != nil {
			return nil, core.Invalidf("sample ballot %d: %s", i+1, strings.TrimPrefix(err.Error(), "ballot: "))
		}
		for range max(sb.Count, 1) {
			counted = append(counted, b)
		}
	}
	rules := req.Rules
	if len(rules) == 0 {
		rules = ballot.ManifestRules(r.Ballot.Kind)
	}
	pv := &Preview{Round: r.ID, Rule: r.Rule, Tiebreak: r.Tiebreak, Budget: r.Budget, Minimum: r.Minimum,
		Exclusive: m.Exclusive, Voters: voters}
	for _, rule := range rules {
		if !ballot.RuleFits(rule, r.Ballot.Kind) {
			return nil, core.Invalidf("rule %q is not a counting rule for %s ballots", rule, r.Ballot.Kind)
		}
		m.Rule = rule
		_, o, err := recount.Tally(m, counted, [32]byte{})
		if err != nil {
			return nil, fmt.Errorf("preview %s with %s: %w", id, rule, err)
		}
		out := PreviewOutcome{Rule: rule, Chosen: rule == r.Rule, Funded: o.Selected, Spent: o.Spent, Note: o.Note,
			Explanations: o.Explanations}
		if out.Funded == nil {
			out.Funded = []string{}
		}
		for i, p := range m.Projects {
			x := o.Explanations[i]
			out.Projects = append(out.Projects, PreviewProject{ID: p.ID, Title: titles[p.ID], Cost: p.Cost,
				Votes: o.Votes[i], Funded: o.Funded[i], Reason: x.Reason, ExcludedBy: x.ExcludedBy, Why: x.Text})
		}
		pv.Outcomes = append(pv.Outcomes, out)
	}
	return pv, nil
}
