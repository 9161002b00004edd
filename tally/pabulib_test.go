package tally

import (
	"bytes"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/golden")

func readPBFile(tb testing.TB, path string) *PB {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	pb, err := ReadPB(bytes.NewReader(data))
	if err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	return pb
}

func testElection(tb testing.TB, name string) *Election {
	tb.Helper()
	e, err := readPBFile(tb, filepath.Join("testdata/pb", name)).Election()
	if err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	return e
}

func TestReadPBStructure(t *testing.T) {
	pb := readPBFile(t, "testdata/pb/bom_crlf_quoted.pb")
	if v, _ := pb.MetaValue("description"); v != `BOM, CRLF and quoted fields; a "test"` {
		t.Errorf("description = %q", v)
	}
	if got, want := pb.ProjectColumns, []string{"project_id", "cost", "name", "category"}; !slices.Equal(got, want) {
		t.Errorf("ProjectColumns = %q, want %q", got, want)
	}
	want := [][]string{
		{"A", "60", `Bench; with "quotes"`, "Fritid og fællesskab"},
		{"B", "50", "Plain name", "Læring"},
		{"C", "40", "spaced", "None"},
	}
	for i, r := range pb.Projects {
		if !slices.Equal(r.Fields, want[i]) {
			t.Errorf("project %d = %q, want %q", i, r.Fields, want[i])
		}
	}
	if len(pb.Votes) != 4 || pb.Votes[1].Fields[1] != "A,C" || pb.Votes[2].Line != 22 {
		t.Errorf("votes = %+v", pb.Votes)
	}
}

// TestHandMade checks outcomes computed by hand for the Pabulib pitfalls
// and exact ties (the reasoning is in the comments of each case).
func TestHandMade(t *testing.T) {
	var zero [32]byte
	lot := func(ids ...string) []string { // ids in lot order under the zero seed
		s := slices.Clone(ids)
		slices.SortFunc(s, func(a, b string) int {
			ka, kb := LotKey(zero, a), LotKey(zero, b)
			return bytes.Compare(ka[:], kb[:])
		})
		return s
	}
	sorted := func(ids ...string) []string { s := slices.Clone(ids); slices.Sort(s); return s }
	tests := []struct {
		file, rule, order string
		want              []string
		spent             string
	}{
		// All three cost-10 projects have 2 votes: byte order "10" < "100" < "9".
		{"numeric_ids.pb", RuleGreedy, TieLexicographic, []string{"10", "100"}, "20"},
		{"numeric_ids.pb", RuleGreedy, TieDefault, sorted(lot("9", "10", "100")[:2]...), "20"},
		{"numeric_ids.pb", RuleGreedyPerCost, TieLexicographic, []string{"10", "100"}, "20"},
		// Equal Shares: 20/3 each; "10" wins the tie at ρ = 1/2, then nothing is affordable.
		{"numeric_ids.pb", RuleEqualShares, TieLexicographic, []string{"10"}, "10"},
		// a costs more than the budget: greedy skips it, takes b and d.
		{"over_budget.pb", RuleGreedy, TieLexicographic, []string{"b", "d"}, "90"},
		// no-skip also passes over a, takes b, and stops at c.
		{"over_budget.pb", RuleGreedyNoSkip, TieLexicographic, []string{"b"}, "60"},
		// Phragmén drops a; b and d tie at load 15; then d (22.5); c does not fit.
		{"over_budget.pb", RulePhragmen, TieLexicographic, []string{"b", "d"}, "90"},
		{"over_budget.pb", RulePhragmen, TieDefault, []string{"b", "d"}, "90"},
		// Listed twice counts once: z has 2 votes, x and y 1.
		{"duplicates.pb", RuleGreedy, TieLexicographic, []string{"x", "z"}, "10"},
		// Cumulative duplicate: p gets 1 point (the last), q 3.
		{"duplicates_cumulative.pb", RuleGreedy, TieLexicographic, []string{"p"}, "10"},
		{"duplicates_cumulative.pb", RuleGreedyPoints, TieLexicographic, []string{"q"}, "10"},
		{"duplicates_cumulative.pb", RuleGreedyPointsPerCost, TieLexicographic, []string{"q"}, "10"},
		{"duplicates_cumulative.pb", RuleEqualSharesPoints, TieLexicographic, nil, "0"},
		// Budget 100.50 = 50.25 + 50,25 exactly.
		{"fractional.pb", RuleGreedy, TieLexicographic, []string{"m", "n"}, "100.5"},
		// Five projects with 3 votes each.
		{"ties.pb", RuleGreedy, TieLexicographic, []string{"a", "c"}, "60"},
		{"ties.pb", RuleGreedy, TieDefault, sorted("c", lot("b", "d", "e")[0]), "50"},
		// Equal Shares: every project's price is 1/3 at first; a wins by byte order.
		{"ties.pb", RuleEqualShares, TieLexicographic, []string{"a"}, "40"},
		// ... and c by cost; then b, d and e tie again, at 4/9.
		{"ties.pb", RuleEqualShares, TieDefault, sorted("c", lot("b", "d", "e")[0]), "50"},
		// Cumulative: supporters s 2, t 3, u 2; points s 18, t 16, u 6.
		{"cumulative.pb", RuleGreedy, TieLexicographic, []string{"t", "u"}, "70"},
		{"cumulative.pb", RuleGreedyPoints, TieLexicographic, []string{"s", "u"}, "100"},
		{"cumulative.pb", RuleGreedyPointsPerCost, TieLexicographic, []string{"t", "u"}, "70"},
		// Greedy adds the unsupported r3 at the end; Equal Shares does not.
		{"no_support.pb", RuleGreedy, TieLexicographic, []string{"r1", "r2", "r3"}, "90"},
		{"no_support.pb", RuleEqualShares, TieLexicographic, []string{"r2"}, "40"},
		{"no_support.pb", RulePhragmen, TieLexicographic, []string{"r1", "r2", "r3"}, "90"},
		{"bom_crlf_quoted.pb", RuleGreedy, TieLexicographic, []string{"A", "C"}, "100"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%s/%s", tt.file, tt.rule, tt.order), func(t *testing.T) {
			e := testElection(t, tt.file)
			tb, err := NewTieBreak(tt.order, zero)
			if err != nil {
				t.Fatal(err)
			}
			o, err := Count(e, tt.rule, tb)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(o.Selected, tt.want) && (len(o.Selected) > 0 || len(tt.want) > 0) {
				t.Errorf("selected %q, want %q", o.Selected, tt.want)
			}
			if got := FormatAmount(o.Spent, o.Scale); got != tt.spent {
				t.Errorf("spent %s, want %s", got, tt.spent)
			}
		})
	}
}

