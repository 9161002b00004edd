package tally

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strconv"

	"github.com/hedensted-pb/pb/ballot"
)

// Rule names (docs/counting.md §2). Names follow Pabulib's META rule values
// where one exists.
const (
	RuleGreedy              = "greedy"
	RuleGreedyNoSkip        = "greedy-no-skip"
	RuleGreedyThreshold     = "greedy-threshold"
	RuleGreedyPerCost       = "greedy-per-cost"
	RuleGreedyPoints        = "greedy-points"
	RuleGreedyPointsPerCost = "greedy-points-per-cost"
	RuleEqualShares         = "equalshares"
	RuleEqualSharesUnit     = "equalshares-unit"
	RuleEqualSharesPoints   = "equalshares-points"
	RuleAdd1                = "equalshares/add1"
	RuleAdd1U               = "equalshares/add1u"
	RuleAdd1Comparison      = "equalshares/add1-comparison"
	RulePhragmen            = "phragmen"
)

// Ballot kinds for [ValidRule], as in a manifest's ballot line.
const (
	KindApproval     = "approval"
	KindApprovalCost = "approval-cost"
	KindCumulative   = "cumulative"
)

var ruleList = []string{
	RuleGreedy, RuleGreedyNoSkip, RuleGreedyThreshold, RuleGreedyPerCost,
	RuleGreedyPoints, RuleGreedyPointsPerCost,
	RuleEqualShares, RuleEqualSharesUnit, RuleEqualSharesPoints,
	RuleAdd1, RuleAdd1U, RuleAdd1Comparison,
	RulePhragmen,
}

// Rules returns the names of all counting rules [Count] knows, in a fixed
// order.
func Rules() []string { return slices.Clone(ruleList) }

// pointsRule reports whether rule counts points.
func pointsRule(rule string) bool {
	switch rule {
	case RuleGreedyPoints, RuleGreedyPointsPerCost, RuleEqualSharesPoints:
		return true
	}
	return false
}

// countsPoints reports whether rule counts points on e: the rules with
// points in their name, and greedy-threshold on an election with points,
// whose threshold (Pabulib's min_project_score_threshold) is a score.
func countsPoints(rule string, e *Election) bool {
	return pointsRule(rule) || rule == RuleGreedyThreshold && e.Points
}

// ValidRule reports whether rule may be named in a manifest whose ballots
// are of the given kind ([KindApproval], [KindApprovalCost] or
// [KindCumulative]): the table of docs/record.md §11, which lives in
// [ballot.RuleFits]. Approval ballots take every rule that does not count
// points; cumulative ballots take only the rules that count points. No
// manifest may name greedy-threshold, because a manifest carries no
// threshold. [Count] itself accepts every rule for every election.
func ValidRule(rule string, kind string) bool { return ballot.RuleFits(rule, ballot.Kind(kind)) }

// ErrRule reports an unknown counting rule.
var ErrRule = errors.New("unknown counting rule")

// Reason says why a project was or was not funded.
type Reason string

// Reasons.
const (
	// ReasonSelected: the rule chose the project.
	ReasonSelected Reason = "selected"
	// ReasonCompletion: the greedy completion of equalshares/add1u added it.
	ReasonCompletion Reason = "completion"
	// ReasonNoFit: when its turn came it cost more than the budget left.
	ReasonNoFit Reason = "no-fit"
	// ReasonOverBudget: it costs more than the whole budget.
	ReasonOverBudget Reason = "over-budget"
	// ReasonNoSupport: no ballot supports it (Equal Shares and Phragmén
	// fund only supported projects).
	ReasonNoSupport Reason = "no-support"
	// ReasonThreshold: fewer votes than the threshold (greedy-threshold).
	ReasonThreshold Reason = "below-threshold"
	// ReasonStopped: the rule stopped before reaching it (greedy-no-skip
	// stops at the first project that does not fit; Phragmén stops when a
	// project it would pick does not fit).
	ReasonStopped Reason = "stopped"
	// ReasonShortOfMoney: under Equal Shares its supporters had less money
	// left than its cost.
	ReasonShortOfMoney Reason = "short-of-money"
	// ReasonMinimum: fewer votes than the election's minimum (a manifest's
	// minimum line); no rule funds it. [Explanation.Minimum] is the
	// minimum.
	ReasonMinimum Reason = "below-minimum"
	// ReasonExcluded: another project of its exclusion group was funded
	// first. [Explanation.ExcludedBy] names that project.
	ReasonExcluded Reason = "excluded"
)

