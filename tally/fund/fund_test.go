package fund

import (
	"errors"
	"math"
	"testing"

	"github.com/hedensted-pb/pb/tally"
)

var perInhabitant = tally.Formula{Kind: tally.FormulaPerInhabitant}

// threeYears is a fund of 100,000 a year for 2026–2028 shared per
// inhabitant between barrit (1,000) and glud (3,000): 25,000 and 75,000.
func threeYears() *Book {
	return &Book{
		Charter: Charter{Tranches: []Tranche{{2026, 100_000}, {2027, 100_000}, {2028, 100_000}}, Formula: perInhabitant},
		Members: []tally.Member{{Community: "barrit", Population: 1000}, {Community: "glud", Population: 3000}},
	}
}

func mustOpen(t *testing.T, b *Book, year int) {
	t.Helper()
	os, err := b.Open(year)
	if err != nil {
		t.Fatal(err)
	}
	b.Openings = append(b.Openings, os...)
}

func account(t *testing.T, b *Book, year int, community string) Account {
	t.Helper()
	plan, err := b.Plan()
	if err != nil {
		t.Fatal(err)
	}
	for _, ts := range plan {
		if ts.Year != year {
			continue
		}
		for _, ac := range ts.Accounts {
			if ac.Community == community {
				return ac
			}
		}
	}
	t.Fatalf("no account of %s in %d", community, year)
	return Account{}
}

func TestCharterCheck(t *testing.T) {
	tests := []struct {
		name    string
		c       Charter
		total   int64
		wantErr error
	}{
		{"three years", Charter{[]Tranche{{2026, 500_000}, {2027, 500_000}, {2028, 500_000}}, perInhabitant}, 1_500_000, nil},
		// Regression (issue 10): these tranches wrapped around to a total of 1.
		{"overflowing tranches", Charter{[]Tranche{{2026, math.MaxInt64}, {2027, math.MaxInt64}, {2028, 3}}, perInhabitant}, 0, ErrLimit},
		{"sum above the limit", Charter{[]Tranche{{2026, MaxAmount}, {2027, 1}}, perInhabitant}, 0, ErrLimit},
		{"at the limit", Charter{[]Tranche{{2026, MaxAmount - 1}, {2027, 1}}, perInhabitant}, MaxAmount, nil},
		{"negative tranche", Charter{[]Tranche{{2026, -1}}, perInhabitant}, 0, ErrLimit},
		{"no tranches", Charter{nil, perInhabitant}, 0, ErrLimit},
		{"years not increasing", Charter{[]Tranche{{2027, 1}, {2027, 1}}, perInhabitant}, 0, ErrCharter},
		{"year out of range", Charter{[]Tranche{{1999, 1}}, perInhabitant}, 0, ErrCharter},
		{"unknown formula", Charter{[]Tranche{{2026, 1}}, tally.Formula{Kind: "lottery"}}, 0, ErrCharter},
		{"base with the wrong formula", Charter{[]Tranche{{2026, 1}}, tally.Formula{Kind: tally.FormulaEqual, Base: 1}}, 0, ErrCharter},
		{"base out of range", Charter{[]Tranche{{2026, 1}}, tally.Formula{Kind: tally.FormulaBasePerInhabitant, Base: math.MaxInt64}}, 0, ErrLimit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			total, err := tt.c.Check()
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("Check() error = %v, want %v", err, tt.wantErr)
			}
			if total != tt.total {
				t.Errorf("total = %d, want %d", total, tt.total)
			}
		})
	}
}

func TestAdd(t *testing.T) {
	for _, tt := range []struct {
		a, b, want int64
		ok         bool
	}{
		{1, 2, 3, true}, {MaxAmount, 0, MaxAmount, true}, {MaxAmount, 1, 0, false},
		{math.MaxInt64, math.MaxInt64, 0, false}, {-1, 2, 0, false},
	} {
		got, err := Add(tt.a, tt.b)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("Add(%d, %d) = %d, %v", tt.a, tt.b, got, err)
		}
	}
}

