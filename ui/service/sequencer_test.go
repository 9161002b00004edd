package service

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/hedensted-pb/pb/tally/ledger"
	"github.com/hedensted-pb/pb/ui/core"
	"github.com/hedensted-pb/pb/ui/store"
)

// TestConcurrentBallots casts ballots from many goroutines, each ballot
// sent two or three times. The batch period is long, and the batch is
// appended only once every submission waits in it, so the test knows there
// is exactly one batch. Every voter gets one receipt (the same one each
// time), the log holds each ballot once, and the record verifies with
// every receipt.
func TestConcurrentBallots(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Batch = time.Hour })
	e.seed()
	const n = 120
	v := e.votingRound("barrit-2026", n, RoundRequest{})
	leaves := make([][]byte, n)
	for i := range leaves {
		leaves[i] = e.ballotLeaf("barrit-2026", v, i, testProjects[i%4].ID)
	}
	receipts := make([][][]byte, n)
	var mu sync.Mutex
	var wg sync.WaitGroup
	submissions := 0
	for i := range n {
		for k := range 2 + i%2 {
			submissions++
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, err := e.svc.CastBallot(context.Background(), "barrit-2026", leaves[i])
				if err != nil {
					t.Errorf("ballot %d (try %d): %v", i, k, err)
					return
				}
				mu.Lock()
				receipts[i] = append(receipts[i], c.Receipt.Bytes())
				mu.Unlock()
			}()
		}
	}
	for e.svc.seq.queued.Load() < int64(submissions) {
		time.Sleep(time.Millisecond) // wait for every submission to queue
	}
	// Nothing is answered before the batch is appended.
	mu.Lock()
	for i, rs := range receipts {
		if len(rs) > 0 {
			t.Errorf("voter %d got a receipt before the batch was appended", i)
		}
	}
	mu.Unlock()
	if err := e.svc.seq.do(context.Background(), func() error { return nil }); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	var all [][]byte
	for i, rs := range receipts {
		for _, rc := range rs[1:] {
			if !bytes.Equal(rc, rs[0]) {
				t.Errorf("voter %d got two different receipts", i)
			}
		}
		all = append(all, rs[0])
	}
	var sizes []int64
	e.store.View(context.Background(), func(tx *store.Tx) error {
		cps, _ := tx.Log("barrit-2026").Checkpoints()
		for _, cp := range cps {
			c, _ := ledger.ParseCheckpointNote(cp)
			sizes = append(sizes, c.Size)
		}
		return nil
	})
	if len(sizes) != 2 || sizes[1] != n+1 {
		t.Errorf("checkpoint sizes %v, want [1 %d]: one batch of %d ballots", sizes, n+1, n)
	}
	e.closeAndPublish("barrit-2026")
	rep := verifyRound(t, e, "barrit-2026", all...)
	if rep.Counts.Ballots != n || rep.Counts.Counted != n {
		t.Errorf("counts = %+v", rep.Counts)
	}
}

