// Package fund holds the rules of a pooled fund (pulje) as pure functions:
// the charter's limits, the tranches' allocations and when they freeze,
// the rounds' reservations, carry-over and the closing of a tranche. The
// server applies them when the council works and a verifier applies the
// same functions to the fund's record; nothing here does I/O.
//
// # The fund in one paragraph
//
// A fund's charter lists its tranches (a year and an amount each) and a
// formula ([tally.Formula]). Each tranche is shared among the communities
// that are members when the tranche opens, by [tally.Allocate] (largest
// remainder); from then on that allocation never changes. Changes of
// membership or population (amendments) only reach tranches not yet
// opened. A community's money in a tranche is its carry-in (what it left
// unspent in the previous tranche) plus its allocation. Every round of the
// community in that tranche reserves its budget until it is published,
// when its reservation becomes what the result spent. What is left after
// every reservation and spending is carried over to the community's
// account in the next tranche: fixed when the tranche closes, a
// projection before. Money left by a community that is no longer a member,
// and money left after the last tranche, returns to the municipality.
//
// # Reservations cannot commit the same money twice
//
// Because what is left in one tranche is carried into the next, money
// reserved in an earlier tranche is missing from every later one too. A
// new budget in year Y may therefore be at most the smallest of what the
// community has left in Y and in every later tranche it is a member of
// ([Book.Headroom]); a budget that fits in one year but was already
// counted as carry-over by a later year's round is refused.
//
// # Limits
//
// Every amount is whole currency units between 0 and [MaxAmount], and so
// are the charter's total and every sum the rules form; populations are at
// most [MaxPopulation], a fund has at most [MaxTranches] tranches and
// [MaxCommunities] communities. Sums are computed with overflow checks,
// never wrapped.
package fund

import (
	"cmp"
	"errors"
	"fmt"
	"slices"

	"github.com/hedensted-pb/pb/tally"
)

// Limits of a fund.
const (
	// MaxAmount is the largest amount anywhere in a fund: a tranche, the
	// total, a base, a budget, a sum (10^15 − 1 whole units).
	MaxAmount int64 = 999_999_999_999_999
	// MaxPopulation is the largest population of one community.
	MaxPopulation int64 = 100_000_000
	// MaxTranches is the largest number of tranches in a charter.
	MaxTranches = 100
	// MaxCommunities is the largest number of communities in a fund.
	MaxCommunities = 10_000
	// MinYear and MaxYear bound a tranche's year.
	MinYear, MaxYear = 2000, 9999
)

// Errors of the fund rules. Each error the functions return wraps one of
// them, so that callers can tell a refused request from a bad record.
var (
	// ErrLimit reports an amount, population or count out of range, or a
	// sum that would exceed MaxAmount.
	ErrLimit = errors.New("fund: out of range")
	// ErrCharter reports a malformed charter: years not increasing, an
	// unknown formula, a base with the wrong formula.
	ErrCharter = errors.New("fund: invalid charter")
	// ErrNoTranche reports a year the charter has no tranche for.
	ErrNoTranche = errors.New("fund: no such tranche")
	// ErrNotMember reports a community that is not a member of the
	// tranche in question.
	ErrNotMember = errors.New("fund: not a member")
	// ErrOverBudget reports a budget above what the community has left.
	ErrOverBudget = errors.New("fund: budget above what is left")
	// ErrTrancheState reports an operation a tranche's state does not
	// allow: reserving in a closed tranche, closing one with a round still
	// open, opening or closing out of order.
	ErrTrancheState = errors.New("fund: tranche state")
)

// Tranche is one year's part of a fund.
type Tranche struct {
	Year   int   `json:"year"`
	Amount int64 `json:"amount"`
}

// Charter is what a fund is founded on: its tranches in year order and
// the formula that shares each among the members.
type Charter struct {
	Tranches []Tranche
	Formula  tally.Formula
}

// Add returns a+b, or an error wrapping [ErrLimit] when either is
// negative or the sum is above [MaxAmount].
func Add(a, b int64) (int64, error) {
	if a < 0 || b < 0 || a > MaxAmount || b > MaxAmount || a+b > MaxAmount {
		return 0, fmt.Errorf("%w: %d + %d is outside 0..%d", ErrLimit, a, b, MaxAmount)
	}
	return a + b, nil
}

