package ledger

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/hedensted-pb/pb/ballot"
)

func TestAdmitBallot(t *testing.T) {
	none, last := ballot.RevoteNone, ballot.RevoteLast
	fresh := KeyState{}
	one := KeyState{Ballots: 1, Last: 48}
	two := KeyState{Ballots: 2, Last: 49}
	voided := KeyState{Voided: true}
	voidedAfter := KeyState{Ballots: 1, Last: 48, Voided: true}
	tests := []struct {
		revote string
		k      KeyState
		logged int64
		want   Admission
		err    error // the sentinel, or errAny for another error
	}{
		// A key without ballots.
		{none, fresh, -1, Append, nil},
		{last, fresh, -1, Append, nil},
		// A new leaf of a key with a ballot.
		{none, one, -1, Refuse, ErrKeyUsed},
		{last, one, -1, Append, nil},
		{none, two, -1, Refuse, ErrKeyUsed},
		{last, two, -1, Append, nil},
		// The key's last ballot again: a repeat under either policy.
		{none, one, 48, Repeat, nil},
		{last, one, 48, Repeat, nil},
		{last, two, 49, Repeat, nil},
		// An earlier, superseded leaf resent byte for byte (a replayed old
		// cast; issue 11's q00, q01, q00 casts q00 anew: a new leaf, above).
		{last, two, 48, Refuse, ErrSupersededRepeat},
		{none, two, 48, Refuse, ErrKeyUsed},
		// A voided key: refused, repeats too.
		{none, voided, -1, Refuse, ErrKeyVoided},
		{last, voided, -1, Refuse, ErrKeyVoided},
		{none, voidedAfter, -1, Refuse, ErrKeyVoided},
		{last, voidedAfter, -1, Refuse, ErrKeyVoided},
		{none, voidedAfter, 48, Refuse, ErrKeyVoided},
		{last, voidedAfter, 48, Refuse, ErrKeyVoided},
		// Inconsistent inputs and unknown policies.
		{none, fresh, 7, Refuse, errAny},
		{last, fresh, 7, Refuse, errAny},
		{"first", fresh, -1, Refuse, errAny},
		{"", one, 48, Refuse, errAny},
	}
	sentinels := []error{ErrKeyUsed, ErrKeyVoided, ErrSupersededRepeat}
	for _, tt := range tests {
		name := fmt.Sprintf("%s/%+v/logged=%d", tt.revote, tt.k, tt.logged)
		got, err := AdmitBallot(tt.revote, tt.k, tt.logged)
		if got != tt.want {
			t.Errorf("%s: admission %v, want %v (err %v)", name, got, tt.want, err)
		}
		if (err != nil) != (got == Refuse) {
			t.Errorf("%s: admission %v with error %v", name, got, err)
		}
		for _, s := range sentinels {
			if errors.Is(err, s) != (tt.err == s) {
				t.Errorf("%s: error %v, want %v", name, err, tt.err)
			}
		}
		if tt.err == errAny && err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// errAny stands for an error that wraps none of the sentinels.
var errAny = errors.New("any")

// TestAdmitSequence plays voters' submissions through AdmitBallot against
// a log that holds each leaf once, as the server does, and checks which
// leaf counts: the last appended ballot of each key.
func TestAdmitSequence(t *testing.T) {
	type step struct {
		leaf  string // the leaf bytes; one key throughout
		void  bool   // a void of the key instead of a ballot
		want  Admission
		index int64 // the index answered (the new leaf's or the repeated one's)
	}
	tests := []struct {
		name   string
		revote string
		steps  []step
		counts int64 // the index of the counting ballot at the end, -1 none
	}{
		// Leaves are named choice/cast nonce: q00/1 and q00/2 are two casts
		// of one choice, two different leaves.
		{"issue 11: back to an earlier choice under last", ballot.RevoteLast, []step{
			{leaf: "q00/1", want: Append, index: 1},
			{leaf: "q01/1", want: Append, index: 2},
			{leaf: "q00/2", want: Append, index: 3},
			{leaf: "q00/2", want: Repeat, index: 3},
			{leaf: "q00/1", want: Refuse}, // the first cast replayed
			{leaf: "q01/1", want: Refuse},
		}, 3},
		{"back to an earlier choice under none", ballot.RevoteNone, []step{
			{leaf: "q00/1", want: Append, index: 1},
			{leaf: "q01/1", want: Refuse},
			{leaf: "q00/2", want: Refuse},
			{leaf: "q00/1", want: Repeat, index: 1},
		}, 1},
		{"double submit under none", ballot.RevoteNone, []step{
			{leaf: "q00", want: Append, index: 1},
			{leaf: "q00", want: Repeat, index: 1},
			{leaf: "q01", want: Refuse},
			{leaf: "q00", want: Repeat, index: 1},
		}, 1},
		{"revote then repeat under last", ballot.RevoteLast, []step{
			{leaf: "q00", want: Append, index: 1},
			{leaf: "q00", want: Repeat, index: 1},
			{leaf: "q01", want: Append, index: 2},
			{leaf: "q02", want: Append, index: 3},
			{leaf: "q02", want: Repeat, index: 3},
		}, 3},
		{"void", ballot.RevoteLast, []step{
			{leaf: "q00", want: Append, index: 1},
			{void: true},
			{leaf: "q00", want: Refuse},
			{leaf: "q01", want: Refuse},
		}, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var k KeyState
			logIndex := map[string]int64{}
			size := int64(1) // leaf 0 is the manifest
			counts := int64(-1)
			for n, s := range tt.steps {
				if s.void {
					k.Voided = true
					counts = -1
					size++
					continue
				}
				logged, ok := logIndex[s.leaf]
				if !ok {
					logged = -1
				}
				got, err := AdmitBallot(tt.revote, k, logged)
				if got != s.want {
					t.Fatalf("step %d (%s): %v (%v), want %v", n+1, s.leaf, got, err, s.want)
				}
				switch got {
				case Append:
					logIndex[s.leaf] = size
					k.Ballots++
					k.Last = size
					counts = size
					size++
					if s.index != k.Last {
						t.Fatalf("step %d: appended at %d, want %d", n+1, k.Last, s.index)
					}
				case Repeat:
					if logged != s.index || logged != counts {
						t.Fatalf("step %d: repeat of %d, want %d, counting %d", n+1, logged, s.index, counts)
					}
				}
			}
			if counts != tt.counts {
				t.Errorf("counting ballot %d, want %d", counts, tt.counts)
			}
		})
	}
}

// TestVerifyAdmission checks that Verify applies AdmitBallot: under revote
// last a leaf repeating the key's last ballot, or an earlier superseded
// one, fails one-ballot-per-key and is not counted.
func TestVerifyAdmission(t *testing.T) {
	d := tamperDemo(t, DemoOptions{Revote: ballot.RevoteLast, Revotes: 1})
	if rep := verify(d, d.Record); !rep.OK() {
		t.Fatalf("demo does not verify: %s", rep.FirstFailure())
	}
	b := body(d)
	revote := len(b) - 1 // voter 0's second ballot; its first is b[0]
	for _, c := range []struct {
		name string
		leaf []byte
	}{
		{"repeat of the last ballot", b[revote]},
		{"repeat of a superseded ballot", b[0]},
	} {
		t.Run(c.name, func(t *testing.T) {
			rep := verify(d, reseal(t, d, append(slices.Clone(b), c.leaf)))
			wantFirst(t, rep, CheckOneBallot)
			if rep.Counts.Counted != 30 || rep.Counts.Invalid != 1 {
				t.Errorf("counts %+v", rep.Counts)
			}
		})
	}
	// Voter 0 casts its first choice anew: the same choice with a new cast
	// nonce is a new leaf; it verifies and is the key's counting ballot.
	t.Run("new cast of a superseded choice", func(t *testing.T) {
		again, err := ballot.ParseBallot(b[0])
		if err != nil {
			t.Fatal(err)
		}
		again.Cast[0] ^= 1
		again.Sign(ballot.DeriveKey(d.Codes[0], d.Manifest.Round))
		rec := reseal(t, d, append(slices.Clone(b), again.Bytes()))
		rep := verify(d, rec)
		if !rep.OK() {
			t.Fatalf("record does not verify: %s", rep.FirstFailure())
		}
		if rep.Counts.Counted != 30 || rep.Counts.Superseded != 2 || rep.Counts.Invalid != 0 {
			t.Errorf("counts %+v", rep.Counts)
		}
	})
}
