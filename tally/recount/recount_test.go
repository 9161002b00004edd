package recount_test

import (
	"errors"
	"os"
	"reflect"
	"strconv"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/tally"
	"github.com/hedensted-pb/pb/tally/ledger"
	"github.com/hedensted-pb/pb/tally/recount"
)

// TestWorkedExample recounts the worked example of docs/record.md §12 and
// gets its result note's lines.
func TestWorkedExample(t *testing.T) {
	dir := "../ledger/testdata/example"
	rec, err := ledger.ReadRecord(os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	ab, err := os.ReadFile(dir + "/anchors.txt")
	if err != nil {
		t.Fatal(err)
	}
	a, err := ledger.ParseAnchors(ab)
	if err != nil {
		t.Fatal(err)
	}
	council, err := ledger.NewVerifier(a.CouncilKey)
	if err != nil {
		t.Fatal(err)
	}
	res, err := ledger.OpenResult(rec.Results[len(rec.Results)-1], council)
	if err != nil {
		t.Fatal(err)
	}
	m, err := ballot.OpenManifest(rec.Leaves[0], council)
	if err != nil {
		t.Fatal(err)
	}
	counted := ledger.CountedBallots(rec, a)
	out, err := recount.Count(m, counted, res.Checkpoint.Root)
	if err != nil {
		t.Fatal(err)
	}
	want := &ledger.Outcome{Spent: 50000, Projects: []ledger.ResultProject{
		{ID: "boldbane", Votes: 3, Funded: true, Amount: 40000},
		{ID: "lektiecafe", Votes: 2},
		{ID: "spisefaellesskab", Votes: 2, Funded: true, Amount: 10000},
	}}
	if !reflect.DeepEqual(out, want) {
		t.Errorf("Count = %+v\nwant %+v", out, want)
	}
	if !reflect.DeepEqual(out.Projects, res.Projects) || out.Spent != res.Spent {
		t.Errorf("Count = %+v, the result note says %+v", out, res)
	}
	rep := ledger.Verify(rec, ledger.VerifyOptions{Anchors: a, Count: recount.Count})
	if !rep.OK() || rep.Check(ledger.CheckRecount).Status != ledger.StatusPass {
		t.Errorf("Verify with recount.Count: first failure %s", rep.FirstFailure())
	}
}

func manifest(kind ballot.Kind, rule, tiebreak string) *ballot.Manifest {
	m := &ballot.Manifest{Round: "r-2026", Community: "c", Fund: "f", Title: "T", Budget: 100,
		Rule: rule, Tiebreak: tiebreak, Revote: ballot.RevoteNone,
		Projects: []ballot.Project{
			{ID: "a", Cost: 60, Category: "x", Title: "A"},
			{ID: "b", Cost: 50, Category: "x", Title: "B"},
			{ID: "c", Cost: 40, Category: "x", Title: "C"},
		}}
	switch kind {
	case ballot.KindCumulative:
		m.Ballot = ballot.BallotSpec{Kind: kind, Total: 5, Cap: 5}
	default:
		m.Ballot = ballot.BallotSpec{Kind: kind, Min: 0, Max: 3}
	}
	return m
}

// TestCountKnownAnswers pins small rounds' outcomes.
func TestCountKnownAnswers(t *testing.T) {
	approve := func(ids ...string) *ballot.Ballot { return &ballot.Ballot{Approve: ids} }
	points := func(p ...ballot.Points) *ballot.Ballot { return &ballot.Ballot{Cumulative: true, Points: p} }
	tests := []struct {
		name    string
		m       *ballot.Manifest
		counted []*ballot.Ballot
		seed    tlog.Hash
		want    *ledger.Outcome
	}{
		{
			// a has 3 votes and is funded; b (2) no longer fits; c (2) does.
			"greedy", manifest(ballot.KindApproval, tally.RuleGreedy, tally.TieLexicographic),
			[]*ballot.Ballot{approve("a", "b"), approve("a", "c"), approve("a"), approve("b", "c"), approve()},
			tlog.Hash{},
			&ledger.Outcome{Spent: 100, Projects: []ledger.ResultProject{
				{ID: "a", Votes: 3, Funded: true, Amount: 60}, {ID: "b", Votes: 2}, {ID: "c", Votes: 2, Funded: true, Amount: 40}}},
		},
		{
			// b and c tie on votes; min-cost puts c first, then a (60) does not fit after b.
			"greedy min-cost", manifest(ballot.KindApproval, tally.RuleGreedy, tally.TieDefault),
			[]*ballot.Ballot{approve("b", "c"), approve("b", "c"), approve("a")},
			tlog.Hash{1},
			&ledger.Outcome{Spent: 90, Projects: []ledger.ResultProject{
				{ID: "a", Votes: 1}, {ID: "b", Votes: 2, Funded: true, Amount: 50}, {ID: "c", Votes: 2, Funded: true, Amount: 40}}},
		},
		{
			// Votes are total points: b 5, a 3, c 2.
			"greedy-points", manifest(ballot.KindCumulative, tally.RuleGreedyPoints, tally.TieLexicographic),
			[]*ballot.Ballot{points(ballot.Points{Project: "a", N: 3}, ballot.Points{Project: "b", N: 2}),
				points(ballot.Points{Project: "b", N: 3}, ballot.Points{Project: "c", N: 2}), points()},
			tlog.Hash{},
			&ledger.Outcome{Spent: 90, Projects: []ledger.ResultProject{
				{ID: "a", Votes: 3}, {ID: "b", Votes: 5, Funded: true, Amount: 50}, {ID: "c", Votes: 2, Funded: true, Amount: 40}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := recount.Count(tt.m, tt.counted, tt.seed)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Count = %+v\nwant %+v", got, tt.want)
			}
			e, o, err := recount.Tally(tt.m, tt.counted, tt.seed)
			if err != nil {
				t.Fatal(err)
			}
			if len(e.Ballots) != len(tt.counted) || o.Spent != got.Spent || len(o.Explanations) != len(tt.m.Projects) {
				t.Errorf("Tally: %d ballots, outcome %+v", len(e.Ballots), o)
			}
		})
	}
}

// TestCountErrors checks that nothing is dropped: a ballot naming an
// unknown project or of the wrong kind, an unknown rule or tie-break order
// are errors.
func TestCountErrors(t *testing.T) {
	m := manifest(ballot.KindApproval, tally.RuleGreedy, tally.TieLexicographic)
	cm := manifest(ballot.KindCumulative, tally.RuleGreedyPoints, tally.TieLexicographic)
	badRule := manifest(ballot.KindApproval, "nope", tally.TieLexicographic)
	badTie := manifest(ballot.KindApproval, tally.RuleGreedy, "nope")
	ok := []*ballot.Ballot{{Approve: []string{"a"}}}
	tests := []struct {
		name    string
		m       *ballot.Manifest
		counted []*ballot.Ballot
		is      error
	}{
		{"unknown project", m, []*ballot.Ballot{{Approve: []string{"a", "zz"}}}, tally.ErrElection},
		{"unknown project, points", cm, []*ballot.Ballot{{Cumulative: true, Points: []ballot.Points{{Project: "zz", N: 1}}}}, tally.ErrElection},
		{"cumulative ballot, approval round", m, []*ballot.Ballot{{Cumulative: true}}, tally.ErrElection},
		{"approval ballot, cumulative round", cm, ok, tally.ErrElection},
		{"project twice", m, []*ballot.Ballot{{Approve: []string{"a", "a"}}}, tally.ErrElection},
		{"unknown rule", badRule, ok, tally.ErrRule},
		{"unknown tie-break", badTie, ok, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := recount.Count(tt.m, tt.counted, tlog.Hash{})
			if err == nil || out != nil {
				t.Fatalf("Count = %+v, %v; want an error", out, err)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v, want %v", err, tt.is)
			}
			if _, _, err := recount.Tally(tt.m, tt.counted, tlog.Hash{}); err == nil {
				t.Error("Tally: no error")
			}
		})
	}
}

