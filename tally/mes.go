package tally

import (
	"fmt"
	"math/big"
	"slices"
)

// utilKind is the utility a voter gets from a funded project
// (docs/counting.md §2.2).
type utilKind int

const (
	utilCost   utilKind = iota // the project's cost if the voter lists it
	utilUnit                   // 1 if the voter lists it
	utilPoints                 // the voter's points for it
)

// mesSetup is the part of an Equal Shares count that does not depend on the
// voters' starting money.
//
// Internally every supporter g of project p has a weight u (1 for cost and
// unit utilities, its points for points utilities) and pays min(money,
// x·u), where x is the project's payment per unit of weight. The price ρ of
// docs/counting.md is x/f with f = cost for cost utilities and f = 1
// otherwise; rounds compare projects by ρ.
type mesSetup struct {
	c    *counter
	util utilKind
	elig []int     // projects that take part: cost > 0 and some supporter
	free []int     // projects with cost 0 and some supporter: funded first
	supp [][]int32 // per project: supporting groups (weight > 0)
	u    [][]int64 // per project: the weight of each supporter
	uSum []int64   // per project: Σ group size × weight
	f    []int64   // per project: ρ = x / f
	runs int       // number of Equal Shares runs of the last add1 search
}

func (c *counter) newMES(util utilKind) *mesSetup {
	pr := c.pr
	s := &mesSetup{c: c, util: util,
		supp: make([][]int32, pr.m), u: make([][]int64, pr.m),
		uSum: make([]int64, pr.m), f: make([]int64, pr.m)}
	var ones []int64
	for p := range pr.m {
		s.f[p] = 1
		if util == utilCost {
			s.f[p] = pr.cost[p]
		}
		switch {
		case util == utilCost && pr.cost[p] == 0:
			// no utility
		case util != utilPoints:
			// every listing voter has weight 1: share the profile's lists
			s.supp[p] = pr.supp[p]
			if len(ones) < len(s.supp[p]) {
				ones = make([]int64, max(len(s.supp[p]), 2*len(ones)))
				for i := range ones {
					ones[i] = 1
				}
			}
			s.u[p] = ones[:len(s.supp[p])]
			s.uSum[p] = pr.votes[p]
		default:
			// points: filled below, group by group
		}
	}
	if util == utilPoints {
		for p := range pr.m {
			s.supp[p] = make([]int32, 0, len(pr.supp[p]))
			s.u[p] = make([]int64, 0, len(pr.supp[p]))
		}
		// Groups in increasing order, as in pr.supp.
		for gi := range pr.groups {
			g := &pr.groups[gi]
			for j, p := range g.projects {
				w := int64(1)
				if g.points != nil {
					w = g.points[j]
				}
				if w == 0 {
					continue
				}
				s.supp[p] = append(s.supp[p], int32(gi))
				s.u[p] = append(s.u[p], w)
				s.uSum[p] += g.weight * w
			}
		}
	}
	for p := range pr.m {
		switch {
		case len(s.supp[p]) == 0 || !c.fundable(p):
		case pr.cost[p] == 0:
			s.free = append(s.free, p)
		default:
			s.elig = append(s.elig, p)
		}
	}
	slices.SortFunc(s.free, func(a, b int) int { return c.rank[a] - c.rank[b] })
	if len(pr.e.Exclusive) > 0 {
		// Free projects are funded first, in tie-break order, each
		// excluding the rest of its group (docs/counting.md §2.8).
		out := make([]bool, pr.m)
		s.free = slices.DeleteFunc(s.free, func(p int) bool {
			if out[p] {
				return true
			}
			c.exclude(out, p)
			return false
		})
		s.elig = slices.DeleteFunc(s.elig, func(p int) bool { return out[p] })
	}
	return s
}

// mesRound records one round of a run: the chosen project and its price.
type mesRound struct {
	p    int
	ties []int    // candidates exactly as cheap as p that the tie-break put after it
	x    *big.Rat // payment per unit of weight
	// capped supporters paid all they had (less than x·u)
	capped     int64
	cappedPaid *big.Rat
}

