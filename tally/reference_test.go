package tally

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
)

// A slow, literal implementation of every rule, written from
// docs/counting.md and pabutools' code, one voter at a time with big.Rat
// everywhere. Random elections must give the same outcome as Count.

type refElection struct {
	e    *Election
	rank []int
	// rv are the rule's votes, for the minimum (nil: no minimum applies)
	rv []int64
}

// fundable reports whether p has the election's minimum of the rule's
// votes (docs/counting.md §2.8).
func (r *refElection) fundable(p int) bool { return r.rv == nil || r.rv[p] >= r.e.Minimum }

// mates returns the other projects of p's exclusion group.
func (r *refElection) mates(p int) []int {
	for _, g := range r.e.Exclusive {
		if slices.Contains(g, p) {
			return slices.DeleteFunc(slices.Clone(g), func(q int) bool { return q == p })
		}
	}
	return nil
}

// excludedBy reports whether a project of out is in p's exclusion group.
func (r *refElection) excludedBy(p int, out []int) bool {
	for _, q := range r.mates(p) {
		if slices.Contains(out, q) {
			return true
		}
	}
	return false
}

// util returns voter i's utility for project p under rule's utilities.
func (r *refElection) util(kind string, i, p int) *big.Rat {
	b := r.e.Ballots[i]
	j := slices.Index(b.Projects, p)
	if j < 0 {
		return new(big.Rat)
	}
	c := r.e.Projects[p].Cost
	switch kind {
	case "cost":
		return new(big.Rat).SetInt64(c)
	case "unit":
		return big.NewRat(1, 1)
	case "points":
		if b.Points == nil {
			return big.NewRat(1, 1)
		}
		return new(big.Rat).SetInt64(b.Points[j])
	case "points-cost":
		if b.Points == nil {
			return new(big.Rat).SetInt64(c)
		}
		return new(big.Rat).SetInt64(b.Points[j] * c)
	}
	panic(kind)
}

func (r *refElection) votes(p int) int64 {
	var v int64
	for _, b := range r.e.Ballots {
		if slices.Contains(b.Projects, p) {
			v++
		}
	}
	return v
}

// score is the number of ballots listing p, or with points their total
// points for p.
func (r *refElection) score(p int) int64 {
	var v int64
	for _, b := range r.e.Ballots {
		if j := slices.Index(b.Projects, p); j >= 0 {
			if b.Points != nil {
				v += b.Points[j]
			} else {
				v++
			}
		}
	}
	return v
}

// greedy is pabutools' greedy_utilitarian_scheme_additive (plus the
// no-skip and threshold variants of docs/counting.md).
func (r *refElection) greedy(rule string, initial []int) []int {
	kind := map[string]string{RuleGreedyPerCost: "unit", RuleGreedyPoints: "points-cost", RuleGreedyPointsPerCost: "points"}[rule]
	if kind == "" {
		kind = "cost"
	}
	if rule == RuleGreedyThreshold && r.e.Points {
		kind = "points-cost" // the threshold is a score: rank and cut by points
	}
	m := len(r.e.Projects)
	type pd struct {
		p   int
		inf bool
		d   *big.Rat
	}
	var ps []pd
	for p := range m {
		if slices.Contains(initial, p) {
			continue
		}
		total := new(big.Rat)
		for i := range r.e.Ballots {
			total.Add(total, r.util(kind, i, p))
		}
		x := pd{p: p, d: new(big.Rat)}
		if total.Sign() > 0 {
			if c := r.e.Projects[p].Cost; c > 0 {
				x.d.Quo(total, new(big.Rat).SetInt64(c))
			} else {
				x.inf = true
			}
		}
		ps = append(ps, x)
	}
	sort.SliceStable(ps, func(a, b int) bool { return r.rank[ps[a].p] < r.rank[ps[b].p] })
	sort.SliceStable(ps, func(a, b int) bool {
		if ps[a].inf != ps[b].inf {
			return ps[a].inf
		}
		return ps[a].d.Cmp(ps[b].d) > 0
	})
	out := slices.Clone(initial)
	left := r.e.Budget
	for _, p := range initial {
		left -= r.e.Projects[p].Cost
	}
	for _, x := range ps {
		c := r.e.Projects[x.p].Cost
		if rule == RuleGreedyThreshold && r.score(x.p) < r.e.Threshold {
			continue
		}
		if c > r.e.Budget || !r.fundable(x.p) || r.excludedBy(x.p, out) {
			continue
		}
		if c <= left {
			out = append(out, x.p)
			left -= c
		} else if rule == RuleGreedyNoSkip {
			break
		}
	}
	return out
}

