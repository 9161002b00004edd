package recount_test

import (
	"bytes"
	"slices"
	"testing"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/tally"
	"github.com/hedensted-pb/pb/tally/ledger"
	"github.com/hedensted-pb/pb/tally/recount"
)

// TestEveryManifestRule builds a round with every rule of docs/record.md
// §11's table (the equalshares/add1 family included), counts it with
// recount.Count as the server does when it publishes, and verifies the
// record as pbverify does; and every rule of the table is one tally counts.
func TestEveryManifestRule(t *testing.T) {
	for _, kind := range []ballot.Kind{ballot.KindApproval, ballot.KindApprovalCost, ballot.KindCumulative} {
		for _, rule := range ballot.ManifestRules(kind) {
			if !slices.Contains(tally.Rules(), rule) {
				t.Errorf("%s: rule %s of the manifest table is not a tally rule", kind, rule)
				continue
			}
			if !tally.ValidRule(rule, string(kind)) {
				t.Errorf("tally.ValidRule(%s, %s) = false", rule, kind)
			}
			d, err := ledger.BuildDemo(ledger.DemoOptions{Seed: 7, Ballots: 40, Kind: kind, Rule: rule,
				Tiebreak: ballot.TiebreakDefault, Count: recount.Count})
			if err != nil {
				t.Errorf("%s %s: BuildDemo: %v", kind, rule, err)
				continue
			}
			rep := ledger.Verify(d.Record, ledger.VerifyOptions{Anchors: d.Anchors, Count: recount.Count})
			if !rep.OK() {
				t.Errorf("%s %s: first failure %s: %v", kind, rule, rep.FirstFailure(), rep.Checks)
			}
			// The result note's votes are the rule's votes (docs/counting.md
			// §1): supporters for approval rules, points for cumulative ones.
			_, o, err := recount.Tally(d.Manifest, ledger.CountedBallots(d.Record, d.Anchors), rep.Tree.Root)
			if err != nil {
				t.Fatal(err)
			}
			for i, p := range rep.Projects {
				if p.Votes != o.Votes[i] {
					t.Errorf("%s %s: project %s: record votes %d, the rule's votes %d", kind, rule, p.ID, p.Votes, o.Votes[i])
				}
			}
			// pbverify count on the round's .pb export (what it reads:
			// tally.ReadPB, Election, Count) reports the same votes.
			counted := ledger.CountedBallots(d.Record, d.Anchors)
			pb, err := tally.RoundPB(d.Manifest, counted, tally.PBInfo{})
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if _, err := pb.WriteTo(&buf); err != nil {
				t.Fatal(err)
			}
			back, err := tally.ReadPB(&buf)
			if err != nil {
				t.Fatal(err)
			}
			e, err := back.Election()
			if err != nil {
				t.Fatal(err)
			}
			tb, err := tally.NewTieBreak(d.Manifest.Tiebreak, rep.Tree.Root)
			if err != nil {
				t.Fatal(err)
			}
			co, err := tally.Count(e, rule, tb)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range rep.Projects {
				if j := slices.IndexFunc(e.Projects, func(q tally.Project) bool { return q.ID == p.ID }); j < 0 || co.Votes[j] != p.Votes {
					t.Errorf("%s %s: project %s: record votes %d, pbverify count's %v", kind, rule, p.ID, p.Votes, co.Votes)
				}
			}
		}
	}
	// greedy-threshold is a tally rule no manifest may name.
	if tally.ValidRule(tally.RuleGreedyThreshold, tally.KindApproval) {
		t.Error("greedy-threshold fits a manifest")
	}
}