// Regression (issue 10): adding a community changed allocations already
// spent, so a published round spent more than its recomputed allocation
// and the fund answered 500 for good. An opened tranche keeps its
// allocation; only the projection of later tranches changes.
func TestAmendmentLeavesOpenedTranche(t *testing.T) {
	for _, pop := range []int64{0, 30_000} {
		b := threeYears()
		mustOpen(t, b, 2026)
		b.Reservations = []Reservation{{Round: "barrit-2026", Community: "barrit", Year: 2026, Budget: 25_000, Published: true, Spent: 24_000}}
		before := account(t, b, 2026, "barrit")
		b.Members = append(b.Members, tally.Member{Community: "zz-new", Population: pop})
		after := account(t, b, 2026, "barrit")
		if after != before {
			t.Errorf("population %d: barrit 2026 = %+v, was %+v", pop, after, before)
		}
		if before.Allocated != 25_000 || before.Left != 1_000 {
			t.Errorf("barrit 2026 = %+v", before)
		}
		if _, err := b.Headroom("zz-new", 2026, ""); !errors.Is(err, ErrNotMember) {
			t.Errorf("zz-new in the opened 2026: %v, want ErrNotMember", err)
		}
		if pop > 0 {
			if got := account(t, b, 2027, "barrit"); got.Allocated != 100_000*1000/34_000+1 && got.Allocated != 100_000*1000/34_000 {
				t.Errorf("barrit 2027 projection = %+v", got)
			}
		}
	}
}

// Regression (issue 10): with barrit-2026 still voting on all of 2026's
// money, a 2027 round got 2026's money again as carry-over.
func TestNoDoubleCommitment(t *testing.T) {
	b := threeYears()
	mustOpen(t, b, 2026)
	b.Reservations = []Reservation{{Round: "barrit-2026", Community: "barrit", Year: 2026, Budget: 25_000}}
	tests := []struct {
		name   string
		year   int
		except string
		want   int64
	}{
		{"2027 gets only its own money", 2027, "", 25_000},
		{"2028 gets two years", 2028, "", 50_000},
		{"2026 is fully reserved", 2026, "", 0},
		{"2026 apart from its own round", 2026, "barrit-2026", 25_000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := b.Headroom("barrit", tt.year, tt.except)
			if err != nil || got != tt.want {
				t.Fatalf("Headroom(barrit, %d, %q) = %d, %v; want %d", tt.year, tt.except, got, err, tt.want)
			}
		})
	}
	// A later round that counted on 2026's carry-over holds that money:
	// 2026 cannot reserve it again.
	b.Reservations = []Reservation{{Round: "barrit-2027", Community: "barrit", Year: 2027, Budget: 50_000}}
	if got, err := b.Headroom("barrit", 2026, ""); err != nil || got != 0 {
		t.Errorf("2026 after 2027 reserved its carry-over: %d, %v; want 0", got, err)
	}
	err := b.Reserve(Reservation{Round: "barrit-2026", Community: "barrit", Year: 2026, Budget: 1})
	if !errors.Is(err, ErrOverBudget) {
		t.Errorf("Reserve = %v, want ErrOverBudget", err)
	}
	// Cancelling (removing the reservation) releases it.
	b.Reservations = nil
	if err := b.Reserve(Reservation{Round: "barrit-2026", Community: "barrit", Year: 2026, Budget: 25_000}); err != nil {
		t.Errorf("after the cancellation: %v", err)
	}
}

func TestCarryOverAndClosing(t *testing.T) {
	b := threeYears()
	mustOpen(t, b, 2026)
	b.Reservations = []Reservation{
		{Round: "barrit-2026", Community: "barrit", Year: 2026, Budget: 25_000},
		{Round: "glud-2026", Community: "glud", Year: 2026, Budget: 70_000, Published: true, Spent: 60_000},
	}
	if _, err := b.Close(2026); !errors.Is(err, ErrTrancheState) {
		t.Fatalf("closing with barrit-2026 open: %v, want ErrTrancheState", err)
	}
	if _, err := b.Close(2027); !errors.Is(err, ErrTrancheState) {
		t.Fatalf("closing 2027 first: %v, want ErrTrancheState", err)
	}
	b.Reservations[0].Published, b.Reservations[0].Spent = true, 20_000
	c, err := b.Close(2026)
	if err != nil {
		t.Fatal(err)
	}
	want := []tally.Share{{Community: "barrit", Amount: 5_000}, {Community: "glud", Amount: 15_000}}
	if len(c.CarryOut) != 2 || c.CarryOut[0] != want[0] || c.CarryOut[1] != want[1] {
		t.Fatalf("closing = %+v, want %+v", c.CarryOut, want)
	}
	b.Closings = append(b.Closings, c)
	if got := account(t, b, 2027, "glud"); got.CarryIn != 15_000 || got.Allocated != 75_000 || got.Left != 90_000 {
		t.Errorf("glud 2027 = %+v", got)
	}
	if _, err := b.Headroom("barrit", 2026, ""); !errors.Is(err, ErrTrancheState) {
		t.Errorf("reserving in the closed 2026: %v, want ErrTrancheState", err)
	}
	// A closing that does not match what was left is refused.
	b.Closings[0].CarryOut[0].Amount++
	if _, err := b.Plan(); !errors.Is(err, ErrTrancheState) {
		t.Errorf("wrong carry-over: %v, want ErrTrancheState", err)
	}
}

