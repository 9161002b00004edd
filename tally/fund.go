package tally

import (
	"cmp"
	"errors"
	"fmt"
	"math/bits"
	"slices"
)

// Fund allocation
//
// A fund (pulje) is split into yearly tranches; each tranche is shared among
// the fund's communities by a formula. All amounts are whole currency units
// (DKK, no øre), so every division has a remainder, which is handed out one
// unit at a time by the largest-remainder method: the communities with the
// largest remainders get one more unit each, ties going to the community
// whose identifier sorts first (byte order). The result is deterministic and
// always adds up to the amount exactly.
//
// What a community does not spend in a tranche is carried over to its own
// account in the next tranche ([PlanTranche]).

// Formula kinds for [Formula.Kind].
const (
	// FormulaEqual splits the amount equally among the communities.
	FormulaEqual = "equal"
	// FormulaPerInhabitant splits the amount in proportion to population.
	FormulaPerInhabitant = "per-inhabitant"
	// FormulaBasePerInhabitant gives every community Formula.Base first and
	// splits the rest in proportion to population.
	FormulaBasePerInhabitant = "base+per-inhabitant"
)

// ErrAllocation reports an allocation that cannot be computed: a negative
// amount, an unknown formula, a base larger than the amount, duplicate or
// missing communities, or spending above what a community had.
var ErrAllocation = errors.New("invalid allocation")

// Formula is how a tranche is shared among communities.
type Formula struct {
	Kind string // one of FormulaEqual, FormulaPerInhabitant, FormulaBasePerInhabitant
	Base int64  // amount every community gets first (FormulaBasePerInhabitant only)
}

// Member is a community taking part in a fund.
type Member struct {
	Community  string // community identifier; unique within a fund
	Population int64  // inhabitants, ≥ 0
}

// Share is what one community receives from one division.
type Share struct {
	Community string
	Amount    int64
}

// Allocate divides amount among members by formula. Shares come back in
// ascending community order and add up to amount exactly. Remainders of the
// integer divisions go by largest remainder, ties by community identifier,
// as described at the top of this file.
//
// Allocate returns an error wrapping [ErrAllocation] when amount is
// negative, members is empty, a community appears twice or has a negative
// population, the formula is unknown, Base is negative or Base times the
// number of communities exceeds amount, or a per-inhabitant split has a
// total population of zero.
func Allocate(amount int64, f Formula, members []Member) ([]Share, error) {
	if amount < 0 {
		return nil, fmt.Errorf("%w: negative amount %d", ErrAllocation, amount)
	}
	ms, err := sortedMembers(members)
	if err != nil {
		return nil, err
	}
	switch f.Kind {
	case FormulaEqual:
		weights := make([]uint64, len(ms))
		for i := range weights {
			weights[i] = 1
		}
		return proportional(amount, ms, weights, make([]int64, len(ms)))
	case FormulaPerInhabitant:
		return perInhabitant(amount, ms, make([]int64, len(ms)))
	case FormulaBasePerInhabitant:
		if f.Base < 0 {
			return nil, fmt.Errorf("%w: negative base %d", ErrAllocation, f.Base)
		}
		hi, lo := bits.Mul64(uint64(f.Base), uint64(len(ms)))
		if hi != 0 || lo > uint64(amount) {
			return nil, fmt.Errorf("%w: base %d for %d communities exceeds the amount %d", ErrAllocation, f.Base, len(ms), amount)
		}
		base := make([]int64, len(ms))
		for i := range base {
			base[i] = f.Base
		}
		return perInhabitant(amount-int64(lo), ms, base)
	default:
		return nil, fmt.Errorf("%w: unknown formula %q", ErrAllocation, f.Kind)
	}
}

func perInhabitant(amount int64, ms []Member, base []int64) ([]Share, error) {
	weights := make([]uint64, len(ms))
	var total uint64
	for i, m := range ms {
		weights[i] = uint64(m.Population)
		var carry uint64
		total, carry = bits.Add64(total, weights[i], 0)
		if carry != 0 {
			return nil, fmt.Errorf("%w: total population overflows", ErrAllocation)
		}
	}
	if total == 0 && amount > 0 {
		return nil, fmt.Errorf("%w: total population is zero", ErrAllocation)
	}
	return proportional(amount, ms, weights, base)
}