// An Explanation says why one project was funded or not.
type Explanation struct {
	Project string
	Funded  bool
	Reason  Reason
	// Step is the 1-based step of the rule at which the project was chosen
	// or turned down (greedy: its place in the order; Equal Shares and
	// Phragmén: the round), 0 when it was never examined.
	Step int
	// Shares holds the Equal Shares figures of the final run: for a funded
	// project what its supporters paid, for an unfunded supported project
	// the money its supporters had left at the end.
	Shares *SharesDetail
	// Left is what was left of the budget when a greedy rule examined the
	// project, before it paid for it (units of 10^-Scale, as Cost); 0 when
	// Step is 0 or the rule is not a greedy one.
	Left int64
	// Ties lists the projects a greedy rule found exactly as good as this
	// one (the same votes, points or votes per cost), in the order the rule
	// took them, each with the tie-break step that put one before the
	// other; nil when the project was tied with none.
	Ties []Tie
	// Minimum is the election's minimum of votes when Reason is
	// [ReasonMinimum], else 0.
	Minimum int64
	// ExcludedBy is the funded project of the same exclusion group when
	// Reason is [ReasonExcluded], else empty.
	ExcludedBy string
	// Text is the explanation as one English sentence.
	Text string
}

// A Tie is one exact tie of a project with another under a greedy rule,
// and what decided it.
type Tie struct {
	Project string // the other project
	First   bool   // the explained project came before Project
	By      string // the deciding step: TieByCost, TieByVotes, TieByLot or TieByID
}

// The steps of the tie-break orders, as [Tie.By] names them.
const (
	TieByCost  = "min-cost"  // the cheaper project first
	TieByVotes = "max-votes" // the project with more votes first
	TieByLot   = "lot"       // the lot drawn from the final checkpoint
	TieByID    = "id"        // project IDs in byte order (lexicographic)
)

// SharesDetail is the Equal Shares account of one project. Money amounts
// are exact, in currency units (not scaled).
type SharesDetail struct {
	// Supporters is the number of ballots that support the project.
	Supporters int64
	// Money is what the supporters had when the project was chosen, or at
	// the end of the rule for a project that was not.
	Money *big.Rat
	// Price is ρ, the price per unit of utility: a supporter with utility u
	// for the project pays min(its money, ρ·u). Nil when not chosen.
	Price *big.Rat
	// FullShare is the largest payment of one supporter: ρ times the
	// utility of one supporter (the project's cost for cost utilities, 1 for
	// unit utilities, one point for points utilities). Nil when not chosen.
	FullShare *big.Rat
	// EffectiveVotes is the cost divided by FullShare. Nil when not chosen.
	EffectiveVotes *big.Rat
	// Capped counts the supporters who paid all they had left (less than
	// their full share), and CappedPaid is what they paid together.
	Capped     int64
	CappedPaid *big.Rat
}

// An Outcome is the result of counting an election with a rule.
type Outcome struct {
	Rule     string
	TieBreak string
	Budget   int64 // as in the Election (units of 10^-Scale)
	Scale    int
	// Selected lists the funded project IDs in byte order.
	Selected []string
	// Order lists the funded project IDs in the order the rule chose them.
	Order []string
	// Funded, Votes and Explanations are per project, in Election order.
	Funded []bool
	// Votes are the votes the rule counts: the number of ballots listing
	// the project, or for rules counting points its total points.
	Votes        []int64
	Explanations []Explanation
	// Spent is the total cost of the funded projects (units of 10^-Scale);
	// it is at most Budget.
	Spent int64
	// PerVoter is the money each voter started with in the (final) Equal
	// Shares run, in currency units; nil for other rules.
	PerVoter *big.Rat
	// Note is a sentence about the count as a whole, such as the outcome of
	// the comparison step; empty when there is nothing to add.
	Note string
	// Minimum and Exclusive are the election's (IDs instead of indices).
	Minimum   int64
	Exclusive [][]string
}

