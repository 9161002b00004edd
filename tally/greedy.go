package tally

import (
	"fmt"
	"math/big"
	"slices"
)

// density is a project's total utility per unit of cost: num/den, or
// infinite when inf is set (a free project with utility).
type density struct {
	num, den int64
	inf      bool
}

func cmpDensity(a, b density) int {
	switch {
	case a.inf && b.inf:
		return 0
	case a.inf:
		return 1
	case b.inf:
		return -1
	}
	return cmpFrac(a.num, a.den, b.num, b.den)
}

// greedyDensity returns the density of project p under rule's utilities
// (docs/counting.md §2.1): votes for cost utilities, votes per cost for unit
// utilities, points for cost-weighted points, points per cost for points.
func (c *counter) greedyDensity(rule string, p int) density {
	pr := c.pr
	cost := pr.cost[p]
	var total int64 // total utility divided by cost when cost > 0
	perCost := false
	switch rule {
	case RuleGreedyPerCost:
		total, perCost = pr.votes[p], true
	case RuleGreedyPoints:
		total = pr.points[p]
	case RuleGreedyPointsPerCost:
		total, perCost = pr.points[p], true
	default: // cost utilities (greedy-threshold with points: cost-weighted points)
		total = c.votes[p]
	}
	switch {
	case total == 0:
		return density{num: 0, den: 1}
	case !perCost && cost == 0:
		// Utility is points×cost or cost: zero for a free project.
		return density{num: 0, den: 1}
	case perCost && cost == 0:
		return density{inf: true}
	case perCost:
		return density{num: total, den: cost}
	}
	return density{num: total, den: 1}
}

// greedy runs the greedy rules. initial, if not nil, lists projects already
// funded (the completion step of equalshares/add1u): they are skipped and
// their cost is taken from the budget first.
func (c *counter) greedy(rule string, initial []int) *result {
	pr := c.pr
	res := newResult(pr.m)
	dens := make([]density, pr.m)
	order := make([]int, 0, pr.m)
	taken := make([]bool, pr.m)
	excluded := make([]bool, pr.m)
	remaining := pr.budget
	for _, p := range initial {
		taken[p] = true
		remaining -= pr.cost[p]
		res.order = append(res.order, p)
		c.exclude(excluded, p)
	}
	for p := range pr.m {
		dens[p] = c.greedyDensity(rule, p)
		if !taken[p] {
			order = append(order, p)
		}
	}
	slices.SortFunc(order, func(a, b int) int {
		if d := cmpDensity(dens[b], dens[a]); d != 0 {
			return d
		}
		return c.rank[a] - c.rank[b]
	})
	reason := ReasonSelected
	if initial != nil {
		reason = ReasonCompletion
	}
	stopped := false
	for i, p := range order {
		step := i + 1
		e := &res.expl[p]
		e.Step = step
		e.Left = remaining
		cost := pr.cost[p]
		switch {
		case !c.fundable(p):
			e.Reason = ReasonMinimum // text by outcome
		case rule == RuleGreedyThreshold && c.votes[p] < pr.e.Threshold:
			e.Reason = ReasonThreshold
			unit := "votes"
			if pr.e.Points {
				unit = "points"
			}
			e.Text = fmt.Sprintf("below the threshold: %d %s, %d needed", c.votes[p], unit, pr.e.Threshold)
		case cost > pr.budget:
			e.Reason = ReasonOverBudget
			e.Text = fmt.Sprintf("costs %s, more than the whole budget %s", c.fmtAmount(cost), c.fmtAmount(pr.budget))
		case excluded[p]:
			e.Reason = ReasonExcluded // text by outcome
		case stopped:
			e.Reason = ReasonStopped
			e.Text = "not reached: greedy-no-skip stopped at the first project that did not fit"
		case cost <= remaining:
			e.Reason = reason
			res.order = append(res.order, p)
			e.Text = fmt.Sprintf("%s at step %d with %s; %s of %s was left",
				map[Reason]string{ReasonSelected: "selected", ReasonCompletion: "added by the greedy completion"}[reason],
				step, c.voteText(rule, p), c.fmtAmount(remaining), c.fmtAmount(pr.budget))
			remaining -= cost
			c.exclude(excluded, p)
		default:
			e.Reason = ReasonNoFit
			e.Text = fmt.Sprintf("did not fit in the remaining budget at step %d: costs %s, %s was left", step, c.fmtAmount(cost), c.fmtAmount(remaining))
			if rule == RuleGreedyNoSkip {
				stopped = true
			}
		}
	}
	c.explainTies(order, dens, res)
	return res
}

// explainTies records, for every project in order that has the same
// density as others, those others and the tie-break step that ordered
// each pair.
func (c *counter) explainTies(order []int, dens []density, res *result) {
	for i := 0; i < len(order); {
		j := i + 1
		for j < len(order) && cmpDensity(dens[order[i]], dens[order[j]]) == 0 {
			j++
		}
		for a := i; j-i > 1 && a < j; a++ {
			for b := i; b < j; b++ {
				if a == b {
					continue
				}
				p, q := order[a], order[b]
				res.expl[p].Ties = append(res.expl[p].Ties, Tie{Project: c.pr.e.Projects[q].ID, First: a < b,
					By: c.tb.decidedBy(c.pr.e, c.votes, p, q)})
			}
		}
		i = j
	}
}

// voteText describes the votes behind project p for rule.
func (c *counter) voteText(rule string, p int) string {
	pr := c.pr
	switch {
	case rule == RuleGreedyPoints || rule == RuleGreedyThreshold && pr.e.Points:
		return fmt.Sprintf("%d points", pr.points[p])
	case rule == RuleGreedyPointsPerCost:
		return fmt.Sprintf("%d points for %s (%s points per unit)", pr.points[p], c.fmtAmount(pr.cost[p]), perUnit(pr.points[p], pr.cost[p], pr.e.Scale))
	case rule == RuleGreedyPerCost:
		return fmt.Sprintf("%d votes for %s (%s votes per unit)", pr.votes[p], c.fmtAmount(pr.cost[p]), perUnit(pr.votes[p], pr.cost[p], pr.e.Scale))
	}
	return fmt.Sprintf("%d votes", pr.votes[p])
}

// perUnit formats n / (cost×10^-scale) with 6 significant decimals.
func perUnit(n, cost int64, scale int) string {
	if cost == 0 {
		return "infinitely many"
	}
	r := new(big.Rat).SetFrac64(n, cost)
	for range scale {
		r.Mul(r, big.NewRat(10, 1))
	}
	f, _ := r.Float64()
	return fmt.Sprintf("%.6g", f)
}