// mes is pabutools' method_of_equal_shares at per-voter money b.
func (r *refElection) mes(kind string, b *big.Rat) []int {
	n, m := len(r.e.Ballots), len(r.e.Projects)
	money := make([]*big.Rat, n)
	for i := range money {
		money[i] = new(big.Rat).Set(b)
	}
	var out []int
	var cands []int
	var free []int
	for p := range m {
		total := new(big.Rat)
		for i := range n {
			total.Add(total, r.util(kind, i, p))
		}
		if total.Sign() > 0 && r.fundable(p) {
			if r.e.Projects[p].Cost > 0 {
				cands = append(cands, p)
			} else {
				free = append(free, p)
			}
		}
	}
	sort.Slice(free, func(a, b int) bool { return r.rank[free[a]] < r.rank[free[b]] })
	for _, p := range free {
		if !r.excludedBy(p, out) {
			out = append(out, p)
		}
	}
	cands = slices.DeleteFunc(cands, func(p int) bool { return r.excludedBy(p, out) })
	for {
		best := -1
		var bestRho *big.Rat
		for _, p := range slices.Clone(cands) {
			c := new(big.Rat).SetInt64(r.e.Projects[p].Cost)
			var sup []int
			avail := new(big.Rat)
			for i := range n {
				if r.util(kind, i, p).Sign() > 0 {
					sup = append(sup, i)
					avail.Add(avail, money[i])
				}
			}
			if avail.Cmp(c) < 0 {
				cands = slices.DeleteFunc(cands, func(q int) bool { return q == p })
				continue
			}
			// scan supporters by money/utility
			sort.SliceStable(sup, func(a, b int) bool {
				x := new(big.Rat).Quo(money[sup[a]], r.util(kind, sup[a], p))
				y := new(big.Rat).Quo(money[sup[b]], r.util(kind, sup[b], p))
				return x.Cmp(y) < 0
			})
			paid := new(big.Rat)
			den := new(big.Rat)
			for _, i := range sup {
				den.Add(den, r.util(kind, i, p))
			}
			var rho *big.Rat
			for _, i := range sup {
				f := new(big.Rat).Sub(c, paid)
				f.Quo(f, den)
				u := r.util(kind, i, p)
				if new(big.Rat).Mul(f, u).Cmp(money[i]) <= 0 {
					rho = f
					break
				}
				paid.Add(paid, money[i])
				den.Sub(den, u)
			}
			if best < 0 || rho.Cmp(bestRho) < 0 || rho.Cmp(bestRho) == 0 && r.rank[p] < r.rank[best] {
				best, bestRho = p, rho
			}
		}
		if best < 0 {
			return out
		}
		out = append(out, best)
		cands = slices.DeleteFunc(cands, func(q int) bool { return q == best || slices.Contains(r.mates(best), q) })
		for i := range n {
			u := r.util(kind, i, best)
			if u.Sign() == 0 {
				continue
			}
			pay := new(big.Rat).Mul(bestRho, u)
			if pay.Cmp(money[i]) > 0 {
				pay.Set(money[i])
			}
			money[i].Sub(money[i], pay)
		}
	}
}

func (r *refElection) cost(ps []int) int64 {
	var c int64
	for _, p := range ps {
		c += r.e.Projects[p].Cost
	}
	return c
}

// add1 is pabutools' voter_budget_increment=1 loop.
func (r *refElection) add1() []int {
	out, _ := r.add1WithMoney()
	return out
}

// add1WithMoney also returns the per-voter money of the returned run.
func (r *refElection) add1WithMoney() ([]int, *big.Rat) {
	n := max(int64(len(r.e.Ballots)), 1)
	b := new(big.Rat).SetFrac64(r.e.Budget, n)
	step := int64(1)
	for range r.e.Scale {
		step *= 10
	}
	var eligible []int
	for p := range r.e.Projects {
		if r.e.Projects[p].Cost > 0 && r.votes(p) > 0 && r.fundable(p) {
			eligible = append(eligible, p)
		}
	}
	var prev []int
	prevB := new(big.Rat)
	for {
		out := r.mes("cost", b)
		if r.cost(out) > r.e.Budget {
			return prev, prevB
		}
		exhaustive := true
		for _, p := range eligible {
			if !slices.Contains(out, p) && !r.excludedBy(p, out) && r.cost(out)+r.e.Projects[p].Cost <= r.e.Budget {
				exhaustive = false
			}
		}
		if exhaustive {
			return out, b
		}
		prev, prevB = out, new(big.Rat).Set(b)
		b.Add(b, new(big.Rat).SetInt64(step))
	}
}

