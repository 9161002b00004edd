package service

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/hedensted-pb/pb/tally/ledger"
	"github.com/hedensted-pb/pb/ui/core"
)

// The read methods below are what the web layer's pages and handlers
// see of the store. Each runs in one read transaction; a missing round is
// a NotFound *core.Error.

// noRound maps the store's not-found to the public error for round id.
func noRound(id string, err error) error {
	if errors.Is(err, core.ErrMissing) {
		return core.NotFoundf("no round %s", id)
	}
	return err
}

// Round returns round id.
func (s *Service) Round(ctx context.Context, id string) (core.Round, error) {
	var r core.Round
	err := s.store.Read(ctx, func(tx core.Tx) error {
		var err error
		r, err = tx.Round(id)
		return err
	})
	return r, noRound(id, err)
}

// Rounds returns every round in identifier order.
func (s *Service) Rounds(ctx context.Context) ([]core.Round, error) {
	var out []core.Round
	err := s.store.Read(ctx, func(tx core.Tx) error {
		var err error
		out, err = tx.Rounds()
		return err
	})
	return out, err
}

// RoundDetail is a round with what belongs to it.
type RoundDetail struct {
	Round     core.Round
	Community core.Community // zero if the community is gone
	Projects  []core.Project
	Proposals []core.Proposal
	LogSize   int64    // leaves in its log (0 before freeze)
	Results   [][]byte // its result notes, oldest first
}

// RoundDetail returns round id with its community, projects, proposals,
// log size and result notes, read together.
func (s *Service) RoundDetail(ctx context.Context, id string) (RoundDetail, error) {
	var d RoundDetail
	err := s.store.Read(ctx, func(tx core.Tx) error {
		var err error
		if d.Round, err = tx.Round(id); err != nil {
			return err
		}
		if d.Community, err = tx.Community(d.Round.Community); err != nil && !errors.Is(err, core.ErrMissing) {
			return err
		}
		if d.Projects, err = tx.Projects(id); err != nil {
			return err
		}
		if d.Proposals, err = tx.Proposals(id); err != nil {
			return err
		}
		if d.LogSize, err = tx.RoundLog(id).Size(); err != nil {
			return err
		}
		d.Results, err = tx.RoundLog(id).Results()
		return err
	})
	return d, noRound(id, err)
}

// Overview is everything the home page and the dashboard list: funds with
// their plans, communities and rounds.
type Overview struct {
	Funds       []core.Fund
	Plans       map[string]FundView // by fund ID
	Communities []core.Community
	Rounds      []core.Round
}

// Overview reads every fund with its plan, every community and every
// round in one transaction.
func (s *Service) Overview(ctx context.Context) (*Overview, error) {
	o := &Overview{Plans: make(map[string]FundView)}
	err := s.store.Read(ctx, func(tx core.Tx) error {
		var err error
		if o.Funds, err = tx.Funds(); err != nil {
			return err
		}
		for _, f := range o.Funds {
			if o.Plans[f.ID], err = fundPlan(tx, f); err != nil {
				return err
			}
		}
		if o.Communities, err = tx.Communities(); err != nil {
			return err
		}
		o.Rounds, err = tx.Rounds()
		return err
	})
	if err != nil {
		return nil, err
	}
	return o, nil
}

// Community returns community id, or a NotFound error.
func (s *Service) Community(ctx context.Context, id string) (core.Community, error) {
	var cm core.Community
	err := s.store.Read(ctx, func(tx core.Tx) error {
		var err error
		cm, err = tx.Community(id)
		return err
	})
	if errors.Is(err, core.ErrMissing) {
		return cm, core.NotFoundf("no community %s", id)
	}
	return cm, err
}

// Fund returns fund id, or a NotFound error.
func (s *Service) Fund(ctx context.Context, id string) (core.Fund, error) {
	var f core.Fund
	err := s.store.Read(ctx, func(tx core.Tx) error {
		var err error
		f, err = tx.Fund(id)
		return err
	})
	if errors.Is(err, core.ErrMissing) {
		return f, core.NotFoundf("no fund %s", id)
	}
	return f, err
}

// LatestCheckpoint returns the size and signed note of round id's latest
// checkpoint; a round without one is a NotFound error.
func (s *Service) LatestCheckpoint(ctx context.Context, id string) (int64, []byte, error) {
	var size int64
	var cp []byte
	err := s.store.Read(ctx, func(tx core.Tx) error {
		var err error
		size, cp, err = tx.RoundLog(id).LatestCheckpoint()
		return err
	})
	if errors.Is(err, core.ErrMissing) {
		return 0, nil, core.NotFoundf("round %s has no checkpoint yet", id)
	}
	return size, cp, err
}

// Checkpoints returns every signed checkpoint of round id, oldest first.
func (s *Service) Checkpoints(ctx context.Context, id string) ([][]byte, error) {
	var cps [][]byte
	err := s.store.Read(ctx, func(tx core.Tx) error {
		var err error
		cps, err = tx.RoundLog(id).Checkpoints()
		return err
	})
	return cps, err
}

