package ledger

import (
	"errors"
	"fmt"

	"github.com/hedensted-pb/pb/ballot"
)

// The reasons [AdmitBallot] refuses a ballot leaf. They are returned
// wrapped; test with [errors.Is].
var (
	// ErrKeyUsed reports a second ballot of a key under revote none.
	ErrKeyUsed = errors.New("key already used")
	// ErrKeyVoided reports a ballot of a key that a void leaf in the log
	// cancelled: no ballot of that key is accepted any more, not even a
	// repeat of one logged before the void.
	ErrKeyVoided = errors.New("key voided")
	// ErrSupersededRepeat reports, under revote last, a leaf byte-identical
	// to an earlier ballot of its key that a later ballot superseded: a
	// replayed old cast. A leaf is logged at most once, so it cannot count
	// again; the key's last ballot keeps counting. (A voter who goes back
	// to an earlier choice casts it anew, with a new cast nonce: a new
	// leaf, which is appended and counts; docs/record.md §6.1.)
	ErrSupersededRepeat = errors.New("repeat of a superseded ballot")
)

// A KeyState is what the log holds for one roll key before a new leaf:
// the fields of the server's per-key record, so it converts directly.
type KeyState struct {
	Ballots int   // ballot leaves by this key
	Last    int64 // index of its last ballot leaf; meaningful when Ballots > 0
	Voided  bool  // a valid void leaf for this key is in the log
}

// An Admission is what to do with a ballot leaf: [Refuse] it, [Append] it
// to the log, or answer it as a [Repeat] of the leaf already logged.
type Admission int

// The admissions. The zero value refuses.
const (
	// Refuse: the leaf must not be logged; the error says why.
	Refuse Admission = iota
	// Append: log the leaf; it is the key's ballot now (under revote last
	// it supersedes the key's earlier ballot).
	Append
	// Repeat: the same bytes (the same cast, resent) are the key's last
	// ballot leaf, already logged; log nothing and answer with that leaf's
	// receipt.
	Repeat
)

func (a Admission) String() string {
	switch a {
	case Refuse:
		return "refuse"
	case Append:
		return "append"
	case Repeat:
		return "repeat"
	}
	return fmt.Sprintf("Admission(%d)", int(a))
}

// AdmitBallot is the one-ballot-per-key rule of docs/record.md §10.3
// (check one-ballot-per-key), applied by the server before it appends a
// ballot leaf and by [Verify] to every ballot leaf of a record. The leaf
// must already be valid for the manifest ([ballot.Manifest.CheckBallot]);
// revote is the manifest's policy, k what the log holds for the leaf's key
// before it, and logged the index of the leaf with the same bytes already
// in the log, or -1 (a leaf names its key, so that leaf is one of the
// key's). Last and logged are only compared with each other, so a caller
// that numbers leaves not yet appended (a batch in progress) may use any
// numbering consistent between the two.
//
// In order:
//   - a voided key: refused, [ErrKeyVoided] (a repeat too: its ballot does
//     not count);
//   - the same bytes as the key's last ballot leaf (a resent cast):
//     [Repeat];
//   - the same bytes as an earlier ballot of the key (a replayed cast that
//     a later one superseded): refused, [ErrSupersededRepeat] under revote
//     last, [ErrKeyUsed] under revote none (a log that holds two ballots of
//     a key under none is already broken);
//   - revote none and the key has a ballot leaf: refused, [ErrKeyUsed];
//   - otherwise [Append]: under revote last a new cast supersedes the
//     key's earlier ballots, also when it repeats an earlier choice (its
//     cast nonce makes it a new leaf).
//
// Refuse comes with an error wrapping one of these sentinels, or, for an
// unknown revote policy or a k that contradicts logged, another error; the
// other admissions come with a nil error.
func AdmitBallot(revote string, k KeyState, logged int64) (Admission, error) {
	if revote != ballot.RevoteNone && revote != ballot.RevoteLast {
		return Refuse, fmt.Errorf("ledger: admit ballot: unknown revote policy %q", revote)
	}
	switch {
	case k.Voided:
		return Refuse, fmt.Errorf("ledger: admit ballot: %w", ErrKeyVoided)
	case logged >= 0 && k.Ballots == 0:
		return Refuse, fmt.Errorf("ledger: admit ballot: leaf %d is logged but its key has no ballot", logged)
	case logged >= 0 && logged == k.Last:
		return Repeat, nil
	case logged >= 0 && revote == ballot.RevoteLast:
		return Refuse, fmt.Errorf("ledger: admit ballot: leaf %d: %w (leaf %d counts)", logged, ErrSupersededRepeat, k.Last)
	case k.Ballots > 0 && revote == ballot.RevoteNone:
		return Refuse, fmt.Errorf("ledger: admit ballot: %w", ErrKeyUsed)
	}
	return Append, nil
}
