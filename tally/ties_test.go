package tally

import (
	"reflect"
	"testing"
)

// TestGreedyTiesAndLeft: a greedy count records what was left of the
// budget at each step and, for every exact tie, the other projects and
// the tie-break step that ordered each pair.
func TestGreedyTiesAndLeft(t *testing.T) {
	// a and b: 2 votes each, b cheaper; c and d: 1 vote each, same cost
	// (the lot decides under the default order); e: no votes.
	e := &Election{Budget: 100,
		Projects: []Project{{ID: "a", Cost: 60}, {ID: "b", Cost: 50}, {ID: "c", Cost: 30}, {ID: "d", Cost: 30}, {ID: "e", Cost: 10}},
		Ballots:  []Ballot{{Projects: []int{0, 1, 2}}, {Projects: []int{0, 1, 3}}},
	}
	seed := [32]byte{1}
	for _, order := range []string{TieDefault, TieLexicographic} {
		tb, err := NewTieBreak(order, seed)
		if err != nil {
			t.Fatal(err)
		}
		o, err := Count(e, RuleGreedy, tb)
		if err != nil {
			t.Fatal(err)
		}
		ex := map[string]Explanation{}
		for i, p := range e.Projects {
			ex[p.ID] = o.Explanations[i]
		}
		// a/b: under the default order b (cheaper) first; under
		// lexicographic a first.
		first, second, by := "b", "a", TieByCost
		if order == TieLexicographic {
			first, second, by = "a", "b", TieByID
		}
		if got, want := ex[first].Ties, []Tie{{Project: second, First: true, By: by}}; !reflect.DeepEqual(got, want) {
			t.Errorf("%s: Ties(%s) = %+v, want %+v", order, first, got, want)
		}
		if got, want := ex[second].Ties, []Tie{{Project: first, First: false, By: by}}; !reflect.DeepEqual(got, want) {
			t.Errorf("%s: Ties(%s) = %+v, want %+v", order, second, got, want)
		}
		if ex[first].Step != 1 || ex[first].Left != 100 || ex[second].Step != 2 || ex[second].Left != 100-e.Projects[indexOf(e, first)].Cost {
			t.Errorf("%s: steps/left = %d/%d, %d/%d", order, ex[first].Step, ex[first].Left, ex[second].Step, ex[second].Left)
		}
		wantBy := TieByLot
		if order == TieLexicographic {
			wantBy = TieByID
		}
		if len(ex["c"].Ties) != 1 || ex["c"].Ties[0].Project != "d" || ex["c"].Ties[0].By != wantBy || ex["c"].Ties[0].First == ex["d"].Ties[0].First {
			t.Errorf("%s: c/d ties = %+v / %+v", order, ex["c"].Ties, ex["d"].Ties)
		}
		if ex["e"].Ties != nil {
			t.Errorf("%s: e is tied with nothing, Ties = %+v", order, ex["e"].Ties)
		}
		// the second of a/b did not fit: what was left is recorded.
		if ex[second].Funded || ex[second].Reason != ReasonNoFit || ex[second].Left >= e.Projects[indexOf(e, second)].Cost {
			t.Errorf("%s: %s = %+v, want no-fit with less left than its cost", order, second, ex[second])
		}
	}
}

func indexOf(e *Election, id string) int {
	for i, p := range e.Projects {
		if p.ID == id {
			return i
		}
	}
	return -1
}

// TestEqualSharesTies: Equal Shares records, for a round in which two
// candidates are exactly as cheap, the other candidate and the tie-break
// step that put the winner first; a project tied with nothing has no
// ties.
func TestEqualSharesTies(t *testing.T) {
	// a and b: one supporter each, the same cost, so the same price in
	// the first round; c: supported by both, more than the budget.
	e := &Election{Budget: 120,
		Projects: []Project{{ID: "a", Cost: 40}, {ID: "b", Cost: 40}, {ID: "c", Cost: 200}},
		Ballots:  []Ballot{{Projects: []int{0, 2}}, {Projects: []int{1, 2}}},
	}
	for _, order := range []string{TieDefault, TieLexicographic} {
		tb, err := NewTieBreak(order, [32]byte{7})
		if err != nil {
			t.Fatal(err)
		}
		o, err := Count(e, RuleEqualShares, tb)
		if err != nil {
			t.Fatal(err)
		}
		ex := map[string]Explanation{}
		for i, p := range e.Projects {
			ex[p.ID] = o.Explanations[i]
		}
		wantBy := TieByLot
		if order == TieLexicographic {
			wantBy = TieByID
		}
		// a and b tie in round 1; c is never affordable.
		ta, tb2 := ex["a"].Ties, ex["b"].Ties
		if len(ta) != 1 || len(tb2) != 1 || ta[0].Project != "b" || tb2[0].Project != "a" || ta[0].By != wantBy ||
			tb2[0].By != wantBy || ta[0].First == tb2[0].First {
			t.Errorf("%s: a ties %+v, b ties %+v", order, ta, tb2)
		}
		if order == TieLexicographic && !ta[0].First {
			t.Errorf("%s: a should come first by its id: %+v", order, ta)
		}
		if ex["c"].Ties != nil {
			t.Errorf("%s: c is tied with nothing, Ties = %+v", order, ex["c"].Ties)
		}
	}
}

// TestPhragmenTies: Phragmén records the projects that would have given
// the same least load in the round, with the tie-break step.
func TestPhragmenTies(t *testing.T) {
	e := &Election{Budget: 120,
		Projects: []Project{{ID: "a", Cost: 40}, {ID: "b", Cost: 40}, {ID: "c", Cost: 200}},
		Ballots:  []Ballot{{Projects: []int{0, 2}}, {Projects: []int{1, 2}}},
	}
	tb, err := NewTieBreak(TieLexicographic, [32]byte{7})
	if err != nil {
		t.Fatal(err)
	}
	o, err := Count(e, RulePhragmen, tb)
	if err != nil {
		t.Fatal(err)
	}
	a, b := o.Explanations[0].Ties, o.Explanations[1].Ties
	if want := []Tie{{Project: "b", First: true, By: TieByID}}; !reflect.DeepEqual(a, want) {
		t.Errorf("a ties %+v, want %+v", a, want)
	}
	if want := []Tie{{Project: "a", First: false, By: TieByID}}; !reflect.DeepEqual(b, want) {
		t.Errorf("b ties %+v, want %+v", b, want)
	}
}
