package ui

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/tally/ledger"
	"github.com/hedensted-pb/pb/ui/store"
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
// the first time. Failures are *Error values: 400 malformed or invalid,
// 403 key not in the roll, 404 no such round, 409 wrong phase, used or
// voided key, 503 shutting down.
func (a *App) CastBallot(ctx context.Context, round string, leaf []byte) (Cast, error) {
	leaf = bytes.Clone(leaf)
	b, err := ballot.ParseBallot(leaf)
	if err != nil {
		var pe *ballot.ParseError
		if errors.As(err, &pe) {
			return Cast{}, badRequest("ballot is not a canonical ballot leaf: %s", pe.Error())
		}
		return Cast{}, badRequest("ballot is not a canonical ballot leaf")
	}
	fr, err := a.frozenRound(ctx, round)
	if err != nil {
		return Cast{}, err
	}
	if b.Round != round {
		return Cast{}, badRequest("ballot is for round %s, not %s", b.Round, round)
	}
	if err := fr.manifest.CheckBallot(b, fr.hash, fr.roll); err != nil {
		return Cast{}, ballotError(err)
	}
	// Fast answers from the current state; the sequencer re-checks.
	h := tlog.RecordHash(leaf)
	var r store.Round
	var voter store.Voter
	var logged int64 = -1
	err = a.store.View(ctx, func(tx *store.Tx) error {
		var err error
		if r, err = tx.Round(round); err != nil {
			return err
		}
		if idx, err := tx.Log(round).Find(h); err == nil {
			logged = idx
		}
		voter, err = tx.Log(round).Voter(b.Key)
		return err
	})
	if err != nil {
		return Cast{}, err
	}
	if logged >= 0 {
		rc, err := a.receipt(ctx, round, logged)
		return Cast{Receipt: rc, Repeat: true}, err
	}
	switch {
	case r.Phase != store.PhaseVoting:
		return Cast{}, errNotVoting(r)
	case voter.Voided:
		return Cast{}, errVoided
	case fr.manifest.Revote == ballot.RevoteNone && voter.Ballots > 0:
		return Cast{}, errUsed
	}
	out, err := a.seq.submit(ctx, &entry{round: round, leaf: leaf, key: b.Key})
	if err != nil {
		return Cast{}, err
	}
	rc, err := a.receipt(ctx, round, out.index)
	return Cast{Receipt: rc, Repeat: out.dup}, err
}

// ballotError maps a ballot check failure to a public error.
func ballotError(err error) error {
	msg := strings.TrimPrefix(err.Error(), "ballot: ")
	switch {
	case errors.Is(err, ballot.ErrWrongRound):
		return badRequest("ballot is for another round")
	case errors.Is(err, ballot.ErrWrongManifest):
		return badRequest("ballot names another manifest than the round's: reload the ballot page")
	case errors.Is(err, ballot.ErrUnknownKey):
		return forbidden("this voting code is not on the round's roll")
	case errors.Is(err, ballot.ErrBadSignature), errors.Is(err, ballot.ErrBadKey):
		return badRequest("ballot signature does not verify")
	case errors.Is(err, ballot.ErrChoices):
		return badRequest("ballot choices break the round's rules: %s", msg)
	}
	return badRequest("ballot is invalid: %s", msg)
}

