package fund

import (
	"errors"
	"fmt"
	"slices"

	"github.com/hedensted-pb/pb/tally"
)

// ErrLedger reports a fund ledger whose entries break the fund rules: the
// checks a verifier applies to every entry in order (docs/record.md
// §14.4). The message names the entry and the rule.
var ErrLedger = errors.New("fund ledger")

// Result is what the fund ledger needs of a round's result note (read and
// verified with ledger.ReadResult): its round, fund, manifest hash,
// budget and spending.
type Result struct {
	Round    string
	Fund     string
	Manifest [32]byte
	Budget   int64
	Spent    int64
}

// Replay rebuilds a fund's [Book] from its ledger entries, checking each
// against the rules as the server applied them. Apply the entries in log
// order; the first must be the charter.
type Replay struct {
	Book     Book
	Fund     string
	Names    map[string]string            // community names
	Reserved map[string]*ReservationEntry // rounds reserved and not cancelled
	n        int
}

// Apply checks entry e against the fund's state and applies it, or
// returns an error wrapping [ErrLedger] that names the rule it breaks:
//
//   - charter: only first; its charter keeps the limits (Charter.Check);
//   - amendment: for the first tranche not opened yet; the change is
//     possible (a community joins that is not a member, leaves or changes
//     population that is, a tranche amount within the limits);
//   - opening: the next tranche, with exactly the members in force and
//     the allocation the formula gives them (Book.Open);
//   - reservation: a new round of a member in an opened tranche that is
//     not closed, its budget at most what the community has left
//     (Book.Reserve);
//   - cancellation: a reserved round without result;
//   - closing: the next tranche to close, none of its rounds open, each
//     member's carry-over what it has left (Book.Close).
func (r *Replay) Apply(e Entry) error {
	r.n++
	err := r.apply(e)
	if err != nil {
		return fmt.Errorf("%w: entry %d (%s): %w", ErrLedger, r.n-1, e.Kind(), err)
	}
	return nil
}

