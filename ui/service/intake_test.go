package service

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/tally/ledger"
	"github.com/hedensted-pb/pb/ui/core"
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
		appended: func(core.Tx, int64) error { return boom }})
	if err == nil {
		t.Fatal("submit succeeded although the void's bookkeeping failed")
	}
	if after := e.storeSnapshot(); after != before {
		t.Error("a failed void changed the store")
	}
}

// TestRevoteBackToSupersededBallot is issue 11's high finding: under
// revote last, A then B then A again (a new cast of A's choice, with a new
// cast nonce) must end with A counting and the voter holding the receipt
// of the leaf that counts: the second A is a new leaf, with a new receipt.
// A replay of the first A's exact bytes is refused as superseded. The same
// inside one batch.
func TestRevoteBackToSupersededBallot(t *testing.T) {
	const round = "barrit-2026"
	// counted checks the record: the receipts' statuses in order, and the
	// one counted ballot approves "bibliotek" (A).
	counted := func(t *testing.T, e *env, want []string, receipts ...[]byte) {
		t.Helper()
		e.closeAndPublish(round)
		rep := verifyRound(t, e, round, receipts...)
		var got []string
		for _, r := range rep.Receipts {
			got = append(got, r.Status)
		}
		if !slices.Equal(got, want) || rep.Counts.Counted != 1 {
			t.Fatalf("receipt statuses %v, counted %d; want %v, 1", got, rep.Counts.Counted, want)
		}
		res, _, err := e.svc.Result(context.Background(), round)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range res.Projects {
			if want := int64(map[bool]int{true: 1}[p.ID == "bibliotek"]); p.Votes != want {
				t.Errorf("project %s has %d votes, want %d", p.ID, p.Votes, want)
			}
		}
	}
	t.Run("separate batches", func(t *testing.T) {
		e := newEnv(t)
		e.seed()
		v := e.votingRound(round, 3, RoundRequest{Revote: ballot.RevoteLast})
		a1 := e.castLeaf(round, v, 0, 1, "bibliotek")
		b := e.castLeaf(round, v, 0, 1, "shelter")
		a2 := e.castLeaf(round, v, 0, 2, "bibliotek")
		rc1 := e.cast(round, a1, false)
		rc2 := e.cast(round, b, false)
		rc3 := e.cast(round, a2, false) // A again: a new ballot, a new receipt
		r1, r3 := mustReceipt(t, rc1), mustReceipt(t, rc3)
		if r3.Index <= mustReceipt(t, rc2).Index || !bytes.Equal(r3.Extra, a2) || bytes.Equal(r1.Extra, r3.Extra) {
			t.Errorf("the new A's receipt names leaf %d, not the new leaf", r3.Index)
		}
		// Replays of the superseded casts' exact bytes are refused.
		for _, old := range [][]byte{a1, b} {
			if _, err := e.svc.CastBallot(context.Background(), round, old); !errors.Is(err, core.ErrSuperseded) {
				t.Fatalf("superseded leaf again: %v, want superseded", err)
			}
		}
		// A resend of the counting cast is a repeat with the same receipt.
		if again := e.cast(round, a2, true); !bytes.Equal(again, rc3) {
			t.Error("repeat of the counting ballot got another receipt")
		}
		counted(t, e, []string{"superseded", "superseded", "counted"}, rc1, rc2, rc3)
	})
	t.Run("one batch", func(t *testing.T) {
		e := newEnv(t, func(c *Config) { c.Batch = time.Hour })
		e.seed()
		v := e.votingRound(round, 3, RoundRequest{Revote: ballot.RevoteLast})
		a1 := e.castLeaf(round, v, 0, 1, "bibliotek")
		b := e.castLeaf(round, v, 0, 1, "shelter")
		a2 := e.castLeaf(round, v, 0, 2, "bibliotek")
		// Queue A, B, A anew and a replay of the first A, in this order,
		// in one batch.
		type answer struct {
			c   Cast
			err error
		}
		var answers []chan answer
		for i, leaf := range [][]byte{a1, b, a2, a1} {
			ch := make(chan answer, 1)
			answers = append(answers, ch)
			go func() {
				c, err := e.svc.CastBallot(context.Background(), round, leaf)
				ch <- answer{c, err}
			}()
			for e.svc.seq.queued.Load() < int64(i+1) {
				time.Sleep(time.Millisecond)
			}
		}
		if err := e.svc.seq.do(context.Background(), func() error { return nil }); err != nil {
			t.Fatal(err)
		}
		x1, x2, x3, x4 := <-answers[0], <-answers[1], <-answers[2], <-answers[3]
		for _, x := range []answer{x1, x2, x3} {
			if x.err != nil || x.c.Repeat {
				t.Fatalf("A, B, A anew: %+v %+v %+v", x1, x2, x3)
			}
		}
		if !errors.Is(x4.err, core.ErrSuperseded) {
			t.Fatalf("the first A replayed in the same batch: %+v, want superseded", x4)
		}
		if !(x1.c.Receipt.Index < x2.c.Receipt.Index && x2.c.Receipt.Index < x3.c.Receipt.Index) {
			t.Errorf("the key's ballots are out of order: %d, %d, %d", x1.c.Receipt.Index, x2.c.Receipt.Index, x3.c.Receipt.Index)
		}
		if !bytes.Equal(x3.c.Receipt.Extra, a2) {
			t.Error("the new A's receipt is for another leaf")
		}
		counted(t, e, []string{"superseded", "superseded", "counted"}, x1.c.Receipt.Bytes(), x2.c.Receipt.Bytes(), x3.c.Receipt.Bytes())
	})
}