// TestDemoRounds builds demo rounds of every ballot kind counted with
// Count and verifies them with Count.
func TestDemoRounds(t *testing.T) {
	for _, c := range []struct {
		kind ballot.Kind
		rule string
	}{
		{ballot.KindApproval, tally.RuleEqualShares},
		{ballot.KindApprovalCost, tally.RulePhragmen},
		{ballot.KindCumulative, tally.RuleGreedyPoints},
	} {
		d, err := ledger.BuildDemo(ledger.DemoOptions{Ballots: 40, Seed: 3, Kind: c.kind, Rule: c.rule,
			Tiebreak: tally.TieDefault, Revote: ballot.RevoteLast, Revotes: 3, Voids: 1, Count: recount.Count})
		if err != nil {
			t.Fatal(err)
		}
		rep := ledger.Verify(d.Record, ledger.VerifyOptions{Anchors: d.Anchors, Count: recount.Count})
		if !rep.OK() || rep.Check(ledger.CheckRecount).Status != ledger.StatusPass {
			t.Errorf("%s %s: first failure %s", c.kind, c.rule, rep.FirstFailure())
		}
		// The .pb export's votes column is the result note's votes.
		counted := ledger.CountedBallots(d.Record, d.Anchors)
		pb, err := tally.RoundPB(d.Manifest, counted, tally.PBInfo{})
		if err != nil {
			t.Fatal(err)
		}
		votes := ledger.Votes(d.Manifest, counted)
		for i, row := range pb.Projects {
			if row.Fields[2] != strconv.FormatInt(votes[i], 10) {
				t.Errorf("%s: .pb votes of %s = %s, ledger.Votes %d", c.kind, row.Fields[0], row.Fields[2], votes[i])
			}
		}
	}
}
