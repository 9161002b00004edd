package service

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/ballot/canon"
	"github.com/hedensted-pb/pb/tally/ledger"
	"github.com/hedensted-pb/pb/ui/core"
	"golang.org/x/mod/sumdb/tlog"
)

// Cast is the outcome of a ballot submission.
type Cast struct {
	Receipt *ledger.Receipt
	Repeat  bool // the same leaf was submitted before; this is its receipt
}

// CastBallot runs every check pbverify applies to one ballot leaf
// (canonical form, round, manifest hash, key in the roll, signature,
// choices within the limits, one ballot per key by the round's revote
// policy), hands it to the sequencer and returns its receipt once it is on
// disk. A repeated submission of a logged leaf returns the receipt it got
// the first time. Failures are *core.Error values: 400 malformed or invalid,
// 403 key not in the roll, 404 no such round, 409 wrong phase, used or
// voided key, 503 shutting down.
func (s *Service) CastBallot(ctx context.Context, round string, leaf []byte) (Cast, error) {
	leaf = bytes.Clone(leaf)
	b, err := ballot.ParseBallot(leaf)
	if err != nil {
		var pe *ballot.ParseError
		if errors.As(err, &pe) {
			return Cast{}, core.Invalidf("ballot is not a canonical ballot leaf: %s", pe.Error())
		}
		return Cast{}, core.Invalidf("ballot is not a canonical ballot leaf")
	}
	fr, err := s.FrozenRound(ctx, round)
	if err != nil {
		return Cast{}, err
	}
	if b.Round != round {
		return Cast{}, core.Invalidf("ballot is for round %s, not %s", b.Round, round)
	}
	if err := fr.Manifest.CheckBallot(b, fr.Hash, fr.Roll); err != nil {
		return Cast{}, ballotError(err)
	}
	// A key with nothing in the log, in a round that is voting, goes
	// straight to the sequencer: no read transaction.
	iv, err := s.intakeView(ctx, round, b.Key)
	if err != nil {
		return Cast{}, err
	}
	if iv.fresh {
		if adm, admErr := ledger.AdmitBallot(fr.Manifest.Revote, ledger.KeyState(core.Voter{}), -1); adm != ledger.Append {
			return Cast{}, admissionError(admErr)
		}
		return s.submitBallot(ctx, round, leaf, b.Key)
	}
	// Otherwise fast answers from the current state, in one read
	// transaction; the sequencer decides again, serialised with every
	// append.
	h := tlog.RecordHash(leaf)
	var r core.Round
	var adm ledger.Admission
	var admErr error
	var repeat *ledger.Receipt
	err = s.store.Read(ctx, func(tx core.Tx) error {
		var err error
		if r, err = tx.Round(round); err != nil {
			return err
		}
		l := tx.RoundLog(round)
		logged := int64(-1)
		if idx, err := l.Find(h); err == nil {
			logged = idx
		} else if !errors.Is(err, core.ErrMissing) {
			return err
		}
		voter, err := l.Voter(b.Key)
		if err != nil {
			return err
		}
		adm, admErr = ledger.AdmitBallot(fr.Manifest.Revote, ledger.KeyState(voter), logged)
		if adm == ledger.Append && voter.Ballots >= core.MaxBallotsPerKey {
			adm, admErr = ledger.Refuse, core.ErrTooManyBallots
		}
		if adm == ledger.Repeat {
			repeat, err = receiptIn(l, logged)
		}
		return err
	})
	if err != nil {
		return Cast{}, err
	}
	if adm == ledger.Repeat {
		return Cast{Receipt: repeat, Repeat: true}, nil
	}
	if err := core.Allows(r.Phase, core.ActVote); err != nil {
		return Cast{}, err
	}
	if adm != ledger.Append {
		return Cast{}, admissionError(admErr)
	}
	return s.submitBallot(ctx, round, leaf, b.Key)
}

// submitBallot hands a checked ballot leaf to the sequencer and waits
// until its batch has committed.
func (s *Service) submitBallot(ctx context.Context, round string, leaf []byte, key [32]byte) (Cast, error) {
	out, err := s.seq.submit(ctx, &entry{round: round, leaf: leaf, key: key})
	if err != nil {
		return Cast{}, err
	}
	return Cast{Receipt: out.receipt, Repeat: out.dup}, nil
}