func TestShuffleKeepsKeyOrder(t *testing.T) {
	var es []*entry
	for i := range 40 {
		es = append(es, &entry{key: [32]byte{byte(i % 5)}, seq: uint64(i)})
	}
	moved := 0
	for range 20 {
		out, err := shuffleKeepingKeys(es, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		last := map[[32]byte]uint64{}
		seen := map[*entry]bool{}
		for i, e := range out {
			if prev, ok := last[e.key]; ok && e.seq < prev {
				t.Fatalf("entries of one key out of arrival order")
			}
			last[e.key] = e.seq
			seen[e] = true
			if e != es[i] {
				moved++
			}
		}
		if len(seen) != len(es) {
			t.Fatalf("shuffle lost entries")
		}
	}
	if moved == 0 {
		t.Errorf("shuffle never moved anything")
	}
	for _, n := range []int{1, 2, 3, 7, 1000} {
		for range 50 {
			if x, err := randIntn(rand.Reader, n); err != nil || x < 0 || x >= n {
				t.Fatalf("randIntn(%d) = %d, %v", n, x, err)
			}
		}
	}
}

// TestRestart stops the service in the middle of a round, starts a new
// one on the same data directory and keeps voting: the log continues and
// the record verifies, with receipts from before the restart. A ballot
// that reached the sequencer before the shutdown is appended and answered.
// The new service has another base URL, which must not disturb the running
// round.
func TestRestart(t *testing.T) {
	dir := t.TempDir()
	s1, st1 := open(t, dir, func(c *Config) { c.Batch = time.Hour })
	e := &env{t: t, svc: s1, store: st1, dir: dir}
	e.seed()
	v := e.votingRound("barrit-2026", 20, RoundRequest{})
	var receipts [][]byte
	for i := range 8 {
		leaf := e.ballotLeaf("barrit-2026", v, i, "shelter")
		done := make(chan []byte)
		go func() { done <- e.cast("barrit-2026", leaf, false) }()
		for s1.seq.queued.Load() == 0 {
			time.Sleep(time.Millisecond)
		}
		if err := s1.seq.do(context.Background(), func() error { return nil }); err != nil {
			t.Fatal(err)
		}
		receipts = append(receipts, <-done)
	}
	// A ballot waiting in the batch when the shutdown starts is appended
	// and answered: the batch period is an hour, so it is certainly still
	// queued when Close runs.
	inflight := make(chan []byte, 1)
	leaf := e.ballotLeaf("barrit-2026", v, 8, "bibliotek")
	go func() { inflight <- e.cast("barrit-2026", leaf, false) }()
	for s1.seq.queued.Load() == 0 {
		time.Sleep(time.Millisecond) // wait until it is in the batch
	}
	if err := s1.Close(); err != nil {
		t.Fatal(err)
	}
	receipts = append(receipts, <-inflight)
	if err := st1.Close(); err != nil {
		t.Fatal(err)
	}

	// The restarted service has another public name: existing rounds keep
	// theirs (it is in their manifests and key files).
	s2, st2 := open(t, dir, func(c *Config) { c.BaseURL = "https://renamed.example" })
	t.Cleanup(func() { s2.Close(); st2.Close() })
	e = &env{t: t, svc: s2, store: st2, dir: dir}
	// Repeats of ballots from before the restart get their receipts.
	if again := e.cast("barrit-2026", e.ballotLeaf("barrit-2026", v, 0, "shelter"), true); !bytes.Equal(again, receipts[0]) {
		t.Errorf("receipt after restart differs")
	}
	for i := 9; i < 15; i++ {
		receipts = append(receipts, e.cast("barrit-2026", e.ballotLeaf("barrit-2026", v, i, "legeplads"), false))
	}
	if _, err := s2.CastBallot(context.Background(), "barrit-2026", e.ballotLeaf("barrit-2026", v, 3, "legeplads")); !errors.Is(err, core.ErrCodeUsed) {
		t.Errorf("second ballot of a key after restart: %v, want code used", err)
	}
	e.closeAndPublish("barrit-2026")
	rep := verifyRound(t, e, "barrit-2026", receipts...)
	if rep.Counts.Counted != int64(len(receipts)) {
		t.Errorf("counted %d, receipts %d", rep.Counts.Counted, len(receipts))
	}
}

// TestShutdownRefusesNewBallots checks that after shutdown the sequencer
// answers 503 rather than hanging.
func TestShutdownRefusesNewBallots(t *testing.T) {
	e := newEnv(t)
	e.seed()
	v := e.votingRound("barrit-2026", 2, RoundRequest{})
	leaf := e.ballotLeaf("barrit-2026", v, 0, "shelter")
	e.svc.seq.stop()
	_, err := e.svc.CastBallot(context.Background(), "barrit-2026", leaf)
	if !errors.Is(err, core.ErrShuttingDown) || core.KindOf(err) != core.Unavailable {
		t.Errorf("ballot after stop: %v", err)
	}
	var size int64
	e.store.View(context.Background(), func(tx *store.Tx) error {
		size, _ = tx.Log("barrit-2026").Size()
		return nil
	})
	if size != 1 {
		t.Errorf("log size %d after a refused ballot", size)
	}
}

func TestCheckpointSubscription(t *testing.T) {
	e := newEnv(t)
	e.seed()
	events, cancel := e.svc.Subscribe("barrit-2026")
	defer cancel()
	all, cancelAll := e.svc.Subscribe("")
	v := e.votingRound("barrit-2026", 3, RoundRequest{})
	e.cast("barrit-2026", e.ballotLeaf("barrit-2026", v, 0, "shelter"), false)
	for _, want := range []int64{1, 2} {
		ev := <-events
		if ev.Round != "barrit-2026" || ev.Size != want {
			t.Fatalf("event = %+v, want size %d", ev, want)
		}
		if _, err := ledger.ParseCheckpointNote(ev.Checkpoint); err != nil {
			t.Fatalf("event checkpoint: %v", err)
		}
	}
	if ev := <-all; ev.Size != 1 {
		t.Errorf("all-rounds subscriber got %+v", ev)
	}
	cancelAll()
	cancelAll() // idempotent
	if _, ok := <-all; ok {
		// drain: a buffered event may remain before the close
		for range all {
		}
	}
}
