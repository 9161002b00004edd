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
			for _, g := range pr.supp[p] {
				w := pr.groups[g].pointsOf(int32(p))
				if w == 0 {
					continue
				}
				s.supp[p] = append(s.supp[p], g)
				s.u[p] = append(s.u[p], w)
				s.uSum[p] += pr.groups[g].weight * w
			}
		}
		switch {
		case len(s.supp[p]) == 0:
		case pr.cost[p] == 0:
			s.free = append(s.free, p)
		default:
			s.elig = append(s.elig, p)
		}
	}
	slices.SortFunc(s.free, func(a, b int) int { return c.rank[a] - c.rank[b] })
	return s
}

// mesRound records one round of a run: the chosen project and its price.
type mesRound struct {
	p     int
	x     *big.Rat // payment per unit of weight
	money *big.Rat // the supporters' money before paying
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

// run runs Equal Shares from per-voter money b (scaled units) and returns
// the rounds. It follows docs/counting.md §2.3: each round every remaining
// project's price ρ is the least ρ with Σ min(money_i, ρ·u_i) = cost over
// its supporters; projects whose supporters together have less than the
// cost drop out for good; the project with the least ρ is funded (exact
// ties by the tie-break order) and its supporters pay.
func (s *mesSetup) run(b *big.Rat) *mesRun {
	pr := s.c.pr
	r := &mesRun{}
	r.order = append(r.order, s.free...)
	budget := make([]*big.Rat, len(pr.groups))
	for g := range budget {
		budget[g] = new(big.Rat).Set(b)
	}
	var sc scratch
	// lb[p] is a lower bound on ρ_p (prices never fall): x/f.
	lbx := make([]*big.Rat, pr.m)
	for _, p := range s.elig {
		lbx[p] = new(big.Rat).SetFrac64(pr.cost[p], s.uSum[p])
	}
	remaining := slices.Clone(s.elig)
	cmpPrice := func(x1 *big.Rat, p1 int, x2 *big.Rat, p2 int) int {
		return sc.cmpMul(x1, s.f[p2], x2, s.f[p1])
	}
	var poor []bool
	money := new(big.Rat)
	tmp := new(big.Rat)
	for {
		slices.SortFunc(remaining, func(a, b int) int {
			if c := cmpPrice(lbx[a], a, lbx[b], b); c != 0 {
				return c
			}
			return s.c.rank[a] - s.c.rank[b]
		})
		best := -1
		var bestX *big.Rat
		var bestMoney *big.Rat
		keep := remaining[:0]
		for i, p := range remaining {
			if best >= 0 && cmpPrice(lbx[p], p, bestX, best) > 0 {
				keep = append(keep, remaining[i:]...)
				break
			}
			sup := s.supp[p]
			money.SetInt64(0)
			for _, g := range sup {
				tmp.SetInt64(pr.groups[g].weight)
				tmp.Mul(tmp, budget[g])
				money.Add(money, tmp)
			}
			if money.Cmp(tmp.SetInt64(pr.cost[p])) < 0 {
				continue // drops out for good
			}
			keep = append(keep, p)
			x := s.price(p, budget, &poor, &sc)
			lbx[p] = x
			if best < 0 || cmpPrice(x, p, bestX, best) < 0 || cmpPrice(x, p, bestX, best) == 0 && s.c.rank[p] < s.c.rank[best] {
				best, bestX, bestMoney = p, x, new(big.Rat).Set(money)
			}
		}
		remaining = keep
		if best < 0 {
			break
		}
		rd := mesRound{p: best, x: bestX, money: bestMoney, cappedPaid: new(big.Rat)}
		pay := new(big.Rat)
		for i, g := range s.supp[best] {
			pay.SetInt64(s.u[best][i])
			pay.Mul(pay, bestX)
			if budget[g].Cmp(pay) < 0 {
				rd.capped += pr.groups[g].weight
				tmp.SetInt64(pr.groups[g].weight)
				tmp.Mul(tmp, budget[g])
				rd.cappedPaid.Add(rd.cappedPaid, tmp)
				budget[g].SetInt64(0)
			} else {
				budget[g].Sub(budget[g], pay)
			}
		}
		r.rounds = append(r.rounds, rd)
		r.order = append(r.order, best)
		remaining = slices.DeleteFunc(remaining, func(p int) bool { return p == best })
	}
	for _, p := range r.order {
		r.cost += pr.cost[p]
	}
	r.budget = budget
	r.money = make([]*big.Rat, pr.m)
	for _, p := range s.elig {
		m := new(big.Rat)
		for _, g := range s.supp[p] {
			tmp.SetInt64(pr.groups[g].weight)
			tmp.Mul(tmp, budget[g])
			m.Add(m, tmp)
		}
		r.money[p] = m
	}
	return r
}

// price returns x for project p: the least x with Σ weight·min(money,
// x·u) = cost over p's supporters, whose money must add up to at least the
// cost. Supporters are split into poor (money < x·u: they pay all they
// have) and rich by fixed-point iteration, which reaches the same x as
// scanning supporters in order of money per unit of weight.
func (s *mesSetup) price(p int, budget []*big.Rat, poorBuf *[]bool, sc *scratch) *big.Rat {
	pr := s.c.pr
	sup, us := s.supp[p], s.u[p]
	if cap(*poorBuf) < len(sup) {
		*poorBuf = make([]bool, len(sup))
	}
	poor := (*poorBuf)[:len(sup)]
	clear(poor)
	X := new(big.Rat).SetInt64(pr.cost[p]) // cost left for the rich
	U := s.uSum[p]                         // weight of the rich
	tmp := new(big.Rat)
	for {
		changed := false
		for i, g := range sup {
			if poor[i] {
				continue
			}
			// poor if money·U < X·u
			if sc.cmpMul(budget[g], U, X, us[i]) < 0 {
				poor[i], changed = true, true
				w := pr.groups[g].weight
				tmp.SetInt64(w)
				tmp.Mul(tmp, budget[g])
				X.Sub(X, tmp)
				U -= w * us[i]
			}
		}
		if !changed || U == 0 {
			break
		}
	}
	if U == 0 {
		// Cannot happen when the supporters can afford the project.
		panic("tally: equal shares price with no rich supporter")
	}
	return X.Quo(X, new(big.Rat).SetInt64(U))
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
	for i, rd := range r.rounds {
		p := rd.p
		price := new(big.Rat).Quo(rd.x, new(big.Rat).SetInt64(s.f[p]))
		if s.util != utilCost {
			price = c.unscale(price) // money per unit (or point)
		}
		d := &SharesDetail{
			Supporters: pr.votes[p],
			Money:      c.unscale(rd.money),
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
		text := fmt.Sprintf("chosen in round %d of Equal Shares: its supporters had %s; each paid up to %s per %s (%s effective %s)",
			i+1, fmtRat(d.Money), fmtRat(d.FullShare), map[bool]string{true: "point", false: "supporter"}[s.util == utilPoints],
			fmtRat(d.EffectiveVotes), unit)
		if rd.capped > 0 {
			text += fmt.Sprintf(", %d of them paid all they had left (%s together)", rd.capped, fmtRat(d.CappedPaid))
		}
		res.expl[p] = Explanation{Reason: ReasonSelected, Step: i + 1, Shares: d, Text: text}
	}
	funded := make([]bool, pr.m)
	for _, p := range r.order {
		funded[p] = true
	}
	for p := range pr.m {
		if funded[p] {
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
	return res
}