// phragmen is pabutools' sequential_phragmen.
func (r *refElection) phragmen() []int {
	n, m := len(r.e.Ballots), len(r.e.Projects)
	load := make([]*big.Rat, n)
	for i := range load {
		load[i] = new(big.Rat)
	}
	var rem []int
	for p := range m {
		if r.e.Projects[p].Cost <= r.e.Budget && r.fundable(p) {
			rem = append(rem, p)
		}
	}
	var out []int
	var spent int64
	for len(rem) > 0 {
		var best *big.Rat // nil = infinite
		var tied []int
		for _, p := range rem {
			var nl *big.Rat
			if v := r.votes(p); v > 0 {
				s := new(big.Rat).SetInt64(r.e.Projects[p].Cost)
				for i := range n {
					if slices.Contains(r.e.Ballots[i].Projects, p) {
						s.Add(s, load[i])
					}
				}
				nl = s.Quo(s, new(big.Rat).SetInt64(v))
			}
			switch d := cmpLoad(nl, best); {
			case tied == nil || d < 0:
				best, tied = nl, []int{p}
			case d == 0:
				tied = append(tied, p)
			}
		}
		for _, p := range tied {
			if spent+r.e.Projects[p].Cost > r.e.Budget {
				return out
			}
		}
		sort.Slice(tied, func(a, b int) bool { return r.rank[tied[a]] < r.rank[tied[b]] })
		p := tied[0]
		if best != nil {
			for i := range n {
				if slices.Contains(r.e.Ballots[i].Projects, p) {
					load[i] = best
				}
			}
		}
		out = append(out, p)
		spent += r.e.Projects[p].Cost
		rem = slices.DeleteFunc(rem, func(q int) bool { return q == p || slices.Contains(r.mates(p), q) })
	}
	return out
}

// refCount returns the reference outcome of rule, as project indices.
func refCount(e *Election, rule string, tb TieBreak) []int {
	pr, err := prepare(e)
	if err != nil {
		panic(err)
	}
	votes := pr.votes
	if pointsRule(rule) || rule == RuleGreedyThreshold && e.Points {
		votes = pr.points
	}
	r := &refElection{e: e, rank: tb.ranks(e, votes), rv: votes}
	switch rule {
	case RuleEqualShares:
		return r.mes("cost", new(big.Rat).SetFrac64(e.Budget, max(int64(len(e.Ballots)), 1)))
	case RuleEqualSharesUnit:
		return r.mes("unit", new(big.Rat).SetFrac64(e.Budget, max(int64(len(e.Ballots)), 1)))
	case RuleEqualSharesPoints:
		return r.mes("points", new(big.Rat).SetFrac64(e.Budget, max(int64(len(e.Ballots)), 1)))
	case RuleAdd1:
		return r.add1()
	case RuleAdd1U:
		return r.greedy(RuleGreedy, r.add1())
	case RuleAdd1Comparison:
		w, g := r.add1(), r.greedy(RuleGreedy, nil)
		var pw, pg int
		for _, b := range e.Ballots {
			var nw, ng int
			for _, p := range b.Projects {
				if slices.Contains(w, p) {
					nw++
				}
				if slices.Contains(g, p) {
					ng++
				}
			}
			if nw > ng {
				pw++
			} else if ng > nw {
				pg++
			}
		}
		if pg > pw {
			return g
		}
		return w
	case RulePhragmen:
		return r.phragmen()
	}
	return r.greedy(rule, nil)
}

// randomElection makes a small election with many exact ties.
func randomElection(rng *rand.Rand) *Election {
	m := 1 + rng.IntN(7)
	e := &Election{Scale: rng.IntN(2), Points: rng.IntN(3) == 0}
	unit := int64(1)
	if e.Scale == 1 {
		unit = 10
	}
	costs := []int64{0, 5, 10, 10, 15, 20, 30, 40, 60}
	for range m {
		c := costs[rng.IntN(len(costs))] * unit
		if rng.IntN(6) > 0 && c == 0 {
			c = 10 * unit
		}
		if rng.IntN(5) == 0 {
			c += int64(rng.IntN(int(unit) + 3))
		}
		e.Projects = append(e.Projects, Project{ID: fmt.Sprintf("p%d", rng.IntN(40)), Cost: c})
	}
	// unique IDs
	seen := map[string]bool{}
	for i := range e.Projects {
		for seen[e.Projects[i].ID] {
			e.Projects[i].ID += "x"
		}
		seen[e.Projects[i].ID] = true
	}
	e.Budget = int64(10+rng.IntN(120)) * unit
	if rng.IntN(4) == 0 {
		e.Budget += int64(rng.IntN(int(unit) + 1))
	}
	n := rng.IntN(12)
	for range n {
		var b Ballot
		for p := range m {
			if rng.IntN(5) < 2 {
				b.Projects = append(b.Projects, p)
				if e.Points {
					b.Points = append(b.Points, int64(rng.IntN(4)))
				}
			}
		}
		rng.Shuffle(len(b.Projects), func(i, j int) {
			b.Projects[i], b.Projects[j] = b.Projects[j], b.Projects[i]
			if e.Points {
				b.Points[i], b.Points[j] = b.Points[j], b.Points[i]
			}
		})
		e.Ballots = append(e.Ballots, b)
	}
	if rng.IntN(3) == 0 {
		e.Threshold = int64(rng.IntN(4))
	}
	return e
}

