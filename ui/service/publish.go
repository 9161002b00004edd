package service

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"slices"

	"github.com/hedensted-pb/pb/tally"
	"github.com/hedensted-pb/pb/ui/core"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/tally/ledger"
	"github.com/hedensted-pb/pb/tally/recount"
)

// record assembles a round's public record from the store: the roll, every
// leaf, every checkpoint and every result note.
func (s *Service) record(ctx context.Context, round string) (*ledger.Record, error) {
	var rec *ledger.Record
	err := s.store.Read(ctx, func(tx core.Tx) error {
		var err error
		rec, err = recordIn(tx, round)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("ui: record of %s: %w", round, err)
	}
	return rec, nil
}

// recordIn reads round's record within tx.
func recordIn(tx core.Tx, round string) (*ledger.Record, error) {
	rec := &ledger.Record{}
	var err error
	if rec.Roll, err = tx.Roll(round); err != nil {
		return nil, err
	}
	l := tx.RoundLog(round)
	if err := l.ForEachLeaf(func(_ int64, leaf []byte) error {
		rec.Leaves = append(rec.Leaves, bytes.Clone(leaf))
		return nil
	}); err != nil {
		return nil, err
	}
	if rec.Checkpoints, err = l.Checkpoints(); err != nil {
		return nil, err
	}
	if rec.Results, err = l.Results(); err != nil {
		return nil, err
	}
	return rec, nil
}

// recordCounted is [Service.record] with the ballots that count, read in
// the same transaction from what the sequencer recorded of each key (its
// last ballot, none when voided), in log order, without checking a
// signature again: each was checked when it was cast. [Service.Publish]
// verifies the whole record once afterwards, which counts again from the
// leaves and refuses a result that differs.
func (s *Service) recordCounted(ctx context.Context, round string) (*ledger.Record, []*ballot.Ballot, error) {
	var rec *ledger.Record
	var idx []int64
	err := s.store.Read(ctx, func(tx core.Tx) error {
		var err error
		if rec, err = recordIn(tx, round); err != nil {
			return err
		}
		return tx.RoundLog(round).ForEachVoter(func(_ [32]byte, v core.Voter) error {
			if v.Ballots > 0 && !v.Voided {
				idx = append(idx, v.Last)
			}
			return nil
		})
	})
	if err != nil {
		return nil, nil, fmt.Errorf("ui: record of %s: %w", round, err)
	}
	slices.Sort(idx)
	counted := make([]*ballot.Ballot, 0, len(idx))
	for _, i := range idx {
		if i < 0 || i >= int64(len(rec.Leaves)) {
			return nil, nil, fmt.Errorf("ui: record of %s: counted leaf %d outside the log", round, i)
		}
		b, err := ballot.ParseBallot(rec.Leaves[i])
		if err != nil {
			return nil, nil, fmt.Errorf("ui: record of %s: counted leaf %d: %w", round, i, err)
		}
		counted = append(counted, b)
	}
	return rec, counted, nil
}

// Publish counts a closed round with its manifest's rule and tie-break
// order, signs the result note with the council key, chains it after the
// fund's previous result note, verifies the whole record exactly as
// pbverify would, and only then stores the note and marks the round
// published. Signatures are verified once, by that verification; the
// explanations of the count are kept for the results page.
func (s *Service) Publish(ctx context.Context, actor *core.Identity, id string) (core.Round, error) {
	fr, err := s.managedFrozen(ctx, actor, id)
	if err != nil {
		return core.Round{}, err
	}
	var r core.Round
	var fund core.Fund
	err = s.store.Read(ctx, func(tx core.Tx) error {
		var err error
		if r, err = tx.Round(id); err != nil {
			return err
		}
		fund, err = tx.Fund(r.Fund)
		return err
	})
	if err != nil {
		return core.Round{}, err
	}
	if r.Phase != core.PhaseClosed {
		return r, core.Conflictf("round %s is in phase %s; only a closed round can be published", id, r.Phase)
	}
	rec, counted, err := s.recordCounted(ctx, id)
	if err != nil {
		return r, err
	}
	if len(rec.Results) > 0 {
		return r, core.Conflictf("round %s already has a result", id)
	}
	final, err := ledger.ParseCheckpointNote(rec.Checkpoints[len(rec.Checkpoints)-1])
	if err != nil {
		return r, fmt.Errorf("ui: final checkpoint of %s: %w", id, err)
	}
	out, err := s.count(fr.Manifest, counted, final.Root)
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
	m := fr.Manifest
	res := &ledger.Result{Round: id, Fund: m.Fund, Prev: prev, Manifest: fr.Hash,
		Checkpoint: ledger.Checkpoint{Size: final.Size, Root: final.Root},
		Rule:       m.Rule, Tiebreak: m.Tiebreak, Budget: m.Budget, Ballots: int64(len(counted)),
		Spent: out.Spent, Projects: out.Projects}
	note, err := ledger.SignResult(res, fr.council)
	if err != nil {
		return r, fmt.Errorf("ui: sign result of %s: %w", id, err)
	}
	// Verify what we are about to publish, as pbverify will.
	rec.Results = append(rec.Results, note)
	if rep := ledger.Verify(rec, ledger.VerifyOptions{Anchors: fr.Anchors, Count: s.count}); !rep.OK() {
		var buf bytes.Buffer
		rep.WriteText(&buf)
		s.log.Error("record does not verify; not publishing", "round", id, "check", rep.FirstFailure(), "report", buf.String())
		return r, fmt.Errorf("ui: record of %s fails check %s", id, rep.FirstFailure())
	}
	head := ledger.NoteHash(note)
	r, err = s.withRound(ctx, actor, id, func(tx core.Tx, r *core.Round) error {
		if r.Phase != core.PhaseClosed {
			return core.Conflictf("round %s changed phase meanwhile (now %s)", id, r.Phase)
		}
		f, err := tx.Fund(r.Fund)
		if err != nil {
			return err
		}
		if f.ResultHead != fund.ResultHead {
			return core.Conflictf("another result of fund %s was published meanwhile; publish again", f.ID)
		}
		f.ResultHead = base64.StdEncoding.EncodeToString(head[:])
		if err := tx.RoundLog(id).AppendResult(note); err != nil {
			return err
		}
		r.Phase, r.Published, r.Spent, r.ResultHash = core.PhasePublished, s.clock(), res.Spent, f.ResultHead
		if err := tx.PutRound(*r); err != nil {
			return err
		}
		// The result note joins the fund's ledger, chained after the
		// fund's previous result (or its first opening).
		if err := s.writeFund(tx, &f, nil, note); err != nil {
			return err
		}
		if err := tx.PutFund(f); err != nil {
			return err
		}
		return s.audit(tx, core.ActorName(actor), "publish", r.ID, fmt.Sprintf("%d ballots counted, %d spent", res.Ballots, res.Spent))
	})
	if err != nil {
		return r, err
	}
	// The results page explains the count from what was just verified.
	if why, err := explain(m, res, counted); err == nil {
		s.resultMu.Lock()
		s.why[id] = why
		s.resultMu.Unlock()
	}
	return r, nil
}

// explain recounts counted with m's rule to explain every project of res
// by the rule's own reasons, keyed by project ID; nil when the recount
// does not reproduce res.
func explain(m *ballot.Manifest, res *ledger.Result, counted []*ballot.Ballot) (map[string]tally.Explanation, error) {
	e, out, err := recount.Tally(m, counted, res.Checkpoint.Root)
	if err != nil {
		return nil, err
	}
	why := map[string]tally.Explanation{}
	for i, rp := range res.Projects {
		if i >= len(out.Funded) || out.Funded[i] != rp.Funded || e.Projects[i].ID != rp.ID {
			return nil, nil // the recount disagrees with the note: explain nothing by it
		}
		why[rp.ID] = out.Explanations[i]
	}
	return why, nil
}

// count runs the configured counting function.
func (s *Service) count(m *ballot.Manifest, counted []*ballot.Ballot, seed tlog.Hash) (*ledger.Outcome, error) {
	if s.cfg.Count == nil {
		return recount.Count(m, counted, seed)
	}
	return s.cfg.Count(m, counted, seed)
}

// Explanations recounts published round id with its manifest's rule to
// explain every project by the rule's own reasons (chosen at step n, did
// not fit, supporters short of money, ...), keyed by project ID. It
// returns nil when the recount does not reproduce the result note, so a
// page never explains a result by a count that differs from it. The
// explanations are kept per round (a published result never changes):
// [Service.Publish] keeps those it computed, and after a restart the
// first view computes them again, from the ballots the log counts without
// verifying a signature (publication verified them all); concurrent first
// views share that one computation.
func (s *Service) Explanations(ctx context.Context, id string) (map[string]tally.Explanation, error) {
	s.resultMu.Lock()
	why, ok := s.why[id]
	s.resultMu.Unlock()
	if ok {
		return why, nil
	}
	v, err, _ := s.whyFlight.Do(id, func() (any, error) {
		res, _, err := s.Result(ctx, id)
		if err != nil {
			return nil, err
		}
		fr, err := s.FrozenRound(ctx, id)
		if err != nil {
			return nil, err
		}
		_, counted, err := s.recordCounted(ctx, id)
		if err != nil {
			return nil, err
		}
		why, err := explain(fr.Manifest, res, counted)
		if err != nil {
			return nil, err
		}
		s.resultMu.Lock()
		s.why[id] = why
		s.resultMu.Unlock()
		return why, nil
	})
	if err != nil {
		return nil, err
	}
	why, _ = v.(map[string]tally.Explanation)
	return why, nil
}