// admissionError maps a refusal of [ledger.AdmitBallot] to the domain's
// error; anything else is internal.
func admissionError(err error) error {
	switch {
	case errors.Is(err, core.ErrTooManyBallots):
		return core.ErrTooManyBallots
	case errors.Is(err, ledger.ErrKeyVoided):
		return core.ErrVoided
	case errors.Is(err, ledger.ErrKeyUsed):
		return core.ErrCodeUsed
	case errors.Is(err, ledger.ErrSupersededRepeat):
		return core.ErrSuperseded
	}
	return fmt.Errorf("service: admission: %w", err)
}

// ballotError maps a ballot check failure to a public error.
func ballotError(err error) error {
	msg := strings.TrimPrefix(err.Error(), "ballot: ")
	switch {
	case errors.Is(err, ballot.ErrWrongRound):
		return core.ErrBallotInvalid.With("ballot is for another round")
	case errors.Is(err, ballot.ErrWrongManifest):
		return core.ErrBallotInvalid.With("ballot names another manifest than the round's: reload the ballot page")
	case errors.Is(err, ballot.ErrUnknownKey):
		return core.ErrNotOnRoll
	case errors.Is(err, ballot.ErrBadSignature), errors.Is(err, ballot.ErrBadKey):
		return core.ErrBallotInvalid.With("ballot signature does not verify")
	case errors.Is(err, ballot.ErrChoices):
		return core.ErrBallotInvalid.With("ballot choices break the round's rules: %s", msg)
	}
	return core.ErrBallotInvalid.With("ballot is invalid: %s", msg)
}

// receiptIn builds, inside a transaction, the receipt of leaf index
// against the checkpoint that was current when the leaf was logged (the
// checkpoint of its batch), so the same leaf always gets the same receipt.
func receiptIn(l core.Log, index int64) (*ledger.Receipt, error) {
	_, cp, err := l.CheckpointCovering(index)
	if err != nil {
		return nil, fmt.Errorf("service: receipt of leaf %d: %w", index, err)
	}
	rc, err := ledger.NewLog(l).Receipt(cp, index)
	if err != nil {
		return nil, fmt.Errorf("service: receipt of leaf %d: %w", index, err)
	}
	return rc, nil
}

// Choices are what a voter picks on the no-JS form: approved project IDs,
// or points per project for cumulative ballots, and the cast they belong
// to.
type Choices struct {
	Approve []string
	Points  map[string]int64
	// Cast is the cast nonce (docs/record.md §6.1) the review page handed
	// out with [Service.NewCast], so that sending the confirmed form again
	// resends the same leaf; nil means a fresh one.
	Cast []byte
}

// NewCast returns a fresh random cast nonce (docs/record.md §6.1), for a
// ballot the server signs on a voter's behalf.
func (s *Service) NewCast() ([ballot.CastSize]byte, error) {
	var n [ballot.CastSize]byte
	if _, err := io.ReadFull(s.rand, n[:]); err != nil {
		return n, fmt.Errorf("service: cast nonce: %w", err)
	}
	return n, nil
}

// CastWithCode is the no-JavaScript fallback: the server derives the key
// from the voting code, signs the ballot with ch's cast nonce (a fresh one
// when ch has none) and casts it. The code is used only in memory for this
// call; it is never stored or logged, and errors never contain it.
func (s *Service) CastWithCode(ctx context.Context, round, code string, ch Choices) (Cast, error) {
	c, err := ballot.ParseCode(code)
	if err != nil {
		return Cast{}, core.ErrBadCode
	}
	fr, err := s.FrozenRound(ctx, round)
	if err != nil {
		return Cast{}, err
	}
	b := &ballot.Ballot{Round: round, Manifest: fr.Hash}
	switch len(ch.Cast) {
	case 0:
		if b.Cast, err = s.NewCast(); err != nil {
			return Cast{}, err
		}
	case ballot.CastSize:
		b.Cast = [ballot.CastSize]byte(ch.Cast)
	default:
		return Cast{}, core.Invalidf("the cast nonce must be %d bytes", ballot.CastSize)
	}
	if fr.Manifest.Ballot.Kind == ballot.KindCumulative {
		b.Cumulative = true
		for _, id := range sortedKeys(ch.Points) {
			if n := ch.Points[id]; n > 0 {
				b.Points = append(b.Points, ballot.Points{Project: id, N: n})
			}
		}
	} else {
		b.Approve = slices.Clone(ch.Approve)
		slices.Sort(b.Approve)
		b.Approve = slices.Compact(b.Approve)
	}
	if err := fr.Manifest.CheckChoices(b); err != nil {
		return Cast{}, ballotError(err)
	}
	b.Sign(ballot.DeriveKey(c, round))
	return s.CastBallot(ctx, round, b.Bytes())
}

