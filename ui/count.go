package ui

import (
	"fmt"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/tally"
	"github.com/hedensted-pb/pb/tally/ledger"
)

// DefaultCount is the [ledger.CountFunc] the server counts with unless
// [Config.Count] says otherwise: the manifest's rule and tie-break order as
// implemented by package tally, over the counted ballots, with the lot
// seeded by the final checkpoint's root. Votes are those of the result
// note (docs/record.md §9: approvals, or total points for cumulative
// ballots), whatever the rule weighs.
func DefaultCount(m *ballot.Manifest, counted []*ballot.Ballot, seed tlog.Hash) (*ledger.Outcome, error) {
	e := &tally.Election{Budget: m.Budget, Points: m.Ballot.Kind == ballot.KindCumulative}
	index := make(map[string]int, len(m.Projects))
	for i, p := range m.Projects {
		e.Projects = append(e.Projects, tally.Project{ID: p.ID, Cost: p.Cost})
		index[p.ID] = i
	}
	for _, b := range counted {
		var tb tally.Ballot
		if b.Cumulative {
			for _, pt := range b.Points {
				i, ok := index[pt.Project]
				if !ok {
					return nil, fmt.Errorf("ui: count: unknown project %q", pt.Project)
				}
				tb.Projects = append(tb.Projects, i)
				tb.Points = append(tb.Points, pt.N)
			}
		} else {
			for _, id := range b.Approve {
				i, ok := index[id]
				if !ok {
					return nil, fmt.Errorf("ui: count: unknown project %q", id)
				}
				tb.Projects = append(tb.Projects, i)
			}
			if e.Points {
				tb.Points = make([]int64, len(tb.Projects))
			}
		}
		e.Ballots = append(e.Ballots, tb)
	}
	tb, err := tally.NewTieBreak(m.Tiebreak, seed)
	if err != nil {
		return nil, err
	}
	out, err := tally.Count(e, m.Rule, tb)
	if err != nil {
		return nil, err
	}
	votes := ledger.Votes(m, counted)
	res := &ledger.Outcome{Projects: make([]ledger.ResultProject, len(m.Projects)), Spent: out.Spent}
	for i, p := range m.Projects {
		res.Projects[i] = ledger.ResultProject{ID: p.ID, Votes: votes[i], Funded: out.Funded[i]}
		if out.Funded[i] {
			res.Projects[i].Amount = p.Cost
		}
	}
	return res, nil
}
