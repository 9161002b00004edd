package ledger

import (
	"bytes"
	"crypto/sha256"
	"slices"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/hedensted-pb/pb/ballot"
)

// A PaperBallot is a counted ballot entered from paper (a leaf with the
// line "source paper", docs/record.md §6.1), as the paper audit (§10.4)
// sees it.
type PaperBallot struct {
	Index    int64          // its leaf index
	Position int            // 1-based position of its key in roll.txt
	Tag      string         // the slip tag of its key, XXXX-XXXX (§6.4)
	Ballot   *ballot.Ballot // the counted ballot
	rank     [32]byte
}

// PaperBallots returns the counted ballots of rec that were entered from
// paper, in log order, as [Verify] determines them with anchors a. It
// returns nil when the manifest or roll do not verify; the caller verifies
// the whole record first.
func PaperBallots(rec *Record, a *Anchors) []PaperBallot {
	counted := CountedBallots(rec, a)
	roll, err := ballot.ParseRoll(rec.Roll)
	if err != nil || counted == nil {
		return nil
	}
	want := map[tlog.Hash]*ballot.Ballot{}
	for _, b := range counted {
		if b.Paper {
			want[tlog.RecordHash(b.Bytes())] = b
		}
	}
	var out []PaperBallot
	for i, leaf := range rec.Leaves {
		if len(want) == 0 {
			break
		}
		h := tlog.RecordHash(leaf)
		b, ok := want[h]
		if !ok {
			continue
		}
		delete(want, h)
		pos, _ := roll.Index(b.Key)
		out = append(out, PaperBallot{Index: int64(i), Position: pos + 1, Tag: ballot.KeyTag(b.Key), Ballot: b})
	}
	return out
}

// paperAuditDomain begins every rank hash of the paper audit (§10.4).
const paperAuditDomain = "pb-paper-audit/v1\n"

// SamplePaper returns the paper audit's sample (docs/record.md §10.4): the
// n ballots of pbs with the smallest rank SHA-256("pb-paper-audit/v1" LF ‖
// seed ‖ RecordHash(leaf)), in rank order (all of them when n ≥ len(pbs)).
// seed is the final checkpoint's root unless the auditors agree on
// another. The sample of n is the first n of the sample of n+1.
func SamplePaper(pbs []PaperBallot, seed tlog.Hash, n int) []PaperBallot {
	out := slices.Clone(pbs)
	for i := range out {
		h := tlog.RecordHash(out[i].Ballot.Bytes())
		var buf []byte
		buf = append(buf, paperAuditDomain...)
		buf = append(buf, seed[:]...)
		buf = append(buf, h[:]...)
		out[i].rank = sha256.Sum256(buf)
	}
	slices.SortFunc(out, func(a, b PaperBallot) int { return bytes.Compare(a.rank[:], b.rank[:]) })
	if n < len(out) {
		out = out[:max(n, 0)]
	}
	return out
}