func (r *Replay) apply(e Entry) error {
	if _, ok := e.(CharterEntry); !ok && r.n == 1 {
		return errors.New("the first entry must be the charter")
	}
	if c, ok := e.(CharterEntry); ok {
		if r.n != 1 {
			return errors.New("a second charter")
		}
		r.Fund, r.Names, r.Reserved = c.Fund, map[string]string{}, map[string]*ReservationEntry{}
		r.Book = Book{Charter: Charter{Tranches: slices.Clone(c.Tranches), Formula: c.Formula}}
		for _, m := range c.Communities {
			r.Book.Members = append(r.Book.Members, tally.Member{Community: m.ID, Population: m.Population})
			r.Names[m.ID] = m.Name
		}
		_, err := r.Book.Plan()
		return err
	}
	switch e := e.(type) {
	case AmendmentEntry:
		if e.Fund != r.Fund {
			return fmt.Errorf("fund %s, not %s", e.Fund, r.Fund)
		}
		next := len(r.Book.Openings)
		if next >= len(r.Book.Charter.Tranches) || r.Book.Charter.Tranches[next].Year != e.From {
			return fmt.Errorf("an amendment from %d: only the first tranche not opened yet can change", e.From)
		}
		b := r.Book
		b.Members = slices.Clone(r.Book.Members)
		i := slices.IndexFunc(b.Members, func(m tally.Member) bool { return m.Community == e.Community })
		switch e.Change {
		case "join":
			if i >= 0 {
				return fmt.Errorf("community %s joins but is a member", e.Community)
			}
			b.Members = append(b.Members, tally.Member{Community: e.Community, Population: e.Population})
			r.Names[e.Community] = e.Name
		case "leave", "population":
			if i < 0 {
				return fmt.Errorf("community %s is not a member", e.Community)
			}
			if e.Change == "leave" {
				b.Members = slices.Delete(b.Members, i, i+1)
			} else {
				b.Members[i].Population = e.Population
			}
		case "tranche":
			b.Charter.Tranches = slices.Clone(b.Charter.Tranches)
			b.Charter.Tranches[next].Amount = e.Amount
		}
		if _, err := b.Plan(); err != nil {
			return err
		}
		r.Book = b
	case OpeningEntry:
		if e.Fund != r.Fund {
			return fmt.Errorf("fund %s, not %s", e.Fund, r.Fund)
		}
		os, err := r.Book.Open(e.Tranche.Year)
		if err != nil {
			return err
		}
		if len(os) != 1 {
			return fmt.Errorf("tranche %d is not the next to open", e.Tranche.Year)
		}
		want := os[0]
		i := len(r.Book.Openings)
		if r.Book.Charter.Tranches[i] != e.Tranche {
			return fmt.Errorf("tranche %d of %d, the charter says %d", e.Tranche.Year, e.Tranche.Amount, r.Book.Charter.Tranches[i].Amount)
		}
		if !slices.Equal(want.Members, e.Members) {
			return fmt.Errorf("the members and populations of tranche %d are not those in force", e.Tranche.Year)
		}
		if !slices.Equal(want.Allocated, e.Shares) {
			return fmt.Errorf("the allocation of tranche %d is not the formula's", e.Tranche.Year)
		}
		r.Book.Openings = append(slices.Clone(r.Book.Openings), want)
	case ReservationEntry:
		if e.Fund != r.Fund {
			return fmt.Errorf("fund %s, not %s", e.Fund, r.Fund)
		}
		if _, dup := r.Reserved[e.Round]; dup || slices.ContainsFunc(r.Book.Reservations, func(x Reservation) bool { return x.Round == e.Round }) {
			return fmt.Errorf("round %s reserved twice", e.Round)
		}
		if !slices.ContainsFunc(r.Book.Openings, func(o Opening) bool { return o.Year == e.Tranche }) {
			return fmt.Errorf("round %s reserves in tranche %d, which has not opened", e.Round, e.Tranche)
		}
		res := Reservation{Round: e.Round, Community: e.Community, Year: e.Tranche, Budget: e.Budget}
		if err := r.Book.Reserve(res); err != nil {
			return err
		}
		r.Book.Reservations = append(slices.Clone(r.Book.Reservations), res)
		r.Reserved[e.Round] = &e
	case CancellationEntry:
		if e.Fund != r.Fund {
			return fmt.Errorf("fund %s, not %s", e.Fund, r.Fund)
		}
		i := slices.IndexFunc(r.Book.Reservations, func(x Reservation) bool { return x.Round == e.Round })
		if i < 0 || r.Book.Reservations[i].Published {
			return fmt.Errorf("round %s is not reserved, or has a result", e.Round)
		}
		r.Book.Reservations = slices.Delete(slices.Clone(r.Book.Reservations), i, i+1)
		delete(r.Reserved, e.Round)
	case ClosingEntry:
		if e.Fund != r.Fund {
			return fmt.Errorf("fund %s, not %s", e.Fund, r.Fund)
		}
		c, err := r.Book.Close(e.Tranche)
		if err != nil {
			return err
		}
		if !slices.Equal(c.CarryOut, e.Carry) {
			return fmt.Errorf("the carry-over of tranche %d is not what each community has left", e.Tranche)
		}
		r.Book.Closings = append(slices.Clone(r.Book.Closings), c)
	default:
		return fmt.Errorf("unknown entry %T", e)
	}
	return nil
}

// ApplyResult checks a round's published result against its reservation
// and applies it: the round is reserved in this fund with the same
// manifest and budget, has no result yet, and spent at most its budget.
// It returns an error wrapping [ErrLedger].
func (r *Replay) ApplyResult(res Result) error {
	r.n++
	err := func() error {
		if r.n == 1 {
			return errors.New("the first entry must be the charter")
		}
		e, ok := r.Reserved[res.Round]
		if !ok || res.Fund != r.Fund {
			return fmt.Errorf("round %s has no reservation in fund %s", res.Round, r.Fund)
		}
		if res.Manifest != e.Manifest || res.Budget != e.Budget {
			return fmt.Errorf("round %s's result is for another manifest or budget than its reservation", res.Round)
		}
		i := slices.IndexFunc(r.Book.Reservations, func(x Reservation) bool { return x.Round == res.Round })
		if r.Book.Reservations[i].Published {
			return fmt.Errorf("round %s has a result already", res.Round)
		}
		if res.Spent < 0 || res.Spent > res.Budget {
			return fmt.Errorf("round %s spent %d of a budget of %d", res.Round, res.Spent, res.Budget)
		}
		rs := slices.Clone(r.Book.Reservations)
		rs[i].Published, rs[i].Spent = true, res.Spent
		r.Book.Reservations = rs
		return nil
	}()
	if err != nil {
		return fmt.Errorf("%w: entry %d (result): %w", ErrLedger, r.n-1, err)
	}
	return nil
}
