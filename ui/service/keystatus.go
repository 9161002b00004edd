package service

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/ui/core"
)

// KeyStatus is what a voting page may know about one key before the
// resident chooses: whether a ballot signed with it would be taken now.
type KeyStatus struct {
	// Err is the refusal a ballot of the key would get now
	// ([core.ErrNotOnRoll], [core.ErrVoided], [core.ErrCodeUsed],
	// [core.ErrClosed], [core.ErrNotOpen]), nil when it would be taken.
	Err error
	// Voted: the key has a ballot in the log (under revote last a new
	// ballot replaces it).
	Voted bool
}

// KeyStatusMessage is what the holder of a voting code signs with its key
// to ask for the key's state ([Service.KeyStatus]):
//
//	pb-key-status/v1 LF <round> LF <key, unpadded base64url> LF
//
// Its first line differs from a ballot's, so the signature can never be
// taken for one.
func KeyStatusMessage(round string, key [32]byte) []byte {
	return []byte("pb-key-status/v1\n" + round + "\n" + base64.RawURLEncoding.EncodeToString(key[:]) + "\n")
}

// KeyStatusSigned reports whether sig is key's signature of
// [KeyStatusMessage] for round: only the code's holder may learn its
// key's state, so that nobody can poll the public roll's keys during the
// vote to see when each one voted.
func KeyStatusSigned(round string, key [32]byte, sig []byte) bool {
	return ballot.CheckKey(key[:]) == nil && len(sig) == ed25519.SignatureSize &&
		ed25519.Verify(ed25519.PublicKey(key[:]), KeyStatusMessage(round, key), sig)
}

// KeyStatus answers, for the public key of a voting code, what
// [Service.CastBallot]'s fast answer would say about the key itself,
// before any ballot exists: the page checks a code before the resident
// chooses. It tells the caller nothing a ballot of the key would not
// (the caller must hold the key, which only the code gives; the roll and
// the log's keys are published with the record). A round that is not
// frozen is [core.ErrWrongPhase]; NotFound for no round.
func (s *Service) KeyStatus(ctx context.Context, round string, key [32]byte) (KeyStatus, error) {
	fr, err := s.FrozenRound(ctx, round)
	if err != nil {
		return KeyStatus{}, err
	}
	if !fr.Roll.Contains(key) {
		return KeyStatus{Err: core.ErrNotOnRoll}, nil
	}
	// A key with nothing in the log of a round that is voting: taken,
	// from memory (intakestate.go).
	if iv, err := s.intakeView(ctx, round, key); err != nil {
		return KeyStatus{}, err
	} else if iv.fresh {
		return KeyStatus{}, nil
	}
	var r core.Round
	var v core.Voter
	err = s.store.Read(ctx, func(tx core.Tx) error {
		var err error
		if r, err = tx.Round(round); err != nil {
			return err
		}
		v, err = tx.RoundLog(round).Voter(key)
		return err
	})
	if err != nil {
		return KeyStatus{}, err
	}
	st := KeyStatus{Voted: v.Ballots > 0}
	switch {
	case v.Voided:
		st.Err = core.ErrVoided
	case v.Ballots > 0 && fr.Manifest.Revote == ballot.RevoteNone:
		st.Err = core.ErrCodeUsed
	case v.Ballots >= core.MaxBallotsPerKey:
		st.Err = core.ErrTooManyBallots
	default:
		st.Err = core.Allows(r.Phase, core.ActVote)
	}
	return st, nil
}

// Voters returns how many slips of round have voted: the keys with a
// ballot in the log that the council has not voided (under revote last
// a key that voted again is one). It is the numerator of the turnout
// ([core.Turnout]) while voting is open; after publication the result
// note's counted ballots are the same number.
func (s *Service) Voters(ctx context.Context, round string) (int64, error) {
	var n int64
	err := s.store.Read(ctx, func(tx core.Tx) error {
		return tx.RoundLog(round).ForEachVoter(func(_ [32]byte, v core.Voter) error {
			if v.Ballots > 0 && !v.Voided {
				n++
			}
			return nil
		})
	})
	return n, err
}