// Leaf returns leaf i of round id's log.
func (s *Service) Leaf(ctx context.Context, id string, i int64) ([]byte, error) {
	var leaf []byte
	err := s.store.Read(ctx, func(tx core.Tx) error {
		var err error
		leaf, err = tx.RoundLog(id).Leaf(i)
		return err
	})
	if errors.Is(err, core.ErrMissing) {
		return nil, core.NotFoundf("round %s has no leaf %d", id, i)
	}
	return leaf, err
}

// LeafHashes returns the record hash of every leaf of round id's log, in
// index order.
func (s *Service) LeafHashes(ctx context.Context, id string) ([]tlog.Hash, error) {
	var hs []tlog.Hash
	err := s.store.Read(ctx, func(tx core.Tx) error {
		l := tx.RoundLog(id)
		n, err := l.Size()
		if err != nil {
			return err
		}
		hs, err = l.LeafHashes(n)
		return err
	})
	return hs, err
}

// FindLeaf returns the index of the leaf with record hash h in round id's
// log and the size of the latest checkpoint; an unknown hash is a
// NotFound error.
func (s *Service) FindLeaf(ctx context.Context, id string, h tlog.Hash) (index, size int64, err error) {
	err = s.store.Read(ctx, func(tx core.Tx) error {
		var err error
		if size, _, err = tx.RoundLog(id).LatestCheckpoint(); err != nil {
			return err
		}
		index, err = tx.RoundLog(id).Find(h)
		return err
	})
	if errors.Is(err, core.ErrMissing) {
		return 0, 0, core.NotFoundf("no leaf with that hash in round %s", id)
	}
	return index, size, err
}

// ProveInclusion returns the inclusion proof of leaf index in the tree of
// size n of round id's log; impossible sizes are an Invalid error.
func (s *Service) ProveInclusion(ctx context.Context, id string, n, index int64) (tlog.RecordProof, error) {
	p, err := ledger.NewLog(s.store.RoundLogStorage(id)).ProveInclusion(n, index)
	if errors.Is(err, ledger.ErrBadProof) {
		return nil, core.Invalidf("the leaf is not in the tree of size %d", n)
	}
	return p, err
}

// ProveConsistency returns the consistency proof between the trees of
// sizes old and n of round id's log; impossible sizes are an Invalid
// error.
func (s *Service) ProveConsistency(ctx context.Context, id string, n, old int64) (tlog.TreeProof, error) {
	p, err := ledger.NewLog(s.store.RoundLogStorage(id)).ProveConsistency(n, old)
	if errors.Is(err, ledger.ErrBadProof) {
		return nil, core.Invalidf("need 1 ≤ old ≤ size ≤ the log's size")
	}
	return p, err
}

// Record returns round id's public record (roll, leaves, checkpoints,
// result notes). It refuses before voting closes: leaf contents are
// public only after close.
func (s *Service) Record(ctx context.Context, id string) (*ledger.Record, error) {
	r, err := s.Round(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := core.Allows(r.Phase, core.ActReadRecord); err != nil {
		return nil, core.ErrWrongPhase.With("the record of round %s is published when voting closes (phase %s); during voting see hashes.txt and checkpoint", id, r.Phase)
	}
	return s.record(ctx, id)
}

// Result returns round id's published result, read from its last result
// note with [ledger.ReadResult] (the council's signature and the note
// against the manifest, as pbverify reads it), with the note itself.
// Results are cached: a published note never changes. A round without a
// result is a NotFound error.
func (s *Service) Result(ctx context.Context, id string) (*ledger.Result, []byte, error) {
	s.resultMu.Lock()
	c, ok := s.results[id]
	s.resultMu.Unlock()
	if ok {
		return c.res, c.note, nil
	}
	fr, err := s.FrozenRound(ctx, id)
	if errors.Is(err, core.ErrWrongPhase) {
		return nil, nil, core.NotFoundf("round %s has no published result yet", id)
	}
	if err != nil {
		return nil, nil, err
	}
	var notes [][]byte
	err = s.store.Read(ctx, func(tx core.Tx) error {
		var err error
		notes, err = tx.RoundLog(id).Results()
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	if len(notes) == 0 {
		return nil, nil, core.NotFoundf("round %s has no published result yet", id)
	}
	note := bytes.Clone(notes[len(notes)-1])
	res, err := ledger.ReadResult(note, fr.CouncilVerifier, fr.Manifest, fr.Hash)
	if err != nil {
		return nil, nil, fmt.Errorf("service: result of %s: %w", id, err)
	}
	s.resultMu.Lock()
	s.results[id] = cachedResult{res: res, note: note}
	s.resultMu.Unlock()
	return res, note, nil
}

// cachedResult is a verified result note.
type cachedResult struct {
	res  *ledger.Result
	note []byte
}
