package tally

import (
	"cmp"
	"math"
	"math/big"
	"math/bits"
	"slices"
)

// The fast Equal Shares engine.
//
// Voters with the same money are kept together in classes: a class is a set
// of ballot groups whose money is equal, because they paid the same amounts
// in every round so far. All exact money values share one denominator D (a
// big.Int); a class's money is N/D. A payment that needs a finer
// denominator multiplies D by a small factor, and class numerators catch up
// lazily when next used.
//
// Most comparisons are decided by a float64 copy of each class's money,
// with a safety margin far above the accumulated rounding error; only the
// comparisons the floats cannot decide, and the sums that enter exact
// prices, use the exact values. A class created by a payment is stored as
// its parent class and the payment, and becomes exact (materialized) only
// when first needed.
//
// In parametric mode (used by add1) every value also carries its
// derivative with respect to the starting money b per voter: money is
// (N + S·(b'−b))/D for b' near b, exactly, as long as every comparison the
// run made keeps its sign. The engine records, per round, the least b' at
// which some comparison could change sign (bounds[t]); below it the rounds
// up to t are provably the same. Comparisons that decide a losing project
// use a concavity bound (see losersRoots), so the number of recorded
// comparisons stays linear in the number of projects.

// entry is a part of a project's supporters: the voters of class k whose
// weight for the project is u, w of them.
type entry struct {
	k int32
	u int64
	w int64
}

func entryKey(k int32, u int64) uint64 { return uint64(k)<<32 | uint64(u) }

// class is the exact money of a set of groups with equal money. A class
// k other than the root (0) is made by a payment: its money is its
// parent's minus the payment's x times u (links[k]); it becomes exact
// (cl[k] != nil) only when first needed.
type class struct {
	N, S  big.Int // exact money and derivative numerators
	stamp int     // N and S are over the D of payment index stamp
}

// link is how a class was made: from class parent by payment pay with
// weight u.
type link struct {
	parent, pay int32
	u           int64
}

// payment is the exact payment per unit of weight of one round, X/D after
// the round's rescaling (over the D of index stamp).
type payment struct {
	X, XS big.Int
	stamp int
}

// engine runs Equal Shares for one mesSetup.
type engine struct {
	s     *mesSetup
	pr    *profile
	param bool

	D         big.Int
	cl        []*class
	mfs       []float64 // per class: money per voter, approximately (scaled units)
	links     []link    // per class: its parent and payment (as in class)
	pays      []payment
	mults     []int64 // mults[j]: factor payment j applied to D
	cls       []int32 // per group: class, or -1 when its money is gone
	ent       [][]entry
	stamp     []int // ent[p] is valid while stamp[p] == epoch
	epoch     int
	acc       []int64 // per class: accumulator for entries (unit weights)
	accT      []int32 // classes touched in acc
	nextE     []int64 // entries: previous entry of the same class, -1 none
	in        []bool  // per project: still a candidate
	candOrder []int   // candidates by increasing lb, then rank (sortedCands)
	evaluated []bool  // per project: priced in the current round
	conts     []*contender
	lctx      loserCtx
	psum      poorSum
	afV, afDV big.Int // noteAffordRoot scratch
	eps       float64 // float safety margin (scaled money units)

	paramEngine bool      // parametric engine; param is on while bounds matter
	cutoff      *big.Rat  // param: bounds at or below it are useless
	cutRel      *big.Rat  // param: cutoff − b in the current run
	useless     bool      // param: this round's least root is already below cutRel
	slabs       [][]class // class storage, reused by every run
	slabI       int       // next class: slabs[slabI][slabJ]
	slabJ       int
	capped      []bool

	// trace of the last run
	winners   []int
	rounds    []engRound
	bounds    []*big.Rat // param: bounds[t] = least b' where rounds 0..t may change
	dropRound []int      // param: round at which a project dropped out, -1 if not
	final     *big.Rat   // param: bound including the final "nothing affordable" test

	// scratch
	tmp, tmp2, tmp3, tmp4 big.Int
	rootN, rootD          big.Int // least root found in the current round
	rootSet               bool
	poor                  []bool
	lb                    []float64
}

// engRound records a round: the winner and its payment per unit of weight
// x = X/(U·D).
type engRound struct {
	p      int
	X, XS  big.Int
	U      int64
	D      big.Int
	capped int64
	ties   []int // candidates exactly as cheap as p, ordered after it by the tie-break (non-parametric runs)
}

func (s *mesSetup) newEngine(param bool) *engine {
	pr := s.c.pr
	return &engine{s: s, pr: pr, param: param, paramEngine: param,
		cls: make([]int32, len(pr.groups)),
		ent: make([][]entry, pr.m), stamp: make([]int, pr.m),
		in: make([]bool, pr.m), evaluated: make([]bool, pr.m), lb: make([]float64, pr.m), dropRound: make([]int, pr.m)}
}

// reset starts a run with per-voter money bN/n (scaled units).
func (en *engine) reset(bN *big.Int) {
	pr, s := en.pr, en.s
	n := max(pr.n, 1)
	en.D.SetInt64(n)
	if en.slabs == nil {
		en.slabs = [][]class{make([]class, 1024)}
	}
	en.slabI, en.slabJ = 0, 0
	root := en.newClass()
	root.N.Set(bN)
	root.S.SetInt64(n) // d(money)/db = 1
	en.cl = append(en.cl[:0], root)
	en.mfs = append(en.mfs[:0], ratioFloat(bN, &en.D, &en.tmp, &en.tmp2))
	en.links = append(en.links[:0], link{parent: -1, pay: -1})
	// |float money − exact money| grows by under 1e-15·b per payment; eps
	// allows ten times that over as many payments as there are projects.
	en.eps = 1e-14 * float64(pr.m+2) * (en.mfs[0] + 1)
	en.pays = en.pays[:0]
	en.mults = en.mults[:0]
	clear(en.cls)
	clear(en.in)
	for _, p := range s.elig {
		en.in[p] = true
		en.lb[p] = lower(float64(pr.cost[p]) / (float64(s.uSum[p]) * float64(s.f[p])))
		en.dropRound[p] = -1
	}
	en.candOrder = append(en.candOrder[:0], s.elig...)
	rank := s.c.rank
	slices.SortFunc(en.candOrder, func(a, b int) int {
		if c := cmp.Compare(en.lb[a], en.lb[b]); c != 0 {
			return c
		}
		return rank[a] - rank[b]
	})
	en.epoch++
	en.param = en.paramEngine
	en.winners = en.winners[:0]
	en.rounds = en.rounds[:0]
	en.bounds = en.bounds[:0]
	en.final = nil
}