func TestVotesWithDuplicates(t *testing.T) {
	e := testElection(t, "duplicates_cumulative.pb")
	tb, _ := NewTieBreak(TieLexicographic, [32]byte{})
	o, _ := Count(e, RuleGreedyPoints, tb)
	if !slices.Equal(o.Votes, []int64{1, 3}) {
		t.Errorf("points votes = %v, want [1 3]", o.Votes)
	}
	o, _ = Count(e, RuleGreedy, tb)
	if !slices.Equal(o.Votes, []int64{2, 2}) {
		t.Errorf("supporter votes = %v, want [2 2]", o.Votes)
	}
}

func TestBadFiles(t *testing.T) {
	tests := []struct {
		file string
		line int
		msg  string
	}{
		{"unknown_project.pb", 10, `unknown project "zz"`},
		{"field_count.pb", 7, "3 fields, the header has 2"},
		{"bad_budget.pb", 3, "budget"},
		{"open_quote.pb", 7, "quoted field not closed"},
		{"no_projects.pb", 5, "section VOTES out of order"},
		{"points_count.pb", 11, "2 projects but 1 points"},
		{"num_votes.pb", 5, "num_votes is 2 but the file has 1"},
		{"dup_project.pb", 8, `project "a" appears twice`},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata/bad", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			pb, err := ReadPB(bytes.NewReader(data))
			if err == nil {
				_, err = pb.Election()
			}
			var pe *PabulibError
			if !errors.As(err, &pe) || !errors.Is(err, ErrPabulib) {
				t.Fatalf("error %v, want a *PabulibError", err)
			}
			if pe.Line != tt.line || !strings.Contains(pe.Msg, tt.msg) {
				t.Errorf("error %q (line %d), want line %d containing %q", err, pe.Line, tt.line, tt.msg)
			}
		})
	}
}

