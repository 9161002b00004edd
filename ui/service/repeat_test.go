package service

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/hedensted-pb/pb/ui/core"
)

// TestIdenticalConcurrentLeaves is issue 11's regression test: 20 copies
// of one leaf sent at once are one new ballot and 19 repeats with the
// same receipt (201 once, 200 for the rest), whether they meet in one
// batch or arrive after it.
func TestIdenticalConcurrentLeaves(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Batch = time.Hour })
	e.seed()
	v := e.votingRound("barrit-2026", 2, RoundRequest{})
	leaf := e.ballotLeaf("barrit-2026", v, 0, testProjects[0].ID)
	const n = 20
	var mu sync.Mutex
	var fresh, repeats int
	var receipts [][]byte
	var wg sync.WaitGroup
	send := func() {
		defer wg.Done()
		c, err := e.svc.CastBallot(context.Background(), "barrit-2026", leaf)
		if err != nil {
			t.Error(err)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if c.Repeat {
			repeats++
		} else {
			fresh++
		}
		receipts = append(receipts, c.Receipt.Bytes())
	}
	for range n {
		wg.Add(1)
		go send()
	}
	for e.svc.seq.queued.Load() < n {
		time.Sleep(time.Millisecond) // every copy waits for the one batch
	}
	if err := e.svc.seq.do(context.Background(), func() error { return nil }); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	// Copies after the batch are answered from the log.
	for range n {
		wg.Add(1)
		go send()
	}
	wg.Wait()
	if fresh != 1 || repeats != 2*n-1 {
		t.Errorf("%d new and %d repeats, want 1 and %d", fresh, repeats, 2*n-1)
	}
	for _, rc := range receipts[1:] {
		if !bytes.Equal(rc, receipts[0]) {
			t.Fatalf("copies of one leaf got different receipts")
		}
	}
}

// TestRevoteCap: under revote last one code casts at most
// core.MaxBallotsPerKey ballots; the next is refused (too_many_ballots),
// also when two race for the last place in one batch, and the last
// accepted ballot keeps counting.
func TestRevoteCap(t *testing.T) {
	e := newEnv(t)
	e.seed()
	v := e.votingRound("barrit-2026", 2, RoundRequest{Revote: "last"})
	for i := range core.MaxBallotsPerKey - 1 {
		e.cast("barrit-2026", e.castLeaf("barrit-2026", v, 0, byte(i), testProjects[i%4].ID), false)
	}
	// Two casts race for the last place: one gets it.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for k := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[k] = e.svc.CastBallot(context.Background(), "barrit-2026", e.castLeaf("barrit-2026", v, 0, byte(100+k), testProjects[k].ID))
		}()
	}
	wg.Wait()
	ok, refused := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, core.ErrTooManyBallots) && core.KindOf(err) == core.TooMany:
			refused++
		default:
			t.Errorf("racing cast: %v", err)
		}
	}
	if ok != 1 || refused != 1 {
		t.Errorf("racing for the last place: %d accepted, %d refused; want 1, 1", ok, refused)
	}
	_, err := e.svc.CastBallot(context.Background(), "barrit-2026", e.castLeaf("barrit-2026", v, 0, 200, testProjects[3].ID))
	if !errors.Is(err, core.ErrTooManyBallots) {
		t.Errorf("cast over the cap: %v, want too_many_ballots", err)
	}
	// Another code is not affected.
	e.cast("barrit-2026", e.ballotLeaf("barrit-2026", v, 1, testProjects[0].ID), false)
	e.closeAndPublish("barrit-2026")
	rep := verifyRound(t, e, "barrit-2026")
	if rep.Counts.Ballots != core.MaxBallotsPerKey+1 || rep.Counts.Counted != 2 {
		t.Errorf("counts = %+v, want %d ballots, 2 counted", rep.Counts, core.MaxBallotsPerKey+1)
	}
}
