package tally_test

import (
	"fmt"
	"strings"

	"github.com/hedensted-pb/pb/tally"
)

func ExampleCount() {
	e := &tally.Election{
		Budget: 100,
		Projects: []tally.Project{
			{ID: "bench", Cost: 60},
			{ID: "garden", Cost: 50},
			{ID: "library", Cost: 40},
		},
		Ballots: []tally.Ballot{
			{Projects: []int{0, 1}},
			{Projects: []int{0, 2}},
			{Projects: []int{0}},
			{Projects: []int{1}},
		},
	}
	tb, _ := tally.NewTieBreak(tally.TieLexicographic, [32]byte{})
	for _, rule := range []string{tally.RuleGreedy, tally.RuleEqualShares, tally.RuleAdd1U} {
		o, err := tally.Count(e, rule, tb)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s: %v, spent %d\n", rule, o.Selected, o.Spent)
	}
	// Output:
	// greedy: [bench library], spent 100
	// equalshares: [bench], spent 60
	// equalshares/add1u: [bench library], spent 100
}

func ExampleReadPB() {
	const file = `META
key;value
budget;1000.50
vote_type;approval
PROJECTS
project_id;cost;name
10;600;"Benches; tables"
9;400.50;Garden
VOTES
voter_id;vote
1;10,9
2;9,9
`
	pb, err := tally.ReadPB(strings.NewReader(file))
	if err != nil {
		fmt.Println(err)
		return
	}
	e, err := pb.Election()
	if err != nil {
		fmt.Println(err)
		return
	}
	tb, _ := tally.NewTieBreak(tally.TieLexicographic, [32]byte{})
	o, _ := tally.Count(e, tally.RuleGreedy, tb)
	fmt.Println(o.Selected, tally.FormatAmount(o.Spent, o.Scale), o.Votes)
	for _, x := range o.Explanations {
		fmt.Printf("%s: %s\n", x.Project, x.Text)
	}
	// Output:
	// [10 9] 1000.5 [1 2]
	// 10: selected at step 2 with 1 votes; 600 of 1000.5 was left
	// 9: selected at step 1 with 2 votes; 1000.5 of 1000.5 was left
}

func ExampleNewTieBreak() {
	var seed [32]byte // for a round: the final checkpoint's root hash
	tb, err := tally.NewTieBreak(tally.TieDefault, seed)
	fmt.Println(tb, err)
	_, err = tally.NewTieBreak("coin-flip", seed)
	fmt.Println(err)
	// Output:
	// min-cost,max-votes,lot <nil>
	// unknown tie-breaking order "coin-flip" (want "lexicographic" or "min-cost,max-votes,lot")
}