// CheckAmount returns an error wrapping [ErrLimit] unless 0 ≤ v ≤
// [MaxAmount]; what names v in the message.
func CheckAmount(what string, v int64) error {
	if v < 0 || v > MaxAmount {
		return fmt.Errorf("%w: %s %d is outside 0..%d", ErrLimit, what, v, MaxAmount)
	}
	return nil
}

// CheckFormula returns an error wrapping [ErrCharter] or [ErrLimit] unless
// f is one of the formulas with a base in range (a base only with
// [tally.FormulaBasePerInhabitant]).
func CheckFormula(f tally.Formula) error {
	switch f.Kind {
	case tally.FormulaEqual, tally.FormulaPerInhabitant, tally.FormulaBasePerInhabitant:
	default:
		return fmt.Errorf("%w: formula must be %q, %q or %q", ErrCharter, tally.FormulaEqual, tally.FormulaPerInhabitant, tally.FormulaBasePerInhabitant)
	}
	if err := CheckAmount("base", f.Base); err != nil {
		return err
	}
	if f.Base != 0 && f.Kind != tally.FormulaBasePerInhabitant {
		return fmt.Errorf("%w: a base is only for the %q formula", ErrCharter, tally.FormulaBasePerInhabitant)
	}
	return nil
}

// Check returns the charter's total, or an error: wrapping [ErrLimit] when
// there are no tranches or more than [MaxTranches], an amount is outside
// 0..[MaxAmount] or the total is above it; wrapping [ErrCharter] when the
// years are not increasing years MinYear..MaxYear or the formula is bad
// ([CheckFormula]).
func (c Charter) Check() (int64, error) {
	if len(c.Tranches) == 0 || len(c.Tranches) > MaxTranches {
		return 0, fmt.Errorf("%w: a fund has 1 to %d tranches, not %d", ErrLimit, MaxTranches, len(c.Tranches))
	}
	if err := CheckFormula(c.Formula); err != nil {
		return 0, err
	}
	var total int64
	for i, t := range c.Tranches {
		if t.Year < MinYear || t.Year > MaxYear || i > 0 && t.Year <= c.Tranches[i-1].Year {
			return 0, fmt.Errorf("%w: tranche years must be increasing years %d..%d", ErrCharter, MinYear, MaxYear)
		}
		if err := CheckAmount(fmt.Sprintf("tranche %d", t.Year), t.Amount); err != nil {
			return 0, err
		}
		var err error
		if total, err = Add(total, t.Amount); err != nil {
			return 0, fmt.Errorf("%w: the tranches add up to more than %d", ErrLimit, MaxAmount)
		}
	}
	return total, nil
}

// CheckMembers returns an error wrapping [ErrLimit] when there are more
// than [MaxCommunities] members or a population is outside
// 0..[MaxPopulation], or wrapping [tally.ErrAllocation] for an empty or
// repeated identifier.
func CheckMembers(ms []tally.Member) error {
	if len(ms) > MaxCommunities {
		return fmt.Errorf("%w: more than %d communities", ErrLimit, MaxCommunities)
	}
	seen := make(map[string]bool, len(ms))
	for _, m := range ms {
		if m.Community == "" || seen[m.Community] {
			return fmt.Errorf("%w: community %q empty or repeated", tally.ErrAllocation, m.Community)
		}
		seen[m.Community] = true
		if m.Population < 0 || m.Population > MaxPopulation {
			return fmt.Errorf("%w: population %d of %s is outside 0..%d", ErrLimit, m.Population, m.Community, MaxPopulation)
		}
	}
	return nil
}

// Opening is a tranche's allocation, frozen when it opens: the members in
// force then, with their populations, and what each was allocated, both
// in ascending community order.
type Opening struct {
	Year      int            `json:"year"`
	Members   []tally.Member `json:"members"`
	Allocated []tally.Share  `json:"allocated"`
}

// Closing is what each member of a tranche carried over when it closed,
// in ascending community order.
type Closing struct {
	Year     int           `json:"year"`
	CarryOut []tally.Share `json:"carry_out"`
}

// Reservation is a round's claim on its community's money in a tranche:
// its budget until it is published, what it spent afterwards.
type Reservation struct {
	Round     string
	Community string
	Year      int
	Budget    int64
	Published bool
	Spent     int64 // the result's spending; only when Published
}

// Committed is the amount the reservation holds: the budget, or what was
// spent once published.
func (r Reservation) Committed() int64 {
	if r.Published {
		return r.Spent
	}
	return r.Budget
}

