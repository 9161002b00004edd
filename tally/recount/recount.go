// Package recount counts a round of the record (docs/record.md §11) with
// package tally: the one implementation that the server counts with before
// it signs a result note and that pbverify counts again with when it
// checks one (check recount, §10.3).
//
// It joins package tally, which knows counting rules but not the record,
// and package ledger, which knows the record but no counting rule; neither
// imports the other.
//
// The election counted is [tally.FromManifest] of the manifest and the
// counted ballots ([ledger.CountedBallots], in log order); the rule and
// tie-break order are the manifest's; the lot is seeded by the final
// checkpoint's root. Everything is deterministic.
package recount

import (
	"golang.org/x/mod/sumdb/tlog"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/tally"
	"github.com/hedensted-pb/pb/tally/ledger"
)

// Tally counts a round with the manifest's rule and tie-break order, the
// lot seeded by seed (the final checkpoint's root), and returns the
// election counted and tally's outcome, with its explanations. It returns
// an error wrapping [tally.ErrElection] when a counted ballot names a
// project the manifest does not have or is of another kind than the
// manifest's ballot (counted ballots never are: they passed
// [ballot.Manifest.CheckChoices]), [tally.ErrRule] for an unknown rule,
// and the error of [tally.NewTieBreak] for an unknown tie-break order.
func Tally(m *ballot.Manifest, counted []*ballot.Ballot, seed tlog.Hash) (*tally.Election, *tally.Outcome, error) {
	e, err := tally.FromManifest(m, counted)
	if err != nil {
		return nil, nil, err
	}
	tb, err := tally.NewTieBreak(m.Tiebreak, seed)
	if err != nil {
		return nil, nil, err
	}
	o, err := tally.Count(e, m.Rule, tb)
	if err != nil {
		return nil, nil, err
	}
	return e, o, nil
}

// Count is the [ledger.CountFunc] of the platform: [Tally] turned into the
// lines of a result note (§9). Votes are [ledger.Votes] (approvals, or
// total points for cumulative ballots) whatever the rule weighs; a funded
// project's amount is its cost. It returns the errors of [Tally].
func Count(m *ballot.Manifest, counted []*ballot.Ballot, seed tlog.Hash) (*ledger.Outcome, error) {
	res, _, err := Explain(m, counted, seed)
	return res, err
}

// Explain is [Count] that also returns tally's outcome, with every
// project's explanation (the minimum and exclusion groups of the manifest
// included, docs/counting.md §2.8), from the same single count: pbverify
// record prints it beside the verified result.
func Explain(m *ballot.Manifest, counted []*ballot.Ballot, seed tlog.Hash) (*ledger.Outcome, *tally.Outcome, error) {
	_, o, err := Tally(m, counted, seed)
	if err != nil {
		return nil, nil, err
	}
	votes := ledger.Votes(m, counted)
	res := &ledger.Outcome{Projects: make([]ledger.ResultProject, len(m.Projects)), Spent: o.Spent}
	for i, p := range m.Projects {
		res.Projects[i] = ledger.ResultProject{ID: p.ID, Votes: votes[i], Funded: o.Funded[i]}
		if o.Funded[i] {
			res.Projects[i].Amount = p.Cost
		}
	}
	return res, o, nil
}

var _ ledger.CountFunc = Count
