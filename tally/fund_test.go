package tally

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"
)

func TestAllocate(t *testing.T) {
	three := []Member{{"c", 100}, {"a", 100}, {"b", 100}}
	tests := []struct {
		name    string
		amount  int64
		f       Formula
		members []Member
		want    []Share
	}{
		{"equal exact", 300, Formula{Kind: FormulaEqual}, three,
			[]Share{{"a", 100}, {"b", 100}, {"c", 100}}},
		{"equal remainder by id", 302, Formula{Kind: FormulaEqual}, three,
			[]Share{{"a", 101}, {"b", 101}, {"c", 100}}},
		{"equal zero", 0, Formula{Kind: FormulaEqual}, three,
			[]Share{{"a", 0}, {"b", 0}, {"c", 0}}},
		{"equal less than members", 1, Formula{Kind: FormulaEqual}, three,
			[]Share{{"a", 1}, {"b", 0}, {"c", 0}}},
		{"per inhabitant exact", 1000, Formula{Kind: FormulaPerInhabitant},
			[]Member{{"x", 300}, {"y", 700}},
			[]Share{{"x", 300}, {"y", 700}}},
		{"per inhabitant largest remainder", 100, Formula{Kind: FormulaPerInhabitant},
			// quotas 100·1/6 = 16.67, 100·2/6 = 33.33, 100·3/6 = 50
			[]Member{{"a", 1}, {"b", 2}, {"c", 3}},
			[]Share{{"a", 17}, {"b", 33}, {"c", 50}}},
		{"per inhabitant tie by id", 10, Formula{Kind: FormulaPerInhabitant},
			// quotas 3.33 each: one unit left, goes to the first id
			[]Member{{"b", 5}, {"a", 5}, {"c", 5}},
			[]Share{{"a", 4}, {"b", 3}, {"c", 3}}},
		{"per inhabitant zero population member", 10, Formula{Kind: FormulaPerInhabitant},
			[]Member{{"a", 0}, {"b", 1}},
			[]Share{{"a", 0}, {"b", 10}}},
		{"per inhabitant no overflow", math.MaxInt64, Formula{Kind: FormulaPerInhabitant},
			[]Member{{"a", math.MaxInt64 / 2}, {"b", math.MaxInt64 / 2}},
			[]Share{{"a", math.MaxInt64/2 + 1}, {"b", math.MaxInt64 / 2}}},
		{"base plus per inhabitant", 1000, Formula{Kind: FormulaBasePerInhabitant, Base: 100},
			// 200 as base, 800 split 1:3
			[]Member{{"a", 1}, {"b", 3}},
			[]Share{{"a", 300}, {"b", 700}}},
		{"base takes everything", 200, Formula{Kind: FormulaBasePerInhabitant, Base: 100},
			[]Member{{"a", 1}, {"b", 3}},
			[]Share{{"a", 100}, {"b", 100}}},
		{"base with zero population", 250, Formula{Kind: FormulaBasePerInhabitant, Base: 100},
			[]Member{{"a", 0}, {"b", 0}},
			nil}, // error: 50 left and nobody lives there
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Allocate(tt.amount, tt.f, tt.members)
			if tt.want == nil {
				if !errors.Is(err, ErrAllocation) {
					t.Fatalf("Allocate = %v, %v, want ErrAllocation", got, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Allocate: %v", err)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("Allocate(%d, %+v) = %v, want %v", tt.amount, tt.f, got, tt.want)
			}
			var sum int64
			for _, s := range got {
				sum += s.Amount
			}
			if sum != tt.amount {
				t.Fatalf("shares add up to %d, want %d", sum, tt.amount)
			}
		})
	}
}

func TestAllocateErrors(t *testing.T) {
	ok := []Member{{"a", 1}, {"b", 2}}
	tests := []struct {
		name    string
		amount  int64
		f       Formula
		members []Member
	}{
		{"negative amount", -1, Formula{Kind: FormulaEqual}, ok},
		{"no members", 10, Formula{Kind: FormulaEqual}, nil},
		{"duplicate", 10, Formula{Kind: FormulaEqual}, []Member{{"a", 1}, {"a", 2}}},
		{"empty id", 10, Formula{Kind: FormulaEqual}, []Member{{"", 1}}},
		{"negative population", 10, Formula{Kind: FormulaPerInhabitant}, []Member{{"a", -1}}},
		{"unknown formula", 10, Formula{Kind: "lottery"}, ok},
		{"zero population", 10, Formula{Kind: FormulaPerInhabitant}, []Member{{"a", 0}}},
		{"base too large", 10, Formula{Kind: FormulaBasePerInhabitant, Base: 6}, ok},
		{"base overflows", 10, Formula{Kind: FormulaBasePerInhabitant, Base: math.MaxInt64}, ok},
		{"negative base", 10, Formula{Kind: FormulaBasePerInhabitant, Base: -1}, ok},
		{"population overflows", 10, Formula{Kind: FormulaPerInhabitant},
			[]Member{{"a", math.MaxInt64}, {"b", math.MaxInt64}, {"c", 2}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Allocate(tt.amount, tt.f, tt.members)
			if !errors.Is(err, ErrAllocation) {
				t.Fatalf("Allocate = %v, %v, want ErrAllocation", got, err)
			}
		})
	}
}

