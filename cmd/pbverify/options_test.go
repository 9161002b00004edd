package main

import (
	"encoding/json"
	"regexp"
	"testing"
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