// TestWriteGolden pins the canonical .pb output of every test file, and
// checks that reading it back gives the same file.
func TestWriteGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/pb/*.pb")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			pb := readPBFile(t, f)
			var buf bytes.Buffer
			if _, err := pb.WriteTo(&buf); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata/golden", strings.TrimSuffix(filepath.Base(f), ".pb")+".canonical.pb")
			checkGolden(t, golden, buf.Bytes())
			back, err := ReadPB(bytes.NewReader(buf.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			if !samePB(pb, back) {
				t.Errorf("read(write(x)) differs from x")
			}
		})
	}
}

// TestOutcomeGolden pins, for every test file, rule and tie-break order,
// the outcome and every explanation.
func TestOutcomeGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/pb/*.pb")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			e, err := readPBFile(t, f).Election()
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			for _, order := range []string{TieLexicographic, TieDefault} {
				tb, _ := NewTieBreak(order, [32]byte{})
				for _, rule := range Rules() {
					o, err := Count(e, rule, tb)
					if err != nil {
						t.Fatal(err)
					}
					fmt.Fprintf(&buf, "== %s %s: selected %s spent %s\n", rule, order, strings.Join(o.Selected, ","), FormatAmount(o.Spent, o.Scale))
					if o.Note != "" {
						fmt.Fprintf(&buf, "note: %s\n", o.Note)
					}
					for i, x := range o.Explanations {
						fmt.Fprintf(&buf, "%s votes=%d funded=%v %s: %s\n", x.Project, o.Votes[i], x.Funded, x.Reason, x.Text)
					}
				}
			}
			checkGolden(t, filepath.Join("testdata/golden", strings.TrimSuffix(filepath.Base(f), ".pb")+".outcomes.txt"), buf.Bytes())
		})
	}
}

func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run go test -update and review the diff):\n%s", path, got)
	}
}

// samePB compares the content of two files, ignoring line numbers.
func samePB(a, b *PB) bool {
	if len(a.Meta) != len(b.Meta) || len(a.Projects) != len(b.Projects) || len(a.Votes) != len(b.Votes) {
		return false
	}
	for i := range a.Meta {
		if a.Meta[i].Key != b.Meta[i].Key || a.Meta[i].Value != b.Meta[i].Value {
			return false
		}
	}
	rows := func(x, y []PBRow) bool {
		for i := range x {
			if !slices.Equal(x[i].Fields, y[i].Fields) {
				return false
			}
		}
		return true
	}
	return slices.Equal(a.ProjectColumns, b.ProjectColumns) && slices.Equal(a.VoteColumns, b.VoteColumns) &&
		rows(a.Projects, b.Projects) && rows(a.Votes, b.Votes)
}

// FuzzReadPB checks that ReadPB never panics, that what it reads writes
// back into a file that reads the same, and that interpreting and counting
// it does not panic either.
func FuzzReadPB(f *testing.F) {
	for _, dir := range []string{"testdata/pb", "testdata/bad"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.pb"))
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		pb, err := ReadPB(bytes.NewReader(data))
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if _, err := pb.WriteTo(&buf); err != nil {
			t.Fatalf("WriteTo: %v", err)
		}
		back, err := ReadPB(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatalf("re-read: %v\n%q", err, buf.Bytes())
		}
		if !samePB(pb, back) {
			t.Fatalf("read(write(x)) != x\n%q", buf.Bytes())
		}
		var buf2 bytes.Buffer
		back.WriteTo(&buf2)
		if !bytes.Equal(buf.Bytes(), buf2.Bytes()) {
			t.Fatalf("write is not stable")
		}
		e1, err1 := pb.Election()
		e2, err2 := back.Election()
		if (err1 == nil) != (err2 == nil) || err1 == nil && !reflect.DeepEqual(e1, e2) {
			t.Fatalf("elections differ: %v / %v", err1, err2)
		}
		if err1 != nil || len(e1.Ballots) > 50 || len(e1.Projects) > 20 || e1.Budget > 1e6 {
			return
		}
		tb, _ := NewTieBreak(TieDefault, [32]byte{1})
		for _, rule := range []string{RuleGreedy, RuleGreedyNoSkip, RuleGreedyPointsPerCost, RuleEqualShares, RuleEqualSharesUnit, RuleEqualSharesPoints, RulePhragmen} {
			o, err := Count(e1, rule, tb)
			if err != nil {
				continue
			}
			if o.Spent > e1.Budget {
				t.Fatalf("%s spent %d > budget %d", rule, o.Spent, e1.Budget)
			}
		}
	})
}

// lotSeed is the non-zero seed of the lot known-answer tests: the bytes
// 0x00, 0x01, ..., 0x1f (docs/counting.md §3).
func lotSeed() [32]byte {
	var s [32]byte
	for i := range s {
		s[i] = byte(i)
	}
	return s
}

// TestLotKeyVector is the known-answer test of docs/counting.md §3.
func TestLotKeyVector(t *testing.T) {
	for _, tt := range []struct{ id, want string }{
		{"p17", "5ed9fdbeb9bc6190b9180ffe0edc6aa7d9822431cf0721f4350ddde711636ffc"},
		{"p2", "3d3670119cd4df17842f5eb06f5be0f9a06f35a2c75dd2e2da6c5538f2c940b6"},
	} {
		k := LotKey(lotSeed(), tt.id)
		if got := hex.EncodeToString(k[:]); got != tt.want {
			t.Errorf("LotKey(00 01 .. 1f, %q) = %s, want %s", tt.id, got, tt.want)
		}
	}
}

// TestTieBreakSteps checks each step of min-cost,max-votes,lot deciding a
// tie of a count.
func TestTieBreakSteps(t *testing.T) {
	tests := []struct {
		file, rule, order string
		seed              [32]byte
		want              []string
	}{
		// Phragmén: round 1 funds a (load 1 against p 2, q 4/3); in round 2
		// p (4/2) and q ((1+1+4)/3) tie at load 2 with the same cost 4, and
		// only one fits in the 4 left. Byte order takes p; max-votes takes
		// q (3 votes against 2), whatever the seed.
		{"max_votes.pb", RulePhragmen, TieLexicographic, [32]byte{}, []string{"a", "p"}},
		{"max_votes.pb", RulePhragmen, TieDefault, [32]byte{}, []string{"a", "q"}},
		{"max_votes.pb", RulePhragmen, TieDefault, lotSeed(), []string{"a", "q"}},
		// p17 and p2: cost 5 and 2 votes each, budget 5. Byte order takes
		// p17; the lot under seed 00 01 .. 1f takes p2 (key 3d36… < 5ed9…).
		{"lot.pb", RuleGreedy, TieLexicographic, [32]byte{}, []string{"p17"}},
		{"lot.pb", RuleGreedy, TieDefault, lotSeed(), []string{"p2"}},
		{"lot.pb", RuleEqualShares, TieDefault, lotSeed(), []string{"p2"}},
		{"lot.pb", RulePhragmen, TieDefault, lotSeed(), []string{"p2"}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%s/%s/%x", tt.file, tt.rule, tt.order, tt.seed[1]), func(t *testing.T) {
			tb, err := NewTieBreak(tt.order, tt.seed)
			if err != nil {
				t.Fatal(err)
			}
			o, err := Count(testElection(t, tt.file), tt.rule, tb)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(o.Selected, tt.want) {
				t.Errorf("selected %q, want %q", o.Selected, tt.want)
			}
		})
	}
}
