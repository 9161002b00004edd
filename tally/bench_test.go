package tally

import (
	"flag"
	"fmt"
	"os"
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
// fastest of up to 20 runs, stopping after 300 ms (so slow rules run once
// or twice). The minimum is the figure least disturbed by other load on a
// shared machine.
func timeCount(pr *profile, rule string, tb TieBreak) (time.Duration, *Outcome, error) {
	var best time.Duration
	var out *Outcome
	var total time.Duration
	for i := 0; i < 20 && (i == 0 || total < 300*time.Millisecond); i++ {
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

// largeVoters: files with more voters than this are the "largest files"
// of the speed target (issue 3): the nine files over 4,000 voters.
const largeVoters = 4000

// theirTime returns pabutools' time for key from expected.json: its
// seconds (exact), or for a rule it stopped at a time limit that limit as
// a lower bound (lower set); ok is false when there is no figure.
func theirTime(ef *expectedFile, key string) (sec float64, lower, ok bool) {
	if key == "" {
		return 0, false, false
	}
	if t, stopped := ef.Timeouts[key]; stopped {
		return t, true, true
	}
	v, ok := ef.Seconds[key]
	return v, false, ok && v > 0
}

// TestBenchTable prints, for every shared file and rule, our time, pabutools'
// time from expected.json and the ratio (run: scripts/bench-count).
//
// Both sides time the rule alone. pabutools' seconds are per rule on a
// parsed profile (on the four files over 20,000 lines, a multiprofile made
// before timing); ours are per count of a prepared election (identical
// ballots merged into weighted groups, which is done once per file and
// timed on its own line, with reading the file).
func TestBenchTable(t *testing.T) {
	if !*benchTable {
		t.Skip("run with -benchtable (scripts/bench-count)")
	}
	exp := loadExpected(t)
	tb, _ := NewTieBreak(TieLexicographic, [32]byte{})
	type row struct {
		file, rule string
		ours       float64 // seconds
		theirs     float64 // seconds; lower bound when lower
		lower, ok  bool
	}
	var rows []row
	var add1uTotal, readTotal, prepTotal float64
	slowest := row{}
	out := os.Stdout
	fmt.Fprintf(out, "%-62s %-28s %12s %13s %10s\n", "file", "rule", "ours (ms)", "pabutools (s)", "ratio")
	for _, name := range sortedNames(exp) {
		ef := exp[name]
		t0 := time.Now()
		e := readShared(t, name)
		read := time.Since(t0).Seconds()
		t0 = time.Now()
		pr, err := prepare(e)
		if err != nil {
			t.Fatal(err)
		}
		prep := time.Since(t0).Seconds()
		readTotal += read
		prepTotal += prep
		fmt.Fprintf(out, "%-62s %-28s %12.3f %13s %10s\n", name, "(read)", read*1000, fmtTheirs(ef.Seconds["parse"], false, true), fmtRatio(read, ef.Seconds["parse"], false, true))
		fmt.Fprintf(out, "%-62s %-28s %12.3f %13s %10s\n", name, "(prepare)", prep*1000, "-", "-")
		for _, br := range benchRules {
			d, _, err := timeCount(pr, br.rule, tb)
			if err != nil {
				t.Fatalf("%s %s: %v", name, br.rule, err)
			}
			s := d.Seconds()
			if br.rule == RuleAdd1U {
				add1uTotal += s
			}
			r := row{file: name, rule: br.rule, ours: s}
			r.theirs, r.lower, r.ok = theirTime(ef, br.key)
			rows = append(rows, r)
			if s > slowest.ours {
				slowest = r
			}
			note := ""
			if r.lower {
				note = "  (pabutools stopped at its time limit)"
			}
			fmt.Fprintf(out, "%-62s %-28s %12.3f %13s %10s%s\n", name, br.rule, s*1000, fmtTheirs(r.theirs, r.lower, r.ok), fmtRatio(s, r.theirs, r.lower, r.ok), note)
		}
	}
	fmt.Fprintf(out, "\ntotal read: %.3f s, total prepare: %.3f s\n", readTotal, prepTotal)
	fmt.Fprintf(out, "total %s over the shared set: %.3f s\n", RuleAdd1U, add1uTotal)
	fmt.Fprintf(out, "slowest count: %s on %s, %.3f s\n", slowest.rule, slowest.file, slowest.ours)
	// Least speed-up per rule on the largest files.
	var large []string
	for _, name := range sortedNames(exp) {
		if exp[name].Voters > largeVoters {
			large = append(large, strings.TrimSuffix(name, ".pb"))
		}
	}
	fmt.Fprintf(out, "least speed-up on the %d files over %d voters (%s):\n", len(large), largeVoters, strings.Join(large, ", "))
	type worst struct {
		q    float64
		file string
	}
	ws := map[string]worst{}
	var keys []string
	for _, r := range rows {
		if exp[r.file].Voters <= largeVoters || !r.ok || r.lower || r.ours <= 0 {
			continue
		}
		q := r.theirs / r.ours
		if w, ok := ws[r.rule]; !ok || q < w.q {
			if !ok {
				keys = append(keys, r.rule)
			}
			ws[r.rule] = worst{q, r.file}
		}
	}
	for _, k := range keys {
		fmt.Fprintf(out, "  %-28s %8.0fx  %s\n", k, ws[k].q, ws[k].file)
	}
}

// fmtTheirs formats pabutools' time: seconds, ">N" for a lower bound, "-"
// for none.
func fmtTheirs(sec float64, lower, ok bool) string {
	switch {
	case !ok:
		return "-"
	case lower:
		return fmt.Sprintf(">%.0f", sec)
	}
	return fmt.Sprintf("%.4f", sec)
}

// fmtRatio formats pabutools' time over ours.
func fmtRatio(ours, theirs float64, lower, ok bool) string {
	switch {
	case !ok || ours <= 0:
		return "-"
	case lower:
		return fmt.Sprintf(">%.0fx", theirs/ours)
	}
	return fmt.Sprintf("%.0fx", theirs/ours)
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
