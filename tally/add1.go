package tally

import (
	"errors"
	"fmt"
	"math/big"
	"slices"
)

// errAdd1 reports an add1 search that did not end; it cannot happen for a
// valid election (see add1Search).
var errAdd1 = errors.New("tally: equal shares add1 did not terminate")

// unitStep is one currency unit in scaled units.
func (c *counter) unitStep() int64 {
	v := int64(1)
	for range c.pr.e.Scale {
		v *= 10
	}
	return v
}

// exhaustive reports whether no Equal Shares project outside order fits in
// what order leaves of the budget.
func (s *mesSetup) exhaustive(order []int) bool {
	pr := s.c.pr
	var cost int64
	in := make([]bool, pr.m)
	for _, p := range order {
		cost += pr.cost[p]
		in[p] = true
	}
	out := make([]bool, pr.m)
	for _, p := range order {
		s.c.exclude(out, p)
	}
	for _, p := range s.elig {
		if !in[p] && !out[p] && cost+pr.cost[p] <= pr.budget {
			return false
		}
	}
	return true
}

// add1 counts with equalshares/add1.
func (c *counter) add1() (*result, error) {
	s := c.newMES(utilCost)
	r, b, err := s.add1Search()
	if err != nil {
		return nil, err
	}
	res := s.explain(r, b)
	return res, nil
}

// add1Search finds the add1 outcome: the outcome of the literal loop of
// docs/counting.md §2.4 (pabutools' voter_budget_increment = 1), by far
// fewer Equal Shares runs. After a run at per-voter money b, the
// parametric engine knows a bound R > b (or R = b) such that every run from
// b' in [b, R) makes the same choices, hence funds the same projects; the
// loop then jumps straight to the first b + k (k a whole number of currency
// units) at or above R, since the add1 loop would only have repeated the
// same outcome, which was neither over budget nor exhaustive, in between.
// The rounds whose own bound lies above the new b are replayed without
// evaluating the other projects.
func (s *mesSetup) add1Search() (*mesRun, *big.Rat, error) {
	pr := s.c.pr
	n := max(pr.n, 1)
	step := s.c.unitStep()
	bN := func(k int64) *big.Int { // B + k·step·n
		v := new(big.Int).Mul(big.NewInt(k), big.NewInt(step))
		v.Mul(v, big.NewInt(n))
		return v.Add(v, big.NewInt(pr.budget))
	}
	en := s.newEngine(true)
	var k, prevK int64 = 0, -1
	replay := 0
	runs := 0
	for {
		cutoff := new(big.Rat).SetFrac(bN(k+1), big.NewInt(n))
		en.run(bN(k), replay, cutoff)
		runs++
		s.runs = runs
		if en.cost() > pr.budget {
			if prevK < 0 {
				return nil, nil, errAdd1
			}
			// The literal loop returns the run at k−1, whose outcome is
			// that of prevK (k−1 lies in prevK's interval); its payments
			// are those of k−1.
			return s.plainRun(bN(k - 1))
		}
		if s.exhaustive(en.order()) {
			return s.plainRun(bN(k))
		}
		prevK = k
		if en.final == nil {
			return nil, nil, errAdd1
		}
		// least k' > k with B/n + k'·step ≥ final: k' ≥ (final·n − B)/(step·n)
		q := new(big.Rat).Mul(en.final, new(big.Rat).SetInt64(n))
		q.Sub(q, new(big.Rat).SetInt64(pr.budget))
		q.Quo(q, new(big.Rat).SetInt64(step*n))
		next := new(big.Int).Quo(q.Num(), q.Denom()) // floor for q ≥ 0
		if q.Sign() < 0 {
			next.SetInt64(0)
		} else if !q.IsInt() {
			next.Add(next, big.NewInt(1))
		}
		if !next.IsInt64() || next.Int64() > pr.budget/step+2 {
			return nil, nil, errAdd1
		}
		k = max(k+1, next.Int64())
		b := new(big.Rat).SetFrac(bN(k), big.NewInt(n))
		replay = 0
		for replay < len(en.bounds) && (en.bounds[replay] == nil || en.bounds[replay].Cmp(b) > 0) {
			replay++
		}
	}
}

// plainRun runs Equal Shares once at per-voter money bN/n and returns the
// run with its money.
func (s *mesSetup) plainRun(bN *big.Int) (*mesRun, *big.Rat, error) {
	en := s.newEngine(false)
	en.run(bN, 0, nil)
	return en.toRun(), new(big.Rat).SetFrac(bN, big.NewInt(max(s.c.pr.n, 1))), nil
}

// add1u counts with equalshares/add1u: add1, then greedy by votes on what is
// left of the budget.
func (c *counter) add1u() (*result, error) {
	s := c.newMES(utilCost)
	r, b, err := s.add1Search()
	if err != nil {
		return nil, err
	}
	res := s.explain(r, b)
	g := c.greedy(RuleGreedy, r.order)
	for p := range c.pr.m {
		if g.expl[p].Reason == ReasonCompletion || g.expl[p].Reason == ReasonExcluded {
			res.expl[p] = g.expl[p]
			continue
		}
		if !slices.Contains(r.order, p) && (res.expl[p].Reason == ReasonShortOfMoney || res.expl[p].Reason == ReasonNoSupport) {
			res.expl[p].Text += "; the greedy completion did not fund it either: " + g.expl[p].Text
		}
	}
	res.order = g.order
	return res, nil
}

// add1Comparison counts with equalshares/add1-comparison: the add1 outcome
// W is compared with the greedy outcome G; if more voters prefer G (fund
// more of the projects they support) than prefer W, the outcome is G.
func (c *counter) add1Comparison() (*result, error) {
	s := c.newMES(utilCost)
	r, b, err := s.add1Search()
	if err != nil {
		return nil, err
	}
	w := s.explain(r, b)
	g := c.greedy(RuleGreedy, nil)
	pr := c.pr
	inW, inG := make([]bool, pr.m), make([]bool, pr.m)
	for _, p := range w.order {
		inW[p] = true
	}
	for _, p := range g.order {
		inG[p] = true
	}
	var preferW, preferG int64
	for _, gr := range pr.groups {
		var nw, ng int
		for _, p := range gr.projects {
			if inW[p] {
				nw++
			}
			if inG[p] {
				ng++
			}
		}
		switch {
		case nw > ng:
			preferW += gr.weight
		case ng > nw:
			preferG += gr.weight
		}
	}
	if preferG > preferW {
		g.perVoter = w.perVoter
		g.note = fmt.Sprintf("comparison step: %d voters prefer the greedy outcome, %d prefer the Equal Shares (add1) outcome, so the greedy outcome is used; %s", preferG, preferW, w.note)
		return g, nil
	}
	w.note += fmt.Sprintf("; comparison step: %d voters prefer the Equal Shares (add1) outcome, %d prefer the greedy outcome, so the Equal Shares outcome is kept", preferW, preferG)
	return w, nil
}
