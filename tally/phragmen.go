package tally

import (
	"fmt"
	"math/big"
	"slices"
)

// phragmen counts with sequential Phragmén as pabutools 1.2.3 does
// (docs/counting.md §2.4). Voters carry loads, starting at 0. Projects
// costing more than the whole budget never take part. In each round every
// remaining project p has new load (Σ supporters' loads + cost)/votes
// (infinite without supporters); the least new load wins. If any project
// tied at the least new load does not fit in the budget left, the rule
// stops; otherwise the first tied project by the tie-break order is funded
// and each of its supporters' load becomes the new load.
func (c *counter) phragmen() *result {
	pr := c.pr
	res := newResult(pr.m)
	// load[s] is the load after round s (selected project index in order);
	// a group's load is that of the last funded project it supports.
	last := make([]int, len(pr.groups)) // round index +1 of the group's last funded project, 0 = none
	var loads []*big.Rat
	remaining := []int{}
	for p := range pr.m {
		if pr.cost[p] > pr.budget {
			res.expl[p] = Explanation{Reason: ReasonOverBudget,
				Text: fmt.Sprintf("costs %s, more than the whole budget %s", c.fmtAmount(pr.cost[p]), c.fmtAmount(pr.budget))}
			continue
		}
		remaining = append(remaining, p)
	}
	// lower bounds on each project's new load (loads only grow)
	lb := make([]*big.Rat, pr.m)
	for _, p := range remaining {
		if pr.votes[p] > 0 {
			lb[p] = new(big.Rat).SetFrac64(pr.cost[p], pr.votes[p])
		}
	}
	var sc scratch
	spent := int64(0)
	sum := new(big.Rat)
	tmp := new(big.Rat)
	cmpLoad := func(a, b *big.Rat) int { // nil is +infinity
		switch {
		case a == nil && b == nil:
			return 0
		case a == nil:
			return 1
		case b == nil:
			return -1
		}
		return sc.cmp(a, b)
	}
	stopped := false
	for round := 1; len(remaining) > 0 && !stopped; round++ {
		slices.SortFunc(remaining, func(a, b int) int {
			if c := cmpLoad(lb[a], lb[b]); c != 0 {
				return c
			}
			return c.rank[a] - c.rank[b]
		})
		var best *big.Rat
		var tied []int
		for _, p := range remaining {
			if len(tied) > 0 && cmpLoad(lb[p], best) > 0 {
				break
			}
			var nl *big.Rat
			if pr.votes[p] > 0 {
				sum.SetInt64(pr.cost[p])
				for _, g := range pr.supp[p] {
					if l := last[g]; l > 0 {
						tmp.SetInt64(pr.groups[g].weight)
						tmp.Mul(tmp, loads[l-1])
						sum.Add(sum, tmp)
					}
				}
				nl = new(big.Rat).Quo(sum, tmp.SetInt64(pr.votes[p]))
				lb[p] = nl
			}
			switch d := cmpLoad(nl, best); {
			case len(tied) == 0 || d < 0:
				best, tied = nl, append(tied[:0], p)
			case d == 0:
				tied = append(tied, p)
			}
		}
		// tied is in rank order (remaining was sorted by bound, then rank,
		// and every tied project has bound equal to the least load).
		slices.SortFunc(tied, func(a, b int) int { return c.rank[a] - c.rank[b] })
		for _, p := range tied {
			if spent+pr.cost[p] > pr.budget {
				stopped = true
				res.note = fmt.Sprintf("Phragmén stopped in round %d: project %s, at the least new load, did not fit in the %s left", round, pr.e.Projects[p].ID, c.fmtAmount(pr.budget-spent))
				break
			}
		}
		if stopped {
			for _, p := range remaining {
				e := &res.expl[p]
				if slices.Contains(tied, p) && spent+pr.cost[p] > pr.budget {
					e.Reason, e.Step = ReasonNoFit, round
					e.Text = fmt.Sprintf("its turn came in round %d but it costs %s and only %s was left, so Phragmén stopped", round, c.fmtAmount(pr.cost[p]), c.fmtAmount(pr.budget-spent))
				} else {
					e.Reason, e.Step = ReasonStopped, round
					e.Text = fmt.Sprintf("not reached: Phragmén stopped in round %d", round)
					if pr.votes[p] == 0 {
						e.Reason = ReasonNoSupport
						e.Text = "no voter supports it, and Phragmén stopped before only unsupported projects were left"
					}
				}
			}
			break
		}
		p := tied[0]
		spent += pr.cost[p]
		res.order = append(res.order, p)
		e := &res.expl[p]
		e.Reason, e.Step = ReasonSelected, round
		if best == nil {
			e.Text = fmt.Sprintf("chosen in round %d: only unsupported projects were left and it fitted", round)
		} else {
			loads = append(loads, best)
			for _, g := range pr.supp[p] {
				last[g] = len(loads)
			}
			e.Text = fmt.Sprintf("chosen in round %d: its %d supporters' load became %s, the least possible", round, pr.votes[p], fmtRat(c.unscale(best)))
		}
		remaining = slices.DeleteFunc(remaining, func(q int) bool { return q == p })
	}
	return res
}
