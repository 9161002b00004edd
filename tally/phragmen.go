package tally

import (
	"fmt"
	"math"
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
//
// A voter's load is the new load of the last funded project it supports,
// so a project's load sum is Σ_k cnt[p][k]·L_k over the funded projects k.
// Loads are exact integers over one common denominator; candidates are
// ranked by float copies (all sums of positive terms, so their relative
// error stays tiny) and only near-best ones are computed exactly.
func (c *counter) phragmen() *result {
	pr := c.pr
	res := newResult(pr.m)
	ph := &phragmenState{c: c}
	remaining := []int{}
	for p := range pr.m {
		if !c.fundable(p) {
			res.expl[p] = Explanation{Reason: ReasonMinimum} // text by outcome
			continue
		}
		if pr.cost[p] > pr.budget {
			res.expl[p] = Explanation{Reason: ReasonOverBudget,
				Text: fmt.Sprintf("costs %s, more than the whole budget %s", c.fmtAmount(pr.cost[p]), c.fmtAmount(pr.budget))}
			continue
		}
		remaining = append(remaining, p)
	}
	// cnt[p][k]: voters supporting p whose last funded project is the k-th
	// (k = 0: none yet); rows are extended with zeros when first needed.
	ph.cnt = make([][]int64, pr.m)
	backing := make([]int64, pr.m*4)
	for p := range pr.m {
		ph.cnt[p] = append(backing[p*4:p*4:p*4+4], pr.votes[p])
	}
	ph.lastOf = make([]int32, len(pr.groups))
	ph.den.SetInt64(1)
	ph.loads = []big.Int{{}} // k = 0: load 0
	ph.lf = []float64{0}
	lb := make([]float64, pr.m)
	for _, p := range remaining {
		lb[p] = math.Inf(1)
		if pr.votes[p] > 0 {
			lb[p] = lower(float64(pr.cost[p]) / float64(pr.votes[p]))
		}
	}
	spent := int64(0)
	type cand struct {
		p  int
		lo float64
	}
	var cs []cand
	for round := 1; len(remaining) > 0; round++ {
		// Float estimates of every new load, then exact values for the
		// contenders (those whose estimate may be the least).
		bestHigh := math.Inf(1)
		cs = cs[:0]
		for _, p := range remaining {
			if lb[p] > bestHigh {
				continue
			}
			lo, hi := math.Inf(1), math.Inf(1)
			if pr.votes[p] > 0 {
				v := ph.newLoadFloat(p)
				lo, hi = lower(v), upper(v)
				lb[p] = max(lb[p], lo)
			}
			bestHigh = min(bestHigh, hi)
			cs = append(cs, cand{p, lo})
		}
		var tied []int
		var bestNum *big.Int // nil: infinite; the load is bestNum/(den·votes)
		bestVotes := int64(0)
		for _, x := range cs {
			if x.lo > bestHigh {
				continue
			}
			var num *big.Int
			if pr.votes[x.p] > 0 {
				num = ph.newLoadNum(x.p)
			}
			d := 0
			switch {
			case len(tied) == 0:
				d = -1
			case num == nil && bestNum == nil:
			case num == nil:
				d = 1
			case bestNum == nil:
				d = -1
			default:
				ph.t1.Mul(num, big.NewInt(bestVotes))
				ph.t2.Mul(bestNum, big.NewInt(pr.votes[x.p]))
				d = ph.t1.Cmp(&ph.t2)
			}
			switch d {
			case -1:
				bestNum, bestVotes, tied = num, pr.votes[x.p], append(tied[:0], x.p)
			case 0:
				tied = append(tied, x.p)
			}
		}
		var bestDen *big.Int // the least load is bestNum/bestDen
		if bestNum != nil {
			bestDen = new(big.Int).Mul(&ph.den, big.NewInt(bestVotes))
		}
		slices.SortFunc(tied, func(a, b int) int { return c.rank[a] - c.rank[b] })
		var stop int = -1
		for _, p := range tied {
			if spent+pr.cost[p] > pr.budget {
				stop = p
				break
			}
		}
		if stop >= 0 {
			stoppedText := fmt.Sprintf("not reached: Phragmén stopped in round %d", round)
			res.note = fmt.Sprintf("Phragmén stopped in round %d: project %s, at the least new load, did not fit in the %s left", round, pr.e.Projects[stop].ID, c.fmtAmount(pr.budget-spent))
			for _, p := range remaining {
				e := &res.expl[p]
				e.Step = round
				switch {
				case slices.Contains(tied, p) && spent+pr.cost[p] > pr.budget:
					e.Reason = ReasonNoFit
					e.Text = fmt.Sprintf("its turn came in round %d but it costs %s and only %s was left, so Phragmén stopped", round, c.fmtAmount(pr.cost[p]), c.fmtAmount(pr.budget-spent))
				case pr.votes[p] == 0:
					e.Reason = ReasonNoSupport
					e.Text = "no voter supports it, and Phragmén stopped before only unsupported projects were left"
				default:
					e.Reason = ReasonStopped
					e.Text = stoppedText
				}
			}
			break
		}
		p := tied[0]
		spent += pr.cost[p]
		res.order = append(res.order, p)
		e := &res.expl[p]
		e.Reason, e.Step = ReasonSelected, round
		if bestNum == nil {
			e.Text = fmt.Sprintf("chosen in round %d: only unsupported projects were left and it fitted", round)
		} else {
			e.Text = fmt.Sprintf("chosen in round %d: its %d supporters' load became %s, the least possible", round, pr.votes[p], c.fmtFrac(bestNum, bestDen))
			ph.fund(p)
			// The projects that would have given the same least load,
			// which the tie-break put after p.
			for _, q := range tied[1:] {
				by := c.tb.decidedBy(pr.e, c.votes, p, q)
				e.Ties = append(e.Ties, Tie{Project: pr.e.Projects[q].ID, First: true, By: by})
				res.expl[q].Ties = append(res.expl[q].Ties, Tie{Project: pr.e.Projects[p].ID, First: false, By: by})
			}
		}
		i := slices.Index(remaining, p)
		remaining = slices.Delete(remaining, i, i+1)
		if g := pr.excl[p]; g >= 0 {
			// the rest of p's exclusion group leaves the count
			// (docs/counting.md §2.8)
			remaining = slices.DeleteFunc(remaining, func(q int) bool {
				if pr.excl[q] != g {
					return false
				}
				res.expl[q] = Explanation{Reason: ReasonExcluded, Step: round}
				return true
			})
		}
	}
	return res
}

// phragmenState holds the loads of a Phragmén count.
type phragmenState struct {
	c      *counter
	cnt    [][]int64
	lastOf []int32   // per group: index k of its last funded project
	den    big.Int   // common denominator of the loads
	loads  []big.Int // loads[k]: numerator of L_k over den
	lf     []float64 // float copies of the loads
	t1, t2 big.Int
}

// cmpLoad compares loads, nil being +infinity.
func cmpLoad(a, b *big.Rat) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	return a.Cmp(b)
}