// Count counts e by rule, breaking exact ties by tb. Counting is
// deterministic: the same election, rule and tie-break always give the same
// outcome. Count returns an error wrapping [ErrRule] for an unknown rule and
// [ErrElection] for an invalid election.
func Count(e *Election, rule string, tb TieBreak) (*Outcome, error) {
	if !slices.Contains(ruleList, rule) {
		return nil, fmt.Errorf("%w %q", ErrRule, rule)
	}
	pr, err := prepare(e)
	if err != nil {
		return nil, err
	}
	return countPrepared(pr, rule, tb)
}

// countPrepared counts a prepared election.
func countPrepared(pr *profile, rule string, tb TieBreak) (*Outcome, error) {
	votes := pr.votes
	if countsPoints(rule, pr.e) {
		votes = pr.points
	}
	rank := tb.profileRanks(pr, votes)
	c := &counter{pr: pr, rank: rank, votes: votes, tb: tb, pointsVotes: countsPoints(rule, pr.e)}
	var res *result
	var err error
	switch rule {
	case RuleGreedy, RuleGreedyNoSkip, RuleGreedyThreshold, RuleGreedyPerCost, RuleGreedyPoints, RuleGreedyPointsPerCost:
		res = c.greedy(rule, nil)
	case RuleEqualShares:
		res = c.equalShares(utilCost)
	case RuleEqualSharesUnit:
		res = c.equalShares(utilUnit)
	case RuleEqualSharesPoints:
		res = c.equalShares(utilPoints)
	case RuleAdd1:
		res, err = c.add1()
	case RuleAdd1U:
		res, err = c.add1u()
	case RuleAdd1Comparison:
		res, err = c.add1Comparison()
	case RulePhragmen:
		res = c.phragmen()
	}
	if err != nil {
		return nil, err
	}
	return c.outcome(rule, tb, res), nil
}

// counter carries what every rule needs.
type counter struct {
	pr    *profile
	rank  []int   // tie-break rank per project, 0 first
	votes []int64 // votes the rule counts
	tb    TieBreak
	// pointsVotes: votes are points
	pointsVotes bool
}

// result is what a rule returns before it becomes an Outcome.
type result struct {
	order    []int // selected projects in selection order
	expl     []Explanation
	perVoter *big.Rat
	note     string
}

func newResult(m int) *result { return &result{expl: make([]Explanation, m)} }

func (c *counter) outcome(rule string, tb TieBreak, res *result) *Outcome {
	pr := c.pr
	o := &Outcome{
		Rule: rule, TieBreak: tb.String(),
		Budget: pr.budget, Scale: pr.e.Scale,
		Funded:       make([]bool, pr.m),
		Votes:        slices.Clone(c.votes),
		Explanations: res.expl,
		PerVoter:     res.perVoter,
		Note:         res.note,
	}
	for _, p := range res.order {
		o.Funded[p] = true
		o.Spent += pr.cost[p]
		o.Order = append(o.Order, pr.e.Projects[p].ID)
	}
	o.Selected = slices.Clone(o.Order)
	slices.Sort(o.Selected)
	o.Minimum = pr.e.Minimum
	for _, g := range pr.e.Exclusive {
		ids := make([]string, len(g))
		for i, p := range g {
			ids[i] = pr.e.Projects[p].ID
		}
		o.Exclusive = append(o.Exclusive, ids)
	}
	// The options of docs/counting.md §2.8: below the minimum, a project
	// never took part, whatever the rule's own reason; a rule marks the
	// projects it passed over because their group had a funded project
	// (ReasonExcluded), and they are told which.
	for p := range res.expl {
		if o.Funded[p] {
			continue
		}
		e := &res.expl[p]
		if c.votes[p] < pr.e.Minimum {
			*e = Explanation{Reason: ReasonMinimum, Minimum: pr.e.Minimum,
				Text: fmt.Sprintf("below the minimum: %d %s, %d needed to be funded", c.votes[p], c.voteUnit(), pr.e.Minimum)}
			continue
		}
		if by := c.fundedMate(p, o.Funded); by >= 0 && e.Reason == ReasonExcluded {
			*e = Explanation{Reason: ReasonExcluded, Step: e.Step, Left: e.Left, ExcludedBy: pr.e.Projects[by].ID,
				Text: fmt.Sprintf("excluded: %s, of the same exclusion group, was funded, and at most one project of a group is", pr.e.Projects[by].ID)}
		}
	}
	for i := range o.Explanations {
		o.Explanations[i].Project = pr.e.Projects[i].ID
		o.Explanations[i].Funded = o.Funded[i]
	}
	return o
}

