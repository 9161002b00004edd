package tally

import (
	"slices"
	"testing"
)

// TestCountingOptions pins the minimum and the exclusion groups
// (docs/counting.md §2.8) on small elections counted by hand.
func TestCountingOptions(t *testing.T) {
	// x and y cost 50 and have all four voters; z costs 40 and has voters
	// 1 and 2. Budget 100.
	site := func(min int64, groups [][]int) *Election {
		return &Election{Budget: 100, Minimum: min, Exclusive: groups,
			Projects: []Project{{ID: "x", Cost: 50}, {ID: "y", Cost: 50}, {ID: "z", Cost: 40}},
			Ballots:  []Ballot{{Projects: []int{0, 1, 2}}, {Projects: []int{0, 1, 2}}, {Projects: []int{0, 1}}, {Projects: []int{0, 1}}}}
	}
	// a costs 30 (3 votes), b 10 (1 vote), c 50 (2 votes); budget 100.
	three := func(min int64, groups [][]int) *Election {
		return &Election{Budget: 100, Minimum: min, Exclusive: groups,
			Projects: []Project{{ID: "a", Cost: 30}, {ID: "b", Cost: 10}, {ID: "c", Cost: 50}},
			Ballots:  []Ballot{{Projects: []int{0, 2}}, {Projects: []int{0, 2}}, {Projects: []int{0, 1}}}}
	}
	// Cumulative: a (60) has 1 supporter with 5 points, b (60) has 3 with
	// 1 point each; budget 100.
	points := func(min int64) *Election {
		return &Election{Budget: 100, Points: true, Minimum: min,
			Projects: []Project{{ID: "a", Cost: 60}, {ID: "b", Cost: 60}},
			Ballots: []Ballot{{Projects: []int{0}, Points: []int64{5}}, {Projects: []int{1}, Points: []int64{1}},
				{Projects: []int{1}, Points: []int64{1}}, {Projects: []int{1}, Points: []int64{1}}}}
	}
	type why struct {
		id     string
		reason Reason
		by     string
	}
	tests := []struct {
		name  string
		e     *Election
		rule  string
		want  []string // Selected
		spent int64
		why   []why
	}{
		{"greedy without options", three(0, nil), RuleGreedy, []string{"a", "b", "c"}, 90, nil},
		{"greedy minimum", three(2, nil), RuleGreedy, []string{"a", "c"}, 80,
			[]why{{"b", ReasonMinimum, ""}}},
		{"greedy group", three(0, [][]int{{0, 2}}), RuleGreedy, []string{"a", "b"}, 40,
			[]why{{"c", ReasonExcluded, "a"}}},
		{"greedy-no-skip passes over an excluded project", three(0, [][]int{{0, 2}}), RuleGreedyNoSkip, []string{"a", "b"}, 40,
			[]why{{"c", ReasonExcluded, "a"}}},
		{"phragmen group", three(0, [][]int{{0, 2}}), RulePhragmen, []string{"a", "b"}, 40,
			[]why{{"c", ReasonExcluded, "a"}}},
		{"equalshares without options", site(0, nil), RuleEqualShares, []string{"x", "y"}, 100, nil},
		{"equalshares group", site(0, [][]int{{0, 1}}), RuleEqualShares, []string{"x"}, 50,
			[]why{{"y", ReasonExcluded, "x"}, {"z", ReasonShortOfMoney, ""}}},
		// add1: at 25 per voter W = {x}, and z (40) would fit in the 50
		// left; voters 1 and 2 afford z from 32.5 each, so at 33 (25 + 8)
		// W = {x, z}, and y is out of the count: exhaustive.
		{"add1 group", site(0, [][]int{{0, 1}}), RuleAdd1, []string{"x", "z"}, 90,
			[]why{{"y", ReasonExcluded, "x"}}},
		{"add1u group", site(0, [][]int{{0, 1}}), RuleAdd1U, []string{"x", "z"}, 90,
			[]why{{"y", ReasonExcluded, "x"}}},
		{"add1u group and minimum", site(3, [][]int{{0, 1}}), RuleAdd1U, []string{"x"}, 50,
			[]why{{"y", ReasonExcluded, "x"}, {"z", ReasonMinimum, ""}}},
		{"add1-comparison group", site(0, [][]int{{0, 1}}), RuleAdd1Comparison, []string{"x", "z"}, 90,
			[]why{{"y", ReasonExcluded, "x"}}},
		{"phragmen site group", site(0, [][]int{{0, 1}}), RulePhragmen, []string{"x", "z"}, 90,
			[]why{{"y", ReasonExcluded, "x"}}},
		{"add1u without options", site(0, nil), RuleAdd1U, []string{"x", "y"}, 100, nil},
		// The minimum counts the rule's votes: points for a points rule.
		{"greedy-points minimum in points", points(4), RuleGreedyPoints, []string{"a"}, 60,
			[]why{{"b", ReasonMinimum, ""}}},
		// a's one supporter has 25 of its 60: Equal Shares funds neither.
		{"equalshares-points minimum in points", points(4), RuleEqualSharesPoints, nil, 0,
			[]why{{"a", ReasonShortOfMoney, ""}, {"b", ReasonMinimum, ""}}},
		// Under min-cost,max-votes,lot x and y tie on cost and votes, and
		// the lot (zero seed) puts y first: y is funded and x excluded.
		{"group decided by the lot", site(0, [][]int{{0, 1}}), RuleAdd1U, []string{"y", "z"}, 90,
			[]why{{"x", ReasonExcluded, "y"}}},
	}
	for _, tt := range tests {
		order := TieLexicographic
		if tt.name == "group decided by the lot" {
			order = TieDefault
		}
		{
			tb, _ := NewTieBreak(order, [32]byte{})
			o, err := Count(tt.e, tt.rule, tb)
			if err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			if !slices.Equal(o.Selected, tt.want) || o.Spent != tt.spent {
				t.Errorf("%s (%s): selected %v spent %d, want %v spent %d", tt.name, order, o.Selected, o.Spent, tt.want, tt.spent)
			}
			for _, w := range tt.why {
				i := slices.IndexFunc(tt.e.Projects, func(p Project) bool { return p.ID == w.id })
				x := o.Explanations[i]
				if x.Reason != w.reason || x.ExcludedBy != w.by || x.Funded {
					t.Errorf("%s (%s): %s explained %+v, want %s by %q", tt.name, order, w.id, x, w.reason, w.by)
				}
				if w.reason == ReasonMinimum && x.Minimum != tt.e.Minimum {
					t.Errorf("%s: %s minimum %d", tt.name, w.id, x.Minimum)
				}
			}
			checkOptions(t, tt.e, o)
		}
	}
}

func TestElectionOptionsInvalid(t *testing.T) {
	base := func() *Election {
		return &Election{Budget: 10, Projects: []Project{{ID: "a", Cost: 1}, {ID: "b", Cost: 1}, {ID: "c", Cost: 1}}}
	}
	for name, edit := range map[string]func(*Election){
		"negative minimum": func(e *Election) { e.Minimum = -1 },
		"group of one":     func(e *Election) { e.Exclusive = [][]int{{0}} },
		"out of range":     func(e *Election) { e.Exclusive = [][]int{{0, 3}} },
		"in two groups":    func(e *Election) { e.Exclusive = [][]int{{0, 1}, {1, 2}} },
		"twice in a group": func(e *Election) { e.Exclusive = [][]int{{0, 0}} },
	} {
		e := base()
		edit(e)
		if _, err := Count(e, RuleGreedy, TieBreak{}); err == nil {
			t.Errorf("%s: counted", name)
		}
	}
}
