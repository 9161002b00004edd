package service

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/ballot/canon"
	"github.com/hedensted-pb/pb/ui/core"
	"github.com/hedensted-pb/pb/ui/store"
)

// TestBatchFullFlushesEarly: a round's part of a batch is appended as soon
// as it holds batchFull leaves, long before the batch period (an hour
// here); the next leaf waits for the next batch.
func TestBatchFullFlushesEarly(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Batch = time.Hour })
	e.seed()
	n := batchFull + 1
	v := e.votingRound("barrit-2026", n, RoundRequest{})
	leaves := make([][]byte, n)
	for i := range leaves {
		leaves[i] = e.ballotLeaf("barrit-2026", v, i, testProjects[i%4].ID)
	}
	var wg sync.WaitGroup
	for i := range batchFull {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := e.svc.CastBallot(context.Background(), "barrit-2026", leaves[i]); err != nil {
				t.Errorf("ballot %d: %v", i, err)
			}
		}()
	}
	wg.Wait() // answered without the hour's timer
	last := make(chan []byte, 1)
	go func() { last <- e.cast("barrit-2026", leaves[batchFull], false) }()
	for e.svc.seq.queued.Load() != 1 {
		time.Sleep(time.Millisecond)
	}
	var sizes []int64
	e.store.View(context.Background(), func(tx *store.Tx) error {
		size, _, err := tx.Log("barrit-2026").LatestCheckpoint()
		sizes = append(sizes, size)
		return err
	})
	if want := int64(1 + batchFull); sizes[0] != want {
		t.Errorf("latest checkpoint covers %d leaves, want %d", sizes[0], want)
	}
	if err := e.svc.seq.do(context.Background(), func() error { return nil }); err != nil {
		t.Fatal(err)
	}
	receipt := <-last
	e.closeAndPublish("barrit-2026")
	if rep := verifyRound(t, e, "barrit-2026", receipt); rep.Counts.Counted != int64(n) {
		t.Errorf("counted %d, want %d", rep.Counts.Counted, n)
	}
}

// TestIntakeMemory: the phase and the voters kept in memory for the fast
// answer follow the store: a key that voted, or was voided, is answered as
// before (repeat with its receipt, code used, voided), also when it voted
// before the keys were loaded, and closing the round refuses new ballots
// while a repeat of a counted ballot still gets its receipt.
func TestIntakeMemory(t *testing.T) {
	e := newEnv(t)
	e.seed()
	ctx := context.Background()
	v := e.votingRound("barrit-2026", 6, RoundRequest{})
	// Voter 0 votes before anything is in memory; then the set is
	// dropped, as after a restart, and loaded again from the store.
	r0 := e.cast("barrit-2026", e.ballotLeaf("barrit-2026", v, 0, "shelter"), false)
	e.svc.intake.round("barrit-2026").mu.Lock()
	e.svc.intake.round("barrit-2026").voters = nil
	e.svc.intake.round("barrit-2026").mu.Unlock()
	if again := e.cast("barrit-2026", e.ballotLeaf("barrit-2026", v, 0, "shelter"), true); !bytes.Equal(again, r0) {
		t.Error("repeat after reload: another receipt")
	}
	if _, err := e.svc.CastBallot(ctx, "barrit-2026", e.castLeaf("barrit-2026", v, 0, 1, "bibliotek")); !errors.Is(err, core.ErrCodeUsed) {
		t.Errorf("second ballot of voter 0: %v, want code used", err)
	}
	// Voter 1 votes with the set loaded: the batch adds the key.
	r1 := e.cast("barrit-2026", e.ballotLeaf("barrit-2026", v, 1, "legeplads"), false)
	if _, err := e.svc.CastBallot(ctx, "barrit-2026", e.castLeaf("barrit-2026", v, 1, 1, "bibliotek")); !errors.Is(err, core.ErrCodeUsed) {
		t.Errorf("second ballot of voter 1: %v, want code used", err)
	}
	// Voter 2 is voided before voting.
	key2 := ballot.PublicKey(ballot.DeriveKey(v.codes[2], "barrit-2026"))
	if _, err := e.svc.Void(ctx, coord, "barrit-2026", VoidRequest{Key: canon.EncodeB64(key2[:]), Reason: "Stjålet"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.CastBallot(ctx, "barrit-2026", e.ballotLeaf("barrit-2026", v, 2, "shelter")); !errors.Is(err, core.ErrVoided) {
		t.Errorf("ballot of a voided key: %v, want voided", err)
	}
	// Closed: new ballots are refused, the counted ballot's repeat is not.
	if _, err := e.svc.SetPhase(ctx, coord, "barrit-2026", core.PhaseClosed); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.CastBallot(ctx, "barrit-2026", e.ballotLeaf("barrit-2026", v, 3, "shelter")); err == nil || core.KindOf(err) != core.Conflict {
		t.Errorf("ballot after close: %v, want a conflict", err)
	}
	if again := e.cast("barrit-2026", e.ballotLeaf("barrit-2026", v, 1, "legeplads"), true); !bytes.Equal(again, r1) {
		t.Error("repeat after close: another receipt")
	}
}

// TestKeyStatusFromMemory: the voting page's check of a code answers from
// memory for a fresh key and from the store otherwise, as before.
func TestKeyStatusFromMemory(t *testing.T) {
	e := newEnv(t)
	e.seed()
	ctx := context.Background()
	v := e.votingRound("barrit-2026", 3, RoundRequest{})
	key := func(i int) [32]byte { return ballot.PublicKey(ballot.DeriveKey(v.codes[i], "barrit-2026")) }
	status := func(i int) KeyStatus {
		t.Helper()
		st, err := e.svc.KeyStatus(ctx, "barrit-2026", key(i))
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	if st := status(0); st.Err != nil || st.Voted {
		t.Errorf("fresh key: %+v", st)
	}
	e.cast("barrit-2026", e.ballotLeaf("barrit-2026", v, 0, "shelter"), false)
	if st := status(0); !errors.Is(st.Err, core.ErrCodeUsed) || !st.Voted {
		t.Errorf("key that voted: %+v", st)
	}
	k1 := key(1)
	if _, err := e.svc.Void(ctx, coord, "barrit-2026", VoidRequest{Key: canon.EncodeB64(k1[:]), Reason: "Stjålet"}); err != nil {
		t.Fatal(err)
	}
	if st := status(1); !errors.Is(st.Err, core.ErrVoided) {
		t.Errorf("voided key: %+v", st)
	}
	if _, err := e.svc.SetPhase(ctx, coord, "barrit-2026", core.PhaseClosed); err != nil {
		t.Fatal(err)
	}
	if st := status(2); st.Err == nil {
		t.Errorf("fresh key after close: %+v", st)
	}
}
