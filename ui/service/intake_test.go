package service

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/tally/ledger"
	"github.com/hedensted-pb/pb/ui/core"
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

// TestRevoteBackToSupersededBallot is issue 11's high finding: under
// revote last, q00 then q01 then q00 again must not be answered with the
// receipt of the first q00 (which no longer counts). It is refused as
// superseded, and q01 counts; the same inside one batch.
func TestRevoteBackToSupersededBallot(t *testing.T) {
	t.Run("separate batches", func(t *testing.T) {
		e := newEnv(t)
		e.seed()
		v := e.votingRound("barrit-2026", 3, RoundRequest{Revote: ballot.RevoteLast})
		first := e.ballotLeaf("barrit-2026", v, 0, "bibliotek")
		second := e.ballotLeaf("barrit-2026", v, 0, "shelter")
		rc1 := e.cast("barrit-2026", first, false)
		rc2 := e.cast("barrit-2026", second, false)
		if _, err := e.svc.CastBallot(context.Background(), "barrit-2026", first); !errors.Is(err, core.ErrSuperseded) {
			t.Fatalf("first ballot again: %v, want superseded", err)
		}
		// The counting ballot's repeat is still a repeat.
		if again := e.cast("barrit-2026", second, true); !bytes.Equal(again, rc2) {
			t.Error("repeat of the counting ballot got another receipt")
		}
		e.closeAndPublish("barrit-2026")
		rep := verifyRound(t, e, "barrit-2026", rc1, rc2)
		if rep.Receipts[0].Status != "superseded" || rep.Receipts[1].Status != "counted" {
			t.Errorf("receipt statuses = %+v", rep.Receipts)
		}
	})
	t.Run("one batch", func(t *testing.T) {
		e := newEnv(t, func(c *Config) { c.Batch = time.Hour })
		e.seed()
		v := e.votingRound("barrit-2026", 3, RoundRequest{Revote: ballot.RevoteLast})
		first := e.ballotLeaf("barrit-2026", v, 0, "bibliotek")
		second := e.ballotLeaf("barrit-2026", v, 0, "shelter")
		// Queue first, second and first again, in this order, in one batch.
		type answer struct {
			c   Cast
			err error
		}
		var answers []chan answer
		for i, leaf := range [][]byte{first, second, first} {
			ch := make(chan answer, 1)
			answers = append(answers, ch)
			go func() {
				c, err := e.svc.CastBallot(context.Background(), "barrit-2026", leaf)
				ch <- answer{c, err}
			}()
			for e.svc.seq.queued.Load() < int64(i+1) {
				time.Sleep(time.Millisecond)
			}
		}
		if err := e.svc.seq.do(context.Background(), func() error { return nil }); err != nil {
			t.Fatal(err)
		}
		a1, a2, a3 := <-answers[0], <-answers[1], <-answers[2]
		if a1.err != nil || a2.err != nil || a1.c.Repeat || a2.c.Repeat {
			t.Fatalf("first two ballots: %+v %+v", a1, a2)
		}
		if !errors.Is(a3.err, core.ErrSuperseded) {
			t.Fatalf("first ballot again in the same batch: %+v, want superseded", a3)
		}
		if a2.c.Receipt.Index <= a1.c.Receipt.Index {
			t.Errorf("the key's ballots are out of order: %d, %d", a1.c.Receipt.Index, a2.c.Receipt.Index)
		}
		e.closeAndPublish("barrit-2026")
		rep := verifyRound(t, e, "barrit-2026", a1.c.Receipt.Bytes(), a2.c.Receipt.Bytes())
		if rep.Receipts[1].Status != "counted" || rep.Counts.Counted != 1 {
			t.Errorf("report: %+v, %+v", rep.Receipts, rep.Counts)
		}
	})
}