// entries returns p's supporters grouped by class and weight, computed
// from the groups' classes and cached until the next payment.
func (en *engine) entries(p int) []entry {
	if en.stamp[p] == en.epoch {
		return en.ent[p]
	}
	en.stamp[p] = en.epoch
	pr, s := en.pr, en.s
	out := en.ent[p][:0]
	if out == nil {
		out = make([]entry, 0, len(s.supp[p]))
	}
	if s.util != utilPoints {
		if len(en.acc) < len(en.cl) {
			en.acc = make([]int64, len(en.cl)+len(en.cl)/2+16)
		}
		en.accT = en.accT[:0]
		for _, g := range s.supp[p] {
			k := en.cls[g]
			if k < 0 {
				continue
			}
			if en.acc[k] == 0 {
				en.accT = append(en.accT, k)
			}
			en.acc[k] += pr.groups[g].weight
		}
		// (accT's order follows supp[p]'s, so it is deterministic.)
		for _, k := range en.accT {
			out = append(out, entry{k: k, u: 1, w: en.acc[k]})
			en.acc[k] = 0
		}
	} else {
		// acc[k]: 1 + index in out of the last entry of class k, and
		// nextE links the entries of one class (each weight once).
		if len(en.acc) < len(en.cl) {
			en.acc = make([]int64, len(en.cl)+len(en.cl)/2+16)
		}
		en.accT = en.accT[:0]
		en.nextE = en.nextE[:0]
		for i, g := range s.supp[p] {
			k := en.cls[g]
			if k < 0 {
				continue
			}
			u, w := s.u[p][i], pr.groups[g].weight
			j := en.acc[k] - 1
			for j >= 0 && out[j].u != u {
				j = en.nextE[j]
			}
			if j >= 0 {
				out[j].w += w
				continue
			}
			if en.acc[k] == 0 {
				en.accT = append(en.accT, k)
			}
			en.nextE = append(en.nextE, en.acc[k]-1)
			out = append(out, entry{k: k, u: u, w: w})
			en.acc[k] = int64(len(out))
		}
		for _, k := range en.accT {
			en.acc[k] = 0
		}
		slices.SortFunc(out, func(a, b entry) int {
			if a.k != b.k {
				return int(a.k - b.k)
			}
			return int(a.u - b.u)
		})
	}
	en.ent[p] = out
	return out
}

var bigOne = big.NewInt(1)

// scaleFrom multiplies z (and zs when param) by the factors of payments
// from index j on, and returns the new index.
func (en *engine) scaleFrom(j int, z, zs *big.Int) int {
	for j < len(en.mults) {
		f := en.mults[j]
		j++
		for j < len(en.mults) {
			hi, lo := bits.Mul64(uint64(f), uint64(en.mults[j]))
			if hi != 0 || lo > math.MaxInt64 {
				break
			}
			f = int64(lo)
			j++
		}
		if f != 1 {
			en.tmp.SetInt64(f)
			z.Mul(z, &en.tmp)
			if en.param {
				zs.Mul(zs, &en.tmp)
			}
		}
	}
	return j
}

// newClass returns storage for an exact class from the slabs. Slabs are
// reused from run to run (reset), with their big.Int storage.
func (en *engine) newClass() *class {
	if en.slabJ == len(en.slabs[en.slabI]) {
		en.slabI, en.slabJ = en.slabI+1, 0
		if en.slabI == len(en.slabs) {
			en.slabs = append(en.slabs, make([]class, 1024))
		}
	}
	c := &en.slabs[en.slabI][en.slabJ]
	en.slabJ++
	c.stamp = 0
	return c
}

// exact returns class k with N and S over the current D, making it (and
// its ancestors) exact if needed.
func (en *engine) exact(k int32) *class {
	c := en.cl[k]
	if c == nil {
		l := en.links[k]
		par := en.exact(l.parent)
		c = en.newClass()
		py := &en.pays[l.pay]
		py.stamp = en.scaleFrom(py.stamp, &py.X, &py.XS)
		if l.u == 1 {
			c.N.Sub(&par.N, &py.X)
			if en.param {
				c.S.Sub(&par.S, &py.XS)
			}
		} else {
			en.tmp3.SetInt64(l.u)
			en.tmp4.Mul(&py.X, &en.tmp3)
			c.N.Sub(&par.N, &en.tmp4)
			if en.param {
				en.tmp4.Mul(&py.XS, &en.tmp3)
				c.S.Sub(&par.S, &en.tmp4)
			}
		}
		c.stamp = len(en.mults)
		en.cl[k] = c
		return c
	}
	c.stamp = en.scaleFrom(c.stamp, &c.N, &c.S)
	return c
}

// isPoor reports whether the voters of class k, with weight u, cannot pay
// x·u, where x = X/(U·D) ≈ xf: exactly, N·U < X·u.
func (en *engine) isPoor(k int32, u int64, X *big.Int, U int64, xf float64) bool {
	if p, sure := en.isPoorFloat(k, u, xf); sure {
		return p
	}
	return en.isPoorExact(k, u, X, U)
}

