package ledger

import (
	"crypto/sha256"
	"slices"
	"testing"

	"golang.org/x/mod/sumdb/tlog"
)

// TestPaperSample: paper ballots are found in log order with their roll
// positions, the sample follows the rank of docs/record.md §10.4 (computed
// here independently), is deterministic, and a smaller sample is a prefix.
func TestPaperSample(t *testing.T) {
	d, err := BuildDemo(DemoOptions{Seed: 7, Ballots: 30, Paper: 12, Receipts: -1})
	if err != nil {
		t.Fatal(err)
	}
	if rep := Verify(d.Record, VerifyOptions{Anchors: d.Anchors}); !rep.OK() {
		t.Fatalf("demo with paper ballots does not verify: %s", rep.FirstFailure())
	}
	pbs := PaperBallots(d.Record, d.Anchors)
	if len(pbs) != 12 {
		t.Fatalf("PaperBallots = %d, want 12", len(pbs))
	}
	for i, pb := range pbs {
		if i > 0 && pbs[i-1].Index >= pb.Index {
			t.Errorf("paper ballots not in log order")
		}
		if string(d.Record.Leaves[pb.Index]) != string(pb.Ballot.Bytes()) || !pb.Ballot.Paper {
			t.Errorf("paper ballot %d is not leaf %d", i, pb.Index)
		}
		if d.Roll.Keys[pb.Position-1] != pb.Ballot.Key {
			t.Errorf("paper ballot %d: position %d is not its key", i, pb.Position)
		}
	}
	var seed tlog.Hash
	seed[0] = 1
	all := SamplePaper(pbs, seed, 100)
	rank := func(pb PaperBallot) string {
		h := tlog.RecordHash(pb.Ballot.Bytes())
		r := sha256.Sum256(append(append([]byte("pb-paper-audit/v1\n"), seed[:]...), h[:]...))
		return string(r[:])
	}
	if len(all) != 12 || !slices.IsSortedFunc(all, func(a, b PaperBallot) int {
		if rank(a) < rank(b) {
			return -1
		}
		return 1
	}) {
		t.Errorf("SamplePaper(all) is not the rank order")
	}
	five := SamplePaper(pbs, seed, 5)
	for i := range five {
		if five[i].Index != all[i].Index {
			t.Errorf("sample of 5 is not a prefix of the whole order")
		}
	}
	if again := SamplePaper(pbs, seed, 5); !slices.EqualFunc(again, five, func(a, b PaperBallot) bool { return a.Index == b.Index }) {
		t.Errorf("SamplePaper is not deterministic")
	}
	seed[0] = 2
	other := SamplePaper(pbs, seed, 5)
	if slices.EqualFunc(other, five, func(a, b PaperBallot) bool { return a.Index == b.Index }) {
		t.Errorf("another seed gives the same sample")
	}
	if got := SamplePaper(pbs, seed, 0); len(got) != 0 {
		t.Errorf("SamplePaper(0) = %d ballots", len(got))
	}
	// A demo without paper ballots has none; its bytes are unchanged by the option.
	plain, err := BuildDemo(DemoOptions{Seed: 7, Ballots: 30, Receipts: -1})
	if err != nil {
		t.Fatal(err)
	}
	if got := PaperBallots(plain.Record, plain.Anchors); len(got) != 0 {
		t.Errorf("PaperBallots(no paper) = %d", len(got))
	}
}