// Book is a fund's state: the charter, the membership in force for the
// tranches not opened yet, the openings and closings so far (in year
// order, each a prefix of the charter's tranches) and every round's
// reservation (cancelled rounds have none).
type Book struct {
	Charter      Charter
	Members      []tally.Member
	Openings     []Opening
	Closings     []Closing
	Reservations []Reservation
}

// Account is one community's money in one tranche.
type Account struct {
	Community string `json:"community"`
	CarryIn   int64  `json:"carry_in"`  // left in the previous tranche
	Allocated int64  `json:"allocated"` // this tranche's share
	Reserved  int64  `json:"reserved"`  // budgets of rounds not yet published
	Spent     int64  `json:"spent"`     // spending of published rounds
	// Left is CarryIn+Allocated−Reserved−Spent: what the community may
	// still reserve here, and what it carries over. Negative only when an
	// amendment left an unfrozen round's budget above the projection.
	Left int64 `json:"left"`
}

// TrancheState is a tranche as the rules see it now.
type TrancheState struct {
	Tranche
	Opened bool // the allocation is frozen; otherwise it is a projection
	Closed bool // the carry-over is fixed; otherwise it is a projection
	// CarryInFixed is whether the carry-ins are fact (the previous tranche
	// closed, or this is the first).
	CarryInFixed bool
	Accounts     []Account // in ascending community order
	// Returned is money that returns to the municipality from this
	// tranche: carry-ins of communities that are no longer members.
	Returned int64
}