// isPoorFloat decides isPoor by the float money when it is far enough
// from the share; sure is false when it is not.
func (en *engine) isPoorFloat(k int32, u int64, xf float64) (poor, sure bool) {
	mf, need := en.mfs[k], xf*float64(u)
	if d := mf - need; d > en.eps+1e-9*need {
		return false, true
	} else if -d > en.eps+1e-9*need {
		return true, true
	}
	return false, false
}

// isPoorExact is isPoor in exact arithmetic.
func (en *engine) isPoorExact(k int32, u int64, X *big.Int, U int64) bool {
	c := en.exact(k)
	en.tmp.SetInt64(U)
	en.tmp.Mul(&en.tmp, &c.N)
	en.tmp2.SetInt64(u)
	en.tmp2.Mul(&en.tmp2, X)
	return en.tmp.Cmp(&en.tmp2) < 0
}

func lower(f float64) float64 { return f * (1 - 1e-9) }
func upper(f float64) float64 { return f * (1 + 1e-9) }

// ratioFloat approximates a/b for big integers of any size.
func ratioFloat(a, b *big.Int, t1, t2 *big.Int) float64 {
	sh := max(a.BitLen(), b.BitLen()) - 62
	if sh > 0 {
		t1.Rsh(a, uint(sh))
		t2.Rsh(b, uint(sh))
		a, b = t1, t2
	}
	fa, _ := a.Float64()
	fb, _ := b.Float64()
	return fa / fb
}

// money sets z (and zs when param) to the numerator over D of the money
// of p's supporters (and of its derivative).
func (en *engine) money(z, zs *big.Int, p int) {
	z.SetInt64(0)
	zs.SetInt64(0)
	if en.s.util != utilPoints {
		// unit weights: in aggregate (poorSum)
		en.poorStart()
		for _, e := range en.entries(p) {
			en.poorAdd(e.k, e.w)
		}
		en.poorFlush(z, zs) // z = −money
		z.Neg(z)
		zs.Neg(zs)
		return
	}
	for _, e := range en.entries(p) {
		c := en.exact(e.k)
		en.tmp.SetInt64(e.w)
		en.tmp2.Mul(&en.tmp, &c.N)
		z.Add(z, &en.tmp2)
		if en.param {
			en.tmp2.Mul(&en.tmp, &c.S)
			zs.Add(zs, &en.tmp2)
		}
	}
}

// price computes, for a candidate p, X and U with x = X/(U·D), and XS, the
// derivative numerator of X (param mode). It returns false if p's
// supporters together have less money than its cost.
func (en *engine) price(p int, X, XS *big.Int) (U int64, ok bool) {
	pr := en.pr
	ents := en.entries(p)
	if cap(en.poor) < len(ents) {
		en.poor = make([]bool, len(ents))
	}
	poor := en.poor[:len(ents)]
	clear(poor)
	X.SetInt64(pr.cost[p])
	X.Mul(X, &en.D)
	XS.SetInt64(0)
	for _, e := range ents {
		U += e.w * e.u
	}
	// With unit weights the money of the poor entries is subtracted in
	// aggregate (see poorSum) instead of class by class.
	agg := en.s.util != utilPoints
	if agg {
		en.poorStart()
	}
	for U > 0 {
		changed := false
		xf := ratioFloat(X, &en.D, &en.tmp, &en.tmp2) / float64(U)
		for i, e := range ents {
			if poor[i] {
				continue
			}
			isP, sure := en.isPoorFloat(e.k, e.u, xf)
			if !sure {
				if agg {
					en.poorFlush(X, XS)
				}
				isP = en.isPoorExact(e.k, e.u, X, U)
			}
			if !isP {
				continue
			}
			poor[i], changed = true, true
			if agg {
				en.poorAdd(e.k, e.w)
			} else {
				c := en.exact(e.k)
				en.tmp.SetInt64(e.w)
				en.tmp2.Mul(&en.tmp, &c.N)
				X.Sub(X, &en.tmp2)
				if en.param {
					en.tmp2.Mul(&en.tmp, &c.S)
					XS.Sub(XS, &en.tmp2)
				}
			}
			U -= e.w * e.u
		}
		if agg {
			en.poorFlush(X, XS)
		}
		if !changed {
			break
		}
	}
	// If the supporters can afford p, the fixed point keeps a rich
	// supporter; if they cannot, every supporter ends up poor.
	return U, U > 0
}

// poorSum accumulates the money of entries with unit weights without
// making their classes exact. A class's money is the root's minus the
// payments x_t of the rounds along its parent chain (each with weight 1),
// so Σ w·N_k = (Σ w)·N_root − Σ_t C_t·X_t with C_t the weight of the
// accumulated entries whose chain passes round t: small integer sums and
// one big multiplication per round.
type poorSum struct {
	w       int64   // Σ w of the accumulated entries
	coef    []int64 // C_t per payment index
	touched []int32 // payment indices with C_t ≠ 0
}

func (en *engine) poorStart() {
	ps := &en.psum
	ps.w = 0
	if len(ps.coef) < len(en.pays) {
		ps.coef = make([]int64, len(en.pays)+len(en.pays)/2+8)
	}
	ps.touched = ps.touched[:0]
}

// poorAdd accumulates w voters of class k (unit weights).
func (en *engine) poorAdd(k int32, w int64) {
	ps := &en.psum
	ps.w += w
	for k != 0 {
		l := en.links[k]
		if ps.coef[l.pay] == 0 {
			ps.touched = append(ps.touched, l.pay)
		}
		ps.coef[l.pay] += w
		k = l.parent
	}
}

// poorFlush subtracts the accumulated money from X (and its derivative
// from XS when param) and empties the accumulator.
func (en *engine) poorFlush(X, XS *big.Int) {
	ps := &en.psum
	if ps.w == 0 {
		return
	}
	root := en.exact(0)
	var t1 big.Int
	t1.SetInt64(ps.w)
	en.tmp2.Mul(&t1, &root.N)
	X.Sub(X, &en.tmp2)
	if en.param {
		en.tmp2.Mul(&t1, &root.S)
		XS.Sub(XS, &en.tmp2)
	}
	for _, j := range ps.touched {
		py := &en.pays[j]
		py.stamp = en.scaleFrom(py.stamp, &py.X, &py.XS)
		t1.SetInt64(ps.coef[j])
		en.tmp2.Mul(&t1, &py.X)
		X.Add(X, &en.tmp2)
		if en.param {
			en.tmp2.Mul(&t1, &py.XS)
			XS.Add(XS, &en.tmp2)
		}
		ps.coef[j] = 0
	}
	ps.touched = ps.touched[:0]
	ps.w = 0
}

