package tally

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/hedensted-pb/pb/ballot"
)

func testRound(kind ballot.Kind) *ballot.Manifest {
	m := &ballot.Manifest{
		Round: "juelsminde-2026", Community: "juelsminde", Fund: "landdistriktspuljen-2026",
		Title: "Borgerbudget Juelsminde 2026", Budget: 100000,
		Rule: RuleGreedy, Tiebreak: TieDefault, Revote: "none",
		Projects: []ballot.Project{
			{ID: "bypark", Cost: 40000, Category: "fritid-og-faellesskab", Title: "Bænke; borde i byparken"},
			{ID: "lektiecafe", Cost: 25000, Category: "laering", Title: `Lektiecafé "Viden"`},
			{ID: "multibane", Cost: 60000, Category: "fritid-og-faellesskab", Title: "Multibane ved skolen"},
		},
	}
	switch kind {
	case ballot.KindApproval:
		m.Ballot = ballot.BallotSpec{Kind: kind, Min: 1, Max: 2}
	case ballot.KindCumulative:
		m.Ballot = ballot.BallotSpec{Kind: kind, Total: 10, Cap: 10}
		m.Rule = RuleGreedyPoints
	}
	return m
}

func approvalBallots() []*ballot.Ballot {
	return []*ballot.Ballot{
		{Approve: []string{"bypark", "multibane"}},
		{Approve: []string{"lektiecafe"}},
		{Approve: []string{"bypark", "lektiecafe"}},
		{},
	}
}

func cumulativeBallots() []*ballot.Ballot {
	return []*ballot.Ballot{
		{Cumulative: true, Points: []ballot.Points{{Project: "bypark", N: 3}, {Project: "multibane", N: 7}}},
		{Cumulative: true, Points: []ballot.Points{{Project: "lektiecafe", N: 10}}},
		{Cumulative: true},
	}
}

func TestFromManifest(t *testing.T) {
	e, err := FromManifest(testRound(ballot.KindApproval), approvalBallots())
	if err != nil {
		t.Fatal(err)
	}
	want := &Election{Budget: 100000,
		Projects: []Project{{"bypark", 40000}, {"lektiecafe", 25000}, {"multibane", 60000}},
		Ballots:  []Ballot{{Projects: []int{0, 2}}, {Projects: []int{1}}, {Projects: []int{0, 1}}, {Projects: []int{}}},
	}
	if !reflect.DeepEqual(e, want) {
		t.Errorf("FromManifest = %+v\nwant %+v", e, want)
	}
	tb, _ := NewTieBreak(TieDefault, [32]byte{})
	o, err := Count(e, RuleGreedy, tb)
	if err != nil {
		t.Fatal(err)
	}
	// bypark and lektiecafe have 2 votes each; lektiecafe is cheaper.
	if got := o.Order; !reflect.DeepEqual(got, []string{"lektiecafe", "bypark"}) {
		t.Errorf("order %v", got)
	}

	ce, err := FromManifest(testRound(ballot.KindCumulative), cumulativeBallots())
	if err != nil {
		t.Fatal(err)
	}
	if !ce.Points || !reflect.DeepEqual(ce.Ballots[0].Points, []int64{3, 7}) {
		t.Errorf("cumulative election %+v", ce)
	}

	bad := append(approvalBallots(), &ballot.Ballot{Approve: []string{"nope"}})
	if _, err := FromManifest(testRound(ballot.KindApproval), bad); !errors.Is(err, ErrElection) {
		t.Errorf("unknown project: error %v", err)
	}
	if _, err := FromManifest(testRound(ballot.KindApproval), cumulativeBallots()); !errors.Is(err, ErrElection) {
		t.Errorf("kind mismatch: error %v", err)
	}
}

