package tally

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
)

// Tie-breaking orders (docs/counting.md §3).
const (
	// TieLexicographic prefers the project whose ID sorts first in byte
	// order: pabutools' default (Python string order, which is code point
	// order, which is UTF-8 byte order).
	TieLexicographic = "lexicographic"
	// TieDefault prefers the cheaper project, then the one with more votes,
	// then the one that comes first in a lot drawn from a seed.
	TieDefault = "min-cost,max-votes,lot"
)

// ErrTieBreak reports an unknown tie-breaking order.
var ErrTieBreak = errors.New("unknown tie-breaking order")

// A TieBreak is a tie-breaking order: a strict total order on the projects
// of an election, fixed before counting. Whenever a rule must choose among
// projects that are exactly tied, it takes the one that comes first.
type TieBreak struct {
	order string
	seed  [32]byte
}

// NewTieBreak returns the tie-breaking order named order, one of
// [TieLexicographic] and [TieDefault]. seed is used only by the lot of
// [TieDefault]; for a round it is the root hash of the final checkpoint
// (docs/record.md §11). The error wraps [ErrTieBreak].
func NewTieBreak(order string, seed [32]byte) (TieBreak, error) {
	switch order {
	case TieLexicographic:
		return TieBreak{order: order}, nil
	case TieDefault:
		return TieBreak{order: order, seed: seed}, nil
	}
	return TieBreak{}, fmt.Errorf("%w %q (want %q or %q)", ErrTieBreak, order, TieLexicographic, TieDefault)
}

// String returns the order's name ("lexicographic" for the zero TieBreak).
func (t TieBreak) String() string {
	if t.order == "" {
		return TieLexicographic
	}
	return t.order
}

// LotKey returns the lot key of a project under seed: SHA-256 of the ASCII
// bytes "pb-lot/v1", a zero byte, the 32 seed bytes and the project ID.
// Under [TieDefault], among projects of equal cost and votes the smaller key
// (compared as bytes) comes first.
func LotKey(seed [32]byte, projectID string) [32]byte {
	h := sha256.New()
	h.Write([]byte("pb-lot/v1\x00"))
	h.Write(seed[:])
	h.Write([]byte(projectID))
	var k [32]byte
	h.Sum(k[:0])
	return k
}

// profileRanks is ranks for a prepared election; the lexicographic ranks
// are computed once per profile. The result must not be modified.
func (t TieBreak) profileRanks(pr *profile, votes []int64) []int {
	if t.order == TieDefault {
		return t.ranks(pr.e, votes)
	}
	if pr.idRank == nil {
		pr.idRank = t.ranks(pr.e, votes)
	}
	return pr.idRank
}

// ranks returns rank[p] for every project: 0 for the project that comes
// first. votes are the votes the rule counts (for max-votes).
func (t TieBreak) ranks(e *Election, votes []int64) []int {
	m := len(e.Projects)
	order := make([]int, m)
	for i := range order {
		order[i] = i
	}
	byID := func(a, b int) int { return cmp.Compare(e.Projects[a].ID, e.Projects[b].ID) }
	switch t.order {
	case TieDefault:
		keys := make([][32]byte, m)
		for i, p := range e.Projects {
			keys[i] = LotKey(t.seed, p.ID)
		}
		slices.SortFunc(order, func(a, b int) int {
			if c := cmp.Compare(e.Projects[a].Cost, e.Projects[b].Cost); c != 0 {
				return c
			}
			if c := cmp.Compare(votes[b], votes[a]); c != 0 {
				return c
			}
			if c := bytes.Compare(keys[a][:], keys[b][:]); c != 0 {
				return c
			}
			return byID(a, b)
		})
	default:
		slices.SortFunc(order, byID)
	}
	rank := make([]int, m)
	for r, p := range order {
		rank[p] = r
	}
	return rank
}

// decidedBy returns the step of t that puts one of the projects a and b
// before the other (a Tie's By); votes are the votes the rule counts.
func (t TieBreak) decidedBy(e *Election, votes []int64, a, b int) string {
	if t.order != TieDefault {
		return TieByID
	}
	switch {
	case e.Projects[a].Cost != e.Projects[b].Cost:
		return TieByCost
	case votes[a] != votes[b]:
		return TieByVotes
	case LotKey(t.seed, e.Projects[a].ID) != LotKey(t.seed, e.Projects[b].ID):
		return TieByLot
	}
	return TieByID
}