// approx is the float estimate of a project's price.
type approx struct {
	afford int     // 1: affordable, -1: not, 0: too close to tell
	x      float64 // payment per unit of weight (scaled money units)
	delta  float64 // |x − exact x| ≤ delta when afford == 1
}

// priceApprox estimates p's price with float arithmetic and a rigorous
// error bound. The voters are split into poor and rich by their float
// money; where that split is wrong, a voter's money is within eps of the
// share, so F(x) = Σ w·min(money, x·u), whose exact root is the price, is
// within Σ w·eps (plus rounding) of the cost at the float estimate. F's
// slope is at least 1 below the point where every supporter pays all they
// have, which the affordability margin keeps away, so the estimate is
// within that distance of the price.
func (en *engine) priceApprox(p int) approx {
	pr := en.pr
	ents := en.entries(p)
	if cap(en.poor) < len(ents) {
		en.poor = make([]bool, len(ents))
	}
	poor := en.poor[:len(ents)]
	clear(poor)
	var U, W int64
	var money float64
	for _, e := range ents {
		U += e.w * e.u
		W += e.w
		money += float64(e.w) * en.mfs[e.k]
	}
	cost := float64(pr.cost[p])
	slack := float64(W)*en.eps + 1e-15*float64(len(ents)+4)*(money+cost)
	switch {
	case money < cost-slack:
		return approx{afford: -1}
	case money <= cost+2*slack:
		return approx{afford: 0}
	}
	xm := cost
	poorMoney := 0.0
	for U > 0 {
		changed := false
		xf := xm / float64(U)
		for i, e := range ents {
			if poor[i] {
				continue
			}
			mf := en.mfs[e.k]
			if mf >= xf*float64(e.u) {
				continue
			}
			poor[i], changed = true, true
			xm -= float64(e.w) * mf
			poorMoney += float64(e.w) * mf
			U -= e.w * e.u
		}
		if !changed {
			break
		}
	}
	if U <= 0 || xm <= 0 {
		return approx{afford: 0}
	}
	x := xm / float64(U)
	delta := float64(W)*en.eps + 1e-15*float64(len(ents)+4)*(cost+poorMoney) + 1e-15*x
	return approx{afford: 1, x: x, delta: delta}
}

// cmpPrice compares ρ_p = X1/(U1·D·f_p) with ρ_q = X2/(U2·D·f_q).
func (en *engine) cmpPrice(X1 *big.Int, U1 int64, p int, X2 *big.Int, U2 int64, q int) int {
	en.tmp.SetInt64(U2)
	en.tmp2.SetInt64(en.s.f[q])
	en.tmp.Mul(&en.tmp, &en.tmp2)
	en.tmp.Mul(&en.tmp, X1)
	en.tmp2.SetInt64(U1)
	en.tmp3.SetInt64(en.s.f[p])
	en.tmp2.Mul(&en.tmp2, &en.tmp3)
	en.tmp2.Mul(&en.tmp2, X2)
	return en.tmp.Cmp(&en.tmp2)
}

// priceFloat approximates ρ = X/(U·D·f) for p.
func (en *engine) priceFloat(X *big.Int, U int64, p int) float64 {
	return ratioFloat(X, &en.D, &en.tmp, &en.tmp2) / (float64(U) * float64(en.s.f[p]))
}

// noteRoot records that a comparison whose value is v and derivative dv
// (same denominator) must keep its sign: if they have opposite signs the
// value reaches zero at offset −v/dv, and if v is 0 and dv is not, at
// offset 0.
func (en *engine) noteRoot(v, dv *big.Int) {
	if en.useless {
		return
	}
	sv, sd := v.Sign(), dv.Sign()
	if sd == 0 || sv*sd > 0 {
		return
	}
	if sv == 0 {
		en.setRoot(big.NewInt(0), big.NewInt(1))
		return
	}
	en.tmp.Abs(v)
	en.tmp2.Abs(dv)
	en.setRoot(&en.tmp, &en.tmp2)
}

// setRoot lowers the round's least root to n/d if smaller.
func (en *engine) setRoot(n, d *big.Int) {
	if en.rootSet {
		en.tmp3.Mul(n, &en.rootD)
		en.tmp4.Mul(&en.rootN, d)
		if en.tmp3.Cmp(&en.tmp4) >= 0 {
			return
		}
	}
	en.rootN.Set(n)
	en.rootD.Set(d)
	en.rootSet = true
	if en.cutRel != nil {
		en.tmp3.Mul(n, en.cutRel.Denom())
		en.tmp4.Mul(en.cutRel.Num(), d)
		en.useless = en.tmp3.Cmp(&en.tmp4) <= 0
	}
}

// run runs Equal Shares at per-voter money bN/n (scaled units). In param
// mode with replay > 0, the first replay rounds take the winners of the
// previous run, which the recorded bounds prove to be the same, without
// evaluating the other projects; projects that dropped out in those rounds
// stay out.
func (en *engine) run(bN *big.Int, replay int, cutoff *big.Rat) {
	en.cutoff = cutoff
	replay = min(replay, len(en.winners), len(en.bounds))
	prevWinners := slices.Clone(en.winners[:replay])
	prevBounds := slices.Clone(en.bounds[:replay])
	prevDrop := slices.Clone(en.dropRound)
	en.reset(bN)
	for _, p := range prevWinners {
		en.replayRound(p)
	}
	en.bounds = append(en.bounds, prevBounds...)
	if lb := en.lastBound(); lb != nil && cutoff != nil && lb.Cmp(cutoff) <= 0 {
		en.param = false
	}
	for _, p := range en.s.elig {
		if d := prevDrop[p]; d >= 0 && d < replay && en.in[p] {
			en.in[p] = false
			en.dropRound[p] = d
		}
	}
	b := new(big.Rat).SetFrac(bN, big.NewInt(max(en.pr.n, 1)))
	en.cutRel = nil
	if cutoff != nil {
		en.cutRel = new(big.Rat).Sub(cutoff, b)
	}
	for t := replay; en.fullRound(t, b); t++ {
	}
}