// VoidRequest cancels the ballots of a key (a stolen slip).
type VoidRequest struct {
	Key    string `json:"key" form:"key"` // b64 public key
	Reason string `json:"reason" form:"reason"`
}

// Void appends a council-signed void leaf for a roll key during voting:
// the key's earlier ballots no longer count and it cannot vote again. It
// returns the void leaf's index.
func (s *Service) Void(ctx context.Context, actor *core.Identity, round string, req VoidRequest) (int64, error) {
	fr, err := s.FrozenRound(ctx, round)
	if err != nil {
		return 0, err
	}
	if !actor.CanManage(fr.Community) {
		return 0, core.Forbiddenf("account %s may not manage round %s of community %s", actor.Name, round, fr.Community)
	}
	raw, ok := canon.Decode32(req.Key)
	if !ok {
		return 0, core.Invalidf("key must be the base64 of a 32-byte public key")
	}
	key := [32]byte(raw)
	if !fr.Roll.Contains(key) {
		return 0, core.Invalidf("key is not on the round's roll")
	}
	if !ballot.ValidText(req.Reason) {
		return 0, core.Invalidf("a public reason (1 to 200 bytes of text) is required")
	}
	leaf, err := ledger.SignVoid(&ledger.Void{Round: round, Manifest: fr.Hash, Key: key, Reason: req.Reason}, fr.council)
	if err != nil {
		return 0, err
	}
	// The void's index (for the projector's count) and the audit entry are
	// written in the transaction that appends the leaf, so a crash cannot
	// keep one without the others.
	appended := func(tx core.Tx, index int64) error {
		r, err := tx.Round(round)
		if err != nil {
			return err
		}
		r.VoidLeaves = append(r.VoidLeaves, index)
		if err := tx.PutRound(r); err != nil {
			return err
		}
		return s.audit(tx, actor.Name, "void", round, fmt.Sprintf("key %s at leaf %d", req.Key, index))
	}
	out, err := s.seq.submit(ctx, &entry{round: round, leaf: leaf, key: key, void: true, appended: appended})
	if err != nil {
		return 0, err
	}
	return out.index, nil
}

// CloseRound ends voting: after the batch in flight, it appends the
// council-signed close leaf and the final checkpoint, signed by the log
// key and co-signed by the council key.
func (s *Service) CloseRound(ctx context.Context, actor *core.Identity, id string) (core.Round, error) {
	fr, err := s.managedFrozen(ctx, actor, id)
	if err != nil {
		return core.Round{}, err
	}
	var r core.Round
	var ev Event
	err = s.seq.do(ctx, func() error {
		var err error
		r, err = s.withRound(ctx, actor, id, func(tx core.Tx, r *core.Round) error {
			if r.Phase != core.PhaseVoting {
				return core.Conflictf("round %s is in phase %s; only a round in voting can be closed", r.ID, r.Phase)
			}
			l := tx.RoundLog(id)
			size, err := l.Size()
			if err != nil {
				return err
			}
			var ballots int64
			if err := l.ForEachLeaf(func(_ int64, leaf []byte) error {
				if ledger.KindOf(leaf) == ledger.LeafBallot {
					ballots++
				}
				return nil
			}); err != nil {
				return err
			}
			leaf, err := ledger.SignClose(&ledger.Close{Round: id, Manifest: fr.Hash, Size: size, Ballots: ballots}, fr.council)
			if err != nil {
				return err
			}
			_, head, final, err := appendSigned(l, fr.Origin, [][]byte{leaf}, fr.logSigner, fr.council)
			if err != nil {
				return err
			}
			ev = Event{Round: id, Size: head.Size, Checkpoint: final}
			r.Phase, r.Closed = core.PhaseClosed, s.clock()
			return s.audit(tx, core.ActorName(actor), "close voting", r.ID, fmt.Sprintf("%d ballots, %d leaves", ballots, head.Size))
		})
		return err
	})
	if err != nil {
		return r, err
	}
	s.hub.publish(ev)
	return r, nil
}
