package ui

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/tally/ledger"
	"github.com/hedensted-pb/pb/ui/store"
)

// record assembles a round's public record from the store: the roll, every
// leaf, every checkpoint and every result note.
func (a *App) record(ctx context.Context, round string) (*ledger.Record, error) {
	rec := &ledger.Record{}
	err := a.store.View(ctx, func(tx *store.Tx) error {
		var err error
		if rec.Roll, err = tx.Roll(round); err != nil {
			return err
		}
		l := tx.Log(round)
		if err := l.ForEachLeaf(func(_ int64, leaf []byte) error {
			rec.Leaves = append(rec.Leaves, bytes.Clone(leaf))
			return nil
		}); err != nil {
			return err
		}
		if rec.Checkpoints, err = l.Checkpoints(); err != nil {
			return err
		}
		rec.Results, err = l.Results()
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("ui: record of %s: %w", round, err)
	}
	return rec, nil
}

// Publish counts a closed round with its manifest's rule and tie-break
// order, signs the result note with the council key, chains it after the
// fund's previous result note, verifies the whole record exactly as
// pbverify would, and only then stores the note and marks the round
// published.
func (a *App) Publish(ctx context.Context, actor *Identity, id string) (store.Round, error) {
	fr, err := a.frozenRound(ctx, id)
	if err != nil {
		return store.Round{}, err
	}
	if actor != nil && !actor.CanManage(fr.community) {
		return store.Round{}, forbidden("account %s may not manage round %s of community %s", actor.Name, id, fr.community)
	}
	var r store.Round
	var fund store.Fund
	err = a.store.View(ctx, func(tx *store.Tx) error {
		var err error
		if r, err = tx.Round(id); err != nil {
			return err
		}
		fund, err = tx.Fund(r.Fund)
		return err
	})
	if err != nil {
		return store.Round{}, err
	}
	if r.Phase != store.PhaseClosed {
		return r, conflict("round %s is in phase %s; only a closed round can be published", id, r.Phase)
	}
	rec, err := a.record(ctx, id)
	if err != nil {
		return r, err
	}
	if len(rec.Results) > 0 {
		return r, conflict("round %s already has a result", id)
	}
	final, err := ledger.ParseCheckpointNote(rec.Checkpoints[len(rec.Checkpoints)-1])
	if err != nil {
		return r, fmt.Errorf("ui: final checkpoint of %s: %w", id, err)
	}
	counted := ledger.CountedBallots(rec, fr.anchors)
	if counted == nil && len(rec.Leaves) > 2 {
		return r, fmt.Errorf("ui: round %s: record does not verify, cannot count", id)
	}
	out, err := a.count(fr.manifest, counted, final.Root)
	if err != nil {
		return r, fmt.Errorf("ui: count round %s: %w", id, err)
	}
	var prev [32]byte
	if fund.ResultHead != "" {
		b, err := base64.StdEncoding.DecodeString(fund.ResultHead)
		if err != nil || len(b) != 32 {
			return r, fmt.Errorf("ui: fund %s: bad result head", fund.ID)
		}
		prev = [32]byte(b)
	}
	m := fr.manifest
	res := &ledger.Result{Round: id, Fund: m.Fund, Prev: prev, Manifest: fr.hash,
		Checkpoint: ledger.Checkpoint{Size: final.Size, Root: final.Root},
		Rule:       m.Rule, Tiebreak: m.Tiebreak, Budget: m.Budget, Ballots: int64(len(counted)),
		Spent: out.Spent, Projects: out.Projects}
	note, err := ledger.SignResult(res, fr.council)
	if err != nil {
		return r, fmt.Errorf("ui: sign result of %s: %w", id, err)
	}
	// Verify what we are about to publish, as pbverify will.
	rec.Results = append(rec.Results, note)
	if rep := ledger.Verify(rec, ledger.VerifyOptions{Anchors: fr.anchors, Count: a.count}); !rep.OK() {
		var buf bytes.Buffer
		rep.WriteText(&buf)
		a.log.Error("record does not verify; not publishing", "round", id, "check", rep.FirstFailure(), "report", buf.String())
		return r, fmt.Errorf("ui: record of %s fails check %s", id, rep.FirstFailure())
	}
	head := ledger.NoteHash(note)
	r, err = a.withRound(ctx, actor, id, func(tx *store.Tx, r *store.Round) error {
		if r.Phase != store.PhaseClosed {
			return conflict("round %s changed phase meanwhile (now %s)", id, r.Phase)
		}
		f, err := tx.Fund(r.Fund)
		if err != nil {
			return err
		}
		if f.ResultHead != fund.ResultHead {
			return conflict("another result of fund %s was published meanwhile; publish again", f.ID)
		}
		f.ResultHead = base64.StdEncoding.EncodeToString(head[:])
		if err := tx.PutFund(f); err != nil {
			return err
		}
		if err := tx.Log(id).AppendResult(note); err != nil {
			return err
		}
		r.Phase, r.Published, r.Spent, r.ResultHash = store.PhasePublished, a.clock(), res.Spent, f.ResultHead
		return a.audit(tx, actorName(actor), "publish", r.ID, fmt.Sprintf("%d ballots counted, %d spent", res.Ballots, res.Spent))
	})
	return r, err
}

// count runs the configured counting function.
func (a *App) count(m *ballot.Manifest, counted []*ballot.Ballot, seed tlog.Hash) (*ledger.Outcome, error) {
	if a.cfg.Count == nil {
		return DefaultCount(m, counted, seed)
	}
	return a.cfg.Count(m, counted, seed)
}