// cost returns the total cost of the last run's outcome, free projects
// included.
func (en *engine) cost() int64 {
	var c int64
	for _, p := range en.s.free {
		c += en.pr.cost[p]
	}
	for _, p := range en.winners {
		c += en.pr.cost[p]
	}
	return c
}

// order returns the last run's funded projects, free ones first.
func (en *engine) order() []int {
	return append(slices.Clone(en.s.free), en.winners...)
}

// toRun converts the last run into a mesRun with exact rationals.
func (en *engine) toRun() *mesRun {
	pr := en.pr
	r := &mesRun{order: en.order(), cost: en.cost()}
	for _, rd := range en.rounds {
		den := new(big.Int).Mul(&rd.D, big.NewInt(rd.U))
		// The capped supporters paid what the others did not: cost − x·U.
		paid := new(big.Rat).SetFrac(&rd.X, &rd.D)
		r.rounds = append(r.rounds, mesRound{p: rd.p, ties: slices.Clone(rd.ties),
			x:          new(big.Rat).SetFrac(&rd.X, den),
			capped:     rd.capped,
			cappedPaid: paid.Sub(new(big.Rat).SetInt64(pr.cost[rd.p]), paid),
		})
	}
	r.money = en.endMoney()
	return r
}

// endMoney returns, for every candidate that was not funded, the money
// its supporters have left at the end of the run. A voter still holding
// money paid the full share x_t·u at every round whose winner it supports,
// so the money of p's supporters is A_p·b − Σ_t x_t·R_{p,t}, where A_p
// counts p's supporters with money and R_{p,t} sums the weights u of those
// of them that support round t's winner. This needs one big multiplication
// per round and project instead of an exact value per voter class.
func (en *engine) endMoney() []*big.Rat {
	pr, s := en.pr, en.s
	money := make([]*big.Rat, pr.m)
	T := len(en.winners)
	roundOf := make([]int, pr.m) // round+1 of a winner, 0 otherwise
	for t, p := range en.winners {
		roundOf[p] = t + 1
	}
	open := make([]bool, pr.m) // candidates not funded
	for _, p := range s.elig {
		open[p] = roundOf[p] == 0
	}
	A := make([]int64, pr.m)
	R := make([]int64, pr.m*T)
	uOf := func(g *group, j int) int64 {
		if s.util == utilPoints && g.points != nil {
			return g.points[j]
		}
		return 1
	}
	var tl []int   // rounds of the group's funded projects
	var tw []int64 // the group's weight times its utility for them
	for gi := range pr.groups {
		if en.cls[gi] < 0 {
			continue
		}
		g := &pr.groups[gi]
		tl, tw = tl[:0], tw[:0]
		for jj, q := range g.projects {
			if t := roundOf[q]; t > 0 {
				tl = append(tl, t-1)
				tw = append(tw, g.weight*uOf(g, jj))
			}
		}
		for j, p := range g.projects {
			if !open[p] || uOf(g, j) == 0 {
				continue
			}
			A[p] += g.weight
			row := R[int(p)*T : int(p)*T+T]
			for i, t := range tl {
				row[t] += tw[i]
			}
		}
	}
	root := en.exact(0)
	for t := range en.pays {
		py := &en.pays[t]
		py.stamp = en.scaleFrom(py.stamp, &py.X, &py.XS)
	}
	var sum big.Int
	for p := range pr.m {
		if !open[p] {
			continue
		}
		en.tmp.SetInt64(A[p])
		sum.Mul(&en.tmp, &root.N)
		for t := range T {
			if c := R[p*T+t]; c != 0 {
				en.tmp.SetInt64(c)
				en.tmp2.Mul(&en.tmp, &en.pays[t].X)
				sum.Sub(&sum, &en.tmp2)
			}
		}
		money[p] = new(big.Rat).SetFrac(&sum, &en.D)
	}
	return money
}

// replayRound funds p, known to win this round.
func (en *engine) replayRound(p int) {
	var X, XS big.Int
	U, ok := en.price(p, &X, &XS)
	if !ok {
		panic("tally: add1 replay found an unaffordable winner")
	}
	en.pay(p, &X, &XS, U)
}