// receipt builds the receipt of leaf index against the checkpoint that was
// current when the leaf was logged (the checkpoint of its batch), so the
// same leaf always gets the same receipt.
func (a *App) receipt(ctx context.Context, round string, index int64) (*ledger.Receipt, error) {
	var cp []byte
	err := a.store.View(ctx, func(tx *store.Tx) error {
		var err error
		_, cp, err = tx.Log(round).CheckpointCovering(index)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("ui: receipt of %s/%d: %w", round, index, err)
	}
	rc, err := ledger.NewLog(a.store.LogStorage(round)).Receipt(cp, index)
	if err != nil {
		return nil, fmt.Errorf("ui: receipt of %s/%d: %w", round, index, err)
	}
	return rc, nil
}

// Choices are what a voter picks on the no-JS form: approved project IDs,
// or points per project for cumulative ballots.
type Choices struct {
	Approve []string
	Points  map[string]int64
}

// castWithCode is the no-JavaScript fallback: the server derives the key
// from the voting code, signs the ballot and casts it. The code is used
// only in memory for this call; it is never stored or logged, and errors
// never contain it.
func (a *App) castWithCode(ctx context.Context, round, code string, ch Choices) (Cast, error) {
	c, err := ballot.ParseCode(code)
	if err != nil {
		return Cast{}, badRequest("the voting code is not valid: check it for typing mistakes")
	}
	fr, err := a.frozenRound(ctx, round)
	if err != nil {
		return Cast{}, err
	}
	b := &ballot.Ballot{Round: round, Manifest: fr.hash}
	if fr.manifest.Ballot.Kind == ballot.KindCumulative {
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
	if err := fr.manifest.CheckChoices(b); err != nil {
		return Cast{}, ballotError(err)
	}
	b.Sign(ballot.DeriveKey(c, round))
	return a.CastBallot(ctx, round, b.Bytes())
}

// handleBallot is POST /api/rounds/:round/ballots: the body is a ballot
// leaf; the answer is its receipt (c2sp.org/tlog-proof@v1), 201 for a new
// ballot and 200 for a repeat.
func (a *App) handleBallot(c *fiber.Ctx) error {
	cast, err := a.CastBallot(c.UserContext(), c.Params("round"), c.Body())
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if cast.Repeat {
		status = http.StatusOK
	}
	c.Set("X-PB-Index", fmt.Sprint(cast.Receipt.Index))
	c.Set("X-PB-Tracker", cast.Receipt.Tracker())
	c.Set(fiber.HeaderContentType, "text/plain; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(status).Send(cast.Receipt.Bytes())
}

// VoidRequest cancels the ballots of a key (a stolen slip).
type VoidRequest struct {
	Key    string `json:"key" form:"key"` // b64 public key
	Reason string `json:"reason" form:"reason"`
}

// Void appends a council-signed void leaf for a roll key during voting:
// the key's earlier ballots no longer count and it cannot vote again. It
// returns the void leaf's index.
func (a *App) Void(ctx context.Context, actor *Identity, round string, req VoidRequest) (int64, error) {
	fr, err := a.frozenRound(ctx, round)
	if err != nil {
		return 0, err
	}
	if !actor.CanManage(fr.community) {
		return 0, forbidden("account %s may not manage round %s of community %s", actor.Name, round, fr.community)
	}
	raw, err := base64.StdEncoding.Strict().DecodeString(req.Key)
	if err != nil || len(raw) != 32 {
		return 0, badRequest("key must be the base64 of a 32-byte public key")
	}
	key := [32]byte(raw)
	if !fr.roll.Contains(key) {
		return 0, badRequest("key is not on the round's roll")
	}
	if !ballot.ValidText(req.Reason) {
		return 0, badRequest("a public reason (1 to 200 bytes of text) is required")
	}
	leaf, err := ledger.SignVoid(&ledger.Void{Round: round, Manifest: fr.hash, Key: key, Reason: req.Reason}, fr.council)
	if err != nil {
		return 0, err
	}
	// The void's index (for the projector's count) and the audit entry are
	// written in the transaction that appends the leaf, so a crash cannot
	// keep one without the others.
	appended := func(tx *store.Tx, index int64) error {
		r, err := tx.Round(round)
		if err != nil {
			return err
		}
		r.VoidLeaves = append(r.VoidLeaves, index)
		if err := tx.PutRound(r); err != nil {
			return err
		}
		return a.audit(tx, actor.Name, "void", round, fmt.Sprintf("key %s at leaf %d", req.Key, index))
	}
	out, err := a.seq.submit(ctx, &entry{round: round, leaf: leaf, key: key, void: true, appended: appended})
	if err != nil {
		return 0, err
	}
	return out.index, nil
}

// CloseRound ends voting: after the batch in flight, it appends the
// council-signed close leaf and the final checkpoint, signed by the log
// key and co-signed by the council key.
func (a *App) CloseRound(ctx context.Context, actor *Identity, id string) (store.Round, error) {
	fr, err := a.frozenRound(ctx, id)
	if err != nil {
		return store.Round{}, err
	}
	if actor != nil && !actor.CanManage(fr.community) {
		return store.Round{}, forbidden("account %s may not manage round %s of community %s", actor.Name, id, fr.community)
	}
	var r store.Round
	var ev Event
	err = a.seq.do(ctx, func() error {
		var err error
		r, err = a.withRound(ctx, actor, id, func(tx *store.Tx, r *store.Round) error {
			if r.Phase != store.PhaseVoting {
				return conflict("round %s is in phase %s; only a round in voting can be closed", r.ID, r.Phase)
			}
			l := tx.Log(id)
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
			leaf, err := ledger.SignClose(&ledger.Close{Round: id, Manifest: fr.hash, Size: size, Ballots: ballots}, fr.council)
			if err != nil {
				return err
			}
			lg := ledger.NewLog(l)
			if _, err := lg.Append([][]byte{leaf}); err != nil {
				return err
			}
			head, err := lg.Head(fr.origin)
			if err != nil {
				return err
			}
			final, err := ledger.SignCheckpoint(head, fr.logSigner, fr.council)
			if err != nil {
				return err
			}
			if err := l.PutCheckpoint(head.Size, final); err != nil {
				return err
			}
			ev = Event{Round: id, Size: head.Size, Checkpoint: final}
			r.Phase, r.Closed = store.PhaseClosed, a.clock()
			return a.audit(tx, actorName(actor), "close voting", r.ID, fmt.Sprintf("%d ballots, %d leaves", ballots, head.Size))
		})
		return err
	})
	if err != nil {
		return r, err
	}
	a.hub.publish(ev)
	return r, nil
}
