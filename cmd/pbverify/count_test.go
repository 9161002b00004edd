package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/tally/ledger"
	"github.com/hedensted-pb/pb/tally/recount"
)

const countTestdata = "../../tally/testdata"

func runCount(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(append([]string{"count"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

func TestCountText(t *testing.T) {
	code, out, errs := runCount(filepath.Join(countTestdata, "pb/over_budget.pb"), "--rule", "greedy-no-skip")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"selected:  b\n", "spent:     60\n", "a        200   5      no      costs 200, more than the whole budget 100",
		"not reached: greedy-no-skip stopped"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// Without -rule, the file's META rule (greedy-no-skip) is used.
	code2, out2, _ := runCount(filepath.Join(countTestdata, "pb/over_budget.pb"))
	if code2 != exitOK || out2 != out {
		t.Errorf("default rule: exit %d, output\n%s", code2, out2)
	}
}

func TestCountJSON(t *testing.T) {
	seed := strings.Repeat("ab", 32)
	code, out, errs := runCount("-json", "-rule", "equalshares", filepath.Join(countTestdata, "pb/ties.pb"), "--tiebreak", "min-cost,max-votes,lot", "--seed", seed)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var got struct {
		Selected []string `json:"selected"`
		Spent    string   `json:"spent"`
		Seed     string   `json:"seed"`
		Projects []struct {
			ID     string `json:"id"`
			Funded bool   `json:"funded"`
			Shares *struct {
				FullShare string `json:"full_share"`
			} `json:"equal_shares"`
		} `json:"projects"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !slices.IsSorted(got.Selected) || len(got.Selected) != 2 || got.Selected[0] == got.Selected[1] || got.Spent != "50" || got.Seed != seed {
		t.Errorf("selected %v spent %s seed %s", got.Selected, got.Spent, got.Seed)
	}
	for _, p := range got.Projects {
		if p.ID == "c" && (!p.Funded || p.Shares == nil || p.Shares.FullShare != "20/3") {
			t.Errorf("project c: %+v", p)
		}
	}
}

func TestCountErrors(t *testing.T) {
	custom := filepath.Join(t.TempDir(), "custom.pb")
	os.WriteFile(custom, []byte("META\nkey;value\nbudget;10\nvote_type;approval\nrule;greedy-custom\nPROJECTS\nproject_id;cost\na;5\nVOTES\nvoter_id;vote\n1;a\n"), 0o644)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{filepath.Join(countTestdata, "bad/unknown_project.pb"), "-rule", "greedy"}, `pabulib line 10: voter "1" votes for unknown project "zz"`},
		{[]string{filepath.Join(countTestdata, "bad/open_quote.pb"), "-rule", "greedy"}, "pabulib line 7: quoted field not closed"},
		{[]string{filepath.Join(countTestdata, "pb/ties.pb"), "-rule", "nonsense"}, `unknown rule "nonsense"`},
		{[]string{custom}, `no -rule given and the file's rule "greedy-custom" is not one of ours`},
		{[]string{filepath.Join(countTestdata, "pb/ties.pb"), "-tiebreak", "coin"}, "unknown tie-breaking order"},
		{[]string{filepath.Join(countTestdata, "pb/ties.pb"), "-seed", "xyz"}, "-seed: want 32 bytes"},
		{[]string{"no/such/file.pb", "-rule", "greedy"}, "no such file"},
		{[]string{}, "want exactly one FILE.pb"},
		{[]string{"a.pb", "b.pb"}, "want exactly one FILE.pb"},
	}
	for _, tt := range tests {
		code, _, errs := runCount(tt.args...)
		if code != exitUsage || !strings.Contains(errs, tt.want) || !strings.HasPrefix(errs, "pbverify: error: ") {
			t.Errorf("count %q: exit %d, stderr %q; want exit 2 and %q", tt.args, code, errs, tt.want)
		}
	}
	if code, _, errs := runCount("-h"); code != exitOK || !strings.Contains(errs, "equalshares/add1u") {
		t.Errorf("-h: exit %d, %s", code, errs)
	}
}

// TestCountShared counts every shared Pabulib file with greedy and
// Equal Shares through the command and compares with pabutools' outcome
// (package tally checks every rule).
func TestCountShared(t *testing.T) {
	dir := "../../../shared/pabulib"
	data, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if os.IsNotExist(err) {
		t.Skip("shared Pabulib sample not found")
	}
	if err != nil {
		t.Fatal(err)
	}
	var exp map[string]json.RawMessage
	if err := json.Unmarshal(data, &exp); err != nil {
		t.Fatal(err)
	}
	for name, raw := range exp {
		if !strings.HasSuffix(name, ".pb") {
			continue
		}
		var ref map[string]*[]string
		json.Unmarshal(raw, &ref) // non-list members fail to decode and are skipped
		for key, rule := range map[string]string{"greedy_cost": "greedy", "mes_cost": "equalshares"} {
			want := ref[key]
			if want == nil {
				t.Fatalf("%s: no %s", name, key)
			}
			code, out, errs := runCount(filepath.Join(dir, name), "--rule", rule, "--tiebreak", "lexicographic", "--json")
			if code != exitOK {
				t.Fatalf("%s %s: exit %d: %s", name, rule, code, errs)
			}
			var got struct {
				Selected []string `json:"selected"`
			}
			json.Unmarshal([]byte(out), &got)
			w := slices.Clone(*want)
			slices.Sort(w)
			if !slices.Equal(got.Selected, w) {
				t.Errorf("%s %s: selected %v, want %v", name, rule, got.Selected, w)
			}
		}
	}
}

// TestRecount checks the CountFunc for "pbverify record": a round whose
// result was counted with the manifest's rule passes the recount check,
// and one whose result was counted otherwise fails it.
func TestRecount(t *testing.T) {
	cases := []struct {
		kind       ballot.Kind
		rule       string
		resultBy   ledger.CountFunc
		wantStatus ledger.Status
	}{
		{ballot.KindApproval, "equalshares", recount.Count, ledger.StatusPass},
		{ballot.KindApprovalCost, "phragmen", recount.Count, ledger.StatusPass},
		{ballot.KindCumulative, "greedy-points", recount.Count, ledger.StatusPass},
		{ballot.KindApproval, "equalshares", nil, ledger.StatusFail}, // result funded greedily
	}
	for _, c := range cases {
		d, err := ledger.BuildDemo(ledger.DemoOptions{Ballots: 60, Seed: 5, Kind: c.kind, Rule: c.rule, Tiebreak: "min-cost,max-votes,lot", Count: c.resultBy})
		if err != nil {
			t.Fatal(err)
		}
		rep := ledger.Verify(d.Record, ledger.VerifyOptions{Anchors: d.Anchors, Count: recount.Count})
		if got := rep.Check(ledger.CheckRecount).Status; got != c.wantStatus {
			t.Errorf("%s %s: recount %s, want %s (%+v)", c.kind, c.rule, got, c.wantStatus, rep.Check(ledger.CheckRecount))
		}
	}
}

// TestRecordRecountsFunding checks that "pbverify record" recounts the
// funded projects with the manifest's rule: a council-signed result that
// funds what greedy funds, in a round whose manifest says Equal Shares,
// fails the recount check although every signature and vote total holds.
func TestRecordRecountsFunding(t *testing.T) {
	for _, c := range []struct {
		resultBy ledger.CountFunc
		want     int
	}{{recount.Count, exitOK}, {nil, exitFailed}} {
		d, err := ledger.BuildDemo(ledger.DemoOptions{Ballots: 60, Seed: 5, Rule: "equalshares", Tiebreak: "min-cost,max-votes,lot", Count: c.resultBy})
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		if err := writeDemo(d, dir, ""); err != nil {
			t.Fatal(err)
		}
		code, out, stderr := pbverify(t, "record", dir, "--anchors", filepath.Join(dir, "anchors.txt"))
		if code != c.want {
			t.Fatalf("result counted by %v: exit %d, want %d\n%s%s", c.resultBy != nil, code, c.want, out, stderr)
		}
		if c.want == exitFailed && !strings.Contains(out, "first failing check: recount") {
			t.Errorf("report does not name the recount:\n%s", out)
		}
	}
}

// TestRecordAttendanceAndUnused: the optional checks from the command
// line: a head count and the codes of slips collected unused.
func TestRecordAttendanceAndUnused(t *testing.T) {
	d, err := ledger.BuildDemo(ledger.DemoOptions{Ballots: 8, Seed: 9, Count: recount.Count})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := writeDemo(d, dir, ""); err != nil {
		t.Fatal(err)
	}
	anchors := filepath.Join(dir, "anchors.txt")
	usedCodes, unusedCodes := d.SplitCodes()
	var unused, used []string
	for _, c := range usedCodes {
		used = append(used, c.String())
	}
	for _, c := range unusedCodes {
		unused = append(unused, strings.ToLower(c.String()))
	}
	write := func(name string, lines ...string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte("# collected at the door\n\n"+strings.Join(lines, "\n")+"\n"), 0o600)
		return p
	}
	good := write("unused.txt", unused...)
	stuffed := write("stuffed.txt", append(unused, used[0])...)
	typo := write("typo.txt", unused[0][:len(unused[0])-1]+"x")
	for _, tt := range []struct {
		args  []string
		code  int
		first string
	}{
		{[]string{"-attendance", "8", "-unused", good}, exitOK, ""},
		{[]string{"-attendance", "7"}, exitFailed, "attendance"},
		{[]string{"-unused", stuffed}, exitFailed, "unused-codes"},
		{[]string{"-unused", typo}, exitUsage, ""},
		{[]string{"-unused", filepath.Join(dir, "missing.txt")}, exitUsage, ""},
		{[]string{"-attendance", "-1"}, exitUsage, ""},
	} {
		code, out, errs := pbverify(t, append([]string{"record", dir, "-anchors", anchors}, tt.args...)...)
		if code != tt.code || (tt.first != "" && !strings.Contains(out, "first failing check: "+tt.first)) {
			t.Errorf("record %v: exit %d, want %d (first failure %q)\n%s%s", tt.args, code, tt.code, tt.first, out, errs)
		}
		if strings.Contains(errs, "line 3 is not a voting code") != (tt.args[1] == typo) {
			t.Errorf("record %v: stderr %q", tt.args, errs)
		}
		for _, c := range append(unused, used...) {
			if strings.Contains(strings.ToLower(out+errs), strings.ToLower(c)) {
				t.Errorf("record %v printed a voting code", tt.args)
			}
		}
	}
}