// fullRound evaluates every candidate, funds the winner and records the
// round's bound. It returns false when no candidate is affordable.
func (en *engine) fullRound(t int, b *big.Rat) bool {
	s := en.s
	en.rootSet, en.useless = false, false
	cands := en.sortedCands()
	// Rank candidates by float estimates; compute exact prices only for
	// those that might be the cheapest.
	bestHigh := math.Inf(1)
	evaluated := en.evaluated
	for _, p := range cands {
		evaluated[p] = false
	}
	conts := en.conts[:0]
	for _, p := range cands {
		if en.lb[p] > bestHigh {
			break
		}
		evaluated[p] = true
		ap := en.priceApprox(p)
		if len(conts) == cap(conts) {
			conts = append(conts, &contender{})
		} else {
			conts = conts[:len(conts)+1]
			if conts[len(conts)-1] == nil {
				conts[len(conts)-1] = &contender{}
			}
		}
		c := conts[len(conts)-1]
		c.p, c.exact, c.U = p, false, 0
		switch ap.afford {
		case -1:
			en.drop(p, t)
			conts = conts[:len(conts)-1]
			continue
		case 0:
			U, ok := en.price(p, &c.X, &c.XS)
			if !ok {
				en.drop(p, t)
				conts = conts[:len(conts)-1]
				continue
			}
			c.exact, c.U = true, U
			ap.x = ratioFloat(&c.X, &en.D, &en.tmp, &en.tmp2) / float64(U)
			ap.delta = 1e-12 * ap.x
		}
		f := float64(s.f[p])
		c.lo = (ap.x - ap.delta) / f
		hi := (ap.x + ap.delta) / f
		en.lb[p] = max(en.lb[p], lower(c.lo))
		bestHigh = min(bestHigh, upper(hi))
	}
	en.conts = conts
	best := -1
	var bestX, bestXS big.Int
	var bestU int64
	for _, c := range conts {
		if c.lo > bestHigh {
			continue
		}
		if !c.exact {
			U, ok := en.price(c.p, &c.X, &c.XS)
			if !ok {
				panic("tally: equal shares: float estimate and exact price disagree")
			}
			c.exact, c.U = true, U
		}
		if best >= 0 {
			if d := en.cmpPrice(&c.X, c.U, c.p, &bestX, bestU, best); d > 0 || d == 0 && s.c.rank[c.p] > s.c.rank[best] {
				continue
			}
		}
		best, bestU = c.p, c.U
		bestX.Set(&c.X)
		bestXS.Set(&c.XS)
	}
	if best < 0 {
		if en.param {
			// Nothing is affordable: each candidate's money must stay
			// below its cost.
			for _, p := range cands {
				if evaluated[p] {
					en.noteAffordRoot(p)
				}
			}
			en.closeRound(b, true)
		} else if en.paramEngine {
			en.final = en.lastBound()
		}
		return false
	}
	if en.param {
		en.winnerRoots(best, &bestX, &bestXS, bestU)
		en.losersRoots(cands, best, &bestX, &bestXS, bestU, evaluated)
	}
	// The candidates exactly as cheap as the winner, which the tie-break
	// put after it (for the explanations; a tied candidate's estimate
	// cannot exceed bestHigh, so its price is exact here).
	var ties []int
	if !en.paramEngine {
		for _, c := range conts {
			if c.exact && c.p != best && en.cmpPrice(&c.X, c.U, c.p, &bestX, bestU, best) == 0 {
				ties = append(ties, c.p)
			}
		}
	}
	en.pay(best, &bestX, &bestXS, bestU)
	if len(ties) > 0 {
		rd := &en.rounds[len(en.rounds)-1]
		rd.ties = append(rd.ties, ties...)
	}
	if en.param {
		en.closeRound(b, false)
	} else if en.paramEngine {
		en.bounds = append(en.bounds, en.lastBound())
	}
	return true
}

// contender is a candidate whose price may be the least of a round.
type contender struct {
	p     int
	lo    float64
	exact bool
	X, XS big.Int
	U     int64
}

// sortedCands returns the candidates in increasing order of their price
// lower bounds lb (then tie-break rank). The order is kept between rounds:
// bounds only grow, so an insertion sort of the previous order is cheap.
func (en *engine) sortedCands() []int {
	rank := en.s.c.rank
	less := func(a, b int) bool {
		return en.lb[a] < en.lb[b] || en.lb[a] == en.lb[b] && rank[a] < rank[b]
	}
	o := en.candOrder[:0]
	for _, p := range en.candOrder {
		if en.in[p] {
			o = append(o, p)
		}
	}
	for i := 1; i < len(o); i++ {
		p := o[i]
		j := i
		for j > 0 && less(p, o[j-1]) {
			o[j] = o[j-1]
			j--
		}
		o[j] = p
	}
	en.candOrder = o
	return o
}

// drop removes p from the candidates for good: its supporters cannot
// afford it.
func (en *engine) drop(p, t int) {
	en.in[p] = false
	en.dropRound[p] = t
}

// closeRound turns the round's least root into an absolute bound.
func (en *engine) closeRound(b *big.Rat, last bool) {
	var r, prev *big.Rat
	if n := len(en.bounds); n > 0 {
		prev = en.bounds[n-1]
	}
	if en.rootSet {
		// b + rootN/rootD = num/den, unreduced
		var num, den big.Int
		den.Mul(&en.rootD, b.Denom())
		num.Mul(&en.rootN, b.Denom())
		en.tmp3.Mul(b.Num(), &en.rootD)
		num.Add(&num, &en.tmp3)
		if prev != nil {
			// keep prev when prev < num/den
			en.tmp3.Mul(prev.Num(), &den)
			en.tmp4.Mul(&num, prev.Denom())
			if en.tmp3.Cmp(&en.tmp4) < 0 {
				r = prev
			}
		}
		if r == nil {
			r = new(big.Rat).SetFrac(&num, &den)
		}
	} else if prev != nil {
		r = prev
	}
	if r != nil && en.cutoff != nil && r.Cmp(en.cutoff) <= 0 {
		// No later bound can matter: the next run starts at or above
		// cutoff and cannot replay from here on.
		en.param = false
	}
	if last {
		en.final = r
		return
	}
	en.bounds = append(en.bounds, r)
}

// lastBound returns the bound of the last closed round (nil = none yet,
// meaning no limit).
func (en *engine) lastBound() *big.Rat {
	if n := len(en.bounds); n > 0 {
		return en.bounds[n-1]
	}
	return nil
}

// noteAffordRoot records that p's supporters' money stays below its cost.
func (en *engine) noteAffordRoot(p int) {
	if en.useless {
		return // noteRoot would ignore it
	}
	v, dv := &en.afV, &en.afDV
	en.money(v, dv, p)
	en.tmp.SetInt64(en.pr.cost[p])
	en.tmp.Mul(&en.tmp, &en.D)
	v.Sub(v, &en.tmp)
	en.noteRoot(v, dv)
}

