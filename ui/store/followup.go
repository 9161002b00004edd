package store

import (
	"fmt"

	"github.com/hedensted-pb/pb/ui/core"
)

// The followups bucket (added after schema version 1: Open creates it in
// an older file, which holds no follow-ups) keeps the private side of each
// proposal under the proposal's own key: round, 0, big-endian number.

// FollowUp returns a proposal's follow-up, or ErrNotFound.
func (tx *Tx) FollowUp(round string, id int64) (core.FollowUp, error) {
	var f core.FollowUp
	if id < 1 {
		return f, ErrNotFound
	}
	return f, tx.getJSON(bFollowUps, rkey(round, u64(uint64(id))), &f)
}

// PutFollowUp stores a proposal's follow-up; the proposal must exist.
func (tx *Tx) PutFollowUp(f core.FollowUp) error {
	k := rkey(f.Round, u64(uint64(f.Proposal)))
	if f.Proposal < 1 || tx.b(bProposals).Get(k) == nil {
		return fmt.Errorf("follow-up of proposal %s/%d: %w", f.Round, f.Proposal, ErrNotFound)
	}
	return tx.putJSON(bFollowUps, k, f)
}