// TestAllocateSums checks, over many shapes, that shares always add up and
// differ from the exact quota by less than one unit.
func TestAllocateSums(t *testing.T) {
	for n := 1; n <= 12; n++ {
		for _, amount := range []int64{0, 1, 7, 999, 500_000, 1_500_000} {
			ms := make([]Member, n)
			var pop int64
			for i := range ms {
				ms[i] = Member{Community: fmt.Sprintf("c%02d", i), Population: int64(i*i*37%101 + 1)}
				pop += ms[i].Population
			}
			got, err := Allocate(amount, Formula{Kind: FormulaPerInhabitant}, ms)
			if err != nil {
				t.Fatal(err)
			}
			var sum int64
			for i, s := range got {
				sum += s.Amount
				// |amount·p/pop − share| < 1  ⇔  |amount·p − share·pop| < pop
				d := amount*ms[i].Population - s.Amount*pop
				if d <= -pop || d >= pop {
					t.Fatalf("n=%d amount=%d: %s got %d, too far from quota", n, amount, s.Community, s.Amount)
				}
			}
			if sum != amount {
				t.Fatalf("n=%d amount=%d: sum %d", n, amount, sum)
			}
		}
	}
}

func TestSplitTranches(t *testing.T) {
	tests := []struct {
		total int64
		n     int
		want  []int64
	}{
		{1_500_000, 3, []int64{500_000, 500_000, 500_000}},
		{10, 3, []int64{4, 3, 3}},
		{11, 3, []int64{4, 4, 3}},
		{0, 2, []int64{0, 0}},
		{5, 1, []int64{5}},
	}
	for _, tt := range tests {
		got, err := SplitTranches(tt.total, tt.n)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("SplitTranches(%d, %d) = %v, %v, want %v", tt.total, tt.n, got, err, tt.want)
		}
	}
	for _, bad := range [][2]int64{{-1, 2}, {10, 0}, {10, -1}} {
		if _, err := SplitTranches(bad[0], int(bad[1])); !errors.Is(err, ErrAllocation) {
			t.Errorf("SplitTranches(%d, %d) error = %v, want ErrAllocation", bad[0], bad[1], err)
		}
	}
}

func TestPlanTranche(t *testing.T) {
	ms := []Member{{"a", 1}, {"b", 1}}
	f := Formula{Kind: FormulaEqual}
	first, err := PlanTranche(100, f, ms, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []Account{{Community: "a", Allocated: 50}, {Community: "b", Allocated: 50}}
	if !slices.Equal(first, want) {
		t.Fatalf("first tranche = %v, want %v", first, want)
	}
	first[0].Spent = 30 // a leaves 20
	first[1].Spent = 50 // b spends everything
	second, err := PlanTranche(101, f, ms, first)
	if err != nil {
		t.Fatal(err)
	}
	want = []Account{{Community: "a", CarryIn: 20, Allocated: 51}, {Community: "b", CarryIn: 0, Allocated: 50}}
	if !slices.Equal(second, want) {
		t.Fatalf("second tranche = %v, want %v", second, want)
	}
	if second[0].Available() != 71 || second[0].Unspent() != 71 {
		t.Fatalf("Available/Unspent = %d/%d, want 71/71", second[0].Available(), second[0].Unspent())
	}

	bad := []struct {
		name string
		prev []Account
	}{
		{"overspent", []Account{{Community: "a", Allocated: 10, Spent: 11}}},
		{"negative", []Account{{Community: "a", CarryIn: -1}}},
		{"duplicate", []Account{{Community: "a", Allocated: 1}, {Community: "a", Allocated: 1}}},
		{"money of a non-member", []Account{{Community: "z", Allocated: 5}}},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := PlanTranche(100, f, ms, tt.prev); !errors.Is(err, ErrAllocation) {
				t.Fatalf("PlanTranche error = %v, want ErrAllocation", err)
			}
		})
	}
	// A former member that left nothing behind is fine.
	if _, err := PlanTranche(100, f, ms, []Account{{Community: "z", Allocated: 5, Spent: 5}}); err != nil {
		t.Fatalf("PlanTranche with a spent-out former member: %v", err)
	}
}

func ExampleAllocate() {
	shares, err := Allocate(1000, Formula{Kind: FormulaBasePerInhabitant, Base: 100}, []Member{
		{Community: "juelsminde", Population: 3},
		{Community: "barrit", Population: 1},
		{Community: "glud", Population: 2},
	})
	if err != nil {
		panic(err)
	}
	for _, s := range shares {
		fmt.Println(s.Community, s.Amount)
	}
	// Output:
	// barrit 217
	// glud 333
	// juelsminde 450
}