// newLoadFloat estimates (Σ supporters' loads + cost)/votes for p.
func (ph *phragmenState) newLoadFloat(p int) float64 {
	pr := ph.c.pr
	sum := float64(pr.cost[p])
	for k, n := range ph.cnt[p] {
		if n != 0 {
			sum += float64(n) * ph.lf[k]
		}
	}
	return sum / float64(pr.votes[p])
}

// newLoadNum returns Σ cnt·N_k + cost·den (over den·votes).
func (ph *phragmenState) newLoadNum(p int) *big.Int {
	pr := ph.c.pr
	num := new(big.Int).Mul(big.NewInt(pr.cost[p]), &ph.den)
	for k, n := range ph.cnt[p] {
		if n != 0 && k > 0 {
			ph.t1.SetInt64(n)
			ph.t1.Mul(&ph.t1, &ph.loads[k])
			num.Add(num, &ph.t1)
		}
	}
	return num
}

// fund gives p's supporters their new load.
func (ph *phragmenState) fund(p int) {
	pr := ph.c.pr
	num := ph.newLoadNum(p)
	// new common denominator den·votes/g
	v := pr.votes[p]
	g := gcdBig(num, v, &ph.t1)
	mult := v / g
	if mult != 1 {
		ph.t1.SetInt64(mult)
		ph.den.Mul(&ph.den, &ph.t1)
		for k := range ph.loads {
			ph.loads[k].Mul(&ph.loads[k], &ph.t1)
		}
	}
	num.Quo(num, big.NewInt(g))
	k := len(ph.loads)
	ph.loads = append(ph.loads, big.Int{})
	ph.loads[k].Set(num)
	ph.lf = append(ph.lf, ratioFloat(num, &ph.den, &ph.t1, &ph.t2))
	for _, g := range pr.supp[p] {
		old := ph.lastOf[g]
		w := pr.groups[g].weight
		for _, q := range pr.groups[g].projects {
			row := ph.cnt[q]
			for len(row) <= k {
				row = append(row, 0)
			}
			row[old] -= w
			row[k] += w
			ph.cnt[q] = row
		}
		ph.lastOf[g] = int32(k)
	}
}