// TestCastWithCodeNonce: the no-JavaScript path signs with the form's cast
// nonce, so sending the confirmed form again is a repeat, and a new
// confirmation of the same choice (a new nonce) is a new ballot.
func TestCastWithCodeNonce(t *testing.T) {
	const round = "barrit-2026"
	e := newEnv(t)
	e.seed()
	v := e.votingRound(round, 3, RoundRequest{Revote: ballot.RevoteLast})
	ctx := context.Background()
	code := v.codes[0].Compact()
	n1, err := e.svc.NewCast()
	if err != nil {
		t.Fatal(err)
	}
	n2, _ := e.svc.NewCast()
	if n1 == n2 {
		t.Fatal("NewCast gave the same nonce twice")
	}
	c1, err := e.svc.CastWithCode(ctx, round, code, Choices{Approve: []string{"bibliotek"}, Cast: n1[:]})
	if err != nil || c1.Repeat {
		t.Fatalf("first cast: %+v, %v", c1, err)
	}
	again, err := e.svc.CastWithCode(ctx, round, code, Choices{Approve: []string{"bibliotek"}, Cast: n1[:]})
	if err != nil || !again.Repeat || !bytes.Equal(again.Receipt.Bytes(), c1.Receipt.Bytes()) {
		t.Fatalf("the same form again: %+v, %v; want a repeat with the same receipt", again, err)
	}
	c2, err := e.svc.CastWithCode(ctx, round, code, Choices{Approve: []string{"bibliotek"}, Cast: n2[:]})
	if err != nil || c2.Repeat || c2.Receipt.Index <= c1.Receipt.Index {
		t.Fatalf("a new confirmation: %+v, %v; want a new ballot", c2, err)
	}
	if _, err := e.svc.CastWithCode(ctx, round, code, Choices{Approve: []string{"bibliotek"}, Cast: n1[:15]}); core.KindOf(err) != core.Invalid {
		t.Errorf("a 15-byte cast nonce: %v, want invalid", err)
	}
	c3, err := e.svc.CastWithCode(ctx, round, code, Choices{Approve: []string{"bibliotek"}})
	if err != nil || c3.Repeat {
		t.Fatalf("no nonce given: %+v, %v; want a new ballot with a fresh nonce", c3, err)
	}
	b, err := ballot.ParseBallot(c3.Receipt.Extra)
	if err != nil || b.Cast == n1 || b.Cast == n2 || b.Cast == [ballot.CastSize]byte{} {
		t.Errorf("the server's own nonce: %x, %v", b.Cast, err)
	}
}

// mustReceipt parses receipt bytes.
func mustReceipt(t *testing.T, b []byte) *ledger.Receipt {
	t.Helper()
	r, err := ledger.ParseReceipt(b)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