// mesRun is one run of Equal Shares with a given starting money per voter
// (in scaled units).
type mesRun struct {
	order  []int // funded projects, free ones first
	rounds []mesRound
	money  []*big.Rat // per project at the end: money its supporters had left
	budget []*big.Rat // per group at the end
	cost   int64      // total cost of order
}

// equalShares counts with Equal Shares and no completion.
func (c *counter) equalShares(util utilKind) *result {
	s := c.newMES(util)
	r, b, _ := s.plainRun(big.NewInt(c.pr.budget))
	return s.explain(r, b)
}

// explain turns the final run into a result.
func (s *mesSetup) explain(r *mesRun, b *big.Rat) *result {
	c := s.c
	pr := c.pr
	res := newResult(pr.m)
	res.order = slices.Clone(r.order)
	res.perVoter = c.unscale(b)
	res.note = fmt.Sprintf("Equal Shares: each of the %d voters started with %s", pr.n, fmtRat(res.perVoter))
	if k := new(big.Rat).Sub(b, new(big.Rat).SetFrac64(pr.budget, max(pr.n, 1))); k.Sign() > 0 {
		res.note += fmt.Sprintf(" (the budget divided by the number of voters, raised by %s whole currency units by add1)",
			new(big.Rat).Quo(k, new(big.Rat).SetInt64(c.unitStep())).RatString())
	}
	for _, p := range s.free {
		res.expl[p] = Explanation{Reason: ReasonSelected, Text: "costs nothing and has supporters, so Equal Shares funds it first"}
	}
	later := map[int][]Tie{} // ties of projects whose explanation comes later
	for i, rd := range r.rounds {
		p := rd.p
		price := new(big.Rat).Quo(rd.x, new(big.Rat).SetInt64(s.f[p]))
		if s.util != utilCost {
			price = c.unscale(price) // money per unit (or point)
		}
		d := &SharesDetail{
			Supporters: pr.votes[p],
			Price:      price,
			FullShare:  c.unscale(new(big.Rat).Set(rd.x)),
			Capped:     rd.capped,
			CappedPaid: c.unscale(rd.cappedPaid),
		}
		d.EffectiveVotes = new(big.Rat).Quo(new(big.Rat).SetInt64(pr.cost[p]), rd.x)
		unit := "supporters"
		if s.util == utilPoints {
			unit = "points"
		}
		text := fmt.Sprintf("chosen in round %d of Equal Shares: its supporters paid up to %s per %s (%s effective %s)",
			i+1, fmtRat(d.FullShare), map[bool]string{true: "point", false: "supporter"}[s.util == utilPoints],
			fmtRat(d.EffectiveVotes), unit)
		if rd.capped > 0 {
			text += fmt.Sprintf(", %d of them paid all they had left (%s together)", rd.capped, fmtRat(d.CappedPaid))
		}
		res.expl[p] = Explanation{Reason: ReasonSelected, Step: i + 1, Shares: d, Text: text}
		for _, q := range rd.ties {
			by := c.tb.decidedBy(pr.e, c.votes, p, q)
			res.expl[p].Ties = append(res.expl[p].Ties, Tie{Project: pr.e.Projects[q].ID, First: true, By: by})
			later[q] = append(later[q], Tie{Project: pr.e.Projects[p].ID, First: false, By: by})
		}
	}
	funded := make([]bool, pr.m)
	for _, p := range r.order {
		funded[p] = true
	}
	for p := range pr.m {
		if funded[p] {
			continue
		}
		if c.fundedMate(p, funded) >= 0 {
			res.expl[p] = Explanation{Reason: ReasonExcluded}
			continue
		}
		if r.money[p] == nil {
			res.expl[p] = Explanation{Reason: ReasonNoSupport, Text: "no voter supports it, and Equal Shares funds only supported projects"}
			continue
		}
		money := c.unscale(r.money[p])
		res.expl[p] = Explanation{Reason: ReasonShortOfMoney,
			Shares: &SharesDetail{Supporters: pr.votes[p], Money: money},
			Text: fmt.Sprintf("its %d supporters had %s left, less than its cost %s",
				pr.votes[p], fmtRat(money), c.fmtAmount(pr.cost[p]))}
	}
	for q, ts := range later {
		res.expl[q].Ties = append(res.expl[q].Ties, ts...)
	}
	return res
}
