package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/tally"
	"github.com/hedensted-pb/pb/tally/ledger"
)

// TestRecordExplainsOptions: pbverify record on the §13 vector with a
// minimum and an exclusion group verifies it and says, per project, which
// were below the minimum and which were excluded by whom.
func TestRecordExplainsOptions(t *testing.T) {
	dir := "../../tally/ledger/testdata/vectors/counting-options-verifies"
	code, out, stderr := pbverify(t, "record", dir, "-anchors", dir+"/anchors.txt")
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	for _, re := range []string{
		`(?m)^recount with equalshares/add1u, tie-break min-cost,max-votes,lot, minimum 3 votes to be funded, at most one of boldbane lektiecafe:$`,
		`(?m)^  boldbane +not funded excluded: lektiecafe, of the same exclusion group, was funded`,
		`(?m)^  legeplads +not funded below the minimum: 2 votes, 3 needed to be funded`,
		`(?m)^  cykelsti +not funded below the minimum: 2 votes, 3 needed`,
		`(?m)^  lektiecafe +funded +chosen in round 3 of Equal Shares`,
		`(?m)^VERIFIED$`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("output lacks %s:\n%s", re, out)
		}
	}
}

// TestRecordJSONExplainsOptions: -json carries the same explanations as
// the report's last member "why", and stays one JSON object.
func TestRecordJSONExplainsOptions(t *testing.T) {
	dir := "../../tally/ledger/testdata/vectors/counting-options-verifies"
	code, out, stderr := pbverify(t, "record", dir, "-anchors", dir+"/anchors.txt", "-json")
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	var rep struct {
		OK  bool `json:"ok"`
		Why struct {
			Rule      string     `json:"rule"`
			Minimum   int64      `json:"minimum"`
			Exclusive [][]string `json:"exclusive"`
			Projects  []struct {
				ID, Reason string
				ExcludedBy string `json:"excluded_by"`
				Funded     bool
			} `json:"projects"`
		} `json:"why"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	w := rep.Why
	if !rep.OK || w.Rule != "equalshares/add1u" || w.Minimum != 3 || len(w.Exclusive) != 1 || len(w.Projects) != 6 {
		t.Fatalf("why %+v", w)
	}
	got := map[string]string{}
	for _, p := range w.Projects {
		got[p.ID] = p.Reason + " " + p.ExcludedBy
	}
	for id, want := range map[string]string{"boldbane": "excluded lektiecafe", "cykelsti": "below-minimum ", "legeplads": "below-minimum ", "lektiecafe": "selected "} {
		if got[id] != want {
			t.Errorf("%s: %q, want %q", id, got[id], want)
		}
	}
	// A record without options: the report has a why too, and no option.
	d := demoDir(t, 10)
	code, out, _ = pbverify(t, "record", d, "-anchors", d+"/anchors.txt", "-json")
	var plain map[string]json.RawMessage
	if code != exitOK || json.Unmarshal([]byte(out), &plain) != nil || plain["why"] == nil || plain["checks"] == nil {
		t.Fatalf("plain record: exit %d\n%s", code, out)
	}
}

// TestCountOptions: the round's .pb export (which cannot carry the
// counting options) counted by pbverify count with -minimum and
// -exclusive gives the round's result; without them, another one.
func TestCountOptions(t *testing.T) {
	dir := "../../tally/ledger/testdata/vectors/counting-options-verifies"
	rec, err := ledger.ReadRecord(os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	ab, err := os.ReadFile(dir + "/anchors.txt")
	if err != nil {
		t.Fatal(err)
	}
	a, err := ledger.ParseAnchors(ab)
	if err != nil {
		t.Fatal(err)
	}
	council, err := ledger.NewVerifier(a.CouncilKey)
	if err != nil {
		t.Fatal(err)
	}
	m, err := ballot.OpenManifest(rec.Leaves[0], council)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "round.pb")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := tally.WritePB(f, m, ledger.CountedBallots(rec, a), tally.PBInfo{}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	selected := func(args ...string) string {
		t.Helper()
		code, out, stderr := pbverify(t, append([]string{"count", file, "-rule", "equalshares/add1u", "-json"}, args...)...)
		if code != exitOK {
			t.Fatalf("count %v: exit %d\n%s", args, code, stderr)
		}
		var o struct {
			Selected []string `json:"selected"`
		}
		if err := json.Unmarshal([]byte(out), &o); err != nil {
			t.Fatal(err)
		}
		return strings.Join(o.Selected, " ")
	}
	if got := selected("-minimum", "3", "-exclusive", "boldbane lektiecafe"); got != "lektiecafe praktik spisefaellesskab" {
		t.Errorf("with the options: %s", got)
	}
	if got := selected(); got != "boldbane lektiecafe praktik spisefaellesskab" {
		t.Errorf("without the options: %s", got)
	}
	code, out, _ := pbverify(t, "count", file, "-rule", "greedy", "-minimum", "6", "-exclusive", "praktik,spisefaellesskab")
	if code != exitOK || !strings.Contains(out, "minimum:   6\nexclusive: praktik spisefaellesskab\n") || !strings.Contains(out, "excluded: spisefaellesskab") {
		t.Errorf("text output:\n%s", out)
	}
	for _, bad := range [][]string{{"-exclusive", "boldbane zz"}, {"-exclusive", "boldbane"}, {"-minimum", "-1"}} {
		if code, _, _ := pbverify(t, append([]string{"count", file, "-rule", "greedy"}, bad...)...); code != exitUsage {
			t.Errorf("%v: exit %d", bad, code)
		}
	}
}
