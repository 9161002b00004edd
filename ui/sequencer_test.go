package ui

import (
	"bytes"
	"context"
	"crypto/rand"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hedensted-pb/pb/tally/ledger"
	"github.com/hedensted-pb/pb/ui/store"
)

// TestConcurrentBallots casts ballots from many goroutines, each ballot
// sent two or three times. The batch period is long, and the batch is
// appended only once every submission waits in it, so the test knows there
// is exactly one batch. Every voter gets one receipt (the same one each
// time), the log holds each ballot once, and the record verifies with
// every receipt.
func TestConcurrentBallots(t *testing.T) {
	e := newTestEnv(t, func(c *Config) { c.Batch = time.Hour })
	e.seed()
	const n = 120
	co, v := e.votingRound("barrit-2026", n, RoundRequest{})
	leaves := make([][]byte, n)
	for i := range leaves {
		leaves[i] = e.ballotLeaf("barrit-2026", v, i, testProjects[i%4].ID)
	}
	receipts := make([][][]byte, n)
	var mu sync.Mutex
	var wg sync.WaitGroup
	resident := e.client()
	submissions := 0
	for i := range n {
		for k := range 2 + i%2 {
			submissions++
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := resident.do("POST", "/api/rounds/barrit-2026/ballots", leaves[i])
				if r.Status != 201 && r.Status != 200 {
					t.Errorf("ballot %d (try %d) = %s", i, k, r)
					return
				}
				mu.Lock()
				receipts[i] = append(receipts[i], r.Body)
				mu.Unlock()
			}()
		}
	}
	for e.app.seq.queued.Load() < int64(submissions) {
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
	if err := e.app.seq.do(context.Background(), func() error { return nil }); err != nil {
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
	co.must(200, "POST", "/api/rounds/barrit-2026/phase", map[string]string{"phase": "closed"})
	co.must(200, "POST", "/api/rounds/barrit-2026/phase", map[string]string{"phase": "published"})
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

// TestRestart stops the app in the middle of a round, starts a new one on
// the same data directory and keeps voting: the log continues and the
// record verifies, with receipts from before the restart. The new server
// has another base URL, which must not disturb the running round.
func TestRestart(t *testing.T) {
	dir := t.TempDir()
	open := func(base string) (*App, *store.Store) {
		st, err := store.Open(filepath.Join(dir, "pb.db"))
		if err != nil {
			t.Fatal(err)
		}
		keys, err := store.OpenKeyring(filepath.Join(dir, "keys"))
		if err != nil {
			t.Fatal(err)
		}
		a, err := New(Config{Store: st, Keys: keys, BaseURL: base, Batch: 20 * time.Millisecond,
			Argon2: testArgon2, ScheduleEvery: -1})
		if err != nil {
			t.Fatal(err)
		}
		return a, st
	}
	a1, st1 := open(testBase)
	e := &testEnv{t: t, app: a1, store: st1, dir: dir}
	e.seed()
	co, v := e.votingRound("barrit-2026", 20, RoundRequest{})
	var receipts [][]byte
	for i := range 8 {
		receipts = append(receipts, e.client().must(201, "POST", "/api/rounds/barrit-2026/ballots", e.ballotLeaf("barrit-2026", v, i, "shelter")).Body)
	}
	// A ballot in flight when the shutdown starts is still answered.
	inflight := make(chan response, 1)
	go func() {
		inflight <- e.client().do("POST", "/api/rounds/barrit-2026/ballots", e.ballotLeaf("barrit-2026", v, 8, "bibliotek"))
	}()
	time.Sleep(5 * time.Millisecond) // let it reach the sequencer (not required for correctness)
	if err := a1.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r := <-inflight; r.Status == 201 {
		receipts = append(receipts, r.Body)
	} else if r.Status != http.StatusServiceUnavailable {
		t.Errorf("ballot during shutdown = %s, want 201 or 503", r)
	}
	if err := st1.Close(); err != nil {
		t.Fatal(err)
	}

	// The restarted server has another public name: existing rounds keep
	// theirs (it is in their manifests and key files).
	a2, st2 := open("https://renamed.example")
	t.Cleanup(func() { a2.Shutdown(context.Background()); st2.Close() })
	e = &testEnv{t: t, app: a2, store: st2, dir: dir}
	// Sessions survive the restart too.
	co.env = e
	// Repeats of ballots from before the restart get their receipts.
	if again := e.client().must(200, "POST", "/api/rounds/barrit-2026/ballots", e.ballotLeaf("barrit-2026", v, 0, "shelter")); !bytes.Equal(again.Body, receipts[0]) {
		t.Errorf("receipt after restart differs")
	}
	for i := 9; i < 15; i++ {
		receipts = append(receipts, e.client().must(201, "POST", "/api/rounds/barrit-2026/ballots", e.ballotLeaf("barrit-2026", v, i, "legeplads")).Body)
	}
	e.client().must(409, "POST", "/api/rounds/barrit-2026/ballots", e.ballotLeaf("barrit-2026", v, 3, "legeplads"))
	co.must(200, "POST", "/api/rounds/barrit-2026/phase", map[string]string{"phase": "closed"})
	co.must(200, "POST", "/api/rounds/barrit-2026/phase", map[string]string{"phase": "published"})
	rep := verifyRound(t, e, "barrit-2026", receipts...)
	if rep.Counts.Counted != int64(len(receipts)) {
		t.Errorf("counted %d, receipts %d", rep.Counts.Counted, len(receipts))
	}
}

// TestShutdownRefusesNewBallots checks that after shutdown the sequencer
// answers 503 rather than hanging.
func TestShutdownRefusesNewBallots(t *testing.T) {
	e := newTestEnv(t)
	e.seed()
	_, v := e.votingRound("barrit-2026", 2, RoundRequest{})
	leaf := e.ballotLeaf("barrit-2026", v, 0, "shelter")
	e.app.seq.stop()
	_, err := e.app.CastBallot(context.Background(), "barrit-2026", leaf)
	if status, _, _ := PublicError(err); status != http.StatusServiceUnavailable {
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
	e := newTestEnv(t)
	e.seed()
	events, cancel := e.app.Subscribe("barrit-2026")
	defer cancel()
	all, cancelAll := e.app.Subscribe("")
	_, v := e.votingRound("barrit-2026", 3, RoundRequest{})
	e.client().must(201, "POST", "/api/rounds/barrit-2026/ballots", e.ballotLeaf("barrit-2026", v, 0, "shelter"))
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
