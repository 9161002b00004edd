package service

import (
	"context"
	"encoding/base64"
	"errors"
	"testing"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/ui/core"
)

// TestKeyStatusAndVoters: what the voting page learns about a key before
// the choice (off the roll, used, voided, revote), and the slips voted
// with, which a revote does not change and a void takes away.
func TestKeyStatusAndVoters(t *testing.T) {
	ctx := context.Background()
	for _, revote := range []string{ballot.RevoteNone, ballot.RevoteLast} {
		t.Run(revote, func(t *testing.T) {
			round := "barrit-2026"
			e := newEnv(t)
			e.seed()
			v := e.votingRound(round, 3, RoundRequest{Revote: revote})
			key := func(i int) [32]byte { return ballot.PublicKey(ballot.DeriveKey(v.codes[i], round)) }
			status := func(k [32]byte) KeyStatus {
				t.Helper()
				st, err := e.svc.KeyStatus(ctx, round, k)
				if err != nil {
					t.Fatal(err)
				}
				return st
			}
			voters := func(want int64) {
				t.Helper()
				if n, err := e.svc.Voters(ctx, round); err != nil || n != want {
					t.Errorf("Voters = %d, %v, want %d", n, err, want)
				}
			}
			if st := status([32]byte{1}); !errors.Is(st.Err, core.ErrNotOnRoll) {
				t.Errorf("a key off the roll: %+v", st)
			}
			if st := status(key(0)); st.Err != nil || st.Voted {
				t.Errorf("a fresh key: %+v", st)
			}
			voters(0)
			e.cast(round, e.castLeaf(round, v, 0, 1, "bibliotek"), false)
			e.cast(round, e.castLeaf(round, v, 1, 1, "bibliotek"), false)
			voters(2)
			st := status(key(0))
			switch {
			case revote == ballot.RevoteNone && (!errors.Is(st.Err, core.ErrCodeUsed) || !st.Voted):
				t.Errorf("a used key (revote none): %+v", st)
			case revote == ballot.RevoteLast && (st.Err != nil || !st.Voted):
				t.Errorf("a key that voted (revote last): %+v", st)
			}
			if revote == ballot.RevoteLast {
				e.cast(round, e.castLeaf(round, v, 0, 2, "shelter"), false)
				voters(2) // the same slip voted again
			}
			k := key(1)
			if _, err := e.svc.Void(ctx, admin, round, VoidRequest{Key: base64.StdEncoding.EncodeToString(k[:]), Reason: "stjålet"}); err != nil {
				t.Fatal(err)
			}
			if st := status(key(1)); !errors.Is(st.Err, core.ErrVoided) {
				t.Errorf("a voided key: %+v", st)
			}
			voters(1)
		})
	}
}
