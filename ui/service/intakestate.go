package service

import (
	"context"
	"sync"

	"github.com/hedensted-pb/pb/ui/core"
)

// What intake keeps in memory, so that a new ballot of a key that has not
// voted costs no read transaction (docs/architecture.md, "The path of a
// ballot"): each round's phase, read again whenever the store's
// generation has moved, and the set of roll keys its log records
// something for (a ballot or a void), loaded once from the store and then
// kept by the sequencer, which adds the keys of every batch after the
// batch has committed. Both are only for the fast answer: the sequencer
// decides again inside the write transaction, from the store.
type intakeState struct {
	mu     sync.Mutex
	rounds map[string]*roundIntake
}

// roundIntake is one round's part of [intakeState].
type roundIntake struct {
	mu     sync.Mutex
	gen    uint64 // the store generation phase was read at
	phase  core.Phase
	read   bool                  // phase holds a value read at gen
	voters map[[32]byte]struct{} // nil until loaded
}

// round returns round id's state, made empty on first use.
func (st *intakeState) round(id string) *roundIntake {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.rounds == nil {
		st.rounds = make(map[string]*roundIntake)
	}
	ri := st.rounds[id]
	if ri == nil {
		ri = &roundIntake{}
		st.rounds[id] = ri
	}
	return ri
}

// intakeView is what [Service.intakeView] tells CastBallot: the round's
// phase and whether the key is fresh (nothing in the log for it).
type intakeView struct {
	phase core.Phase
	fresh bool
}

// intakeView returns round id's phase and whether key has nothing in its
// log, from memory; the phase is read again (one read transaction) when
// the store has committed anything since it was read, and the keys are
// loaded on the round's first ballot. A key added by a batch that
// committed after the load is always in the set (the sequencer adds it
// under the same lock), so "fresh" is never claimed for a key whose
// ballot has been acknowledged.
func (s *Service) intakeView(ctx context.Context, id string, key [32]byte) (intakeView, error) {
	ri := s.intake.round(id)
	ri.mu.Lock()
	defer ri.mu.Unlock()
	if gen := s.store.Generation(); !ri.read || ri.gen != gen {
		var r core.Round
		if err := s.store.Read(ctx, func(tx core.Tx) error {
			var err error
			r, err = tx.Round(id)
			return err
		}); err != nil {
			return intakeView{}, noRound(id, err)
		}
		ri.gen, ri.phase, ri.read = gen, r.Phase, true
	}
	if core.Allows(ri.phase, core.ActVote) != nil {
		// Not voting: the slow path answers (repeats still get their
		// receipts), and the keys are not needed any more.
		ri.voters = nil
		return intakeView{phase: ri.phase}, nil
	}
	if ri.voters == nil {
		// Held under ri.mu, so a batch committing meanwhile waits to add
		// its keys until the set is in place.
		voters := make(map[[32]byte]struct{})
		if err := s.store.Read(ctx, func(tx core.Tx) error {
			return tx.RoundLog(id).ForEachVoter(func(k [32]byte, _ core.Voter) error {
				voters[k] = struct{}{}
				return nil
			})
		}); err != nil {
			return intakeView{}, err
		}
		ri.voters = voters
	}
	_, known := ri.voters[key]
	return intakeView{phase: ri.phase, fresh: !known}, nil
}

// noteVoters records, after a batch has committed, the keys the batch
// appended leaves for.
func (s *Service) noteVoters(round string, keys [][32]byte) {
	ri := s.intake.round(round)
	ri.mu.Lock()
	defer ri.mu.Unlock()
	if ri.voters == nil {
		return // loaded later, from a store that holds them
	}
	for _, k := range keys {
		ri.voters[k] = struct{}{}
	}
}