// TestRoundPB pins the .pb export of a round and checks that counting the
// exported file gives the round's outcome.
func TestRoundPB(t *testing.T) {
	cases := []struct {
		name    string
		kind    ballot.Kind
		ballots []*ballot.Ballot
	}{
		{"round_approval", ballot.KindApproval, approvalBallots()},
		{"round_cumulative", ballot.KindCumulative, cumulativeBallots()},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := testRound(c.kind)
			var buf bytes.Buffer
			info := PBInfo{Unit: "Hedensted", Subunit: "Juelsminde", Categories: map[string]string{"laering": "Læring"},
				Titles: map[string]string{"multibane": "Multibane ved Juelsminde Skole"}, Selected: []bool{true, true, false}}
			if err := WritePB(&buf, m, c.ballots, info); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, "testdata/golden/"+c.name+".pb", buf.Bytes())
			pb, err := ReadPB(&buf)
			if err != nil {
				t.Fatal(err)
			}
			fromFile, err := pb.Election()
			if err != nil {
				t.Fatal(err)
			}
			fromRound, _ := FromManifest(m, c.ballots)
			tb, _ := NewTieBreak(m.Tiebreak, [32]byte{7})
			for _, rule := range Rules() {
				o1, err1 := Count(fromRound, rule, tb)
				o2, err2 := Count(fromFile, rule, tb)
				if err1 != nil || err2 != nil {
					t.Fatal(err1, err2)
				}
				if !reflect.DeepEqual(o1.Selected, o2.Selected) || o1.Spent != o2.Spent || !reflect.DeepEqual(o1.Votes, o2.Votes) {
					t.Errorf("%s: round %v %d, file %v %d", rule, o1.Selected, o1.Spent, o2.Selected, o2.Spent)
				}
			}
		})
	}
}

// TestRoundPBServer pins RoundPB to the bytes pbserver exports today
// (ui/testdata/*.pb.golden, copied to testdata/golden/pbserver_*.pb): the
// same round given as ui's test gives it, with what the server knows in
// PBInfo.
func TestRoundPBServer(t *testing.T) {
	projects := []ballot.Project{
		{ID: "bibliotek", Cost: 30000, Category: "laering", Title: "Nyt bibliotek"},
		{ID: "shelter", Cost: 15000, Category: "fritid-og-faellesskab", Title: "Shelter; i skoven"},
	}
	info := PBInfo{Unit: "Barrit", Instance: "2026", Edition: "2026", Exporter: "pbserver",
		DateBegin: time.Date(2026, 5, 1, 19, 0, 0, 0, time.UTC), DateEnd: time.Date(2026, 5, 1, 21, 0, 0, 0, time.UTC)}
	tests := []struct {
		name     string
		spec     ballot.BallotSpec
		rule     string
		counted  []*ballot.Ballot
		selected []bool
	}{
		{"pbserver_approval", ballot.BallotSpec{Kind: ballot.KindApproval, Min: 1, Max: 2}, RuleGreedy,
			[]*ballot.Ballot{{Approve: []string{"bibliotek", "shelter"}}, {Approve: []string{"shelter"}}},
			[]bool{false, true}},
		{"pbserver_cumulative", ballot.BallotSpec{Kind: ballot.KindCumulative, Total: 5, Cap: 3}, RuleGreedyPoints,
			[]*ballot.Ballot{{Cumulative: true, Points: []ballot.Points{{Project: "bibliotek", N: 2}, {Project: "shelter", N: 3}}}},
			nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &ballot.Manifest{Round: "barrit-2026", Community: "barrit", Title: "Borgerbudget Barrit 2026", Budget: 40000,
				Ballot: tt.spec, Rule: tt.rule, Tiebreak: TieDefault, Projects: projects}
			in := info
			in.Selected = tt.selected
			var buf bytes.Buffer
			if err := WritePB(&buf, m, tt.counted, in); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, "testdata/golden/"+tt.name+".pb", buf.Bytes())
		})
	}
}

// TestRoundPBErrors checks that RoundPB drops nothing: unknown projects,
// ballots of another kind and selected flags of the wrong length are
// errors.
func TestRoundPBErrors(t *testing.T) {
	m := testRound(ballot.KindApproval)
	for name, c := range map[string]struct {
		counted []*ballot.Ballot
		info    PBInfo
	}{
		"unknown project": {[]*ballot.Ballot{{Approve: []string{"nope"}}}, PBInfo{}},
		"kind":            {cumulativeBallots(), PBInfo{}},
		"selected":        {approvalBallots(), PBInfo{Selected: []bool{true}}},
	} {
		if _, err := RoundPB(m, c.counted, c.info); !errors.Is(err, ErrElection) {
			t.Errorf("%s: error %v", name, err)
		}
	}
}