// winnerRoots records that every supporter entry of the winner stays on
// its side: poor (money < x·u, pays all) or rich (pays x·u).
func (en *engine) winnerRoots(p int, X, XS *big.Int, U int64) {
	var v, dv, a big.Int
	for _, e := range en.entries(p) {
		if en.useless {
			return
		}
		// v = N·U − X·u, dv = S·U − XS·u
		c := en.exact(e.k)
		a.SetInt64(U)
		v.Mul(&c.N, &a)
		dv.Mul(&c.S, &a)
		a.SetInt64(e.u)
		en.tmp3.Mul(X, &a)
		v.Sub(&v, &en.tmp3)
		en.tmp3.Mul(XS, &a)
		dv.Sub(&dv, &en.tmp3)
		en.noteRoot(&v, &dv)
	}
}

// losersRoots records that no other candidate beats the winner w.
//
// A candidate q loses (or ties and loses the tie-break) exactly when
// G(b) = Σ min(money_i, ρ_w·u_i) − cost_q ≤ 0 over q's supporters, with G
// strictly negative unless they tie. G is concave in b wherever the earlier
// rounds keep their structure (a sum of minima of affine functions), so it
// lies below its tangent at b: if the tangent stays negative, so does G.
//
// A first, cheap test bounds G + cost_q by Σ ρ_w·u_i. Parametric runs use
// cost utilities (add1), where that bound is below cost_q exactly when
// q's number of supporters V_q < D·U_w·c_w/X_w =: T; then the bound's root
// is (D·U_w·c_w − X_w·V_q)/(XS_w·V_q) if XS_w > 0 (none otherwise), least
// for the largest such V_q.
func (en *engine) losersRoots(cands []int, w int, Xw, XSw *big.Int, Uw int64, evaluated []bool) {
	s := en.s
	if s.util != utilCost {
		panic("tally: parametric Equal Shares needs cost utilities")
	}
	var T, rem big.Int // T = D·U_w·c_w
	T.SetInt64(Uw)
	T.Mul(&T, &en.D)
	en.tmp.SetInt64(en.pr.cost[w])
	T.Mul(&T, &en.tmp)
	var th big.Int // V < ceil(T/X_w)
	th.QuoRem(&T, Xw, &rem)
	if rem.Sign() > 0 {
		th.Add(&th, bigOne)
	}
	thv := int64(math.MaxInt64)
	if th.IsInt64() {
		thv = th.Int64()
	}
	var maxV int64 = -1
	var lc *loserCtx
	for _, q := range cands {
		if q == w {
			continue
		}
		if !en.in[q] {
			if evaluated[q] {
				en.noteAffordRoot(q) // dropped this round
			}
			continue
		}
		if s.uSum[q] < thv {
			maxV = max(maxV, s.uSum[q])
			continue
		}
		if !en.useless {
			if lc == nil {
				lc = en.newLoserCtx(w, Xw, Uw)
			}
			en.loserFull(lc, q, w, Xw, XSw, Uw)
		}
	}
	if maxV >= 0 && XSw.Sign() > 0 {
		var v, dv big.Int
		en.tmp.SetInt64(maxV)
		v.Mul(Xw, &en.tmp)
		v.Sub(&v, &T)
		dv.Mul(XSw, &en.tmp)
		en.noteRoot(&v, &dv)
	}
}

// loserCtx holds what the tangent tests of one round share: a = U_w·c_w
// (f_w = c_w under cost utilities), D·a, and the winner's payment per
// voter as a float.
type loserCtx struct {
	a, Da big.Int
	xwf   float64 // X_w/(U_w·D)
}

func (en *engine) newLoserCtx(w int, Xw *big.Int, Uw int64) *loserCtx {
	lc := &en.lctx
	lc.a.SetInt64(Uw)
	en.tmp.SetInt64(en.s.f[w])
	lc.a.Mul(&lc.a, &en.tmp)
	lc.Da.Mul(&lc.a, &en.D)
	lc.xwf = ratioFloat(Xw, &en.D, &en.tmp, &en.tmp2) / float64(Uw)
	return lc
}

// loserFull is the full tangent test of losersRoots for one candidate.
//
// Everything is scaled by D·U_w·f_w: a supporter entry's money term is
// m1 = N·a (derivative S·a), its full share at ρ_w is m2 = X_w·f_q·u
// (derivative XS_w·f_q·u), and G's value and derivative are
// Σ w·min(m1, m2) − c_q·D·a. Parametric runs use cost utilities, where
// every weight u is 1, so m2 is the same for every entry and
// Σ w·min(m1, m2) = a·Σ_{m1 ≤ m2} w·N + m2·Σ_{m1 > m2} w. Which side an
// entry is on is decided by the float money where it is far from the
// share (as isPoor), exactly otherwise.
func (en *engine) loserFull(lc *loserCtx, q, w int, Xw, XSw *big.Int, Uw int64) {
	s, pr := en.s, en.pr
	var m1, m1d, m2, m2d, sumN, sumS, gv, gd, cq big.Int
	en.tmp.SetInt64(s.f[q])
	m2.Mul(Xw, &en.tmp)
	m2d.Mul(XSw, &en.tmp)
	share := lc.xwf * float64(s.f[q]) / float64(s.f[w])
	margin := en.eps + 1e-9*share
	var richW int64
	strictRich := -1
	ents := en.entries(q)
	for i, e := range ents {
		if e.u != 1 {
			panic("tally: parametric Equal Shares needs unit weights")
		}
		if d := en.mfs[e.k] - share; d > margin {
			richW += e.w
			if strictRich < 0 {
				strictRich = i
			}
			continue
		} else if -d <= margin {
			cl := en.exact(e.k)
			m1.Mul(&cl.N, &lc.a)
			c := m1.Cmp(&m2)
			if c > 0 && strictRich < 0 {
				strictRich = i
			}
			if c == 0 {
				m1d.Mul(&cl.S, &lc.a)
				c = m1d.Cmp(&m2d)
			}
			if c > 0 {
				richW += e.w
				continue
			}
		}
		cl := en.exact(e.k)
		if e.w == 1 {
			sumN.Add(&sumN, &cl.N)
			sumS.Add(&sumS, &cl.S)
		} else {
			en.tmp.SetInt64(e.w)
			en.tmp2.Mul(&cl.N, &en.tmp)
			sumN.Add(&sumN, &en.tmp2)
			en.tmp2.Mul(&cl.S, &en.tmp)
			sumS.Add(&sumS, &en.tmp2)
		}
	}
	gv.Mul(&sumN, &lc.a)
	gd.Mul(&sumS, &lc.a)
	if richW > 0 {
		en.tmp.SetInt64(richW)
		en.tmp2.Mul(&m2, &en.tmp)
		gv.Add(&gv, &en.tmp2)
		en.tmp2.Mul(&m2d, &en.tmp)
		gd.Add(&gd, &en.tmp2)
	}
	cq.SetInt64(pr.cost[q])
	cq.Mul(&cq, &lc.Da)
	gv.Sub(&gv, &cq)
	switch gv.Sign() {
	case -1:
		if gd.Sign() > 0 {
			en.noteRoot(&gv, &gd)
		}
	case 0:
		// An exact tie that w won on the tie-break.
		switch {
		case gd.Sign() < 0:
		case gd.Sign() > 0 || strictRich < 0:
			en.setRoot(big.NewInt(0), big.NewInt(1))
		default:
			// G stays ≤ 0; keep one supporter strictly rich so that
			// G = 0 still means an exact tie.
			cl := en.exact(ents[strictRich].k)
			m1.Mul(&cl.N, &lc.a)
			m1d.Mul(&cl.S, &lc.a)
			m1.Sub(&m1, &m2)
			m1d.Sub(&m1d, &m2d)
			en.noteRoot(&m1, &m1d)
		}
	default:
		panic("tally: add1 bound: a losing project beats the winner")
	}
}