// proportional gives member i base[i] plus its largest-remainder share of
// amount in proportion to weights[i]. The weights do not all vanish unless
// amount is zero.
func proportional(amount int64, ms []Member, weights []uint64, base []int64) ([]Share, error) {
	var total uint64
	for _, w := range weights {
		total += w // callers checked for overflow
	}
	out := make([]Share, len(ms))
	rem := make([]uint64, len(ms))
	var given int64
	for i, m := range ms {
		var q uint64
		if total > 0 {
			// amount·w / total, exactly: w ≤ total, so the quotient fits.
			hi, lo := bits.Mul64(uint64(amount), weights[i])
			q, rem[i] = bits.Div64(hi, lo, total)
		}
		out[i] = Share{Community: m.Community, Amount: base[i] + int64(q)}
		given += int64(q)
	}
	left := amount - given // < number of members
	order := make([]int, len(ms))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return cmp.Compare(rem[b], rem[a]) // larger remainder first; stable keeps id order
	})
	for _, i := range order[:left] {
		out[i].Amount++
	}
	return out, nil
}

func sortedMembers(members []Member) ([]Member, error) {
	if len(members) == 0 {
		return nil, fmt.Errorf("%w: no communities", ErrAllocation)
	}
	ms := slices.Clone(members)
	slices.SortFunc(ms, func(a, b Member) int { return cmp.Compare(a.Community, b.Community) })
	for i, m := range ms {
		if m.Community == "" {
			return nil, fmt.Errorf("%w: empty community identifier", ErrAllocation)
		}
		if m.Population < 0 {
			return nil, fmt.Errorf("%w: community %s has negative population", ErrAllocation, m.Community)
		}
		if i > 0 && ms[i-1].Community == m.Community {
			return nil, fmt.Errorf("%w: community %s appears twice", ErrAllocation, m.Community)
		}
	}
	return ms, nil
}

// SplitTranches divides total into n yearly tranches as equal as possible:
// each gets total/n and the first total mod n tranches one unit more. It
// returns an error wrapping [ErrAllocation] when total is negative or n < 1.
func SplitTranches(total int64, n int) ([]int64, error) {
	if total < 0 || n < 1 {
		return nil, fmt.Errorf("%w: cannot split %d into %d tranches", ErrAllocation, total, n)
	}
	out := make([]int64, n)
	q, r := total/int64(n), total%int64(n)
	for i := range out {
		out[i] = q
		if int64(i) < r {
			out[i]++
		}
	}
	return out, nil
}

// Account is one community's position in one tranche.
type Account struct {
	Community string
	CarryIn   int64 // unspent money brought over from the previous tranche
	Allocated int64 // this tranche's share
	Spent     int64 // amount of the projects funded in this tranche
}

// Available is what the community may spend in the tranche.
func (a Account) Available() int64 { return a.CarryIn + a.Allocated }

// Unspent is what the community carries over to the next tranche.
func (a Account) Unspent() int64 { return a.Available() - a.Spent }

// PlanTranche opens a tranche: it allocates amount among members by
// formula ([Allocate]) and sets each account's CarryIn to the Unspent of the
// same community's account in prev (the previous tranche; nil for the
// first). Spent starts at zero. Accounts come back in ascending community
// order.
//
// Besides the errors of [Allocate], PlanTranche returns an error wrapping
// [ErrAllocation] when an account in prev has spent more than it had, has
// negative fields, or names a community that is not a member (its money
// would be lost).
func PlanTranche(amount int64, f Formula, members []Member, prev []Account) ([]Account, error) {
	shares, err := Allocate(amount, f, members)
	if err != nil {
		return nil, err
	}
	carry := make(map[string]int64, len(prev))
	for _, a := range prev {
		if a.CarryIn < 0 || a.Allocated < 0 || a.Spent < 0 {
			return nil, fmt.Errorf("%w: community %s has a negative amount", ErrAllocation, a.Community)
		}
		if a.Unspent() < 0 {
			return nil, fmt.Errorf("%w: community %s spent %d of %d", ErrAllocation, a.Community, a.Spent, a.Available())
		}
		if _, dup := carry[a.Community]; dup {
			return nil, fmt.Errorf("%w: community %s appears twice in the previous tranche", ErrAllocation, a.Community)
		}
		carry[a.Community] = a.Unspent()
	}
	out := make([]Account, len(shares))
	for i, s := range shares {
		out[i] = Account{Community: s.Community, CarryIn: carry[s.Community], Allocated: s.Amount}
		delete(carry, s.Community)
	}
	for c, v := range carry {
		if v != 0 {
			return nil, fmt.Errorf("%w: community %s carries %d but is not a member", ErrAllocation, c, v)
		}
	}
	return out, nil
}