// TestReference compares Count with the literal implementation on random
// elections, for every rule and both tie-breaking orders.
func TestReference(t *testing.T) {
	n := 600
	if testing.Short() {
		n = 100
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range n {
		e := randomElection(rng)
		var seed [32]byte
		seed[0] = byte(i)
		for _, order := range []string{TieLexicographic, TieDefault} {
			tb, _ := NewTieBreak(order, seed)
			for _, rule := range Rules() {
				o, err := Count(e, rule, tb)
				if err != nil {
					t.Fatalf("case %d %s: %v", i, rule, err)
				}
				want := refCount(e, rule, tb)
				var w []string
				for _, p := range want {
					w = append(w, e.Projects[p].ID)
				}
				if !slices.Equal(o.Order, w) {
					t.Fatalf("case %d %s %s: order %v, want %v\nelection %+v", i, rule, order, o.Order, w, e)
				}
				if o.Spent > e.Budget {
					t.Fatalf("case %d %s: spent %d > budget %d", i, rule, o.Spent, e.Budget)
				}
			}
		}
	}
}

// TestReferenceAdd1Large checks add1 on elections that need hundreds of
// increments, where the fast search skips most of them.
func TestReferenceAdd1Large(t *testing.T) {
	n := 60
	if testing.Short() {
		n = 10
	}
	rng := rand.New(rand.NewPCG(3, 4))
	skipped := 0
	for i := range n {
		e := &Election{Budget: int64(1000 + rng.IntN(4000))}
		m := 2 + rng.IntN(7)
		for p := range m {
			c := int64(100 * (1 + rng.IntN(12)))
			if rng.IntN(3) == 0 {
				c += int64(rng.IntN(100))
			}
			e.Projects = append(e.Projects, Project{ID: fmt.Sprintf("p%02d", p), Cost: c})
		}
		for range 2 + rng.IntN(10) {
			var b Ballot
			for p := range m {
				if rng.IntN(3) == 0 {
					b.Projects = append(b.Projects, p)
				}
			}
			e.Ballots = append(e.Ballots, b)
		}
		tb, _ := NewTieBreak(TieLexicographic, [32]byte{})
		pr, _ := prepare(e)
		c := &counter{pr: pr, rank: tb.ranks(e, pr.votes), votes: pr.votes}
		s := c.newMES(utilCost)
		r, b, err := s.add1Search()
		if err != nil {
			t.Fatal(err)
		}
		ref := &refElection{e: e, rank: tb.ranks(e, pr.votes)}
		want, wantB := ref.add1WithMoney()
		if !slices.Equal(r.order, want) || b.Cmp(wantB) != 0 {
			t.Fatalf("case %d: add1 %v at %s per voter, want %v at %s\n%+v", i, r.order, b.RatString(), want, wantB.RatString(), e)
		}
		incr := new(big.Rat).Sub(b, new(big.Rat).SetFrac64(e.Budget, int64(len(e.Ballots))))
		if f, _ := incr.Float64(); int(f) > s.runs {
			skipped += int(f) - s.runs
		}
	}
	if skipped == 0 {
		t.Errorf("the search never skipped an increment")
	}
	t.Logf("increments skipped: %d", skipped)
}

// withOptions adds a random minimum and random exclusion groups to e
// (docs/counting.md §2.8).
func withOptions(rng *rand.Rand, e *Election) {
	if rng.IntN(2) == 0 {
		e.Minimum = int64(1 + rng.IntN(4))
	}
	perm := rng.Perm(len(e.Projects))
	for len(perm) >= 2 && rng.IntN(3) > 0 {
		k := 2 + rng.IntN(min(3, len(perm)-1))
		e.Exclusive = append(e.Exclusive, slices.Clone(perm[:k]))
		perm = perm[k:]
	}
}

// TestReferenceOptions compares Count with the literal implementation on
// random elections with a minimum and exclusion groups, for every rule and
// both tie-breaking orders.
func TestReferenceOptions(t *testing.T) {
	n := 1500
	if testing.Short() {
		n = 200
	}
	rng := rand.New(rand.NewPCG(5, 6))
	withMin, withGroups := 0, 0
	for i := range n {
		e := randomElection(rng)
		withOptions(rng, e)
		if e.Minimum > 0 {
			withMin++
		}
		if len(e.Exclusive) > 0 {
			withGroups++
		}
		var seed [32]byte
		seed[1] = byte(i)
		for _, order := range []string{TieLexicographic, TieDefault} {
			tb, _ := NewTieBreak(order, seed)
			for _, rule := range Rules() {
				o, err := Count(e, rule, tb)
				if err != nil {
					t.Fatalf("case %d %s: %v", i, rule, err)
				}
				want := refCount(e, rule, tb)
				var w []string
				for _, p := range want {
					w = append(w, e.Projects[p].ID)
				}
				if !slices.Equal(o.Order, w) {
					t.Fatalf("case %d %s %s: order %v, want %v\nelection %+v", i, rule, order, o.Order, w, e)
				}
				checkOptions(t, e, o)
			}
		}
	}
	if withMin == 0 || withGroups == 0 {
		t.Fatalf("no case with a minimum (%d) or a group (%d)", withMin, withGroups)
	}
}

// checkOptions checks an outcome against the options themselves: no
// funded project below the minimum, at most one per group, and every
// explanation of an excluded project naming its group's funded project.
func checkOptions(t *testing.T, e *Election, o *Outcome) {
	t.Helper()
	for p, f := range o.Funded {
		if f && o.Votes[p] < e.Minimum {
			t.Fatalf("%s: %s funded with %d votes, minimum %d", o.Rule, e.Projects[p].ID, o.Votes[p], e.Minimum)
		}
		x := o.Explanations[p]
		if !f && o.Votes[p] < e.Minimum && (x.Reason != ReasonMinimum || x.Minimum != e.Minimum) {
			t.Fatalf("%s: %s below the minimum explained %+v", o.Rule, e.Projects[p].ID, x)
		}
		if x.Reason == ReasonExcluded && (x.ExcludedBy == "" || x.Text == "") {
			t.Fatalf("%s: %s excluded by nobody: %+v", o.Rule, e.Projects[p].ID, x)
		}
		if x.Text == "" {
			t.Fatalf("%s: %s has no explanation: %+v", o.Rule, e.Projects[p].ID, x)
		}
	}
	for _, g := range e.Exclusive {
		n := 0
		for _, p := range g {
			if o.Funded[p] {
				n++
			}
		}
		if n > 1 {
			t.Fatalf("%s: %d projects of group %v funded", o.Rule, n, g)
		}
	}
}

// TestReferenceAdd1LargeOptions checks add1 and add1u with a minimum and
// exclusion groups on elections that need hundreds of increments, where
// the fast search skips most of them (docs/counting.md §2.8: the
// exhaustion test ignores the mates of the outcome's projects).
func TestReferenceAdd1LargeOptions(t *testing.T) {
	n := 60
	if testing.Short() {
		n = 10
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for i := range n {
		e := &Election{Budget: int64(1000 + rng.IntN(4000))}
		m := 3 + rng.IntN(7)
		for p := range m {
			c := int64(100 * (1 + rng.IntN(12)))
			if rng.IntN(3) == 0 {
				c += int64(rng.IntN(100))
			}
			e.Projects = append(e.Projects, Project{ID: fmt.Sprintf("p%02d", p), Cost: c})
		}
		for range 2 + rng.IntN(10) {
			var b Ballot
			for p := range m {
				if rng.IntN(3) == 0 {
					b.Projects = append(b.Projects, p)
				}
			}
			e.Ballots = append(e.Ballots, b)
		}
		withOptions(rng, e)
		e.Minimum = min(e.Minimum, 2)
		for _, rule := range []string{RuleAdd1, RuleAdd1U, RuleAdd1Comparison} {
			tb, _ := NewTieBreak(TieLexicographic, [32]byte{})
			o, err := Count(e, rule, tb)
			if err != nil {
				t.Fatal(err)
			}
			want := refCount(e, rule, tb)
			var w []string
			for _, p := range want {
				w = append(w, e.Projects[p].ID)
			}
			if !slices.Equal(o.Order, w) {
				t.Fatalf("case %d %s: %v, want %v\n%+v", i, rule, o.Order, w, e)
			}
			checkOptions(t, e, o)
		}
	}
}