// Plan computes every tranche's state: frozen allocations for the opened
// tranches, projections from the current members for the others, the
// reservations in each, and the carry-over from one to the next (fixed by
// a closing, projected otherwise). It returns an error when the book is
// inconsistent: openings or closings out of order or not matching the
// charter, an allocation the formula cannot make, a reservation in a year
// without tranche or by a non-member, or a sum out of range.
func (b *Book) Plan() ([]TrancheState, error) {
	if _, err := b.Charter.Check(); err != nil {
		return nil, err
	}
	if err := CheckMembers(b.Members); err != nil {
		return nil, err
	}
	if len(b.Openings) > len(b.Charter.Tranches) || len(b.Closings) > len(b.Openings) {
		return nil, fmt.Errorf("%w: more openings or closings than tranches", ErrTrancheState)
	}
	byYear := make(map[int][]Reservation)
	rounds := make(map[string]bool)
	for _, r := range b.Reservations {
		if rounds[r.Round] {
			return nil, fmt.Errorf("%w: round %s reserved twice", ErrTrancheState, r.Round)
		}
		rounds[r.Round] = true
		if err := CheckAmount("budget of "+r.Round, r.Budget); err != nil {
			return nil, err
		}
		if err := CheckAmount("spending of "+r.Round, r.Spent); err != nil {
			return nil, err
		}
		if r.Published && r.Spent > r.Budget {
			return nil, fmt.Errorf("%w: round %s spent %d of a budget of %d", ErrOverBudget, r.Round, r.Spent, r.Budget)
		}
		byYear[r.Year] = append(byYear[r.Year], r)
	}
	out := make([]TrancheState, 0, len(b.Charter.Tranches))
	carry := map[string]int64{}
	for i, t := range b.Charter.Tranches {
		ts := TrancheState{Tranche: t, CarryInFixed: i == 0 || i <= len(b.Closings)}
		var members []tally.Member
		var shares []tally.Share
		if i < len(b.Openings) {
			o := b.Openings[i]
			if o.Year != t.Year {
				return nil, fmt.Errorf("%w: opening %d is for year %d, the tranche is %d", ErrTrancheState, i, o.Year, t.Year)
			}
			want, err := allocate(t.Amount, b.Charter.Formula, o.Members)
			if err != nil {
				return nil, fmt.Errorf("tranche %d: %w", t.Year, err)
			}
			if !slices.Equal(want, o.Allocated) {
				return nil, fmt.Errorf("%w: tranche %d's allocation is not the formula's", tally.ErrAllocation, t.Year)
			}
			ts.Opened, members, shares = true, o.Members, o.Allocated
		} else {
			var err error
			if shares, err = allocate(t.Amount, b.Charter.Formula, b.Members); err != nil {
				return nil, fmt.Errorf("tranche %d: %w", t.Year, err)
			}
			members = b.Members
		}
		if i < len(b.Closings) {
			ts.Closed = true
			if b.Closings[i].Year != t.Year {
				return nil, fmt.Errorf("%w: closing %d is for year %d, the tranche is %d", ErrTrancheState, i, b.Closings[i].Year, t.Year)
			}
		}
		isMember := make(map[string]bool, len(members))
		for _, m := range members {
			isMember[m.Community] = true
		}
		for _, c := range sortedKeys(carry) {
			if !isMember[c] {
				var err error
				if ts.Returned, err = Add(ts.Returned, carry[c]); err != nil {
					return nil, err
				}
			}
		}
		idx := make(map[string]int, len(shares))
		for _, s := range shares {
			ac := Account{Community: s.Community, CarryIn: carry[s.Community], Allocated: s.Amount}
			idx[s.Community] = len(ts.Accounts)
			ts.Accounts = append(ts.Accounts, ac)
		}
		for _, r := range byYear[t.Year] {
			j, ok := idx[r.Community]
			if !ok {
				return nil, fmt.Errorf("%w: round %s of %s in %d", ErrNotMember, r.Round, r.Community, t.Year)
			}
			var err error
			if r.Published {
				ts.Accounts[j].Spent, err = Add(ts.Accounts[j].Spent, r.Spent)
			} else {
				ts.Accounts[j].Reserved, err = Add(ts.Accounts[j].Reserved, r.Budget)
			}
			if err != nil {
				return nil, err
			}
		}
		delete(byYear, t.Year)
		next := make(map[string]int64, len(ts.Accounts))
		for j := range ts.Accounts {
			ac := &ts.Accounts[j]
			// Allocated, Reserved and Spent are each in 0..MaxAmount, and a
			// carry-in is a previous Left: |Left| ≤ 3·MaxAmount·(tranches)
			// ≤ 3·10^17, far from overflowing. A carry-in is negative only
			// in a projection, after an amendment shrank it under an
			// unfrozen round's budget.
			ac.Left = ac.CarryIn + ac.Allocated - ac.Reserved - ac.Spent
			next[ac.Community] = ac.Left
		}
		if ts.Closed {
			c := b.Closings[i]
			if len(c.CarryOut) != len(ts.Accounts) {
				return nil, fmt.Errorf("%w: closing of %d lists %d communities, the tranche has %d", ErrTrancheState, t.Year, len(c.CarryOut), len(ts.Accounts))
			}
			for j, s := range c.CarryOut {
				ac := ts.Accounts[j]
				if s.Community != ac.Community || s.Amount != ac.Left {
					return nil, fmt.Errorf("%w: closing of %d carries %d for %s; %s has %d left", ErrTrancheState, t.Year, s.Amount, s.Community, ac.Community, ac.Left)
				}
				if ac.Reserved != 0 {
					return nil, fmt.Errorf("%w: tranche %d closed with a round of %s still open", ErrTrancheState, t.Year, ac.Community)
				}
			}
		}
		carry = next
		out = append(out, ts)
	}
	for y, rs := range byYear {
		return nil, fmt.Errorf("%w: round %s reserves in %d", ErrNoTranche, rs[0].Round, y)
	}
	return out, nil
}

// allocate is [tally.Allocate] with the fund's limits, and no accounts for
// no members.
func allocate(amount int64, f tally.Formula, ms []tally.Member) ([]tally.Share, error) {
	if err := CheckMembers(ms); err != nil {
		return nil, err
	}
	if len(ms) == 0 {
		return nil, nil
	}
	return tally.Allocate(amount, f, ms)
}