// voteUnit names what the rule's votes count.
func (c *counter) voteUnit() string {
	if c.pointsVotes {
		return "points"
	}
	return "votes"
}

// fundable reports whether project p may be funded at all: it has at
// least the election's minimum of votes (docs/counting.md §2.8).
func (c *counter) fundable(p int) bool { return c.votes[p] >= c.pr.e.Minimum }

// fundedMate returns the project of p's exclusion group that funded says
// is funded, or -1.
func (c *counter) fundedMate(p int, funded []bool) int {
	g := c.pr.excl[p]
	if g < 0 {
		return -1
	}
	for _, q := range c.pr.e.Exclusive[g] {
		if q != p && funded[q] {
			return q
		}
	}
	return -1
}

// exclude marks the other projects of funded project p's exclusion group
// as out of the count in out (docs/counting.md §2.8).
func (c *counter) exclude(out []bool, p int) {
	if g := c.pr.excl[p]; g >= 0 {
		for _, q := range c.pr.e.Exclusive[g] {
			if q != p {
				out[q] = true
			}
		}
	}
}

// fmtAmount formats a scaled amount of the election.
func (c *counter) fmtAmount(units int64) string { return FormatAmount(units, c.pr.e.Scale) }

// fmtRat formats a rational amount in currency units (already unscaled)
// for explanation texts: whole numbers exactly, others rounded to two
// decimals through float64 (texts are informative; the exact values are in
// the Explanation's fields).
func fmtRat(x *big.Rat) string {
	if x.IsInt() && x.Num().IsInt64() {
		return x.Num().String()
	}
	var t1, t2 big.Int
	return strconv.FormatFloat(ratioFloat(x.Num(), x.Denom(), &t1, &t2), 'f', 2, 64)
}

// unscale converts a scaled rational amount into currency units. With
// scale 0 it returns x itself.
func (c *counter) unscale(x *big.Rat) *big.Rat {
	if c.pr.e.Scale == 0 {
		return x
	}
	d := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(c.pr.e.Scale)), nil)
	return new(big.Rat).Quo(x, new(big.Rat).SetInt(d))
}

// fmtFrac formats the scaled amount num/den (den > 0) in currency units as
// fmtRat does, without reducing the fraction: whole numbers exactly, others
// rounded to two decimals through float64. Where the float is too close to
// a rounding boundary for that to be certain, it formats the exact value
// with fmtRat.
func (c *counter) fmtFrac(num, den *big.Int) string {
	d := den
	if sc := c.pr.e.Scale; sc > 0 {
		d = new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(sc)), nil)
		d.Mul(d, den)
	}
	var q, r big.Int
	q.QuoRem(num, d, &r)
	if r.Sign() == 0 && q.IsInt64() {
		return q.String()
	}
	var t1, t2 big.Int
	f := ratioFloat(num, d, &t1, &t2)
	if h := math.Abs(f * 100); math.Abs(h-math.Floor(h)-0.5) < 1e-6+1e-9*h {
		return fmtRat(new(big.Rat).SetFrac(num, d))
	}
	return strconv.FormatFloat(f, 'f', 2, 64)
}
