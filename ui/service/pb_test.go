package service

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hedensted-pb/pb/ui/core"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/tally"
	"github.com/hedensted-pb/pb/tally/ledger"
)

var updatePB = flag.Bool("update-pb", false, "rewrite testdata/*.pb.golden")

// TestRoundPBGolden pins the bytes of the .pb export of an approval and a
// cumulative round.
func TestRoundPBGolden(t *testing.T) {
	projects := []ballot.Project{
		{ID: "bibliotek", Cost: 30000, Category: "laering", Title: "Nyt bibliotek"},
		{ID: "shelter", Cost: 15000, Category: "fritid-og-faellesskab", Title: "Shelter; i skoven"},
	}
	r := core.Round{ID: "barrit-2026", Year: 2026,
		Opened: time.Date(2026, 5, 1, 19, 0, 0, 0, time.UTC), Closed: time.Date(2026, 5, 1, 21, 0, 0, 0, time.UTC)}
	cm := core.Community{ID: "barrit", Name: "Barrit"}
	tests := []struct {
		name    string
		spec    ballot.BallotSpec
		rule    string
		counted []*ballot.Ballot
		result  *ledger.Result
	}{
		{"approval", ballot.BallotSpec{Kind: ballot.KindApproval, Min: 1, Max: 2}, "greedy",
			[]*ballot.Ballot{{Approve: []string{"bibliotek", "shelter"}}, {Approve: []string{"shelter"}}},
			&ledger.Result{Projects: []ledger.ResultProject{{ID: "bibliotek", Votes: 1}, {ID: "shelter", Votes: 2, Funded: true, Amount: 15000}}}},
		{"cumulative", ballot.BallotSpec{Kind: ballot.KindCumulative, Total: 5, Cap: 3}, "greedy-points",
			[]*ballot.Ballot{{Cumulative: true, Points: []ballot.Points{{Project: "bibliotek", N: 2}, {Project: "shelter", N: 3}}}},
			nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &ballot.Manifest{Round: r.ID, Title: "Borgerbudget Barrit 2026", Budget: 40000, Ballot: tt.spec,
				Rule: tt.rule, Tiebreak: ballot.TiebreakDefault, Projects: projects}
			var got bytes.Buffer
			pb, err := roundPB(m, r, cm, nil, tt.counted, tt.result)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := pb.WriteTo(&got); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", tt.name+".pb.golden")
			if *updatePB {
				if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("roundPB = \n%s\nwant\n%s", got.Bytes(), want)
			}
			pb, err = tally.ReadPB(bytes.NewReader(want))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := pb.Election(); err != nil {
				t.Errorf("the golden file is not a countable election: %v", err)
			}
		})
	}
}