// Headroom is the largest budget community may reserve in year, leaving
// aside the reservation of round except (the round being changed; "" for
// a new one): the smallest of what the community has left in that tranche
// and in every later tranche it stays a member of, never below zero. It
// returns an error wrapping [ErrNoTranche], [ErrNotMember] (of that
// tranche) or [ErrTrancheState] (the tranche is closed), or [Book.Plan]'s
// error.
func (b *Book) Headroom(community string, year int, except string) (int64, error) {
	bb := *b
	bb.Reservations = slices.DeleteFunc(slices.Clone(b.Reservations), func(r Reservation) bool { return r.Round == except && except != "" })
	plan, err := bb.Plan()
	if err != nil {
		return 0, err
	}
	i := slices.IndexFunc(plan, func(ts TrancheState) bool { return ts.Year == year })
	if i < 0 {
		return 0, fmt.Errorf("%w: the fund has no tranche for %d", ErrNoTranche, year)
	}
	if plan[i].Closed {
		return 0, fmt.Errorf("%w: tranche %d is closed", ErrTrancheState, year)
	}
	head, member := int64(0), false
	for _, ts := range plan[i:] {
		j := slices.IndexFunc(ts.Accounts, func(a Account) bool { return a.Community == community })
		if j < 0 {
			break // carry-over returns to the municipality: no later constraint
		}
		if left := ts.Accounts[j].Left; !member || left < head {
			head = left
		}
		member = true
	}
	if !member {
		return 0, fmt.Errorf("%w: community %s has no share of tranche %d", ErrNotMember, community, year)
	}
	return max(head, 0), nil
}

// Reserve checks that r fits: its budget in range and at most the
// [Book.Headroom] of its community and year, leaving aside r's own
// earlier reservation. It returns nil or an error wrapping
// [ErrOverBudget] or one of Headroom's.
func (b *Book) Reserve(r Reservation) error {
	if err := CheckAmount("budget", r.Budget); err != nil {
		return err
	}
	head, err := b.Headroom(r.Community, r.Year, r.Round)
	if err != nil {
		return err
	}
	if r.Budget > head {
		return fmt.Errorf("%w: budget %d exceeds the %d community %s has left in %d", ErrOverBudget, r.Budget, head, r.Community, r.Year)
	}
	return nil
}

// Open opens the tranche of year, and first every earlier tranche not yet
// opened, with the members in force: it returns the new openings (none if
// the tranche is already open) without changing b. It returns an error
// wrapping [ErrNoTranche], or the allocation's error (no members, a zero
// population under a per-inhabitant formula).
func (b *Book) Open(year int) ([]Opening, error) {
	i := slices.IndexFunc(b.Charter.Tranches, func(t Tranche) bool { return t.Year == year })
	if i < 0 {
		return nil, fmt.Errorf("%w: the fund has no tranche for %d", ErrNoTranche, year)
	}
	var out []Opening
	for _, t := range b.Charter.Tranches[min(len(b.Openings), i+1) : i+1] {
		if len(b.Members) == 0 {
			return nil, fmt.Errorf("%w: tranche %d has no communities", tally.ErrAllocation, t.Year)
		}
		shares, err := allocate(t.Amount, b.Charter.Formula, b.Members)
		if err != nil {
			return nil, fmt.Errorf("tranche %d: %w", t.Year, err)
		}
		ms := slices.Clone(b.Members)
		slices.SortFunc(ms, func(a, b tally.Member) int { return cmp.Compare(a.Community, b.Community) })
		out = append(out, Opening{Year: t.Year, Members: ms, Allocated: shares})
	}
	return out, nil
}

// Close closes the tranche of year: it returns its closing without
// changing b. The tranche must be the next to close and opened, and none
// of its rounds may be unpublished (cancel them first); each member
// carries over what it has left. It returns an error wrapping
// [ErrNoTranche] or [ErrTrancheState], or Plan's.
func (b *Book) Close(year int) (Closing, error) {
	i := slices.IndexFunc(b.Charter.Tranches, func(t Tranche) bool { return t.Year == year })
	if i < 0 {
		return Closing{}, fmt.Errorf("%w: the fund has no tranche for %d", ErrNoTranche, year)
	}
	if i != len(b.Closings) {
		return Closing{}, fmt.Errorf("%w: tranche %d is not the next to close", ErrTrancheState, year)
	}
	if i >= len(b.Openings) {
		return Closing{}, fmt.Errorf("%w: tranche %d has not opened", ErrTrancheState, year)
	}
	plan, err := b.Plan()
	if err != nil {
		return Closing{}, err
	}
	c := Closing{Year: year}
	for _, ac := range plan[i].Accounts {
		if ac.Reserved != 0 {
			return Closing{}, fmt.Errorf("%w: community %s still has a round open in %d", ErrTrancheState, ac.Community, year)
		}
		if ac.Left < 0 {
			return Closing{}, fmt.Errorf("%w: community %s spent %d more than it had in %d", ErrOverBudget, ac.Community, -ac.Left, year)
		}
		c.CarryOut = append(c.CarryOut, tally.Share{Community: ac.Community, Amount: ac.Left})
	}
	return c, nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
