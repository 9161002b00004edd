package tally

import (
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"
)

// benchTable makes TestBenchTable print the timing table of
// scripts/bench-count; without it the test is skipped.
var benchTable = flag.Bool("benchtable", false, "print the rule timing table over the shared Pabulib files")

// benchRules are the rules timed, with the expected.json key holding
// pabutools' time for the same computation ("" when it has none).
var benchRules = []struct{ rule, key string }{
	{RuleGreedy, "greedy_cost"},
	{RuleGreedyPerCost, "greedy_card"},
	{RuleEqualShares, "mes_cost"},
	{RuleEqualSharesUnit, "mes_card"},
	{RuleAdd1, ""}, // pabutools' add1 time is inside mes_cost_add1u
	{RuleAdd1U, "mes_cost_add1u"},
	{RulePhragmen, "phragmen"},
	{RuleGreedyPointsPerCost, "greedy_points"},
	{RuleEqualSharesPoints, "mes_points"},
	{RuleGreedyNoSkip, ""},
	{RuleGreedyThreshold, ""},
	{RuleGreedyPoints, ""},
	{RuleAdd1Comparison, ""},
}

// timeCount returns the time of one count of a prepared election: the
// fastest of a few runs for quick rules, one run for slow ones.
func timeCount(pr *profile, rule string, tb TieBreak) (time.Duration, *Outcome, error) {
	var best time.Duration
	var out *Outcome
	var total time.Duration
	for i := 0; i < 5 && (i == 0 || total < 200*time.Millisecond); i++ {
		t0 := time.Now()
		o, err := countPrepared(pr, rule, tb)
		d := time.Since(t0)
		if err != nil {
			return 0, nil, err
		}
		total += d
		if i == 0 || d < best {
			best, out = d, o
		}
	}
	return best, out, nil
}

// TestBenchTable prints, for every shared file and rule, our time, pabutools'
// time from expected.json and the ratio (run: scripts/bench-count).
func TestBenchTable(t *testing.T) {
	if !*benchTable {
		t.Skip("run with -benchtable (scripts/bench-count)")
	}
	exp := loadExpected(t)
	tb, _ := NewTieBreak(TieLexicographic, [32]byte{})
	type row struct {
		file, rule   string
		ours, theirs float64 // seconds; theirs < 0 when unknown
	}
	var rows []row
	var add1uTotal, prepTotal float64
	slowest := row{}
	out := os.Stdout
	fmt.Fprintf(out, "%-62s %-28s %12s %12s %9s\n", "file", "rule", "ours (ms)", "pabutools(s)", "ratio")
	for _, name := range sortedNames(exp) {
		ef := exp[name]
		t0 := time.Now()
		e := readShared(t, name)
		pr, err := prepare(e)
		if err != nil {
			t.Fatal(err)
		}
		prep := time.Since(t0).Seconds()
		prepTotal += prep
		fmt.Fprintf(out, "%-62s %-28s %12.3f %12s %9s\n", name, "(read+prepare)", prep*1000, secs(ef.Seconds, "parse"), ratio(prep, ef.Seconds, "parse"))
		for _, br := range benchRules {
			d, _, err := timeCount(pr, br.rule, tb)
			if err != nil {
				t.Fatalf("%s %s: %v", name, br.rule, err)
			}
			s := d.Seconds()
			if br.rule == RuleAdd1U {
				add1uTotal += s
			}
			r := row{name, br.rule, s, -1}
			if v, ok := ef.Seconds[br.key]; ok && br.key != "" {
				r.theirs = v
			}
			rows = append(rows, r)
			if s > slowest.ours {
				slowest = r
			}
			note := ""
			if br.key != "" {
				if _, ok := ef.Timeouts[br.key]; ok {
					note = fmt.Sprintf("  (pabutools: timed out at %.0f s)", ef.Timeouts[br.key])
				}
			}
			fmt.Fprintf(out, "%-62s %-28s %12.3f %12s %9s%s\n", name, br.rule, s*1000, secs(ef.Seconds, br.key), ratio(s, ef.Seconds, br.key), note)
		}
	}
	fmt.Fprintf(out, "\ntotal read+prepare: %.3f s\n", prepTotal)
	fmt.Fprintf(out, "total %s over the shared set: %.3f s\n", RuleAdd1U, add1uTotal)
	fmt.Fprintf(out, "slowest: %s on %s, %.3f s\n", slowest.rule, slowest.file, slowest.ours)
	// Smallest ratio per rule on the five largest files.
	sizes := map[string]int{}
	for _, name := range sortedNames(exp) {
		if fi, err := os.Stat(sharedDir + "/" + name); err == nil {
			sizes[name] = int(fi.Size())
		}
	}
	names := sortedNames(exp)
	sort.Slice(names, func(i, j int) bool { return sizes[names[i]] > sizes[names[j]] })
	large := map[string]bool{}
	for _, n := range names[:min(5, len(names))] {
		large[n] = true
	}
	worst := map[string]float64{}
	for _, r := range rows {
		if large[r.file] && r.theirs > 0 {
			q := r.theirs / r.ours
			if w, ok := worst[r.rule]; !ok || q < w {
				worst[r.rule] = q
			}
		}
	}
	var keys []string
	for k := range worst {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %.0fx", k, worst[k]))
	}
	fmt.Fprintf(out, "least speed-up on the 5 largest files: %s\n", strings.Join(parts, ", "))
}

func secs(m map[string]float64, key string) string {
	if v, ok := m[key]; ok && key != "" {
		return fmt.Sprintf("%.4f", v)
	}
	return "-"
}

func ratio(ours float64, m map[string]float64, key string) string {
	if v, ok := m[key]; ok && key != "" && ours > 0 {
		return fmt.Sprintf("%.0fx", v/ours)
	}
	return "-"
}

// BenchmarkCount times every rule on every shared file (go test -bench).
func BenchmarkCount(b *testing.B) {
	exp := loadExpected(b)
	tb, _ := NewTieBreak(TieLexicographic, [32]byte{})
	for _, name := range sortedNames(exp) {
		e := readShared(b, name)
		pr, err := prepare(e)
		if err != nil {
			b.Fatal(err)
		}
		for _, br := range benchRules {
			b.Run(strings.TrimSuffix(name, ".pb")+"/"+strings.ReplaceAll(br.rule, "/", ":"), func(b *testing.B) {
				for b.Loop() {
					if _, err := countPrepared(pr, br.rule, tb); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
