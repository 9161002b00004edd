package tally

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

// sharedDir holds the shared Pabulib sample with pabutools' outcomes. CI
// clones the repository with ../shared beside it.
const sharedDir = "../../shared/pabulib"

// expectedKeys maps expected.json's rule keys to our rule names.
var expectedKeys = map[string]string{
	"greedy_cost":    RuleGreedy,
	"greedy_card":    RuleGreedyPerCost,
	"mes_cost":       RuleEqualShares,
	"mes_card":       RuleEqualSharesUnit,
	"mes_cost_add1":  RuleAdd1,
	"mes_cost_add1u": RuleAdd1U,
	"phragmen":       RulePhragmen,
	"greedy_points":  RuleGreedyPointsPerCost,
	"mes_points":     RuleEqualSharesPoints,
}

// expectedFile is one file's entry in expected.json.
type expectedFile struct {
	Voters   int                  `json:"voters"`
	VoteType string               `json:"vote_type"`
	Seconds  map[string]float64   `json:"seconds"`
	Timeouts map[string]float64   `json:"timeouts_seconds"`
	Outcomes map[string]*[]string `json:"-"`
	Total    map[string]string    `json:"total_cost"`
}

// loadExpected reads expected.json, or skips the test when the shared
// directory is absent.
func loadExpected(tb testing.TB) map[string]*expectedFile {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join(sharedDir, "expected.json"))
	if os.IsNotExist(err) {
		tb.Skipf("shared Pabulib sample not found at %s", sharedDir)
	}
	if err != nil {
		tb.Fatal(err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		tb.Fatal(err)
	}
	out := map[string]*expectedFile{}
	for name, msg := range raw {
		if !strings.HasSuffix(name, ".pb") {
			continue
		}
		var ef expectedFile
		if err := json.Unmarshal(msg, &ef); err != nil {
			tb.Fatalf("%s: %v", name, err)
		}
		var all map[string]json.RawMessage
		if err := json.Unmarshal(msg, &all); err != nil {
			tb.Fatal(err)
		}
		ef.Outcomes = map[string]*[]string{}
		for key := range expectedKeys {
			v, ok := all[key]
			if !ok {
				continue
			}
			var ids *[]string
			if err := json.Unmarshal(v, &ids); err != nil {
				tb.Fatalf("%s %s: %v", name, key, err)
			}
			ef.Outcomes[key] = ids
		}
		out[name] = &ef
	}
	return out
}

// readShared reads and interprets one shared file.
func readShared(tb testing.TB, name string) *Election {
	tb.Helper()
	f, err := os.Open(filepath.Join(sharedDir, name))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	pb, err := ReadPB(f)
	if err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	e, err := pb.Election()
	if err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	return e
}

func sortedNames(m map[string]*expectedFile) []string {
	var names []string
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// TestPabulib checks every rule against pabutools' outcome on every shared
// file. On files above 3,000 voters the add1 outcome is read off the add1u
// count (the projects it funded before the greedy completion), which runs
// the same add1 search, to keep the test short under the race detector.
func TestPabulib(t *testing.T) {
	exp := loadExpected(t)
	for _, name := range sortedNames(exp) {
		ef := exp[name]
		e := readShared(t, name)
		pr, err := prepare(e)
		if err != nil {
			t.Fatal(err)
		}
		tb, _ := NewTieBreak(TieLexicographic, [32]byte{})
		var add1u *Outcome
		keys := make([]string, 0, len(ef.Outcomes))
		for k := range ef.Outcomes {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		slices.SortStableFunc(keys, func(a, b string) int { // add1u first
			return boolInt(b == "mes_cost_add1u") - boolInt(a == "mes_cost_add1u")
		})
		for _, key := range keys {
			want := ef.Outcomes[key]
			rule := expectedKeys[key]
			if want == nil {
				continue
			}
			t.Run(name+"/"+key, func(t *testing.T) {
				var selected []string
				switch {
				case key == "mes_cost_add1" && ef.Voters > 3000 && add1u != nil:
					for _, x := range add1u.Explanations {
						if x.Funded && x.Reason != ReasonCompletion {
							selected = append(selected, x.Project)
						}
					}
					slices.Sort(selected)
				default:
					o, err := countPrepared(pr, rule, tb)
					if err != nil {
						t.Fatal(err)
					}
					if key == "mes_cost_add1u" {
						add1u = o
					}
					selected = o.Selected
				}
				w := slices.Clone(*want)
				slices.Sort(w)
				if !slices.Equal(selected, w) {
					t.Errorf("%s: selected %v, want %v", rule, selected, w)
				}
			})
		}
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestPabulibOwnOutcomes pins our outcomes where expected.json has none
// (null: pabutools timed out, or the rule does not apply to the file's
// ballots), in testdata/golden/pabulib_own.txt.
func TestPabulibOwnOutcomes(t *testing.T) {
	exp := loadExpected(t)
	var buf strings.Builder
	tb, _ := NewTieBreak(TieLexicographic, [32]byte{})
	for _, name := range sortedNames(exp) {
		ef := exp[name]
		var e *Election
		keys := make([]string, 0)
		for k, v := range ef.Outcomes {
			if v == nil {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, key := range keys {
			if e == nil {
				e = readShared(t, name)
			}
			o, err := Count(e, expectedKeys[key], tb)
			if err != nil {
				t.Fatal(err)
			}
			why := "not applicable in pabutools"
			if _, ok := ef.Timeouts[key]; ok {
				why = fmt.Sprintf("pabutools timed out after %.0f s", ef.Timeouts[key])
			}
			fmt.Fprintf(&buf, "%s %s (%s): spent %s, selected %s\n", name, expectedKeys[key], why,
				FormatAmount(o.Spent, o.Scale), strings.Join(o.Selected, ","))
			if o.PerVoter != nil {
				fmt.Fprintf(&buf, "  per voter: %s\n", o.PerVoter.RatString())
			}
		}
	}
	checkGolden(t, "testdata/golden/pabulib_own.txt", []byte(buf.String()))
}

// TestGreedyThresholdOfficial checks that greedy-threshold reproduces the
// city's own result (the PROJECTS selected column) on every shared file
// whose META rule is greedy-threshold: with points on cumulative ballots
// (Częstochowa 2025 Stradom, Katowice 2023 and 2024), with approvals on
// approval ballots.
func TestGreedyThresholdOfficial(t *testing.T) {
	exp := loadExpected(t)
	tb, _ := NewTieBreak(TieLexicographic, [32]byte{})
	n := 0
	for _, name := range sortedNames(exp) {
		f, err := os.Open(filepath.Join(sharedDir, name))
		if err != nil {
			t.Fatal(err)
		}
		pb, err := ReadPB(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if r, _ := pb.MetaValue("rule"); r != RuleGreedyThreshold {
			continue
		}
		n++
		col := column(pb.ProjectColumns, "selected")
		if col < 0 {
			t.Fatalf("%s: no selected column", name)
		}
		var want []string
		for _, r := range pb.Projects {
			if r.Fields[col] == "1" {
				want = append(want, r.Fields[0])
			}
		}
		slices.Sort(want)
		e, err := pb.Election()
		if err != nil {
			t.Fatal(err)
		}
		o, err := Count(e, RuleGreedyThreshold, tb)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(o.Selected, want) {
			t.Errorf("%s (threshold %d, points %v): selected %v, the city funded %v", name, e.Threshold, e.Points, o.Selected, want)
		}
	}
	if n != 7 {
		t.Errorf("%d shared files with rule greedy-threshold, want 7", n)
	}
}