// pay funds p at x = X/(U·D): every supporter pays min(money, x·u). The
// denominator becomes D·U/g with g = gcd(X, XS, U).
func (en *engine) pay(p int, X, XS *big.Int, U int64) {
	s := en.s
	// Rounds are kept for explanations (toRun), which only non-parametric
	// runs give.
	var rd *engRound
	if len(en.rounds) < cap(en.rounds) {
		en.rounds = en.rounds[:len(en.rounds)+1]
	} else {
		en.rounds = append(en.rounds, engRound{})
	}
	rd = &en.rounds[len(en.rounds)-1]
	rd.p, rd.U, rd.capped, rd.ties = p, U, 0, rd.ties[:0]
	if !en.paramEngine {
		rd.X.Set(X)
		rd.XS.Set(XS)
		rd.D.Set(&en.D)
	}
	ents := en.entries(p)
	xf := ratioFloat(X, &en.D, &en.tmp, &en.tmp2) / float64(U)
	// who is capped (pays all): N·U < X·u, over the old D
	if cap(en.capped) < len(ents) {
		en.capped = make([]bool, len(ents)+len(ents)/2)
	}
	capped := en.capped[:len(ents)]
	clear(capped)
	for i, e := range ents {
		if en.isPoor(e.k, e.u, X, U, xf) {
			capped[i] = true
			rd.capped += e.w
		}
	}
	// reduce by g
	g := U
	if g > 1 {
		g = gcdBig(X, g, &en.tmp)
	}
	if g > 1 && en.param {
		g = gcdBig(XS, g, &en.tmp)
	}
	mult := U / g
	var m big.Int
	m.SetInt64(mult)
	en.D.Mul(&en.D, &m)
	en.mults = append(en.mults, mult)
	t := int32(len(en.pays))
	if len(en.pays) < cap(en.pays) {
		en.pays = en.pays[:t+1]
	} else {
		en.pays = append(en.pays, payment{})
	}
	py := &en.pays[t]
	py.stamp = len(en.mults)
	m.SetInt64(g)
	py.X.Quo(X, &m)
	if en.param {
		py.XS.Quo(XS, &m)
	}
	// a new class for each (class, weight) entry of p that is not capped
	unit := s.util != utilPoints
	var newCls map[uint64]int32
	if unit {
		if len(en.acc) < len(en.cl) {
			en.acc = make([]int64, len(en.cl)+len(en.cl)/2+16)
		}
	} else {
		newCls = make(map[uint64]int32, len(ents))
	}
	for i, e := range ents {
		nk := int32(-1)
		if !capped[i] {
			nk = int32(len(en.cl))
			en.cl = append(en.cl, nil) // made exact when first needed
			en.mfs = append(en.mfs, en.mfs[e.k]-xf*float64(e.u))
			en.links = append(en.links, link{parent: e.k, pay: t, u: e.u})
		}
		if unit {
			en.acc[e.k] = int64(nk) + 2 // acc is 0 outside p's entries
		} else {
			newCls[entryKey(e.k, e.u)] = nk
		}
	}
	// move the groups
	en.in[p] = false
	if g := en.pr.excl[p]; g >= 0 {
		// the rest of p's exclusion group is out (docs/counting.md §2.8)
		for _, q := range en.pr.e.Exclusive[g] {
			en.in[q] = false
		}
	}
	for i, g := range s.supp[p] {
		if old := en.cls[g]; old >= 0 {
			if unit {
				en.cls[g] = int32(en.acc[old] - 2)
			} else {
				en.cls[g] = newCls[entryKey(old, s.u[p][i])]
			}
		}
	}
	if unit {
		for _, e := range ents {
			en.acc[e.k] = 0
		}
	}
	en.epoch++
	en.winners = append(en.winners, p)
}

// gcdBig returns gcd(x mod g, g) for g > 0.
func gcdBig(x *big.Int, g int64, t *big.Int) int64 {
	t.SetInt64(g)
	t.Rem(x, t)
	r := t.Int64()
	if r < 0 {
		r = -r
	}
	for r != 0 {
		g, r = r, g%r
	}
	return g
}
