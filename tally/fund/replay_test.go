package fund

import (
	"errors"
	"strings"
	"testing"

	"github.com/hedensted-pb/pb/tally"
)

// step is an entry or a round's result, in ledger order.
type step struct {
	e   Entry
	res *Result
}

// exampleLedger is the worked example as a ledger: charter, opening of
// 2026, fjernby joining from 2027, eksempel-2026's reservation, its result
// (50,000 spent of 50,000), and 2026 closed.
func exampleLedger() []step {
	ex := exampleEntries()
	res := ex[3].(ReservationEntry)
	return []step{{e: ex[0]}, {e: ex[1]}, {e: ex[2]}, {e: ex[3]},
		{res: &Result{Round: res.Round, Fund: res.Fund, Manifest: res.Manifest, Budget: 50_000, Spent: 50_000}},
		{e: ex[5]}}
}

func replay(steps []step) (*Replay, error) {
	var r Replay
	for _, s := range steps {
		var err error
		if s.res != nil {
			err = r.ApplyResult(*s.res)
		} else {
			err = r.Apply(s.e)
		}
		if err != nil {
			return &r, err
		}
	}
	return &r, nil
}

func TestReplayExample(t *testing.T) {
	r, err := replay(exampleLedger())
	if err != nil {
		t.Fatal(err)
	}
	plan, err := r.Book.Plan()
	if err != nil {
		t.Fatal(err)
	}
	// 2027: fjernby joined; eksempelby carries 0, naboby 50,000.
	got := plan[1].Accounts
	if len(got) != 3 || got[0].Community != "eksempelby" || got[0].CarryIn != 0 || got[0].Allocated != 33_334 ||
		got[2].Community != "naboby" || got[2].CarryIn != 50_000 || got[2].Allocated != 33_333 {
		t.Errorf("2027 = %+v", got)
	}
}

// TestReplayRefuses is the rule half of the fund tamper suite: each
// case breaks one rule and is refused naming it.
func TestReplayRefuses(t *testing.T) {
	ex := exampleEntries()
	opening := ex[1].(OpeningEntry)
	reservation := ex[3].(ReservationEntry)
	closing := ex[5].(ClosingEntry)
	result := exampleLedger()[4].res
	with := func(i int, s step) []step {
		l := exampleLedger()
		return append(append(append([]step{}, l[:i]...), s), l[i+1:]...)
	}
	insert := func(i int, ss ...step) []step {
		l := exampleLedger()
		return append(append(append([]step{}, l[:i]...), ss...), l[i:]...)
	}
	tests := []struct {
		name  string
		steps []step
		want  string
	}{
		{"allocation off by one krone", with(1, step{e: func() Entry {
			o := opening
			o.Shares = []tally.Share{{Community: "eksempelby", Amount: 50_001}, {Community: "naboby", Amount: 49_999}}
			return o
		}()}), "not the formula's"},
		{"population changed in the opening", with(1, step{e: func() Entry {
			o := opening
			o.Members = []tally.Member{{Community: "eksempelby", Population: 2001}, {Community: "naboby", Population: 1500}}
			return o
		}()}), "not those in force"},
		{"population changed inside an opened tranche", insert(2, step{e: AmendmentEntry{Fund: "eksempel-pulje", From: 2026,
			Change: "population", Community: "naboby", Population: 1, PopulationDate: "2026-02-01"}}), "first tranche not opened"},
		{"reservation above what was left", with(3, step{e: func() Entry { r := reservation; r.Budget = 50_001; return r }()}), "exceeds the 50000"},
		{"reservation in a tranche not opened", with(3, step{e: func() Entry { r := reservation; r.Tranche = 2027; return r }()}), "has not opened"},
		{"the same money reserved in two tranches", insert(4,
			step{e: OpeningEntry{Fund: "eksempel-pulje", Tranche: Tranche{Year: 2027, Amount: 100_000},
				Members: []tally.Member{{Community: "eksempelby", Population: 2000}, {Community: "fjernby", Population: 800}, {Community: "naboby", Population: 1500}},
				Shares:  []tally.Share{{Community: "eksempelby", Amount: 33_334}, {Community: "fjernby", Amount: 33_333}, {Community: "naboby", Amount: 33_333}}}},
			step{e: func() Entry { r := reservation; r.Round, r.Tranche, r.Budget = "eksempel-2027", 2027, 83_334; return r }()}),
			"exceeds the 33334"},
		{"round reserved twice", insert(4, step{e: reservation}), "reserved twice"},
		{"result for another manifest (another community's round)", with(4, step{res: func() *Result {
			r := *result
			r.Manifest[0] ^= 1
			return &r
		}()}), "another manifest"},
		{"result without reservation", with(4, step{res: func() *Result { r := *result; r.Round = "x-2026"; return &r }()}), "no reservation"},
		{"result spent above its budget", with(4, step{res: func() *Result { r := *result; r.Spent = 50_001; return &r }()}), "spent 50001"},
		{"result twice", insert(5, step{res: result}), "has a result already"},
		{"tranche closed with a round still open", with(4, step{e: closing}), "still has a round open"},
		{"wrong carry-over", with(5, step{e: func() Entry {
			c := closing
			c.Carry = []tally.Share{{Community: "eksempelby", Amount: 1}, {Community: "naboby", Amount: 49_999}}
			return c
		}()}), "carry-over of tranche 2026"},
		{"cancellation of a published round", insert(5, step{e: CancellationEntry{Fund: "eksempel-pulje", Round: "eksempel-2026"}}), "has a result"},
		{"a second charter", insert(1, step{e: ex[0]}), "second charter"},
		{"no charter first", exampleLedger()[1:], "must be the charter"},
		{"another fund", with(3, step{e: func() Entry { r := reservation; r.Fund = "anden"; return r }()}), "not eksempel-pulje"},
		{"community joining twice", insert(3, step{e: ex[2]}), "joins but is a member"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := replay(tt.steps)
			if !errors.Is(err, ErrLedger) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("replay = %v; want ErrLedger with %q", err, tt.want)
			}
		})
	}
}
