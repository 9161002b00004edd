package service

import (
	"context"
	"fmt"
	"testing"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/tally/ledger"
	"github.com/hedensted-pb/pb/ui/store"
)

// TestVoidAtomic: what a void writes besides its leaf (the index for the
// projector, the audit entry) is in the leaf's transaction: when it fails,
// the leaf is not appended either and the caller gets the error.
func TestVoidAtomic(t *testing.T) {
	e := newEnv(t)
	e.seed()
	v := e.votingRound("barrit-2026", 3, RoundRequest{})
	fr, err := e.svc.FrozenRound(context.Background(), "barrit-2026")
	if err != nil {
		t.Fatal(err)
	}
	key := ballot.PublicKey(ballot.DeriveKey(v.codes[0], "barrit-2026"))
	leaf, err := ledger.SignVoid(&ledger.Void{Round: "barrit-2026", Manifest: fr.Hash, Key: key, Reason: "Test"}, fr.council)
	if err != nil {
		t.Fatal(err)
	}
	before := e.storeSnapshot()
	boom := fmt.Errorf("disk full")
	_, err = e.svc.seq.submit(context.Background(), &entry{round: "barrit-2026", leaf: leaf, key: key, void: true,
		appended: func(*store.Tx, int64) error { return boom }})
	if err == nil {
		t.Fatal("submit succeeded although the void's bookkeeping failed")
	}
	if after := e.storeSnapshot(); after != before {
		t.Error("a failed void changed the store")
	}
}