func TestLeavingCommunityReturnsItsMoney(t *testing.T) {
	b := threeYears()
	mustOpen(t, b, 2026)
	b.Members = b.Members[1:] // barrit leaves from 2027
	plan, err := b.Plan()
	if err != nil {
		t.Fatal(err)
	}
	if plan[1].Returned != 25_000 || len(plan[1].Accounts) != 1 || plan[1].Accounts[0].Allocated != 100_000 {
		t.Errorf("2027 = %+v", plan[1])
	}
	if got, err := b.Headroom("barrit", 2026, ""); err != nil || got != 25_000 {
		t.Errorf("barrit 2026 = %d, %v", got, err)
	}
	if _, err := b.Headroom("barrit", 2027, ""); !errors.Is(err, ErrNotMember) {
		t.Errorf("barrit 2027: %v, want ErrNotMember", err)
	}
}

func TestPlanRefusesTamperedBooks(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(b *Book)
		wantErr error
	}{
		{"allocation off by one", func(b *Book) { b.Openings[0].Allocated[0].Amount++ }, tally.ErrAllocation},
		{"population changed in an opened tranche", func(b *Book) { b.Openings[0].Members[0].Population++ }, tally.ErrAllocation},
		{"round of a non-member", func(b *Book) {
			b.Reservations = []Reservation{{Round: "x", Community: "zz", Year: 2026, Budget: 1}}
		}, ErrNotMember},
		{"round in no tranche", func(b *Book) {
			b.Reservations = []Reservation{{Round: "x", Community: "barrit", Year: 2030, Budget: 1}}
		}, ErrNoTranche},
		{"spent above budget", func(b *Book) {
			b.Reservations = []Reservation{{Round: "x", Community: "barrit", Year: 2026, Budget: 1, Published: true, Spent: 2}}
		}, ErrOverBudget},
		{"same round twice", func(b *Book) {
			b.Reservations = []Reservation{{Round: "x", Community: "barrit", Year: 2026}, {Round: "x", Community: "barrit", Year: 2027}}
		}, ErrTrancheState},
		{"overflowing budget", func(b *Book) {
			b.Reservations = []Reservation{{Round: "x", Community: "barrit", Year: 2026, Budget: math.MaxInt64}}
		}, ErrLimit},
		{"population out of range", func(b *Book) { b.Members[0].Population = MaxPopulation + 1 }, ErrLimit},
		{"closing before opening", func(b *Book) { b.Closings = []Closing{{Year: 2026}, {Year: 2027}} }, ErrTrancheState},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := threeYears()
			mustOpen(t, b, 2026)
			tt.edit(b)
			if _, err := b.Plan(); !errors.Is(err, tt.wantErr) {
				t.Errorf("Plan() = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestOpenInOrder(t *testing.T) {
	b := threeYears()
	os, err := b.Open(2027)
	if err != nil || len(os) != 2 || os[0].Year != 2026 || os[1].Year != 2027 {
		t.Fatalf("Open(2027) = %+v, %v; want 2026 and 2027", os, err)
	}
	b.Openings = os
	if os, err := b.Open(2026); err != nil || len(os) != 0 {
		t.Errorf("reopening 2026 = %+v, %v", os, err)
	}
	if _, err := b.Open(2030); !errors.Is(err, ErrNoTranche) {
		t.Errorf("Open(2030) = %v", err)
	}
	b.Members = nil
	if _, err := b.Open(2028); !errors.Is(err, tally.ErrAllocation) {
		t.Errorf("opening with no members: %v", err)
	}
}
