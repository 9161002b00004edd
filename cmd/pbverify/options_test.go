package main

import (
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
